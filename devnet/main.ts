/**
 * The local devnet, the README's main job: a real registry
 * (`registry/main.ts` as a subprocess, devnet rules, 2-second epochs), the
 * explorer in front of it, about 30 simulated service nodes in several
 * swarms - each with its own keys, operator wallet and contributors, real
 * signed proofs over HTTP, and a storage server on its own loopback
 * address answering the registry's reachability challenges - and a
 * simulated messenger client that bootstraps from the registry and builds
 * onion paths; and three witnesses (`witnesses.ts`) that re-execute every
 * epoch and co-sign its list. The network lives (`scenario.ts`): nodes go
 * down and come back, one is deregistered, one unlocks and exits,
 * newcomers register, contributions arrive.
 *
 * `npx deno task devnet` prints the URLs (explorer first) and a status
 * screen that refreshes; Ctrl-C stops everything. State persists in the
 * data folder unless `--fresh` is given.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { RegistryClient } from "../registry/client/api.ts";
import type { InfoView } from "../registry/client/types.ts";
import { formatCoins } from "../registry/core/params.ts";
import {
  DEMO_SESSION_ID,
  type MessengerState,
  runMessenger,
} from "./messenger.ts";
import { startRegistry } from "./registry_process.ts";
import { scenario } from "./scenario.ts";
import { SimNode } from "./sim_node.ts";
import { renderStatus, type StatusView } from "./status.ts";
import {
  planWitnesses,
  startWitness,
  witnessesOption,
  type WitnessPlan,
  type WitnessState,
  witnessState,
} from "./witnesses.ts";
import { startExplorerFor } from "./explorer.ts";

const USAGE = `usage: deno task devnet [options]

Starts a registry on devnet rules, three witnesses that re-execute every epoch
and co-sign its list, the explorer, about 30 simulated service nodes that
register, prove their uptime and answer reachability challenges, and a
simulated messenger client. The network lives: nodes go down and come
back, one is deregistered, one unlocks and exits, newcomers register.
Everything listens on 127.0.0.x only.

options:
  --nodes N            nodes registered at the start (default 30, 0-200)
  --newcomers N        nodes that register later, one every 8 epochs (default 4)
  --port P             registry port (default 8080; 0 = any free port)
  --explorer-port P    explorer port (default 8090; 0 = any free port)
  --data-dir DIR       registry data (default ./data/devnet; kept between runs)
  --fresh              start from an empty data directory
  --epoch-seconds S    epoch length (default 2)
  --plain              log lines instead of the refreshing status screen
                       (the default when the output is not a terminal)
  -h, --help           this text`;

interface Options {
  nodes: number;
  newcomers: number;
  port: number;
  explorerPort: number;
  dataDir: string;
  fresh: boolean;
  epochSeconds: number;
  plain: boolean;
}

function parseOptions(args: string[]): Options | null {
  const { values } = parseArgs({
    args,
    options: {
      nodes: { type: "string", default: "30" },
      newcomers: { type: "string", default: "4" },
      port: { type: "string", default: "8080" },
      "explorer-port": { type: "string", default: "8090" },
      "data-dir": { type: "string", default: "./data/devnet" },
      fresh: { type: "boolean", default: false },
      "epoch-seconds": { type: "string", default: "2" },
      plain: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return null;
  const int = (name: string, text: string, min: number, max: number) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) {
      throw new Error(
        `--${name} must be a whole number from ${min} to ${max}, got "${text}"`,
      );
    }
    return n;
  };
  return {
    nodes: int("nodes", values.nodes, 0, 200),
    newcomers: int("newcomers", values.newcomers, 0, 50),
    port: int("port", values.port, 0, 65_535),
    explorerPort: int("explorer-port", values["explorer-port"], 0, 65_535),
    dataDir: values["data-dir"],
    fresh: values.fresh,
    epochSeconds: int("epoch-seconds", values["epoch-seconds"], 1, 3600),
    plain: values.plain || !Deno.stdout.isTerminal(),
  };
}

async function devnet(options: Options): Promise<number> {
  const stop = new AbortController();
  const feed: string[] = [];
  const say = (who: string, text: string) => {
    const line = `${new Date().toISOString().slice(11, 19)} ${
      who.padEnd(8)
    } ${text}`;
    feed.push(line);
    if (feed.length > 200) feed.splice(0, feed.length - 200);
    if (options.plain) console.log(line);
  };
  if (options.fresh) {
    await Deno.remove(options.dataDir, { recursive: true }).catch(() => {});
  }
  // The witnesses' keys exist before the registry starts: it attaches
  // co-signatures only from the witnesses it is configured with.
  const plans = await planWitnesses(
    options.dataDir,
    options.port === 0 ? 0 : options.port + 100,
  );
  const registry = await startRegistry({
    port: options.port,
    dataDir: options.dataDir,
    epochSeconds: options.epochSeconds,
    witnesses: witnessesOption(plans),
    onLog: (record, raw) => showRegistryLog(say, record, raw),
  });
  const witnesses = await Promise.all(
    plans.map((p) =>
      startWitness(
        p,
        registry.url,
        registry.registryKey,
        (record) => showWitnessLog(say, p.name, record),
      )
    ),
  );
  const client = new RegistryClient(registry.url);
  const explorer = await startExplorerFor(
    registry.url,
    options.explorerPort,
    stop.signal,
  );
  const info = await client.info();
  const banner = bannerText(
    explorer.url,
    registry.url,
    registry.registryKey,
    info,
    witnesses,
  );
  console.log(banner);

  const plan = scenario(options.nodes, options.newcomers);
  const nodes = plan.funding.map((funding, index) =>
    new SimNode({
      index,
      funding,
      client,
      epochSeconds: options.epochSeconds,
      log: say,
    })
  );
  const running: Promise<unknown>[] = [];
  const run = (work: Promise<unknown>, who: string) =>
    running.push(work.catch((e) => {
      if (!stop.signal.aborted) {
        say(who, `error: ${e instanceof Error ? e.message : String(e)}`);
      }
    }));
  const join = async (node: SimNode) => {
    await node.start(stop.signal);
    run(node.prove(stop.signal), node.name);
  };
  // Founders join at once (a few at a time, as operators would).
  for (let i = 0; i < plan.founders; i += 8) {
    await Promise.all(
      nodes.slice(i, i + 8).map((n) =>
        join(n).catch((e) => {
          say(n.name, `error: ${e instanceof Error ? e.message : String(e)}`);
        })
      ),
    );
  }
  const started = Date.now();
  const epochMs = options.epochSeconds * 1000;
  run(
    (async () => {
      for (const step of plan.steps) {
        const at = started + step.atEpoch * epochMs;
        await sleepUntil(at, stop.signal);
        if (stop.signal.aborted) return;
        const node = nodes[step.node]!;
        say(node.name, `${step.what}: ${step.note}`);
        try {
          if (step.what === "register") await join(node);
          else if (step.what === "contribute") await node.contribute();
          else if (step.what === "unlock") await node.requestUnlock();
          else node.setUp(step.what === "up");
        } catch (e) {
          say(
            node.name,
            `error: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
      }
    })(),
    "scenario",
  );

  const messenger: MessengerState = {
    status: "starting",
    epoch: null,
    origin: null,
    witnesses: null,
    nodes: 0,
    swarm: null,
    paths: [],
  };
  run(
    runMessenger(
      registry.url,
      registry.registryKey,
      plans.map((p) => p.key),
      options.epochSeconds,
      messenger,
      say,
      stop.signal,
    ),
    "client",
  );

  // The status: redrawn on a terminal, a summary line now and then otherwise.
  let latest: InfoView = info;
  let witnessStates: WitnessState[] = [];
  const view = (): StatusView => ({
    banner,
    info: latest,
    nodes: nodes.map((n) => n.state),
    messenger,
    demoSessionId: DEMO_SESSION_ID,
    feed,
    witnesses: witnessStates,
  });
  run(
    (async () => {
      let n = 0;
      while (!stop.signal.aborted) {
        await sleepUntil(Date.now() + 1000, stop.signal);
        try {
          latest = await client.info();
        } catch {
          // The registry may be restarting; keep the last view.
        }
        witnessStates = await Promise.all(witnesses.map(witnessState));
        if (n++ % 5 === 0) await Promise.all(nodes.map((x) => x.refresh()));
        if (!options.plain) {
          await Deno.stdout.write(
            new TextEncoder().encode(renderStatus(view())),
          );
        } else if (n % 10 === 0) {
          console.log(summaryLine(latest, messenger, witnessStates));
        }
      }
    })(),
    "status",
  );

  const shutdown = new Promise<string>((resolve) => {
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(sig, () => resolve(sig));
    }
  });
  const exited = registry.child.status.then((s) =>
    `registry exited with ${s.code}`
  );
  const reason = await Promise.race([shutdown, exited]);
  console.log(`\ndevnet: stopping (${reason})`);
  stop.abort();
  await Promise.allSettled(running);
  await explorer.shutdown();
  for (const w of witnesses) {
    try {
      w.child.kill("SIGTERM");
    } catch {
      // already gone
    }
  }
  await Promise.all(witnesses.map((w) => w.child.status));
  try {
    registry.child.kill("SIGTERM");
  } catch {
    // already gone
  }
  const status = await registry.child.status;
  console.log(`devnet: stopped; state kept in ${options.dataDir}`);
  return reason.startsWith("registry") ? 1 : status.code;
}

function bannerText(
  explorerUrl: string,
  url: string,
  registryKey: string,
  info: InfoView,
  witnesses: readonly WitnessPlan[],
): string {
  const pins = witnesses.map((w) => `--witness-key ${w.key}@${w.url}`)
    .join(" ");
  return `
  explorer         ${explorerUrl}   (open it in a browser)
  registry         ${url}   (network ${info.network}, ${info.epochSeconds}-second epochs; API docs at ${url}/v1/docs)
  registry key     ${registryKey}
${
    witnesses.map((w) => `  ${w.name.padEnd(16)} ${w.url}   key ${w.key}`).join(
      "\n",
    )
  }
  stake per node   ${formatCoins(BigInt(info.rules.stakingRequirement))} coins

  try:
    curl ${url}/v1/nodes
    curl -N -H 'accept: text/event-stream' ${url}/v1/events
    npx deno task cli --registry ${url} list fetch --registry-key ${registryKey} ${pins} --threshold 2
    curl ${witnesses[0]?.url ?? url}/v1/status
    npx deno task cli --registry ${url} swarm ${DEMO_SESSION_ID}
`;
}

function summaryLine(
  info: InfoView,
  m: MessengerState,
  witnesses: readonly WitnessState[],
): string {
  const nodes = Object.entries(info.nodes).map(([k, v]) => `${k}=${v}`)
    .join(" ");
  const cosigned = witnesses.map((w) =>
    `${w.name}=${w.halted ?? w.epoch ?? "-"}`
  ).join(" ");
  return `${
    new Date().toISOString().slice(11, 19)
  } status   epoch ${info.epoch}: ${nodes}, ${info.swarms} swarms; co-signed ${cosigned}; client ${m.status}${
    m.paths.length ? `, ${m.paths.length} paths` : ""
  }`;
}

/** Relay a witness's log lines: only what is worth a look. */
function showWitnessLog(
  say: (who: string, text: string) => void,
  name: string,
  record: Record<string, unknown>,
): void {
  const { msg, time: _t, level, ...rest } = record;
  if (
    level !== "warn" && level !== "error" &&
    msg !== "started from a state snapshot"
  ) {
    return;
  }
  const fields = Object.entries(rest).map(([k, v]) =>
    `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`
  ).join(" ");
  say(name, `${msg} ${fields}`);
}

const lastFailed: { value: unknown } = { value: 0 };

/**
 * Relay registry log lines, quietly: ticks only when something changed,
 * reachability rounds only when the number of failing nodes changed.
 */
function showRegistryLog(
  say: (who: string, text: string) => void,
  record: Record<string, unknown> | null,
  raw: string,
): void {
  if (!record) return say("registry", raw);
  const { msg, time: _t, level: _l, ...rest } = record;
  if (msg === "tick") {
    const changes = rest.changes as Record<string, number> | undefined;
    if (!changes || Object.keys(changes).length === 0) return;
  }
  if (msg === "reachability round") {
    if (rest.failed === lastFailed.value) return;
    lastFailed.value = rest.failed;
  }
  if (msg === "reachability test failed") return;
  const fields = Object.entries(rest).map(([k, v]) =>
    `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`
  ).join(" ");
  say("registry", `${msg} ${fields}`);
}

function sleepUntil(at: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, Math.max(0, at - Date.now()));
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

if (import.meta.main) {
  let options: Options | null;
  try {
    options = parseOptions(Deno.args);
  } catch (e) {
    console.error(
      `error: ${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`,
    );
    Deno.exit(2);
  }
  if (options === null) {
    console.log(USAGE);
    Deno.exit(0);
  }
  try {
    Deno.exit(await devnet(options));
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  }
}
