/**
 * The devnet's one-screen status, redrawn on a terminal: the URLs, the
 * network by node status, each simulated node at a glance, the simulated
 * messenger's paths, and the latest happenings.
 *
 * @module
 */

import type { InfoView } from "../registry/client/types.ts";
import type { MessengerState } from "./messenger.ts";
import type { SimNodeState } from "./sim_node.ts";
import type { WitnessState } from "./witnesses.ts";

/** What the screen shows. */
export interface StatusView {
  banner: string;
  info: InfoView;
  nodes: SimNodeState[];
  messenger: MessengerState;
  demoSessionId: string;
  feed: string[];
  witnesses: WitnessState[];
}

const MARK: Record<string, string> = {
  active: "A",
  awaiting_contributions: "w",
  decommissioned: "D",
  deregistered: "x",
  exited: "e",
  new: ".",
};

/** The screen as text, with the escape codes that clear and redraw it. */
export function renderStatus(v: StatusView): string {
  const rows = Deno.consoleSize?.().rows ?? 40;
  const counts = Object.entries(v.info.nodes).map(([k, n]) => `${k} ${n}`)
    .join(", ");
  const grid = v.nodes.map((n) =>
    `${MARK[n.status] ?? "?"}${n.up ? "" : "!"}`.padEnd(3)
  );
  const lines = [
    v.banner.trimEnd(),
    "",
    `  epoch ${v.info.epoch}  list ${v.info.latestList?.epoch ?? "-"} ${
      v.info.latestList?.hash.slice(0, 16) ?? ""
    }...  swarms ${v.info.swarms}`,
    `  nodes: ${counts}`,
    `  witnesses (latest co-signed epoch): ${
      v.witnesses.map((w) =>
        `${w.name} ${
          !w.up ? "down" : w.halted ? `REFUSED (${w.halted})` : w.epoch ?? "-"
        }`
      ).join(", ") || "-"
    }`,
    `  by node (A active, w awaiting contributions, D decommissioned, x deregistered, e exited, ! down):`,
    ...chunk(grid, 20).map((row) => `    ${row.join("")}`),
    "",
    `  messenger client: ${v.messenger.status}${
      v.messenger.epoch !== null
        ? `, list ${v.messenger.epoch} (${v.messenger.origin}${
          v.messenger.witnesses === null
            ? ""
            : `, co-signed by ${v.messenger.witnesses} pinned witnesses`
        }), ${v.messenger.nodes} nodes`
        : ""
    }`,
    `    swarm of ${v.demoSessionId.slice(0, 12)}...: ${
      v.messenger.swarm ?? "-"
    }`,
    ...v.messenger.paths.map((p, i) => `    path ${i + 1}: ${p}`),
    "",
    "  latest:",
  ];
  const room = Math.max(3, rows - lines.length - 2);
  lines.push(...v.feed.slice(-room).map((l) => `    ${l}`));
  return "\x1b[H\x1b[2J" + lines.join("\n") + "\n";
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    out.push(items.slice(i, i + size));
  }
  return out;
}
