import assert from "node:assert/strict";
import { toHex } from "../core/bytes.ts";
import { publicKeyOf } from "../core/keys.ts";
import {
  encryptKeystore,
  keystoreFromJson,
  keystoreToJson,
} from "../core/keystore.ts";
import { ConfigError } from "./config.ts";
import { Logger } from "./log.ts";
import {
  KEY_FILE,
  loadOrCreateSigningKey,
  MAX_PASSPHRASE_FILE_BYTES,
  PASSPHRASE_FILE,
  prepareDataDir,
  resolvePassphrase,
  SigningKeyError,
  writeFileAtomic,
} from "./signing_key.ts";

// A cheap scrypt cost so the tests run fast; production uses the default.
const KDF = { n: 2 ** 10, r: 8, p: 1 };
const PASS = "correct horse battery staple";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "registry-key-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function captureLog(): { log: Logger; lines: () => Record<string, unknown>[] } {
  const raw: string[] = [];
  return {
    log: new Logger({ sink: (l) => raw.push(l), level: "debug" }),
    lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

Deno.test("signing key: created on the first run, reused on the second", async () => {
  await withDir(async (dir) => {
    const first = await loadOrCreateSigningKey({
      dataDir: dir,
      passphrase: PASS,
      kdf: KDF,
    });
    assert.equal(first.created, true);
    assert.equal(first.path, `${dir}/${KEY_FILE}`);
    assert.equal(first.secretKey.length, 32);
    assert.deepEqual(first.publicKey, publicKeyOf(first.secretKey));
    // The file: a registry keystore with the public key in clear, mode 0600,
    // and no temporary file left behind.
    const ks = keystoreFromJson(await Deno.readTextFile(first.path));
    assert.equal(ks.kind, "registry");
    assert.equal(ks.publicKey, toHex(first.publicKey));
    assert.equal(ks.crypto.kdf.params.n, KDF.n);
    assert.equal((await Deno.stat(first.path)).mode! & 0o777, 0o600);
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names, [KEY_FILE]);
    // The secret is nowhere in the file.
    assert(
      !(await Deno.readTextFile(first.path)).includes(toHex(first.secretKey)),
    );

    const second = await loadOrCreateSigningKey({
      dataDir: dir,
      passphrase: PASS,
      kdf: KDF,
    });
    assert.equal(second.created, false);
    assert.deepEqual(second.secretKey, first.secretKey);
    assert.deepEqual(second.publicKey, first.publicKey);

    // Two data directories get two different keys.
    await withDir(async (other) => {
      const k = await loadOrCreateSigningKey({
        dataDir: other,
        passphrase: PASS,
        kdf: KDF,
      });
      assert.notDeepEqual(k.secretKey, first.secretKey);
    });
  });
});

Deno.test("signing key: a wrong passphrase is refused", async () => {
  await withDir(async (dir) => {
    await loadOrCreateSigningKey({ dataDir: dir, passphrase: PASS, kdf: KDF });
    await assert.rejects(
      loadOrCreateSigningKey({
        dataDir: dir,
        passphrase: "incorrect horse battery",
        kdf: KDF,
      }),
      (e: unknown) => {
        assert(e instanceof SigningKeyError);
        assert.equal(e.code, "wrong_passphrase");
        assert.equal(e.message, `wrong passphrase for ${dir}/${KEY_FILE}`);
        return true;
      },
    );
  });
});

Deno.test("signing key: missing (when creating is refused), corrupt, wrong kind, loose permissions", async () => {
  await withDir(async (dir) => {
    await assert.rejects(
      loadOrCreateSigningKey({
        dataDir: dir,
        passphrase: PASS,
        create: false,
        refuseReason: "restore it",
      }),
      (e: unknown) =>
        e instanceof SigningKeyError && e.code === "missing" &&
        /is missing: restore it$/.test(e.message),
    );
    const path = `${dir}/${KEY_FILE}`;
    await Deno.writeTextFile(path, "{not json");
    await assert.rejects(
      loadOrCreateSigningKey({ dataDir: dir, passphrase: PASS }),
      (e: unknown) =>
        e instanceof SigningKeyError && e.code === "corrupt" &&
        /not a keystore/.test(e.message),
    );
    await Deno.writeTextFile(path, '{"version": 2}');
    await assert.rejects(
      loadOrCreateSigningKey({ dataDir: dir, passphrase: PASS }),
      (e: unknown) =>
        e instanceof SigningKeyError && e.code === "corrupt" &&
        /not a usable keystore/.test(e.message),
    );
    // A tampered ciphertext: right passphrase, but the AEAD refuses it.
    await Deno.remove(path);
    await loadOrCreateSigningKey({ dataDir: dir, passphrase: PASS, kdf: KDF });
    const ks = JSON.parse(await Deno.readTextFile(path));
    const msg: string = ks.crypto.cipher.message;
    ks.crypto.cipher.message = (msg[0] === "0" ? "1" : "0") + msg.slice(1);
    await Deno.writeTextFile(path, JSON.stringify(ks));
    await assert.rejects(
      loadOrCreateSigningKey({ dataDir: dir, passphrase: PASS }),
      (e: unknown) => e instanceof SigningKeyError && e.code === "corrupt",
    );
  });
  await withDir(async (dir) => {
    // A node's keystore is not the registry's.
    const node = encryptKeystore({
      secretKey: new Uint8Array(32).fill(5),
      kind: "node",
      passphrase: PASS,
      salt: new Uint8Array(32),
      nonce: new Uint8Array(24),
      kdf: KDF,
    });
    await Deno.writeTextFile(`${dir}/${KEY_FILE}`, keystoreToJson(node));
    await assert.rejects(
      loadOrCreateSigningKey({ dataDir: dir, passphrase: PASS }),
      (e: unknown) =>
        e instanceof SigningKeyError &&
        /holds a node key, not a registry key/.test(e.message),
    );
  });
  await withDir(async (dir) => {
    const { log, lines } = captureLog();
    const k = await loadOrCreateSigningKey({
      dataDir: dir,
      passphrase: PASS,
      kdf: KDF,
      log,
    });
    await Deno.chmod(k.path, 0o644);
    await loadOrCreateSigningKey({ dataDir: dir, passphrase: PASS, log });
    const warn = lines().find((l) => l.level === "warn");
    assert.match(String(warn?.msg), /readable by other users/);
    assert.equal(warn?.mode, "0644");
  });
});

Deno.test("passphrase: from a file, from the environment, generated on devnet", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/pp`;
    await Deno.writeTextFile(file, "from the file\nsecond line ignored\n");
    assert.equal(
      await resolvePassphrase({
        kind: "file",
        path: file,
        from: "--passphrase-file",
      }, dir),
      "from the file",
    );
    await Deno.writeTextFile(file, "crlf passphrase\r\n");
    assert.equal(
      await resolvePassphrase({
        kind: "file",
        path: file,
        from: "--passphrase-file",
      }, dir),
      "crlf passphrase",
    );
    await assert.rejects(
      resolvePassphrase({
        kind: "file",
        path: `${dir}/nope`,
        from: "REGISTRY_PASSPHRASE_FILE",
      }, dir),
      (e: unknown) =>
        e instanceof ConfigError &&
        /cannot read the passphrase file .*nope \(REGISTRY_PASSPHRASE_FILE\)/
          .test(e.message),
    );
    await Deno.writeTextFile(file, "short\n");
    await assert.rejects(
      resolvePassphrase(
        { kind: "file", path: file, from: "--passphrase-file" },
        dir,
      ),
      (e: unknown) =>
        e instanceof ConfigError &&
        /passphrase from .* is unusable: .*at least 8/.test(e.message),
    );
    assert.equal(
      await resolvePassphrase({ kind: "env", passphrase: PASS }, dir),
      PASS,
    );
    await assert.rejects(
      resolvePassphrase({ kind: "env", passphrase: "1234" }, dir),
      (e: unknown) =>
        e instanceof ConfigError &&
        /REGISTRY_PASSPHRASE is unusable/.test(e.message),
    );

    // Generated: written once (0600, loud warning), then reused.
    const { log, lines } = captureLog();
    const generated = await resolvePassphrase({ kind: "generated" }, dir, log);
    assert.match(generated, /^[A-Za-z0-9_-]{43}$/);
    const path = `${dir}/${PASSPHRASE_FILE}`;
    assert.equal(await Deno.readTextFile(path), generated + "\n");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal(lines()[0]!.level, "warn");
    assert.match(String(lines()[0]!.msg), /GENERATED A PASSPHRASE/);
    assert.equal(lines()[0]!.passphraseFile, path);
    assert.equal(
      await resolvePassphrase({ kind: "generated" }, dir, log),
      generated,
    );
  });
});

Deno.test("writeFileAtomic: replaces the file whole, mode 0600, no temporary left", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/f`;
    await Deno.writeTextFile(path, "old contents, longer than the new");
    await writeFileAtomic(path, new TextEncoder().encode("new"));
    assert.equal(await Deno.readTextFile(path), "new");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names, ["f"]);
    // A failing write leaves nothing behind either.
    await assert.rejects(
      writeFileAtomic(`${dir}/missing/f`, new Uint8Array(1)),
    );
  });
});

Deno.test("passphrase file: only a regular file of bounded size (not /dev/zero, not a FIFO, not a directory)", async () => {
  await withDir(async (dir) => {
    const refuse = async (path: string, message: RegExp) => {
      const started = performance.now();
      await assert.rejects(
        resolvePassphrase(
          { kind: "file", path, from: "--passphrase-file" },
          dir,
        ),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
      );
      // Refused at once: nothing read, nothing waited for.
      assert(performance.now() - started < 2000);
    };
    await refuse(
      "/dev/zero",
      /\/dev\/zero \(--passphrase-file\) is not a regular file/,
    );
    await refuse(dir, /is not a regular file/);
    const fifo = `${dir}/fifo`;
    const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert(mk.success, "mkfifo");
    await refuse(fifo, /fifo \(--passphrase-file\) is not a regular file/);
    const big = `${dir}/big`;
    await Deno.writeTextFile(
      big,
      PASS + "\n" + "x".repeat(MAX_PASSPHRASE_FILE_BYTES),
    );
    await refuse(big, /is larger than 4096 bytes/);
    // A symlink to a regular file is fine.
    await Deno.writeTextFile(`${dir}/real`, PASS + "\n");
    await Deno.symlink(`${dir}/real`, `${dir}/link`);
    assert.equal(
      await resolvePassphrase(
        { kind: "file", path: `${dir}/link`, from: "--passphrase-file" },
        dir,
      ),
      PASS,
    );
  });
});

Deno.test("data directory: created 0700; refused when others may write it or the key file; a readable one warns", async () => {
  await withDir(async (dir) => {
    const { log, lines } = captureLog();
    const fresh = `${dir}/new/data`;
    await prepareDataDir(fresh, log);
    assert.equal((await Deno.stat(fresh)).mode! & 0o777, 0o700);
    assert.equal(lines().length, 0);

    const open = `${dir}/open`;
    await Deno.mkdir(open);
    for (const mode of [0o777, 0o770, 0o702]) {
      await Deno.chmod(open, mode);
      await assert.rejects(
        prepareDataDir(open, log),
        (e: unknown) =>
          e instanceof SigningKeyError && e.code === "unsafe_permissions" &&
          e.message ===
            `the data directory ${open} is writable by other users (mode 0${
              mode.toString(8)
            }): refusing to use it; if it is yours, run chmod 700 ${open}`,
      );
    }
    await Deno.chmod(open, 0o755);
    await prepareDataDir(open, log);
    assert.equal(lines()[0]!.level, "warn");
    assert.equal(lines()[0]!.mode, "0755");

    const file = `${dir}/notadir`;
    await Deno.writeTextFile(file, "");
    await assert.rejects(
      prepareDataDir(file),
      /cannot create the data directory .*notadir|is not a directory/,
    );

    // The key file.
    const keyDir = `${dir}/k`;
    await prepareDataDir(keyDir);
    const key = await loadOrCreateSigningKey({
      dataDir: keyDir,
      passphrase: PASS,
      kdf: KDF,
    });
    await Deno.chmod(key.path, 0o666);
    await assert.rejects(
      loadOrCreateSigningKey({ dataDir: keyDir, passphrase: PASS }),
      (e: unknown) =>
        e instanceof SigningKeyError && e.code === "unsafe_permissions" &&
        /the registry key file .* is writable by other users \(mode 0666\).*chmod 600/
          .test(e.message),
    );
  });
});
