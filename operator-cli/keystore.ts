/**
 * Keystore files on disk: where they live, reading them without a
 * passphrase, unlocking them (the passphrase from a file, the environment or
 * a prompt without echo), and writing them safely - mode 0600, atomically
 * (a temporary file renamed into place), then read back, decrypted and
 * compared before success is reported.
 *
 * @module
 */

import { writeFileAtomic } from "../registry/client/atomic_file.ts";
import { bytesEqual } from "../registry/core/bytes.ts";
import { CoreError, KeystoreError } from "../registry/core/errors.ts";
import {
  decryptKeystoreAsync,
  DEFAULT_SCRYPT,
  encryptKeystoreAsync,
  type Keystore,
  keystoreFromJson,
  type KeystoreKind,
  keystoreToJson,
  passphraseBytes,
  type ScryptParams,
} from "../registry/core/keystore.ts";
import { type Context, join } from "./context.ts";
import { CliError, usage } from "./errors.ts";

/** A keystore found on disk. */
export interface KeystoreFile {
  /** Name (file name without `.json`) or the path given. */
  name: string;
  /** Path of the file. */
  path: string;
  /** The parsed document. */
  keystore: Keystore;
}

/** An unlocked key. */
export interface UnlockedKey {
  /** Name or path. */
  name: string;
  /** File it came from. */
  path: string;
  /** What it is for. */
  kind: KeystoreKind;
  /** 32-byte secret. */
  secretKey: Uint8Array;
  /** Its public key. */
  publicKey: Uint8Array;
}

/** Key names: letters, digits, `.`, `_`, `-`; at most 64. */
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The path of a key given by name (`alice` -> `<keys-dir>/alice.json`) or by
 * path (anything with a `/` or ending in `.json`).
 */
export function keyPath(ctx: Context, nameOrPath: string): string {
  if (nameOrPath.includes("/") || nameOrPath.endsWith(".json")) {
    return nameOrPath;
  }
  if (!NAME_RE.test(nameOrPath)) {
    throw usage(
      `"${nameOrPath}" is not a key name (letters, digits, . _ -) or a path to a keystore file`,
      "bad_key_name",
    );
  }
  return join(ctx.keysDir, `${nameOrPath}.json`);
}

/** Read and parse a keystore file (no passphrase needed). */
export async function readKeystoreFile(
  ctx: Context,
  nameOrPath: string,
  expectedKind?: KeystoreKind,
): Promise<KeystoreFile> {
  const path = keyPath(ctx, nameOrPath);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new CliError(
        "key",
        "no_keystore",
        `no keystore at ${path}: create one with "snode keys new ${
          expectedKind ?? "node"
        }${
          nameOrPath === expectedKind ? "" : ` --name ${nameOrPath}`
        }" or pass --keys-dir`,
      );
    }
    throw new CliError(
      "key",
      "keystore_unreadable",
      `cannot read ${path}: ${(e as Error).message}`,
    );
  }
  let keystore: Keystore;
  try {
    keystore = keystoreFromJson(text);
  } catch (e) {
    throw new CliError(
      "key",
      "keystore_corrupt",
      `the keystore ${path} is damaged or not a keystore: ${
        (e as Error).message
      }`,
      { cause: e },
    );
  }
  if (expectedKind !== undefined && keystore.kind !== expectedKind) {
    throw new CliError(
      "key",
      "wrong_key_kind",
      `${path} holds a ${keystore.kind} key, but a ${expectedKind} key is needed here`,
    );
  }
  const name = nameOrPath.includes("/") || nameOrPath.endsWith(".json")
    ? path
    : nameOrPath;
  return { name, path, keystore };
}

/** Every keystore in the keys directory, sorted by name; unreadable files are reported. */
export async function listKeystores(
  ctx: Context,
): Promise<
  { files: KeystoreFile[]; broken: { path: string; error: string }[] }
> {
  const files: KeystoreFile[] = [];
  const broken: { path: string; error: string }[] = [];
  let entries: Deno.DirEntry[] = [];
  try {
    entries = [...Deno.readDirSync(ctx.keysDir)];
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isFile || !entry.name.endsWith(".json")) continue;
    const name = entry.name.slice(0, -5);
    try {
      files.push(
        await readKeystoreFile(
          ctx,
          NAME_RE.test(name) ? name : join(ctx.keysDir, entry.name),
        ),
      );
    } catch (e) {
      broken.push({
        path: join(ctx.keysDir, entry.name),
        error: (e as Error).message,
      });
    }
  }
  return { files, broken };
}

/** Where a passphrase came from. */
export type PassphraseOrigin = "env" | "file" | "prompt";

/**
 * Get a passphrase. Sources, in order: for this kind of key, its file
 * (`--node-passphrase-file` / `SNODE_NODE_PASSPHRASE_FILE`, wallet alike)
 * then `SNODE_NODE_PASSPHRASE` / `SNODE_WALLET_PASSPHRASE`; for every key,
 * `--passphrase-file` / `SNODE_PASSPHRASE_FILE` then `SNODE_PASSPHRASE`;
 * then a prompt without echo (typed twice when `confirm`). A file gives its
 * first line. So a node key and a wallet key with different passphrases
 * run unattended with one file each.
 */
export async function getPassphrase(
  ctx: Context,
  options: { kind: KeystoreKind; label: string; confirm: boolean },
): Promise<{ passphrase: string; origin: PassphraseOrigin }> {
  const kindFile = ctx.keyPassphraseFile[options.kind];
  if (kindFile !== undefined) {
    return { passphrase: await readPassphraseFile(kindFile), origin: "file" };
  }
  const specific = options.kind === "node"
    ? ctx.io.env("SNODE_NODE_PASSPHRASE")
    : options.kind === "wallet"
    ? ctx.io.env("SNODE_WALLET_PASSPHRASE")
    : undefined;
  if (specific !== undefined) return { passphrase: specific, origin: "env" };
  if (ctx.passphraseFile !== undefined) {
    return {
      passphrase: await readPassphraseFile(ctx.passphraseFile),
      origin: "file",
    };
  }
  const general = ctx.io.env("SNODE_PASSPHRASE");
  if (general !== undefined) return { passphrase: general, origin: "env" };
  const first = await ctx.io.readLine(`Passphrase for ${options.label}:`, {
    secret: true,
  });
  if (first === null) {
    throw new CliError(
      "key",
      "no_passphrase",
      `no passphrase for ${options.label}: type it at a terminal, or give it in a file: ${
        options.kind === "registry"
          ? ""
          : `--${options.kind}-passphrase-file FILE (or SNODE_${options.kind.toUpperCase()}_PASSPHRASE_FILE), or `
      }--passphrase-file FILE for every key`,
    );
  }
  if (options.confirm) {
    passphraseBytes(first); // too short: say so before asking again
    const again = await ctx.io.readLine("Type it again:", { secret: true });
    if (again === null || again.normalize("NFKD") !== first.normalize("NFKD")) {
      throw new CliError(
        "key",
        "passphrase_mismatch",
        "the two passphrases differ",
      );
    }
  }
  return { passphrase: first, origin: "prompt" };
}

/** The first line of a passphrase file. */
async function readPassphraseFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new CliError(
      "key",
      "passphrase_file",
      `cannot read the passphrase file ${path}: ${(e as Error).message}`,
    );
  }
  return text.split(/\r?\n/)[0] ?? "";
}

/** Unlock a keystore: read it, get the passphrase, decrypt (with a spinner). Three tries at a prompt. */
export async function unlockKey(
  ctx: Context,
  nameOrPath: string,
  kind: KeystoreKind,
): Promise<UnlockedKey> {
  const file = await readKeystoreFile(ctx, nameOrPath, kind);
  for (let attempt = 1;; attempt++) {
    const { passphrase, origin } = await getPassphrase(ctx, {
      kind,
      label: `${kind} key "${file.name}"`,
      confirm: false,
    });
    try {
      const n = file.keystore.crypto.kdf.params.n;
      const opened = await ctx.out.spin(
        `unlocking ${file.name} (scrypt N=2^${Math.log2(n)})`,
        (progress) =>
          decryptKeystoreAsync(file.keystore, passphrase, {
            onProgress: progress,
          }),
      );
      return {
        name: file.name,
        path: file.path,
        kind: opened.kind,
        secretKey: opened.secretKey,
        publicKey: opened.publicKey,
      };
    } catch (e) {
      if (e instanceof KeystoreError && e.code === "wrong_passphrase") {
        if (origin === "prompt" && attempt < 3) {
          ctx.out.warn("wrong passphrase, try again");
          continue;
        }
        throw new CliError(
          "key",
          "wrong_passphrase",
          `wrong passphrase for ${file.path}`,
        );
      }
      if (e instanceof KeystoreError && e.code === "keystore_corrupt") {
        throw new CliError(
          "key",
          "keystore_corrupt",
          `the keystore ${file.path} was modified after it was written (the passphrase is right, the content is not): restore it from a backup or re-import the key`,
        );
      }
      throw e;
    }
  }
}

/**
 * Refuse (exit 2, `keystore_exists`) when a keystore is already at `path`,
 * unless `force`. Called before anything is asked or shown, and again just
 * before writing.
 */
export async function refuseExisting(
  path: string,
  force: boolean,
): Promise<void> {
  if (force) return;
  try {
    await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  throw new CliError(
    "usage",
    "keystore_exists",
    `${path} already exists: pick another --name, or pass --force to replace it (keep a backup of the old key first)`,
  );
}

/** Options of {@linkcode writeKeystore}. */
export interface WriteKeystoreOptions {
  secretKey: Uint8Array;
  kind: KeystoreKind;
  passphrase: string;
  kdf?: ScryptParams;
  description?: string;
  /** Replace an existing file. */
  force: boolean;
}

/**
 * Encrypt and write a keystore: refuse to overwrite without `force`,
 * create the directory (0700), write a temporary file (0600) and rename it
 * into place, then read the file back, decrypt it and compare the key.
 */
export async function writeKeystore(
  ctx: Context,
  path: string,
  options: WriteKeystoreOptions,
): Promise<Keystore> {
  await refuseExisting(path, options.force);
  passphraseBytes(options.passphrase);
  const kdf = options.kdf ?? DEFAULT_SCRYPT;
  const keystore = await ctx.out.spin(
    `encrypting the ${options.kind} key (scrypt N=2^${Math.log2(kdf.n)})`,
    (progress) =>
      encryptKeystoreAsync({
        secretKey: options.secretKey,
        kind: options.kind,
        passphrase: options.passphrase,
        salt: crypto.getRandomValues(new Uint8Array(32)),
        nonce: crypto.getRandomValues(new Uint8Array(24)),
        kdf,
        createdAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        ...(options.description === undefined
          ? {}
          : { description: options.description }),
      }, { onProgress: progress }),
  );
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
  await Deno.mkdir(dir || "/", { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, keystoreToJson(keystore), { mode: 0o600 });
  // Read back what is on disk and check it opens to the same key.
  try {
    const back = await Deno.readTextFile(path);
    const opened = await ctx.out.spin(
      "checking the keystore written",
      (progress) =>
        decryptKeystoreAsync(back, options.passphrase, {
          onProgress: progress,
        }),
    );
    if (
      !bytesEqual(opened.secretKey, options.secretKey) ||
      opened.kind !== options.kind
    ) {
      throw new Error("the key read back differs from the key written");
    }
  } catch (e) {
    throw new CliError(
      "key",
      "keystore_write_failed",
      `the keystore written to ${path} does not read back correctly (${
        e instanceof CoreError || e instanceof Error ? e.message : String(e)
      }); do not rely on it`,
      { cause: e },
    );
  }
  return keystore;
}
