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
  PASSPHRASE_FILE,
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
