/**
 * `snode keys new|import|show|export`: node keys (a random Ed25519 seed) and
 * wallet keys (from a 24-word recovery phrase), kept in encrypted keystores.
 *
 * @module
 */

import { Argument, Command } from "@commander-js/extra-typings";
import { fromHex, toHex } from "../../registry/core/bytes.ts";
import { publicKeyOf, x25519FromEd25519 } from "../../registry/core/keys.ts";
import {
  DEFAULT_SCRYPT,
  keystoreToJson,
  type ScryptParams,
} from "../../registry/core/keystore.ts";
import {
  phraseFromEntropy,
  validatePhrase,
  walletKeyFromPhrase,
} from "../../registry/core/recovery.ts";
import { CliError, usage } from "../errors.ts";
import {
  getPassphrase,
  keyPath,
  listKeystores,
  readKeystoreFile,
  refuseExisting,
  unlockKey,
  writeKeystore,
} from "../keystore.ts";
import type { Context } from "../context.ts";
import { examples, type MakeContext } from "./shared.ts";

const KINDS = ["node", "wallet"] as const;
/** Cursor home, erase the screen, erase the scrollback (xterm `E3`). */
const CLEAR_SCREEN = "\x1b[H\x1b[2J\x1b[3J";
type Kind = typeof KINDS[number];

function kdfOf(
  opts: { insecureFastKdf?: boolean; kdfN?: string },
): ScryptParams {
  if (opts.insecureFastKdf) return { n: 2 ** 10, r: 8, p: 1 };
  if (opts.kdfN === undefined) return { ...DEFAULT_SCRYPT };
  const n = Number(opts.kdfN);
  if (
    !Number.isInteger(n) || n < DEFAULT_SCRYPT.n || n > 2 ** 20 ||
    (n & (n - 1)) !== 0
  ) {
    throw usage(
      `--kdf-n must be a power of two from 2^18 (262144) to 2^20; weaker keys only with --insecure-fast-kdf (tests)`,
    );
  }
  return { ...DEFAULT_SCRYPT, n };
}

async function newPassphrase(
  ctx: Context,
  kind: Kind,
  name: string,
): Promise<string> {
  const { passphrase } = await getPassphrase(ctx, {
    kind,
    label: `the new ${kind} key "${name}"`,
    confirm: true,
  });
  return passphrase;
}

async function confirmPhrase(ctx: Context, phrase: string): Promise<void> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const typed = await ctx.io.readLine(
      "Type the 24 words back to confirm you wrote them down:",
      { secret: false },
    );
    if (typed === null) {
      throw new CliError(
        "key",
        "phrase_not_confirmed",
        "the recovery phrase was not typed back, so no key was saved; run again (or pass --no-confirm-phrase for automation)",
      );
    }
    try {
      if (validatePhrase(typed) === phrase) return;
    } catch (e) {
      ctx.out.warn((e as Error).message);
      continue;
    }
    ctx.out.warn("that is not the phrase shown; check the order of the words");
  }
  throw new CliError(
    "key",
    "phrase_not_confirmed",
    "the recovery phrase typed back does not match, so no key was saved",
  );
}

export function keysCommand(make: MakeContext) {
  const keys = new Command("keys").description(
    "create, import, list and export node and wallet keys (encrypted keystores)",
  );
  const kindArg = () => new Argument("<kind>", "node or wallet").choices(KINDS);

  examples(
    keys.command("new")
      .description(
        "create a node key (random) or a wallet key (with a 24-word recovery phrase, shown once)",
      )
      .addArgument(kindArg())
      .option("--name <name>", "key name (default: the kind, e.g. node)")
      .option("--description <text>", "free text stored with the key")
      .option("--force", "replace an existing key of that name")
      .option(
        "--no-confirm-phrase",
        "do not ask for the recovery phrase to be typed back (automation only)",
      )
      .option("--kdf-n <n>", "scrypt N, a power of two >= 2^18 (default 2^18)")
      .option(
        "--insecure-fast-kdf",
        "scrypt N=2^10: fast and WEAK, for tests only",
      )
      .action(async (kind, opts, cmd) => {
        const ctx = make(cmd);
        const name = opts.name ?? kind;
        const path = keyPath(ctx, name);
        const kdf = kdfOf(opts);
        // Before a phrase is shown or a passphrase asked for.
        await refuseExisting(path, opts.force === true);
        let secretKey: Uint8Array;
        let phrase: string | undefined;
        if (kind === "wallet") {
          phrase = phraseFromEntropy(
            crypto.getRandomValues(new Uint8Array(32)),
          );
          secretKey = walletKeyFromPhrase(phrase).secretKey;
        } else {
          secretKey = crypto.getRandomValues(new Uint8Array(32));
        }
        const passphrase = await newPassphrase(ctx, kind, name);
        if (phrase !== undefined && opts.confirmPhrase) {
          // Shown once, on the terminal, then typed back. Under --json it goes
          // to stderr so stdout stays one JSON document.
          const write = ctx.out.json
            ? (t: string) => ctx.io.stderr(t)
            : (t: string) => ctx.io.stdout(t);
          showPhrase(ctx, phrase, (t) => write(t + "\n"));
          await confirmPhrase(ctx, phrase);
          // Confirmed: take the words (and the ones typed back) off the
          // screen and out of the scrollback, as staking tools do.
          const screen = ctx.out.json
            ? ctx.io.terminal.stderr
            : ctx.io.terminal.stdout;
          if (screen) {
            write(CLEAR_SCREEN);
            ctx.out.note(
              "recovery phrase confirmed and cleared from the screen",
            );
          }
        } else if (phrase !== undefined && !ctx.out.json) {
          showPhrase(ctx, phrase, (t) => ctx.out.line(t));
        }
        const keystore = await writeKeystore(ctx, path, {
          secretKey,
          kind,
          passphrase,
          kdf,
          force: opts.force === true,
          ...(opts.description === undefined
            ? {}
            : { description: opts.description }),
        });
        if (kdf.n < DEFAULT_SCRYPT.n) {
          ctx.out.warn(
            `this keystore uses scrypt N=2^${
              Math.log2(kdf.n)
            }: fine for tests, weak for real keys`,
          );
        }
        ctx.out.result({
          name,
          kind,
          publicKey: keystore.publicKey,
          path,
          ...(phrase !== undefined && !opts.confirmPhrase
            ? { recoveryPhrase: phrase } // its one showing under --json
            : {}),
        });
        ctx.out.line(
          `${
            ctx.out.c("green", "created")
          } ${kind} key "${name}": ${keystore.publicKey}`,
        );
        ctx.out.line(
          `keystore: ${path} (mode 0600, checked by reading it back)`,
        );
      }),
    [
      "snode keys new node",
      "snode keys new wallet",
      "snode keys new wallet --name alice",
      "SNODE_PASSPHRASE_FILE=pw.txt snode keys new node --name backup --json",
    ],
  );

  examples(
    keys.command("import")
      .description(
        "import a node key (hex secret or a keystore file) or a wallet key (recovery phrase)",
      )
      .addArgument(kindArg())
      .option("--name <name>", "key name (default: the kind)")
      .option(
        "--secret-file <file>",
        "node: file holding the 64-hex secret key",
      )
      .option("--phrase-file <file>", "wallet: file holding the 24 words")
      .option("--keystore <file>", "an existing keystore file to copy in")
      .option("--force", "replace an existing key of that name")
      .option("--kdf-n <n>", "scrypt N, a power of two >= 2^18 (default 2^18)")
      .option("--insecure-fast-kdf", "scrypt N=2^10: WEAK, for tests only")
      .action(async (kind, opts, cmd) => {
        const ctx = make(cmd);
        const name = opts.name ?? kind;
        const path = keyPath(ctx, name);
        await refuseExisting(path, opts.force === true);
        if (opts.keystore !== undefined) {
          const file = await readKeystoreFile(ctx, opts.keystore, kind);
          const key = await unlockKey(ctx, opts.keystore, kind);
          const passphrase = (await getPassphrase(ctx, {
            kind,
            label: `the imported key "${name}" (may be the same)`,
            confirm: false,
          })).passphrase;
          await writeKeystore(ctx, path, {
            secretKey: key.secretKey,
            kind,
            passphrase,
            kdf: kdfOf(opts),
            force: opts.force === true,
            ...(file.keystore.description === undefined
              ? {}
              : { description: file.keystore.description }),
          });
          return done(ctx, name, kind, toHex(key.publicKey), path);
        }
        let secretKey: Uint8Array;
        if (kind === "wallet") {
          const phrase = opts.phraseFile !== undefined
            ? await readSecretFile(opts.phraseFile)
            : await ctx.io.readLine("Recovery phrase (24 words):", {
              secret: true,
            });
          if (phrase === null) throw usage("no recovery phrase given");
          secretKey = walletKeyFromPhrase(phrase).secretKey;
        } else {
          const hex = opts.secretFile !== undefined
            ? await readSecretFile(opts.secretFile)
            : await ctx.io.readLine("Node secret key (64 hex digits):", {
              secret: true,
            });
          if (hex === null || !/^[0-9a-fA-F]{64}$/.test(hex.trim())) {
            throw new CliError(
              "key",
              "bad_secret",
              "a node secret key is 64 hex digits (the Ed25519 seed)",
            );
          }
          secretKey = fromHex(hex.trim(), 32);
        }
        const publicKey = toHex(publicKeyOf(secretKey));
        const passphrase = await newPassphrase(ctx, kind, name);
        await writeKeystore(ctx, path, {
          secretKey,
          kind,
          passphrase,
          kdf: kdfOf(opts),
          force: opts.force === true,
        });
        done(ctx, name, kind, publicKey, path);
      }),
    [
      "snode keys import wallet --name restored      # type the 24 words",
      "snode keys import wallet --phrase-file words.txt",
      "snode keys import node --secret-file node.hex",
      "snode keys import node --keystore /mnt/backup/node.json",
    ],
  );

  examples(
    keys.command("show")
      .description("list keys, or show one (no passphrase needed)")
      .argument("[name]", "key name or keystore path")
      .action(async (name, _opts, cmd) => {
        const ctx = make(cmd);
        const files = name === undefined
          ? await listKeystores(ctx)
          : { files: [await readKeystoreFile(ctx, name)], broken: [] };
        const rows = await Promise.all(files.files.map(async (f) => {
          const mode = (await Deno.stat(f.path)).mode;
          return {
            name: f.name,
            kind: f.keystore.kind,
            publicKey: f.keystore.publicKey,
            ...(f.keystore.kind === "node"
              ? {
                x25519: toHex(
                  x25519FromEd25519(fromHex(f.keystore.publicKey, 32)),
                ),
              }
              : {}),
            path: f.path,
            createdAt: f.keystore.createdAt ?? null,
            description: f.keystore.description ?? null,
            kdf: `scrypt N=2^${Math.log2(f.keystore.crypto.kdf.params.n)}`,
            mode: mode === null ? null : (mode & 0o777).toString(8),
          };
        }));
        ctx.out.result({ keys: rows, broken: files.broken });
        if (rows.length === 0 && files.broken.length === 0) {
          ctx.out.line(
            `no keys in ${ctx.keysDir}: create one with "snode keys new node"`,
          );
        }
        ctx.out.table(
          ["NAME", "KIND", "PUBLIC KEY", "CREATED", "KDF"],
          rows.map((
            r,
          ) => [r.name, r.kind, r.publicKey, r.createdAt ?? "", r.kdf]),
        );
        for (const r of rows) {
          if (r.mode !== null && (parseInt(r.mode, 8) & 0o077) !== 0) {
            ctx.out.warn(
              `${r.path} is readable by others (mode ${r.mode}): chmod 600 it`,
            );
          }
        }
        for (const b of files.broken) ctx.out.warn(`${b.path}: ${b.error}`);
      }),
    ["snode keys show", "snode keys show wallet --json"],
  );

  examples(
    keys.command("export")
      .description(
        "print a key's public key; its encrypted keystore (--keystore); or its secret (--reveal-secret)",
      )
      .argument("<name>", "key name or keystore path")
      .option(
        "--keystore",
        "print the encrypted keystore document (for backups)",
      )
      .option(
        "--reveal-secret",
        "decrypt and print the SECRET key: anyone who sees it controls the key",
      )
      .action(async (name, opts, cmd) => {
        const ctx = make(cmd);
        const file = await readKeystoreFile(ctx, name);
        if (opts.revealSecret) {
          const key = await unlockKey(ctx, name, file.keystore.kind);
          ctx.out.warn(
            "printing a SECRET key: anyone who sees it controls this key",
          );
          ctx.out.result({
            name: file.name,
            kind: key.kind,
            publicKey: toHex(key.publicKey),
            secretKey: toHex(key.secretKey),
          });
          ctx.out.line(toHex(key.secretKey));
          return;
        }
        if (opts.keystore) {
          if (ctx.out.json) ctx.out.result(file.keystore);
          else ctx.io.stdout(keystoreToJson(file.keystore));
          return;
        }
        ctx.out.result({
          name: file.name,
          kind: file.keystore.kind,
          publicKey: file.keystore.publicKey,
        });
        ctx.out.line(file.keystore.publicKey);
      }),
    [
      "snode keys export node                      # the public key",
      "snode keys export wallet --keystore > wallet-backup.json",
      "snode keys export node --reveal-secret      # the secret, hex",
    ],
  );
  return keys;
}

function showPhrase(
  ctx: Context,
  phrase: string,
  line: (text: string) => void,
): void {
  const words = phrase.split(" ");
  line(
    ctx.out.c(
      "bold",
      "Recovery phrase - write it down now, it is shown only once:",
    ),
  );
  line("");
  for (let row = 0; row < 6; row++) {
    line(
      "  " + [0, 6, 12, 18].map((col) => {
        const i = row + col;
        return `${String(i + 1).padStart(2)}. ${words[i]!.padEnd(10)}`;
      }).join("  "),
    );
  }
  line("");
  line(
    ctx.out.c(
      "dim",
      "Anyone with these words controls the wallet. The words derive the wallet key (BIP39 seed, SLIP-0010 m/0').",
    ),
  );
}

async function readSecretFile(path: string): Promise<string> {
  try {
    return (await Deno.readTextFile(path)).trim();
  } catch (e) {
    throw usage(`cannot read ${path}: ${(e as Error).message}`);
  }
}

function done(
  ctx: Context,
  name: string,
  kind: string,
  publicKey: string,
  path: string,
): void {
  ctx.out.result({ name, kind, publicKey, path });
  ctx.out.line(
    `${ctx.out.c("green", "imported")} ${kind} key "${name}": ${publicKey}`,
  );
  ctx.out.line(`keystore: ${path} (mode 0600, checked by reading it back)`);
}
