/**
 * Mistakes a user makes get one clear line and a meaningful exit code,
 * never a stack trace: wrong passphrase, corrupt keystore, unreachable
 * registry, malformed ids, amounts, fees and Session IDs, refusals by the
 * registry. The CLI runs as a subprocess against a real registry on
 * 127.0.0.1 port 0.
 */

import assert from "node:assert/strict";
import {
  cli,
  cliEnv,
  closedPort,
  type Run,
  serveRegistry,
} from "./test_util.ts";

const FAST = "--insecure-fast-kdf";

/** One error line on stderr, nothing like a stack trace. */
function oneLine(r: Run, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  const lines = r.stderr.trim().split("\n").filter((l) =>
    !l.startsWith("(add --help")
  );
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
}

Deno.test({
  name: "user mistakes end in one clear line and a meaningful exit code",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const reg = await serveRegistry();
    const home = await Deno.makeTempDir({ prefix: "snode-err-" });
    const env = cliEnv(home, reg.url);
    const run = (args: string[], extra: Record<string, string> = {}) =>
      cli(args, { ...env, ...extra });
    try {
      assert.equal(
        (await run(["keys", "new", "wallet", FAST, "--no-confirm-phrase"]))
          .code,
        0,
      );
      assert.equal((await run(["keys", "new", "node", FAST])).code, 0);
      const node = (await run(["keys", "export", "node"])).stdout.trim();

      await t.step("wrong passphrase: exit 4", async () => {
        const r = await run(["wallet", "faucet"], {
          SNODE_PASSPHRASE: "not the passphrase",
        });
        oneLine(
          r,
          4,
          /^error: wrong passphrase for .*wallet\.json \(wrong_passphrase\)$/,
        );
      });

      await t.step(
        "passphrase from a file, and too short on creation",
        async () => {
          await Deno.writeTextFile(
            `${home}/pw`,
            "correct horse battery staple\n",
          );
          const ok = await run([
            "--passphrase-file",
            `${home}/pw`,
            "wallet",
            "faucet",
            "--amount",
            "1",
          ], {
            SNODE_PASSPHRASE: "ignored because the file wins",
          });
          assert.equal(ok.code, 0, ok.stderr);
          const short = await run(
            ["keys", "new", "node", "--name", "x", FAST],
            { SNODE_PASSPHRASE: "short" },
          );
          oneLine(short, 4, /at least 8 characters.*\(passphrase_too_short\)$/);
        },
      );

      await t.step(
        "corrupt keystore: exit 4, and it says which problem",
        async () => {
          const path = `${home}/keys/wallet.json`;
          const original = await Deno.readTextFile(path);
          try {
            const ks = JSON.parse(original);
            const m: string = ks.crypto.cipher.message;
            ks.crypto.cipher.message = (m[0] === "0" ? "1" : "0") + m.slice(1);
            await Deno.writeTextFile(path, JSON.stringify(ks));
            oneLine(
              await run(["wallet", "faucet"]),
              4,
              /was modified after it was written.*\(keystore_corrupt\)$/,
            );
            await Deno.writeTextFile(path, original.slice(0, 100));
            oneLine(
              await run(["wallet", "faucet"]),
              4,
              /damaged or not a keystore.*\(keystore_corrupt\)$/,
            );
            oneLine(
              await run(["node", "status", "--wallet", "nosuchkey"]),
              4,
              /no keystore at .*nosuchkey\.json/,
            );
          } finally {
            await Deno.writeTextFile(path, original);
          }
        },
      );

      await t.step("unreachable registry: exit 3", async () => {
        const url = `http://127.0.0.1:${closedPort()}`;
        const r = await run(["--registry", url, "node", "status", node]);
        oneLine(
          r,
          3,
          new RegExp(
            `cannot use the registry at ${
              url.replaceAll(".", "\\.")
            }.*\\(unreachable\\)$`,
          ),
        );
        const j = await run(["--registry", url, "stake", "open", "--json"]);
        assert.equal(j.code, 3);
        assert.equal(JSON.parse(j.stdout).error.code, "unreachable");
        oneLine(
          await run(["--registry", "ftp://x", "stake", "open"]),
          2,
          /http:\/\/ or https:\/\//,
        );
      });

      await t.step(
        "malformed ids, amounts, fees, addresses and Session IDs: exit 2",
        async () => {
          oneLine(
            await run([
              "stake",
              "contribute",
              "--node",
              "12ab",
              "--amount",
              "5",
            ]),
            2,
            /"12ab" is not a public key.*\(bad_id\)$/,
          );
          oneLine(await run(["node", "status", "zz".repeat(32)]), 2, /./);
          oneLine(
            await run([
              "stake",
              "contribute",
              "--node",
              node,
              "--amount",
              "1.2.3",
            ]),
            2,
            /--amount "1\.2\.3" is not an amount.*\(bad_amount\)$/,
          );
          oneLine(
            await run(["stake", "contribute", "--node", node, "--amount", "0"]),
            2,
            /\(bad_amount\)$/,
          );
          oneLine(
            await run(["node", "register", "--stake", "60", "--fee", "150%"]),
            2,
            /fee "150%".*\(bad_fee\)$/,
          );
          oneLine(
            await run([
              "node",
              "register",
              "--stake",
              "60",
              "--reserve",
              "nocolon",
            ]),
            2,
            /WALLET:AMOUNT/,
          );
          oneLine(
            await run(["node", "proof", "--ip", "300.1.1.1"]),
            2,
            /not an IPv4 address/,
          );
          oneLine(
            await run(["swarm", "07" + "ab".repeat(32)]),
            2,
            /Session ID.*\(bad_session_id\)$/,
          );
          oneLine(
            await run([
              "stake",
              "contribute",
              "--node",
              node,
              "--amount",
              "5",
              "--offline",
            ]),
            2,
            /--offline needs --out/,
          );
          oneLine(
            await run(["--network", "moonnet", "stake", "open"]),
            2,
            /unknown network "moonnet"/,
          );
          const unknown = await run(["node", "frobnicate"]);
          assert.equal(unknown.code, 2);
        },
      );

      await t.step(
        "the registry's refusals: exit 1 with its code",
        async () => {
          oneLine(
            await run(["node", "status", node]),
            1,
            /^error: no node [0-9a-f]{64} is registered \(unknown_node\)$/,
          );
          const low = await run(["node", "register", "--stake", "1"]);
          oneLine(low, 1, /at least 30 coins.*\(operator_stake_too_low\)$/);
          // Stake more than the wallet holds: the registry refuses (problem+json).
          const poor = await run(["node", "register", "--stake", "100"]);
          oneLine(poor, 1, /\(insufficient_balance\)$/);
          const wrongNet = await run(["--network", "mainnet", "stake", "open"]);
          oneLine(
            wrongNet,
            1,
            /serves devnet, not mainnet .*\(wrong_network\)$/,
          );
        },
      );

      await t.step(
        "--verbose adds the cause chain; help and completions exit 0",
        async () => {
          const v = await run([
            "-v",
            "--registry",
            `http://127.0.0.1:${closedPort()}`,
            "stake",
            "open",
          ]);
          assert.equal(v.code, 3);
          assert.match(v.stderr, /at /);
          for (
            const args of [
              ["--help"],
              ["node", "register", "--help"],
              ["completion", "bash"],
              ["completion", "zsh"],
              ["completion", "fish"],
            ]
          ) {
            const r = await run(args);
            assert.equal(r.code, 0, r.stderr);
          }
          assert.match(
            (await run(["node", "agent", "--help"])).stdout,
            /Examples:/,
          );
        },
      );
    } finally {
      await reg.close();
      await Deno.remove(home, { recursive: true });
    }
  },
});
