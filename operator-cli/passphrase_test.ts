/**
 * Passphrases for unattended use: a node key and a wallet key with
 * different passphrases, each from its own file (flag or variable), as
 * `node agent --help` and the README say; and every SNODE_* variable the
 * help or README mentions is one the CLI reads (and the README lists every
 * one it reads).
 */

import assert from "node:assert/strict";
import { buildProgram, main } from "./main.ts";
import type { Io } from "./io.ts";
import type { Command } from "@commander-js/extra-typings";
import {
  Background,
  cli,
  cliEnv,
  closedPort,
  serveRegistry,
} from "./test_util.ts";

const FAST = "--insecure-fast-kdf";

Deno.test({
  name:
    "a node key and a wallet key each unlock from their own passphrase file",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const reg = await serveRegistry();
    const home = await Deno.makeTempDir({ prefix: "snode-pass-" });
    const env = cliEnv(home, reg.url);
    delete (env as Record<string, string | undefined>).SNODE_PASSPHRASE;
    const nodeFile = `${home}/node.pass`;
    const walletFile = `${home}/wallet.pass`;
    await Deno.writeTextFile(nodeFile, "node passphrase one\n");
    await Deno.writeTextFile(walletFile, "wallet passphrase two\n");
    const files = {
      SNODE_NODE_PASSPHRASE_FILE: nodeFile,
      SNODE_WALLET_PASSPHRASE_FILE: walletFile,
    };
    try {
      await t.step("keys created with a passphrase each", async () => {
        const n = await cli(
          ["--node-passphrase-file", nodeFile, "keys", "new", "node", FAST],
          env,
        );
        assert.equal(n.code, 0, n.stderr);
        const w = await cli(
          ["keys", "new", "wallet", FAST, "--no-confirm-phrase", "--json"],
          { ...env, SNODE_WALLET_PASSPHRASE_FILE: walletFile },
        );
        assert.equal(w.code, 0, w.stderr);
      });

      await t.step(
        "a write signed by both keys, from the variables",
        async () => {
          const f = await cli(["wallet", "faucet", "--amount", "200"], {
            ...env,
            ...files,
          });
          assert.equal(f.code, 0, f.stderr);
          const r = await cli(
            ["node", "register", "--stake", "120", "--json"],
            { ...env, ...files },
          );
          assert.equal(r.code, 0, r.stderr);
          assert.equal(JSON.parse(r.stdout).status, "active");
        },
      );

      await t.step(
        "the flags, and a key's own file wins over --passphrase-file",
        async () => {
          await Deno.writeTextFile(`${home}/wrong.pass`, "not this one\n");
          const p = await cli([
            "--passphrase-file",
            `${home}/wrong.pass`,
            "--node-passphrase-file",
            nodeFile,
            "node",
            "proof",
            "--ip",
            "127.0.0.1",
            "--https-port",
            String(closedPort()),
          ], env);
          assert.equal(p.code, 0, p.stderr);
          const wrong = await cli(
            ["--passphrase-file", `${home}/wrong.pass`, "wallet", "faucet"],
            env,
          );
          assert.equal(wrong.code, 4, wrong.stderr);
          assert.match(wrong.stderr, /wrong passphrase/);
        },
      );

      await t.step(
        "the agent starts unattended from SNODE_NODE_PASSPHRASE_FILE",
        async () => {
          const agent = new Background([
            "node",
            "agent",
            "--ip",
            "127.0.0.1",
            "--https-port",
            String(closedPort()),
            "--listen",
            "127.0.0.1",
          ], { ...env, SNODE_NODE_PASSPHRASE_FILE: nodeFile });
          try {
            await agent.waitFor(
              (o) => /agent for node [0-9a-f]{64}/.test(o),
              "the agent to start",
            );
          } finally {
            assert.equal(await agent.stop("SIGTERM"), 0, agent.stderr);
          }
        },
      );

      await t.step(
        "no source: one line naming the key's own file option",
        async () => {
          const r = await cli(["wallet", "faucet"], env, { stdin: "" });
          assert.equal(r.code, 4, r.stderr);
          assert.match(
            r.stderr,
            /no passphrase for wallet key "wallet".*--wallet-passphrase-file FILE \(or SNODE_WALLET_PASSPHRASE_FILE\)/,
          );
        },
      );
    } finally {
      await reg.close();
      await Deno.remove(home, { recursive: true });
    }
  },
});

/** Every command's --help, in-process. */
async function allHelp(): Promise<string> {
  const out: string[] = [];
  const io: Io = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void out.push(t),
    env: () => undefined,
    terminal: { stdin: false, stdout: false, stderr: false },
    readLine: () => Promise.resolve(null),
    signal: new AbortController().signal,
    home: "/nonexistent-home",
  };
  const paths: string[][] = [[]];
  const walk = (cmd: Command, path: string[]) => {
    for (const c of cmd.commands as Command[]) {
      paths.push([...path, c.name()]);
      walk(c, [...path, c.name()]);
    }
  };
  walk(buildProgram(io) as Command, []);
  for (const p of paths) assert.equal(await main([...p, "--help"], io), 0);
  return out.join("");
}

Deno.test("the SNODE_* variables in the help and the README are the ones the CLI reads", async () => {
  const read = new Set<string>();
  const dirs = [
    new URL("./", import.meta.url),
    new URL("./commands/", import.meta.url),
  ];
  for (const dir of dirs) {
    for await (const e of Deno.readDir(dir)) {
      if (
        !e.name.endsWith(".ts") || e.name.endsWith("_test.ts") ||
        e.name === "test_util.ts"
      ) continue;
      const text = await Deno.readTextFile(new URL(e.name, dir));
      for (const m of text.matchAll(/\benv\(\s*"(SNODE_[A-Z_]+)"\s*\)/g)) {
        read.add(m[1]!);
      }
    }
  }
  assert(read.has("SNODE_HOME"), "found the variables read");
  const named = (text: string) =>
    new Set([...text.matchAll(/\bSNODE_[A-Z_]*[A-Z]\b/g)].map((m) => m[0]));
  const help = named(await allHelp());
  const readme = named(
    await Deno.readTextFile(new URL("./README.md", import.meta.url)),
  );
  assert.deepEqual(
    [...help].filter((v) => !read.has(v)),
    [],
    "in the help, never read",
  );
  assert.deepEqual(
    [...readme].filter((v) => !read.has(v)),
    [],
    "in the README, never read",
  );
  assert.deepEqual(
    [...read].filter((v) => !readme.has(v)),
    [],
    "read, not in the README",
  );
  assert(help.has("SNODE_NODE_PASSPHRASE_FILE"));
});
