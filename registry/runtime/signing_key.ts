/**
 * The registry's own signing key (it signs every published node list;
 * clients pin its public key). Kept in an encrypted keystore
 * (`core/keystore.ts`) at `<data-dir>/registry-key.json`, generated on the
 * first run, decrypted at every start.
 *
 * Files are written atomically (a temporary file in the same directory,
 * synced, then renamed) with mode 0600, and a new keystore is read back and
 * decrypted before it is used, so a key is never used unless it can be
 * recovered from disk.
 *
 * @module
 */

import { writeFileAtomic } from "../client/atomic_file.ts";
import { bytesEqual } from "../core/bytes.ts";
import { KeystoreError } from "../core/errors.ts";
import {
  decryptKeystoreAsync,
  DEFAULT_SCRYPT,
  encryptKeystoreAsync,
  KEYSTORE_NONCE_LENGTH,
  KEYSTORE_SALT_LENGTH,
  keystoreToJson,
  passphraseBytes,
  type ScryptParams,
} from "../core/keystore.ts";
import { publicKeyOf, SECRET_KEY_LENGTH } from "../core/keys.ts";
import { ConfigError, type PassphraseSource } from "./config.ts";
import type { Logger } from "./log.ts";

/** File name of the registry keystore in the data directory. */
export const KEY_FILE = "registry-key.json";
/** File name of the generated devnet passphrase in the data directory. */
export const PASSPHRASE_FILE = "registry-key.passphrase";

/** A failure to load or create the registry key (exit status 1). */
export class SigningKeyError extends Error {
  /** `wrong_passphrase`, `corrupt`, `missing`, `io`, `unsafe_permissions`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "SigningKeyError";
    this.code = code;
  }
}

/** The decrypted registry key. */
export interface SigningKey {
  /** 32-byte Ed25519 secret (seed). */
  secretKey: Uint8Array;
  /** Its public key. */
  publicKey: Uint8Array;
  /** Keystore path. */
  path: string;
  /** Whether this run generated it. */
  created: boolean;
}

/** Join a directory and a file name. */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

/** Whether something exists at `path` (not following a final symlink). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

export { writeFileAtomic };

/** Largest passphrase file read, bytes (a passphrase is one line). */
export const MAX_PASSPHRASE_FILE_BYTES = 4096;

/**
 * The first line of a passphrase file. Only a regular file of at most
 * {@linkcode MAX_PASSPHRASE_FILE_BYTES} is read: a device (`/dev/zero`), a
 * FIFO (which would block start-up until someone writes to it), a directory
 * or a larger file is refused without being opened.
 *
 * @throws {ConfigError} naming the file and `source`.
 */
export async function readPassphraseFile(
  path: string,
  source: string,
): Promise<string> {
  const what = `the passphrase file ${path} (${source})`;
  let file: Deno.FsFile | undefined;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) {
      throw new ConfigError(
        `${what} is not a regular file (a device, FIFO, socket or directory is refused)`,
      );
    }
    if (info.size > MAX_PASSPHRASE_FILE_BYTES) {
      throw new ConfigError(
        `${what} is larger than ${MAX_PASSPHRASE_FILE_BYTES} bytes; it should hold one line`,
      );
    }
    file = await Deno.open(path, { read: true });
    // Read at most one byte past the limit, whatever the file does meanwhile.
    const buf = new Uint8Array(MAX_PASSPHRASE_FILE_BYTES + 1);
    let size = 0;
    while (size < buf.length) {
      const n = await file.read(buf.subarray(size));
      if (n === null) break;
      size += n;
    }
    if (size > MAX_PASSPHRASE_FILE_BYTES) {
      throw new ConfigError(
        `${what} is larger than ${MAX_PASSPHRASE_FILE_BYTES} bytes; it should hold one line`,
      );
    }
    const text = new TextDecoder().decode(buf.subarray(0, size));
    return text.split(/\r?\n/, 1)[0] ?? "";
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`cannot read ${what}: ${(e as Error).message}`);
  } finally {
    file?.close();
  }
}

/** Check a passphrase is usable for a keystore (length), naming its source. */
function checkPassphrase(passphrase: string, source: string): string {
  try {
    passphraseBytes(passphrase);
  } catch (e) {
    throw new ConfigError(
      `the passphrase from ${source} is unusable: ${(e as Error).message}`,
    );
  }
  return passphrase;
}

/**
 * Get the registry key's passphrase from its configured source. On devnet
 * without a source, reuse `<data-dir>/registry-key.passphrase` or generate
 * one into it (mode 0600) and log a loud warning.
 *
 * @throws {ConfigError} when the passphrase file cannot be read or the
 * passphrase is too short.
 */
export async function resolvePassphrase(
  source: PassphraseSource,
  dataDir: string,
  log?: Logger,
): Promise<string> {
  switch (source.kind) {
    case "env":
      return checkPassphrase(source.passphrase, "REGISTRY_PASSPHRASE");
    case "file": {
      const line = await readPassphraseFile(source.path, source.from);
      return checkPassphrase(line, `${source.path} (${source.from})`);
    }
    case "generated": {
      const path = joinPath(dataDir, PASSPHRASE_FILE);
      if (await exists(path)) {
        await refuseIfWritableByOthers(path, "the generated passphrase file");
        const line = await readPassphraseFile(path, "generated on devnet");
        log?.warn(
          "using the generated devnet passphrase for the registry key",
          {
            passphraseFile: path,
          },
        );
        return checkPassphrase(line, path);
      }
      const passphrase = base64url(crypto.getRandomValues(new Uint8Array(32)));
      await writeFileAtomic(path, new TextEncoder().encode(passphrase + "\n"));
      log?.warn(
        "!!! GENERATED A PASSPHRASE FOR THE REGISTRY KEY, stored in plain text next to the key: fine for devnet, never for a real network (use --passphrase-file or REGISTRY_PASSPHRASE) !!!",
        { passphraseFile: path },
      );
      return passphrase;
    }
  }
}

function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Options of {@linkcode loadOrCreateSigningKey}. */
export interface SigningKeyOptions {
  /** Data directory (must exist). */
  dataDir: string;
  /** The keystore passphrase. */
  passphrase: string;
  /** Whether a missing keystore may be generated. Default true. */
  create?: boolean;
  /** Why creating is refused, when `create` is false. */
  refuseReason?: string;
  /** scrypt cost for a new keystore; default {@linkcode DEFAULT_SCRYPT} (tests pass a cheap one). */
  kdf?: ScryptParams;
  /** Text stored in clear in a new keystore. */
  description?: string;
  /** For warnings (loose file permissions). */
  log?: Logger;
}

/**
 * Decrypt `<data-dir>/registry-key.json`, or, when it does not exist,
 * generate a key with `crypto.getRandomValues`, write it encrypted
 * (atomically, mode 0600), read it back and decrypt it to check.
 *
 * @throws {SigningKeyError} `wrong_passphrase` (`wrong passphrase for
 * <path>`), `corrupt`, `missing` (creation refused), `io`.
 */
export async function loadOrCreateSigningKey(
  options: SigningKeyOptions,
): Promise<SigningKey> {
  const path = joinPath(options.dataDir, KEY_FILE);
  if (await exists(path)) {
    await refuseIfWritableByOthers(path, "the registry key file");
    await warnIfLoose(path, options.log);
    const key = await openKeyFile(path, options.passphrase);
    return { ...key, path, created: false };
  }
  if (options.create === false) {
    throw new SigningKeyError(
      "missing",
      `the registry key ${path} is missing${
        options.refuseReason ? `: ${options.refuseReason}` : ""
      }`,
    );
  }
  const secretKey = crypto.getRandomValues(new Uint8Array(SECRET_KEY_LENGTH));
  const keystore = await encryptKeystoreAsync({
    secretKey,
    kind: "registry",
    passphrase: options.passphrase,
    salt: crypto.getRandomValues(new Uint8Array(KEYSTORE_SALT_LENGTH)),
    nonce: crypto.getRandomValues(new Uint8Array(KEYSTORE_NONCE_LENGTH)),
    kdf: options.kdf ?? DEFAULT_SCRYPT,
    description: options.description ?? "snode-registry signing key",
    createdAt: new Date().toISOString(),
  });
  try {
    await writeFileAtomic(
      path,
      new TextEncoder().encode(keystoreToJson(keystore)),
    );
  } catch (e) {
    throw new SigningKeyError(
      "io",
      `cannot write the registry key ${path}: ${(e as Error).message}`,
    );
  }
  // Use the key only once it is known to come back from disk.
  const back = await openKeyFile(path, options.passphrase);
  if (!bytesEqual(back.secretKey, secretKey)) {
    throw new SigningKeyError(
      "corrupt",
      `the registry key read back from ${path} differs from the one written`,
    );
  }
  return { ...back, path, created: true };
}

async function openKeyFile(
  path: string,
  passphrase: string,
): Promise<{ secretKey: Uint8Array; publicKey: Uint8Array }> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new SigningKeyError(
      "io",
      `cannot read the registry key ${path}: ${(e as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SigningKeyError(
      "corrupt",
      `${path} is not a keystore (not JSON: ${(e as Error).message})`,
    );
  }
  try {
    const opened = await decryptKeystoreAsync(value, passphrase);
    if (opened.kind !== "registry") {
      throw new SigningKeyError(
        "corrupt",
        `${path} holds a ${opened.kind} key, not a registry key`,
      );
    }
    // decryptKeystore already checks this; cheap to be sure.
    if (!bytesEqual(publicKeyOf(opened.secretKey), opened.publicKey)) {
      throw new SigningKeyError(
        "corrupt",
        `${path}: the key does not match its public key`,
      );
    }
    return { secretKey: opened.secretKey, publicKey: opened.publicKey };
  } catch (e) {
    if (e instanceof SigningKeyError) throw e;
    if (e instanceof KeystoreError && e.code === "wrong_passphrase") {
      throw new SigningKeyError(
        "wrong_passphrase",
        `wrong passphrase for ${path}`,
      );
    }
    throw new SigningKeyError(
      "corrupt",
      `${path} is not a usable keystore: ${(e as Error).message}`,
    );
  }
}

/** Octal text of a mode's permission bits, e.g. `0777`. */
export function modeText(mode: number): string {
  return "0" + (mode & 0o777).toString(8).padStart(3, "0");
}

/**
 * Refuse a file or directory that users other than its owner may write
 * (group- or world-writable): they could swap the key, the passphrase or the
 * database under the registry.
 *
 * @throws {SigningKeyError} `unsafe_permissions`, saying how to fix it.
 */
export async function refuseIfWritableByOthers(
  path: string,
  what: string,
): Promise<void> {
  if (Deno.build.os === "windows") return;
  const { mode, isDirectory } = await Deno.stat(path);
  if (mode !== null && (mode & 0o022) !== 0) {
    throw new SigningKeyError(
      "unsafe_permissions",
      `${what} ${path} is writable by other users (mode ${
        modeText(mode)
      }): refusing to use it; if it is yours, run chmod ${
        isDirectory ? "700" : "600"
      } ${path}`,
    );
  }
}

/**
 * Create the data directory (mode 0700) if it is missing; refuse an
 * existing one that is not a directory or is writable by other users, and
 * warn when others may read it.
 *
 * @throws {SigningKeyError} `io` or `unsafe_permissions`.
 */
export async function prepareDataDir(dir: string, log?: Logger): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new SigningKeyError(
      "io",
      `cannot create the data directory ${dir}: ${(e as Error).message}`,
    );
  }
  const info = await Deno.stat(dir);
  if (!info.isDirectory) {
    throw new SigningKeyError(
      "io",
      `the data directory ${dir} is not a directory`,
    );
  }
  await refuseIfWritableByOthers(dir, "the data directory");
  if (
    Deno.build.os !== "windows" && info.mode !== null &&
    (info.mode & 0o077) !== 0
  ) {
    log?.warn("the data directory is readable by other users; chmod 700 it", {
      path: dir,
      mode: modeText(info.mode),
    });
  }
}

async function warnIfLoose(path: string, log?: Logger): Promise<void> {
  if (!log || Deno.build.os === "windows") return;
  const { mode } = await Deno.stat(path);
  if (mode !== null && (mode & 0o077) !== 0) {
    log.warn("the registry key file is readable by other users; chmod 600 it", {
      path,
      mode: modeText(mode),
    });
  }
}
