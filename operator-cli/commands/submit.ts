/**
 * `snode submit FILE`: post a payload signed offline, exactly as signed.
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import { CliError } from "../errors.ts";
import { describe, readPayload } from "../signing.ts";
import { examples, type MakeContext } from "./shared.ts";

export function submitCommand(make: MakeContext) {
  return examples(
    new Command("submit")
      .description(
        "submit a payload signed with --offline (checked locally first, then posted unchanged)",
      )
      .argument(
        "<file>",
        "payload file written by --offline --out (or a hex message)",
      )
      .action(async (file, _opts, cmd) => {
        const ctx = make(cmd);
        const { message } = await readPayload(file);
        const info = await ctx.info();
        if (message.body.network !== info.networkId) {
          throw new CliError(
            "refused",
            "wrong_network",
            `the payload is for network ${message.body.network}, the registry at ${ctx.client.baseUrl} runs ${info.network} (${info.networkId})`,
          );
        }
        const { summary } = describe(message.body);
        const skew = message.body.timestamp - info.now;
        if (Math.abs(skew) > info.rules.clockToleranceSeconds) {
          ctx.out.warn(
            `the payload was signed for ${
              new Date(message.body.timestamp * 1000).toISOString()
            }, ${Math.abs(skew)} s ${
              skew > 0 ? "ahead of" : "behind"
            } the registry's clock (tolerance ${info.rules.clockToleranceSeconds} s): it will likely be refused; sign again with --timestamp near the time you submit`,
          );
        }
        ctx.out.debug(`submitting: ${summary}`);
        const result = await ctx.client.submit(message.bytes, "any");
        ctx.out.result(result);
        ctx.out.line(`${ctx.out.c("green", "accepted")}: ${summary}`);
        if (result.status) ctx.out.line(`node is now ${result.status}`);
      }),
    [
      "snode submit contribution.json",
      "snode --registry https://registry.example submit reg.json --json",
    ],
  );
}
