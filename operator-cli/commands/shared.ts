/**
 * What command files share: how an action gets its {@linkcode Context}, the
 * write options every signed command takes, and help examples.
 *
 * @module
 */

import type { Command, CommandUnknownOpts } from "@commander-js/extra-typings";
import { Context, type GlobalOptions } from "../context.ts";
import type { Io } from "../io.ts";
import type { Delivery } from "../signing.ts";

/** Builds the context of an action from its command. */
export type MakeContext = (cmd: CommandUnknownOpts) => Context;

/** The context maker for an Io. */
export function contextMaker(io: Io): MakeContext {
  return (cmd) => new Context(io, cmd.optsWithGlobals() as GlobalOptions);
}

/** Add "Examples:" to a command's help. */
export function examples<C extends CommandUnknownOpts>(
  cmd: C,
  lines: string[],
): C {
  cmd.addHelpText(
    "after",
    "\nExamples:\n" + lines.map((l) => "  " + l).join("\n"),
  );
  return cmd;
}

/** Options of every signed write: offline signing, sequence and timestamp. */
export function writeOptions<
  A extends unknown[],
  O extends Record<string, unknown>,
  G extends Record<string, unknown>,
>(cmd: Command<A, O, G>) {
  return cmd
    .option(
      "--offline",
      "sign only, do not contact the registry; write the payload to --out",
    )
    .option("--out <file>", "where --offline writes the signed payload")
    .option(
      "--sequence <n>",
      "sequence number (default: unix milliseconds, always increasing)",
    )
    .option(
      "--timestamp <time>",
      "signed time: unix seconds, ISO 8601 or +10m (default: now)",
    );
}

/** Print what a delivery did (offline file or registry answer). */
export function reportDelivery(
  ctx: Context,
  d: Delivery,
  accepted: (d: Extract<Delivery, { offline: false }>) => string,
): void {
  if (d.offline) {
    ctx.out.result({ offline: true, file: d.path, ...d.payload });
    ctx.out.line(`signed offline: ${d.payload.summary}`);
    ctx.out.line(`payload written to ${d.path}`);
    ctx.out.line(
      ctx.out.c(
        "dim",
        `submit it from a connected machine within the registry's clock tolerance (5 min on every network) of ${d.payload.timestamp}: snode submit ${d.path}`,
      ),
    );
    return;
  }
  ctx.out.result({ offline: false, ...d.result });
  ctx.out.line(accepted(d));
}
