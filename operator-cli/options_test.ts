/**
 * Options are consistent across commands: an option name means one thing
 * everywhere, no subcommand option is shadowed by a global one (as
 * `node proof --version` was by the CLI's own `--version`), and every
 * command that takes a wallet takes `--wallet`. Plus the small papercuts:
 * `--timeout 0` says what is accepted; `wallet balance --wallet NAME` works.
 */

import assert from "node:assert/strict";
import type { Command } from "@commander-js/extra-typings";
import { buildProgram } from "./main.ts";
import type { Io } from "./io.ts";
import { cli, cliEnv, closedPort, serveRegistry } from "./test_util.ts";

const io: Io = {
  stdout: () => {},
  stderr: () => {},
  env: () => undefined,
  terminal: { stdin: false, stdout: false, stderr: false },
  readLine: () => Promise.resolve(null),
  signal: new AbortController().signal,
  home: "/nonexistent-home",
};

/** Every command below the program, with its path. */
function commands(): { path: string; cmd: Command }[] {
  const out: { path: string; cmd: Command }[] = [];
  const walk = (cmd: Command, path: string) => {
    for (const c of cmd.commands as Command[]) {
      out.push({ path: `${path} ${c.name()}`, cmd: c });
      walk(c, `${path} ${c.name()}`);
    }
  };
  walk(buildProgram(io) as unknown as Command, "snode");
  return out;
}

/**
 * Names that mean two related things on purpose: `keys import --keystore
 * FILE` reads a keystore document, `keys export --keystore` prints one.
 */
const SAME_NAME_ALLOWED = new Set(["--keystore"]);

Deno.test("an option name means the same on every command, and none is shadowed by a global one", () => {
  const program = buildProgram(io) as unknown as Command;
  const globals = new Set(program.options.map((o) => o.long));
  const forms = new Map<string, Set<string>>();
  const shadowed: string[] = [];
  for (const { path, cmd } of commands()) {
    for (const o of cmd.options) {
      if (!o.long) continue;
      if (globals.has(o.long)) shadowed.push(`${path} ${o.long}`);
      const set = forms.get(o.long) ?? new Set<string>();
      set.add(o.flags);
      forms.set(o.long, set);
    }
  }
  assert.deepEqual(shadowed, [], "a global option takes these over");
  const mixed = [...forms].filter(([name, f]) =>
    f.size > 1 && !SAME_NAME_ALLOWED.has(name)
  ).map(([name, f]) => `${name}: ${[...f].join(" | ")}`);
  assert.deepEqual(mixed, [], "one option, several forms");
});

Deno.test("every command that takes a wallet takes --wallet", () => {
  const missing = commands().filter(({ cmd }) =>
    cmd.registeredArguments.some((a) => /wallet/.test(a.name())) &&
    !cmd.options.some((o) => o.long === "--wallet")
  ).map(({ path }) => path);
  assert.deepEqual(missing, []);
});

Deno.test({
  name:
    "papercuts: --timeout 0, wallet balance --wallet, node proof --node-version",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const reg = await serveRegistry();
    const home = await Deno.makeTempDir({ prefix: "snode-opts-" });
    const env = cliEnv(home, reg.url);
    try {
      await t.step("--timeout 0 says what it accepts", async () => {
        const r = await cli(["--timeout", "0", "stake", "open"], env);
        assert.equal(r.code, 2, r.stderr);
        assert.match(
          r.stderr,
          /^error: --timeout must be more than 0 and at most 600 seconds, got "0" \(bad_timeout\)$/m,
        );
        assert.equal(
          (await cli(["--timeout", "0.5", "stake", "open"], env)).code,
          0,
        );
      });

      await t.step(
        "wallet balance takes --wallet like every other command",
        async () => {
          for (
            const args of [
              [
                "keys",
                "new",
                "wallet",
                "--name",
                "alice",
                "--insecure-fast-kdf",
                "--no-confirm-phrase",
              ],
              ["wallet", "faucet", "--wallet", "alice", "--amount", "7"],
            ]
          ) {
            const r = await cli(args, env);
            assert.equal(r.code, 0, r.stderr);
          }
          const byFlag = await cli([
            "wallet",
            "balance",
            "--wallet",
            "alice",
            "--json",
          ], env);
          assert.equal(byFlag.code, 0, byFlag.stderr);
          assert.equal(JSON.parse(byFlag.stdout).balance, "7000000000");
          const byArg = await cli(
            ["wallet", "balance", "alice", "--json"],
            env,
          );
          assert.equal(byArg.stdout, byFlag.stdout);
          const both = await cli([
            "wallet",
            "balance",
            "bob",
            "--wallet",
            "alice",
          ], env);
          assert.equal(both.code, 2, both.stderr);
        },
      );

      await t.step(
        "node proof --node-version sets the version (--version is the CLI's)",
        async () => {
          const n = await cli(
            ["keys", "new", "node", "--insecure-fast-kdf"],
            env,
          );
          assert.equal(n.code, 0, n.stderr);
          const out = `${home}/proof.json`;
          const r = await cli([
            "--registry",
            `http://127.0.0.1:${closedPort()}`,
            "node",
            "proof",
            "--ip",
            "203.0.113.7",
            "--node-version",
            "11.2.0",
            "--offline",
            "--network",
            "devnet",
            "--out",
            out,
          ], env);
          assert.equal(r.code, 0, r.stderr);
          const payload = JSON.parse(await Deno.readTextFile(out));
          assert.match(JSON.stringify(payload.fields), /11\.2\.0/);
        },
      );
    } finally {
      await reg.close();
      await Deno.remove(home, { recursive: true });
    }
  },
});
