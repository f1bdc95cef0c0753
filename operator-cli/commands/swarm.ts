/**
 * `snode swarm <session-id>`: which nodes store a Session ID's messages.
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import { parseSessionId } from "../../registry/core/keys.ts";
import { usage } from "../errors.ts";
import { examples, type MakeContext } from "./shared.ts";

export function swarmCommand(make: MakeContext) {
  return examples(
    new Command("swarm")
      .description(
        "the swarm (nodes and addresses) that stores a Session ID's messages",
      )
      .argument(
        "<session-id>",
        "66 hex digits: 05 (account) or 03 (group) and a 32-byte key",
      )
      .action(async (sessionId, _opts, cmd) => {
        const ctx = make(cmd);
        try {
          parseSessionId(sessionId);
        } catch (e) {
          throw usage(
            `"${sessionId}": ${(e as Error).message}`,
            "bad_session_id",
          );
        }
        const view = await (await ctx.api()).sessionSwarm(
          sessionId.toLowerCase(),
        );
        ctx.out.result(view);
        ctx.out.line(`swarm ${view.swarmId} (${view.members.length} nodes)`);
        ctx.out.table(
          ["NODE", "ADDRESS", "STORAGE"],
          view.members.map((m) => [
            m.pubkey,
            m.publicIp ? `${m.publicIp}:${m.httpsPort}` : "-",
            m.storageVersion ?? "-",
          ]),
        );
      }),
    ["snode swarm 05" + "ab".repeat(8) + "…", "snode swarm 0512...ef --json"],
  );
}
