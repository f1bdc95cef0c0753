/**
 * `snode`: the operator CLI. `main(argv, io)` runs one command and returns
 * its exit code (tests call it in-process); run as a program, this file is
 * the only place the process exits.
 *
 * @module
 */

import { Command, CommanderError, Option } from "@commander-js/extra-typings";
import { classify, EXIT } from "./errors.ts";
import { denoIo, type Io } from "./io.ts";
import { Output } from "./output.ts";
import { contextMaker } from "./commands/shared.ts";
import { keysCommand } from "./commands/keys.ts";
import { nodeCommand } from "./commands/node.ts";
import { stakeCommand } from "./commands/stake.ts";
import { walletCommand } from "./commands/wallet.ts";
import { submitCommand } from "./commands/submit.ts";
import { listCommand } from "./commands/list.ts";
import { swarmCommand } from "./commands/swarm.ts";
import { completionCommand } from "./commands/completion.ts";

/** The program's name, as typed. */
export const PROGRAM = "snode";
/** The CLI's version. */
export const VERSION = "0.1.0";

/** Build the command tree (fresh for every run). */
export function buildProgram(io: Io): Command {
  const make = contextMaker(io);
  const program = new Command(PROGRAM)
    .description(
      "Operate service nodes on the registry: keys, registration, staking, status, uptime agent, alerts, node lists.",
    )
    .version(VERSION, "-V, --version")
    .addOption(
      new Option(
        "-r, --registry <url>",
        'registry URL; repeat to fetch lists from several (env SNODE_REGISTRY, config "registry")',
      ).argParser((v, prev: string[] | undefined) => [...(prev ?? []), v]),
    )
    .option(
      "-n, --network <name>",
      "mainnet, testnet or devnet (env SNODE_NETWORK); checked against the registry",
    )
    .option(
      "--home <dir>",
      "config and state directory (env SNODE_HOME, default ~/.config/snode)",
    )
    .option(
      "--keys-dir <dir>",
      "keystore directory (env SNODE_KEYS_DIR, default <home>/keys)",
    )
    .option(
      "--passphrase-file <file>",
      "passphrase of every key: the first line of this file (env SNODE_PASSPHRASE_FILE; or SNODE_PASSPHRASE)",
    )
    .option(
      "--node-passphrase-file <file>",
      "passphrase of node keys, first line (env SNODE_NODE_PASSPHRASE_FILE; or SNODE_NODE_PASSPHRASE); wins over --passphrase-file",
    )
    .option(
      "--wallet-passphrase-file <file>",
      "passphrase of wallet keys, first line (env SNODE_WALLET_PASSPHRASE_FILE; or SNODE_WALLET_PASSPHRASE); wins over --passphrase-file",
    )
    .option(
      "--timeout <seconds>",
      "per-request timeout, above 0 and at most 600 (env SNODE_TIMEOUT, default 10)",
    )
    .option("--json", "machine-readable JSON on stdout, nothing else there")
    .option("-v, --verbose", "show requests and error causes")
    .option(
      "--no-color",
      "no colour (also NO_COLOR=1); colour is only used on a terminal",
    )
    .showHelpAfterError("(add --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      outputError: (s, write) => write(s),
    });
  program.addHelpText(
    "after",
    `
Exit codes:
  0  ok                               4    key or keystore problem (wrong passphrase, corrupt file)
  1  refused by the registry          5    verification failed (list signatures, chain)
  2  usage (bad option, id, amount)   130  interrupted (Ctrl-C at a prompt)
  3  registry unreachable / timed out

Examples:
  snode keys new node && snode keys new wallet
  snode --registry http://127.0.0.1:8080 wallet faucet --amount 200
  snode node register --stake 30 --fee 5%
  snode node status --wallet wallet
  snode node agent --ip 203.0.113.7 --https-port 22021 --quic-port 22020
  npx deno task install-cli     # (in the checkout) snode as a command on the PATH`,
  );
  for (
    const sub of [
      keysCommand(make),
      nodeCommand(make),
      stakeCommand(make),
      walletCommand(make),
      submitCommand(make),
      listCommand(make),
      swarmCommand(make),
      completionCommand(() => program, (t) => io.stdout(t)),
    ]
  ) {
    program.addCommand(sub as unknown as Command);
  }
  // Every subcommand reports errors the same way and exits through main.
  const walk = (cmd: Command) => {
    cmd.exitOverride().configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
    }).showHelpAfterError("(add --help for usage)");
    for (const c of cmd.commands) walk(c as unknown as Command);
  };
  for (const c of program.commands) walk(c as unknown as Command);
  return program;
}

/** Run the CLI with `argv` (without the program name); resolves to the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: "user" });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; everything else commander refuses is usage.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof Deno.errors.BrokenPipe) return EXIT.ok; // | head
    const verbose = argv.includes("-v") || argv.includes("--verbose");
    const json = argv.includes("--json");
    const out = new Output(io, {
      json,
      verbose,
      color: !argv.includes("--no-color"),
    });
    const c = classify(e);
    out.error(`${c.message} (${c.code})`);
    if (json) {
      io.stdout(
        JSON.stringify({
          error: { code: c.code, message: c.message, exit: c.exit },
        }) +
          "\n",
      );
    }
    if (verbose && e instanceof Error) {
      let cause: unknown = e;
      while (cause instanceof Error) {
        out.debug(cause.stack ?? String(cause));
        cause = cause.cause;
      }
    }
    return c.exit;
  }
}

if (import.meta.main) {
  const code = await main(Deno.args, denoIo());
  Deno.exit(code);
}
