import assert from "node:assert/strict";
import { main } from "./main.ts";
import type { Io } from "./io.ts";
import { closedPort } from "./test_util.ts";

function fakeIo(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    env: (n) => env[n],
    terminal: { stdin: false, stdout: false, stderr: false },
    readLine: () => Promise.resolve(null),
    signal: new AbortController().signal,
    home: "/nonexistent-home",
  };
  return { io, out, err };
}

Deno.test("main runs in-process: help, usage errors and JSON errors", async () => {
  const help = fakeIo();
  assert.equal(await main(["node", "register", "--help"], help.io), 0);
  assert.match(help.out.join(""), /--reserve <wallet:amount>/);
  assert.match(help.out.join(""), /Examples:/);

  const bad = fakeIo();
  assert.equal(await main(["stake", "contribute", "--amount", "1"], bad.io), 2);
  assert.match(bad.err.join(""), /required option '--node <node>'/);

  const down = fakeIo({ SNODE_REGISTRY: `http://127.0.0.1:${closedPort()}` });
  assert.equal(await main(["--json", "stake", "open"], down.io), 3);
  const doc = JSON.parse(down.out.join(""));
  assert.equal(doc.error.code, "unreachable");
  assert.equal(doc.error.exit, 3);

  // No passphrase source and no terminal: a key error, not a hang.
  const nokey = fakeIo({ SNODE_HOME: await Deno.makeTempDir() });
  assert.equal(
    await main(["keys", "new", "node", "--insecure-fast-kdf"], nokey.io),
    4,
  );
  assert.match(nokey.err.join(""), /no passphrase/);
});
