/**
 * A simulated messenger client, as Session's would run: it bootstraps a
 * verified node list from the registry (pinned registry key, and the
 * devnet's witnesses pinned with a 2-of-3 co-signature threshold: while the
 * newest list still gathers co-signatures it uses the one before), keeps it
 * current,
 * looks up the swarm of a Session ID, and builds onion paths through tested
 * guards - using the client library, as a real client build would.
 *
 * @module
 */

import { Client, type OnionPath } from "../registry/client/mod.ts";

/** What the messenger reports on the status screen. */
export interface MessengerState {
  /** `starting`, `ready` or the last error. */
  status: string;
  /** Epoch of the list in use. */
  epoch: number | null;
  /** Where it came from: source, cache or fallback. */
  origin: string | null;
  /** Pinned witnesses and the co-signatures a list needs, e.g. `2 of 3`. */
  witnesses: string | null;
  /** Usable nodes in the list (with an address). */
  nodes: number;
  /** The demo Session ID's swarm and its size. */
  swarm: string | null;
  /** Paths, as `ip:port > ip:port > ip:port`. */
  paths: string[];
}

/** A demo Session ID whose swarm the messenger looks up. */
export const DEMO_SESSION_ID = "05" + "d0".repeat(32);

function describe(path: OnionPath): string {
  return path.hops.map((h) => `${h.ip}:${h.httpsPort}`).join(" > ");
}

/** Run the simulated messenger until `signal` aborts. */
export async function runMessenger(
  registryUrl: string,
  registryKey: string,
  witnessKeys: readonly string[],
  epochSeconds: number,
  state: MessengerState,
  log: (who: string, text: string) => void,
  signal: AbortSignal,
): Promise<void> {
  let client: Client | null = null;
  let last = "";
  while (!signal.aborted) {
    try {
      if (client === null) {
        client = await Client.bootstrap({
          network: "devnet",
          sources: [registryUrl],
          pinnedKeys: [registryKey],
          witnessKeys,
          timeoutMs: 3000,
          retries: 1,
        });
        log(
          "client",
          `bootstrapped: list ${client.epoch} (${client.origin}), ${client.nodes().length} nodes`,
        );
      } else {
        await client.refresh({ signal });
      }
      const paths = await client.buildPaths();
      const swarm = client.swarmFor(DEMO_SESSION_ID);
      state.status = "ready";
      state.epoch = client.epoch;
      state.origin = client.origin;
      state.witnesses = witnessKeys.length === 0
        ? null
        : `${Math.floor(witnessKeys.length / 2) + 1} of ${witnessKeys.length}`;
      state.nodes = client.nodes().length;
      state.swarm = `${
        swarm.swarmId?.toString(16) ?? "?"
      } (${swarm.members.length} nodes)`;
      state.paths = paths.map(describe);
      const now = state.paths.join(" | ");
      if (now !== last) {
        log("client", `paths: ${now}`);
        last = now;
      }
    } catch (e) {
      // Too few usable nodes at first (a path needs 3 /24s and 2 guards);
      // say why and try again.
      state.status = e instanceof Error ? e.message : String(e);
    }
    await new Promise((r) => {
      const t = setTimeout(r, epochSeconds * 3000);
      signal.addEventListener("abort", () => {
        clearTimeout(t);
        r(null);
      }, { once: true });
    });
  }
}
