/**
 * The devnet's registry: `registry/main.ts` as a subprocess on devnet rules,
 * its JSON log lines parsed and handed to a callback.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/** The running registry. */
export interface RegistryProcess {
  child: Deno.ChildProcess;
  url: string;
  registryKey: string;
}

/** Where and how to run it. */
export interface RegistryProcessOptions {
  port: number;
  dataDir: string;
  epochSeconds: number;
  /** `--witnesses`: the witnesses' keys and URLs. */
  witnesses?: string;
  /** Every log line, parsed (null when not JSON). */
  onLog: (record: Record<string, unknown> | null, raw: string) => void;
}

/** Start the registry and wait for its `listening` line. */
export async function startRegistry(
  options: RegistryProcessOptions,
): Promise<RegistryProcess> {
  const main = fileURLToPath(new URL("../registry/main.ts", import.meta.url));
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      main,
      "--network",
      "devnet",
      "--host",
      "127.0.0.1",
      "--port",
      String(options.port),
      "--data-dir",
      options.dataDir,
      "--epoch-seconds",
      String(options.epochSeconds),
      // Every simulated node writes from this one process, so one address:
      // the per-address write limit would throttle the whole network.
      "--write-rate",
      "off",
      ...(options.witnesses ? ["--witnesses", options.witnesses] : []),
    ],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .pipeThrough(splitLines()).getReader();
  let url: string | null = null;
  let registryKey = "";
  while (url === null) {
    const { value, done } = await reader.read();
    if (done) {
      throw new Error(
        "the registry exited before it was listening (see its output above)",
      );
    }
    const record = parseLog(value);
    options.onLog(record, value);
    if (record?.msg === "listening") {
      url = String(record.url);
      registryKey = String(record.registryKey);
    }
  }
  (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      options.onLog(parseLog(value), value);
    }
  })();
  return { child, url, registryKey };
}

function splitLines(): TransformStream<string, string> {
  let buffer = "";
  return new TransformStream({
    transform(chunk, controller) {
      buffer += chunk;
      const parts = buffer.split("\n");
      buffer = parts.pop() ?? "";
      for (const line of parts) if (line.trim()) controller.enqueue(line);
    },
    flush(controller) {
      if (buffer.trim()) controller.enqueue(buffer);
    },
  });
}

function parseLog(line: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(line);
    return typeof v === "object" && v !== null ? v : null;
  } catch {
    return null;
  }
}
