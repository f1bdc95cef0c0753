/**
 * `deno task web --registry URL [--port P] [--host H]`: the explorer as a
 * program. Ctrl-C (or SIGTERM) stops it.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parseBaseUrl } from "../registry/client/api.ts";
import { startExplorer } from "./server.ts";

const USAGE = `usage: deno task web --registry URL [options]

The public network explorer: pages over the registry's HTTP API.

options:
  --registry URL   the registry to read (env EXPLORER_REGISTRY)
  --port P         port to listen on (default 8090; 0 = any free port)
  --host H         address to listen on (default 127.0.0.1)
  -h, --help       this text`;

/** Run the program; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        registry: { type: "string" },
        port: { type: "string", default: "8090" },
        host: { type: "string", default: "127.0.0.1" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : e}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const registry = values.registry ?? Deno.env.get("EXPLORER_REGISTRY");
  if (!registry) {
    console.error(`error: --registry URL is required\n\n${USAGE}`);
    return 2;
  }
  try {
    parseBaseUrl(registry);
  } catch (e) {
    console.error(`error: --registry: ${e instanceof Error ? e.message : e}`);
    return 2;
  }
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65_535) {
    console.error(
      `error: --port: "${values.port}" is not a TCP port (0 to 65535)`,
    );
    return 2;
  }
  const stop = new AbortController();
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, () => stop.abort());
  }
  let explorer;
  try {
    explorer = await startExplorer({
      registryUrl: registry,
      port,
      hostname: values.host,
      signal: stop.signal,
    });
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : e}`);
    return 1;
  }
  console.log(
    JSON.stringify({
      time: new Date().toISOString(),
      level: "info",
      msg: "listening",
      url: explorer.url,
      registry: explorer.data.registryUrl,
    }),
  );
  await explorer.finished;
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
