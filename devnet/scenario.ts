/**
 * The living network: what happens to the simulated nodes over time, so
 * every state and alert can be watched. Times are in epochs from the
 * devnet's start:
 *
 * - at once: the founding nodes register; every fourth is shared, its
 *   operator staking the minimum and a contributor completing it a few
 *   epochs later (contributions arrive over time);
 * - from epoch 8: a newcomer registers every 8 epochs;
 * - epoch 10: one operator asks to unlock; its node exits once the unlock
 *   delay has passed;
 * - epoch 15: one node goes down and stays down - decommissioned when its
 *   proof expires, deregistered when its credit runs out;
 * - epoch 20: another goes down and comes back at epoch 50 - decommissioned,
 *   then recommissioned.
 *
 * @module
 */

import type { Funding } from "./sim_node.ts";

/** One scheduled step. */
export interface Step {
  /** Epochs after the start. */
  atEpoch: number;
  /** Which node (index). */
  node: number;
  what: "register" | "contribute" | "unlock" | "down" | "up";
  /** For the log: why it happens. */
  note: string;
}

/** The nodes and the timeline. */
export interface Scenario {
  /** Funding of each node, by index. */
  funding: Funding[];
  /** Nodes registered at the start. */
  founders: number;
  steps: Step[];
}

/** The timeline for `founders` nodes at the start and `newcomers` later. */
export function scenario(founders: number, newcomers: number): Scenario {
  const total = founders + newcomers;
  const funding: Funding[] = Array.from(
    { length: total },
    (_, i) => (i % 4 === 3 ? "shared" : "solo"),
  );
  const steps: Step[] = [];
  for (let i = 0; i < founders; i++) {
    if (funding[i] === "shared") {
      steps.push({
        atEpoch: 2 + (i % 8),
        node: i,
        what: "contribute",
        note: "a contributor completes the stake",
      });
    }
  }
  for (let k = 0; k < newcomers; k++) {
    const i = founders + k;
    const at = 8 * (k + 1);
    steps.push({ atEpoch: at, node: i, what: "register", note: "a newcomer" });
    if (funding[i] === "shared") {
      steps.push({
        atEpoch: at + 3,
        node: i,
        what: "contribute",
        note: "a contributor completes the stake",
      });
    }
  }
  // Roles for the story, among the founders that fund themselves.
  const solo = Array.from({ length: founders }, (_, i) => i)
    .filter((i) => funding[i] === "solo");
  const [leaver, doomed, bouncer] = [solo[1], solo[2], solo[4]];
  if (leaver !== undefined) {
    steps.push({
      atEpoch: 10,
      node: leaver,
      what: "unlock",
      note: "its operator wants the stake back",
    });
  }
  if (doomed !== undefined) {
    steps.push({
      atEpoch: 15,
      node: doomed,
      what: "down",
      note: "goes down for good: decommissioned, then deregistered",
    });
  }
  if (bouncer !== undefined) {
    steps.push({
      atEpoch: 20,
      node: bouncer,
      what: "down",
      note: "goes down for a while: watch it be decommissioned",
    });
    steps.push({
      atEpoch: 50,
      node: bouncer,
      what: "up",
      note: "comes back: it is recommissioned at the next tick",
    });
  }
  steps.sort((a, b) => a.atEpoch - b.atEpoch || a.node - b.node);
  return { funding, founders, steps };
}
