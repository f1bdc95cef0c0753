/**
 * `keys new` and `keys import` under a name already taken stop before a
 * phrase is shown or a passphrase asked; a wallet's recovery phrase leaves
 * the screen once it has been typed back (on a pseudo-terminal).
 */

import assert from "node:assert/strict";
import {
  cli,
  cliEnv,
  closedPort,
  HAS_SCRIPT,
  phraseFromGrid,
  Terminal,
} from "./test_util.ts";

const FAST = "--insecure-fast-kdf";

Deno.test({
  name:
    "keys new/import under an existing name refuse before showing or asking anything",
  async fn() {
    const home = await Deno.makeTempDir({ prefix: "snode-keys-" });
    const env = cliEnv(home, `http://127.0.0.1:${closedPort()}`);
    try {
      const w = await cli(
        ["keys", "new", "wallet", FAST, "--no-confirm-phrase", "--json"],
        env,
      );
      assert.equal(w.code, 0, w.stderr);
      const before = await Deno.readTextFile(`${home}/keys/wallet.json`);
      // No passphrase source: a prompt would show on stderr.
      const bare = { ...env };
      delete (bare as Record<string, string | undefined>).SNODE_PASSPHRASE;
      for (
        const args of [
          ["keys", "new", "wallet", FAST],
          ["keys", "import", "wallet", FAST],
        ]
      ) {
        const r = await cli(args, bare, { stdin: "" });
        assert.equal(r.code, 2, r.stderr);
        assert.match(
          r.stderr,
          /wallet\.json already exists.*\(keystore_exists\)/,
        );
        assert.doesNotMatch(
          r.stdout + r.stderr,
          /Recovery phrase|\d+\. [a-z]+/,
        );
        assert.doesNotMatch(r.stderr, /Passphrase|phrase \(24 words\)/);
      }
      assert.equal(await Deno.readTextFile(`${home}/keys/wallet.json`), before);
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test({
  name: "the recovery phrase is cleared from the screen once typed back",
  ignore: !HAS_SCRIPT,
  async fn() {
    const home = await Deno.makeTempDir({ prefix: "snode-keys-tty-" });
    const env = cliEnv(home, `http://127.0.0.1:${closedPort()}`);
    try {
      const term = new Terminal(["keys", "new", "wallet", FAST], env);
      await term.waitFor(/24\. [a-z]+/, "the phrase");
      await term.waitFor(/Type the 24 words back/, "the confirmation prompt");
      const phrase = phraseFromGrid(term.screen);
      assert.doesNotMatch(phrase, /\?/);
      await term.type(phrase + "\r");
      assert.equal(await term.exit(), 0, term.screen);
      const clear = term.screen.lastIndexOf("\x1b[3J");
      assert(clear > term.screen.indexOf(phrase), "cleared after the typing");
      const after = term.screen.slice(clear);
      assert.match(after, /confirmed and cleared from the screen/);
      assert.match(after, /created wallet key "wallet"/);
      // Neither the grid nor the words typed back are left.
      assert.doesNotMatch(after, /\d+\. [a-z]+/);
      const words = phrase.split(" ");
      for (let i = 0; i + 3 <= 24; i += 3) {
        assert(!after.includes(words.slice(i, i + 3).join(" ")), "typed words");
      }
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});
