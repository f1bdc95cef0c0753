/**
 * Prompts on a real (pseudo-)terminal: a passphrase is typed without echo,
 * and Ctrl-C at a prompt is an interruption (exit 130), as the README says.
 */

import assert from "node:assert/strict";
import { cliEnv, closedPort, HAS_SCRIPT, Terminal } from "./test_util.ts";

Deno.test({
  name: "prompts on a terminal: no echo for passphrases, Ctrl-C exits 130",
  ignore: !HAS_SCRIPT,
  async fn(t) {
    const home = await Deno.makeTempDir({ prefix: "snode-tty-" });
    const env = cliEnv(home, `http://127.0.0.1:${closedPort()}`);
    delete (env as Record<string, string | undefined>).SNODE_PASSPHRASE;
    try {
      await t.step("a passphrase typed twice, never shown", async () => {
        const term = new Terminal(
          ["keys", "new", "node", "--insecure-fast-kdf"],
          env,
        );
        await term.waitFor(/Passphrase for the new node key/, "the prompt");
        await term.type("tty secret one\x7f\x7f\x7fone\r");
        await term.waitFor(/Type it again:/, "the second prompt");
        await term.type("tty secret one\r");
        assert.equal(await term.exit(), 0, term.screen);
        assert.match(term.screen, /created node key "node"/);
        assert.doesNotMatch(term.screen, /secret/);
      });

      await t.step("Ctrl-C at the passphrase prompt: exit 130", async () => {
        const again = new Terminal(
          ["keys", "new", "wallet", "--insecure-fast-kdf"],
          env,
        );
        await again.waitFor(/Passphrase for the new wallet key/, "the prompt");
        await again.type("half typ\x03");
        assert.equal(await again.exit(), 130, again.screen);
        assert.match(
          again.screen,
          /interrupted at the prompt.*\(interrupted\)/,
        );
        assert.doesNotMatch(again.screen, /type it at the prompt/);
        await assert.rejects(Deno.stat(`${home}/keys/wallet.json`));
      });
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});
