/**
 * The reachability prober: each epoch the registry challenges some of the
 * live nodes (active or decommissioned, with an address from an uptime
 * proof) to prove, over their advertised address, that they hold their node
 * key. Results go to {@linkcode Registry.recordReachability}, which keeps the
 * evidence and marks a node unreachable after consecutive failures (the next
 * tick then decommissions it, like a missed proof).
 *
 * Protocol (see registry/README.md): `POST http://<ip>:<https_port>/snode-registry/v1/challenge`
 * with `{"network": <id>, "nonce": "<64 hex>"}`; the node answers 200 with
 * `{"pubkey": "<64 hex>", "signature": "<128 hex>"}`, an Ed25519 signature by
 * the node key over `challengePreimage(network, nodePubkey, nonce)`.
 *
 * Which nodes are tested in a round: every node never tested at its current
 * address; every node whose last test failed (once per epoch, so a failing
 * node is confirmed quickly and a recovered one is noticed quickly); and,
 * spread over the epochs, nodes whose last test is `intervalEpochs` old
 * (oldest first, about `live / intervalEpochs` a round).
 *
 * @module
 */

import { readAtMost } from "./streams.ts";
import { fromHex, toHex } from "../core/bytes.ts";
import { verifyChallenge } from "../core/messages.ts";
import type { ReachabilityResult, Registry } from "../registry.ts";

/** Path of the challenge endpoint on a node. */
export const CHALLENGE_PATH = "/snode-registry/v1/challenge";
/** Largest challenge answer read, bytes. */
export const MAX_ANSWER_BYTES = 4096;

/** A node chosen for a test. */
export interface ProbeTarget {
  /** Node key, hex. */
  node: string;
  /** IPv4 from its last proof. */
  ip: string;
  /** Storage HTTPS port from its last proof (the challenge is plain HTTP there). */
  port: number;
  /** Why it is tested now. */
  reason: "new" | "address_changed" | "retest" | "periodic";
}

/** Options of {@linkcode probeNodes}. */
export interface ProbeOptions {
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch;
  /** Tests in flight at once; default 16. */
  concurrency?: number;
  /** Per-test timeout, milliseconds; default 5,000. */
  timeoutMs?: number;
  /** Aborts the round (shutdown): tests cut short are not recorded. */
  signal?: AbortSignal;
  /** Test each node about this often, epochs; default the network's proof interval. */
  intervalEpochs?: number;
}

/** What one round did. */
export interface ProbeRound {
  /** Epoch the round ran in. */
  epoch: number;
  /** Nodes tested (and recorded). */
  tested: number;
  /** Tests passed. */
  ok: number;
  /** Tests failed. */
  failed: number;
  /** The recorded results. */
  results: ReachabilityResult[];
  /** Whether the round was aborted. */
  aborted: boolean;
}

/**
 * The nodes due for a test in the registry's current epoch (see the module
 * documentation for the rule).
 */
export async function dueNodes(
  registry: Registry,
  intervalEpochs = registry.params.proofIntervalEpochs,
): Promise<ProbeTarget[]> {
  const epoch = registry.epoch;
  const interval = Math.max(1, intervalEpochs);
  const nodes = await registry.store.read.nodes.addressed();
  if (nodes.length === 0) return [];
  const latest = await registry.store.read.reachability.latestPerNode();
  const due: ProbeTarget[] = [];
  const periodic: { target: ProbeTarget; epoch: number }[] = [];
  for (const n of nodes) {
    const ip = n.public_ip!, port = Number(n.https_port);
    if (port === 0) continue;
    const base = { node: n.pubkey, ip, port };
    const last = latest.get(n.pubkey);
    if (!last) {
      due.push({ ...base, reason: "new" });
    } else if (last.address !== `${ip}:${port}`) {
      due.push({ ...base, reason: "address_changed" });
    } else if (
      (Number(n.reachability_failures) > 0 || Number(n.unreachable) !== 0) &&
      last.epoch < epoch
    ) {
      due.push({ ...base, reason: "retest" });
    } else if (last.epoch + interval <= epoch) {
      periodic.push({
        target: { ...base, reason: "periodic" },
        epoch: last.epoch,
      });
    }
  }
  periodic.sort((a, b) => a.epoch - b.epoch);
  const budget = Math.ceil(nodes.length / interval);
  for (const p of periodic.slice(0, budget)) due.push(p.target);
  return due;
}

/**
 * Challenge one node. Never throws: every failure is a failed result with a
 * specific `detail`. Returns null only when `signal` aborted the test.
 */
export async function probeNode(
  target: Pick<ProbeTarget, "node" | "ip" | "port">,
  network: number,
  options: { fetch?: typeof fetch; timeoutMs?: number; signal?: AbortSignal } =
    {},
): Promise<ReachabilityResult | null> {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5000;
  const address = `${target.ip}:${target.port}`;
  const fail = (detail: string, latencyMs: number | null = null) => ({
    node: target.node,
    address,
    ok: false,
    detail,
    latencyMs,
  });
  if (options.signal?.aborted) return null;
  const nonce = crypto.getRandomValues(new Uint8Array(32));
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal
    ? AbortSignal.any([timeout, options.signal])
    : timeout;
  const aborted = () => options.signal?.aborted === true && !timeout.aborted;
  const started = performance.now();
  let response: Response;
  try {
    response = await doFetch(`http://${address}${CHALLENGE_PATH}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
      },
      body: JSON.stringify({ network, nonce: toHex(nonce) }),
      // A redirect could point the registry anywhere: refuse to follow.
      redirect: "manual",
      signal,
    });
  } catch (e) {
    if (aborted()) return null;
    if (timeout.aborted) return fail(`no answer within ${timeoutMs} ms`);
    return fail(`connection failed: ${errorText(e)}`);
  }
  const latencyMs = Math.round(performance.now() - started);
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => {});
    return fail(`answered HTTP ${response.status} instead of 200`, latencyMs);
  }
  let text: string;
  try {
    text = await readLimited(response, MAX_ANSWER_BYTES);
  } catch (e) {
    if (aborted()) return null;
    if (timeout.aborted) {
      return fail(`answer not complete within ${timeoutMs} ms`, latencyMs);
    }
    return fail(errorText(e), latencyMs);
  }
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    return fail(
      `answer is not JSON: ${JSON.stringify(text.slice(0, 80))}`,
      latencyMs,
    );
  }
  if (answer === null || typeof answer !== "object" || Array.isArray(answer)) {
    return fail("answer is not a JSON object", latencyMs);
  }
  const { pubkey, signature } = answer as Record<string, unknown>;
  if (typeof pubkey !== "string" || !/^[0-9a-fA-F]{64}$/.test(pubkey)) {
    return fail('answer has no "pubkey" of 64 hex digits', latencyMs);
  }
  if (pubkey.toLowerCase() !== target.node) {
    return fail(
      `answered as node ${pubkey.toLowerCase()}, not ${target.node}`,
      latencyMs,
    );
  }
  if (typeof signature !== "string" || !/^[0-9a-fA-F]{128}$/.test(signature)) {
    return fail('answer has no "signature" of 128 hex digits', latencyMs);
  }
  const ok = verifyChallenge(
    network,
    fromHex(target.node, 32),
    nonce,
    fromHex(signature, 64),
  );
  if (!ok) {
    return fail("signature does not verify under the node key", latencyMs);
  }
  return {
    node: target.node,
    address,
    ok: true,
    detail: "signed challenge verified",
    latencyMs,
  };
}

/**
 * One round: pick the due nodes, test them with bounded concurrency, and
 * record the results in one write. Tests cut short by `signal` are dropped.
 */
export async function probeNodes(
  registry: Registry,
  options: ProbeOptions = {},
): Promise<ProbeRound> {
  const epoch = registry.epoch;
  const targets = await dueNodes(registry, options.intervalEpochs);
  const concurrency = Math.max(1, options.concurrency ?? 16);
  const results: ReachabilityResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < targets.length && !options.signal?.aborted) {
      const target = targets[next++]!;
      const result = await probeNode(target, registry.params.id, {
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.timeoutMs !== undefined
          ? { timeoutMs: options.timeoutMs }
          : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (result) results.push(result);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(concurrency, targets.length) }, worker),
  );
  if (results.length > 0) await registry.recordReachability(results);
  const ok = results.filter((r) => r.ok).length;
  return {
    epoch,
    tested: results.length,
    ok,
    failed: results.length - ok,
    results,
    aborted: options.signal?.aborted === true,
  };
}

async function readLimited(response: Response, limit: number): Promise<string> {
  const body = await readAtMost(response.body, limit);
  if (body === null) throw new Error(`answer is larger than ${limit} bytes`);
  return new TextDecoder("utf-8", { fatal: false }).decode(body);
}

function errorText(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/\s+/g, " ").slice(0, 300);
}
