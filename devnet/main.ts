/**
 * The local devnet: a real registry (`registry/main.ts`, as a subprocess, on
 * devnet rules with 2-second epochs) and a handful of simulated service nodes
 * in this process. Each node's operator takes coins from the faucet and
 * registers it with signed messages over HTTP (every third node is completed
 * by a second contributor), then the node sends uptime proofs on schedule and
 * answers the registry's reachability challenges on its own loopback port.
 * One node is flaky: it stops proving after a while, so the network shows a
 * decommission and then a deregistration.
 *
 * `npx deno task devnet` - then query the registry it prints, or point the
 * operator CLI at it. Ctrl-C stops everything.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { sha256 } from "@noble/hashes/sha2.js";
import { challengeHandler } from "../operator-cli/challenge.ts";
import { RegistryClient, sleep } from "../registry/client/api.ts";
import { RegistryApiError } from "../registry/client/errors.ts";
import { toHex } from "../registry/core/bytes.ts";
import { publicKeyOf } from "../registry/core/keys.ts";
import { type MessageBody, signMessage } from "../registry/core/messages.ts";
import {
  ATOMIC_PER_COIN,
  formatCoins,
  PRESETS,
} from "../registry/core/params.ts";

const USAGE = `usage: deno task devnet [options]

Starts a registry on devnet rules and simulated service nodes that register,
prove their uptime and answer reachability challenges. Everything listens on
127.0.0.1 only.

options:
  --nodes N           simulated nodes (default 12, 0-100)
  --flaky K           of which stop proving after --flaky-after seconds (default 1)
  --flaky-after S     seconds (default 40)
  --port P            registry port (default 8080; 0 = any free port)
  --data-dir DIR      registry data (default ./data/devnet; kept between runs)
  --epoch-seconds S   epoch length (default 2)
  -h, --help          this text`;

interface Options {
  nodes: number;
  flaky: number;
  flakyAfter: number;
  port: number;
  dataDir: string;
  epochSeconds: number;
}

function parseOptions(args: string[]): Options | null {
  const { values } = parseArgs({
    args,
    options: {
      nodes: { type: "string", default: "12" },
      flaky: { type: "string", default: "1" },
      "flaky-after": { type: "string", default: "40" },
      port: { type: "string", default: "8080" },
      "data-dir": { type: "string", default: "./data/devnet" },
      "epoch-seconds": { type: "string", default: "2" },
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
  const nodes = int("nodes", values.nodes, 0, 100);
  return {
    nodes,
    flaky: Math.min(nodes, int("flaky", values.flaky, 0, 100)),
    flakyAfter: int("flaky-after", values["flaky-after"], 1, 86_400),
    port: int("port", values.port, 0, 65_535),
    dataDir: values["data-dir"],
    epochSeconds: int("epoch-seconds", values["epoch-seconds"], 1, 3600),
  };
}

/** A key from a label: devnet identities are the same on every run. */
function devKey(label: string) {
  const secret = sha256(new TextEncoder().encode(`devnet/${label}`));
  return {
    secret,
    public: publicKeyOf(secret),
    hex: toHex(publicKeyOf(secret)),
  };
}

/**
 * Sequence numbers: unix milliseconds, bumped if two messages share one, so
 * they keep increasing across restarts of the devnet too.
 */
const lastSequence = new Map<string, number>();
function nextSequence(signer: string): number {
  const next = Math.max(Date.now(), (lastSequence.get(signer) ?? 0) + 1);
  lastSequence.set(signer, next);
  return next;
}

/** A message body without the fields `sign` fills in (distributes over kinds). */
type Unsigned = MessageBody extends infer B
  ? B extends MessageBody ? Omit<B, "network" | "timestamp" | "sequence">
  : never
  : never;

function sign(
  body: Unsigned,
  keys: { secret: Uint8Array; hex: string }[],
): Uint8Array {
  const sequenceOwner = keys[keys.length - 1]!;
  const full = {
    ...body,
    network: PRESETS.devnet.id,
    timestamp: Math.floor(Date.now() / 1000),
    sequence: nextSequence(sequenceOwner.hex),
  } as MessageBody;
  return signMessage(full, keys.map((k) => k.secret)).bytes;
}

function say(who: string, text: string): void {
  const time = new Date().toISOString().slice(11, 19);
  console.log(`${time} ${who.padEnd(8)} ${text}`);
}

/** Tolerate what a restarted devnet already did. */
async function idempotent(work: Promise<unknown>, ...codes: string[]) {
  try {
    await work;
  } catch (e) {
    if (!(e instanceof RegistryApiError && codes.includes(e.code))) throw e;
  }
}

/** One simulated service node: registration, proofs, challenge server. */
async function runNode(
  index: number,
  client: RegistryClient,
  options: Options,
  signal: AbortSignal,
): Promise<void> {
  const node = devKey(`node-${index}`);
  const operator = devKey(`operator-${index}`);
  const name = `node${index}`;
  const p = PRESETS.devnet;
  const server = Deno.serve(
    {
      hostname: "127.0.0.1",
      port: 0,
      signal,
      onListen: () => {},
    },
    challengeHandler({
      network: p.id,
      secretKey: node.secret,
      publicKey: node.public,
    }),
  );
  const port = server.addr.port;
  const shared = index % 3 === 2;
  await client.submit(
    sign({
      kind: "faucet_request",
      wallet: operator.public,
      amount: 200n * ATOMIC_PER_COIN,
    }, [operator]),
    "faucet_request",
  );
  await idempotent(
    client.submit(
      sign({
        kind: "register_node",
        nodePubkey: node.public,
        operator: operator.public,
        operatorStake: shared ? p.operatorMinimum : p.stakingRequirement,
        feeBasisPoints: shared ? 500 : 0,
        reserved: [],
      }, [node, operator]),
      "register_node",
    ),
    "node_already_registered",
  );
  if (shared) {
    const friend = devKey(`contributor-${index}`);
    await client.submit(
      sign({
        kind: "faucet_request",
        wallet: friend.public,
        amount: 200n * ATOMIC_PER_COIN,
      }, [friend]),
      "faucet_request",
    );
    const detail = await client.node(node.hex);
    if (detail.status === "awaiting_contributions") {
      await client.submit(
        sign({
          kind: "contribute",
          wallet: friend.public,
          nodePubkey: node.public,
          amount: BigInt(detail.funding.remaining),
        }, [friend]),
        "contribute",
      );
    }
  }
  say(
    name,
    `${node.hex.slice(0, 16)}... registered by ${
      operator.hex.slice(0, 8)
    }... (${
      shared ? "operator + contributor" : "operator alone"
    }), storage port ${port}`,
  );
  const flaky = index < options.flaky;
  const started = Date.now();
  const interval = p.proofIntervalEpochs * options.epochSeconds * 1000;
  while (!signal.aborted) {
    if (flaky && Date.now() - started > options.flakyAfter * 1000) {
      say(
        name,
        "stops proving (flaky node): watch it be decommissioned, then deregistered",
      );
      break;
    }
    await idempotent(
      client.submit(
        sign({
          kind: "uptime_proof",
          nodePubkey: node.public,
          ipv4: "127.0.0.1",
          httpsPort: port,
          quicPort: port,
          nodeVersion: [11, 0, 0],
          storageVersion: [2, 10, 0],
        }, [node]),
        "uptime_proof",
      ),
      "proof_too_soon",
      "node_not_live",
    );
    await sleep(interval, signal);
  }
  await server.finished;
}

/** Start the registry subprocess and wait for its `listening` log line. */
async function startRegistry(options: Options) {
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
    ],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(
    splitLines(),
  );
  const reader = lines.getReader();
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
    showRegistryLog(record, value);
    if (record?.msg === "listening") {
      url = String(record.url);
      registryKey = String(record.registryKey);
    }
  }
  // Keep relaying the registry's log lines.
  (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      showRegistryLog(parseLog(value), value);
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

/** Relay registry log lines, quietly: ticks only when something changed. */
function showRegistryLog(
  record: Record<string, unknown> | null,
  raw: string,
): void {
  if (!record) return say("registry", raw);
  const { msg, time: _t, level: _l, ...rest } = record;
  if (msg === "tick") {
    const changes = rest.changes as Record<string, number> | undefined;
    if (!changes || Object.keys(changes).length === 0) return;
  }
  if (msg === "reachability round" && !rest.failed) return;
  const fields = Object.entries(rest).map(([k, v]) =>
    `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`
  ).join(" ");
  say("registry", `${msg} ${fields}`);
}

/**
 * The commands the banner suggests, in order; each works as printed from the
 * repository on a fresh machine (tests/devnet_test.ts runs them): `list fetch`
 * downloads, verifies and saves the list, then `list verify` checks the saved
 * copy offline.
 */
export function tryCommands(url: string, registryKey: string): string[] {
  return [
    `curl ${url}/v1/info`,
    `curl ${url}/v1/nodes`,
    `curl ${url}/v1/swarms`,
    `curl -N -H 'accept: text/event-stream' ${url}/v1/events`,
    `npx deno task cli --registry ${url} list fetch --registry-key ${registryKey}`,
    `npx deno task cli --registry ${url} list verify --registry-key ${registryKey}`,
  ];
}

async function devnet(options: Options): Promise<number> {
  const { child, url, registryKey } = await startRegistry(options);
  const client = new RegistryClient(url);
  const stop = new AbortController();
  const info = await client.info();
  console.log(`
  devnet registry  ${url}   (network ${info.network}, ${info.epochSeconds}-second epochs)
  registry key     ${registryKey}
  stake per node   ${formatCoins(BigInt(info.rules.stakingRequirement))} coins
  API docs         ${url}/v1/docs (open it in a browser)

${
    tryCommands(url, registryKey).map((c, i) =>
      `  ${i === 0 ? "try:" : "    "}  ${c}`
    ).join("\n")
  }
`);
  const nodes = Array.from(
    { length: options.nodes },
    (_, i) =>
      runNode(i, client, options, stop.signal).catch((e) => {
        if (!stop.signal.aborted) {
          say(`node${i}`, `error: ${e instanceof Error ? e.message : e}`);
        }
      }),
  );
  const shutdown = new Promise<string>((resolve) => {
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(sig, () => resolve(sig));
    }
  });
  const exited = child.status.then((s) => `registry exited with ${s.code}`);
  const reason = await Promise.race([shutdown, exited]);
  say("devnet", `stopping (${reason})`);
  stop.abort();
  await Promise.allSettled(nodes);
  try {
    child.kill("SIGTERM");
  } catch {
    // already gone
  }
  const status = await child.status;
  return reason.startsWith("registry") ? 1 : status.code;
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
