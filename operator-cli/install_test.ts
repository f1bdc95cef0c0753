/**
 * `deno task install-cli` makes `snode` a real command: the launcher it
 * writes runs the CLI from any directory (even one with a deno.json of its
 * own), found on the PATH like any program.
 */

import assert from "node:assert/strict";
import { LAUNCHER_MARK } from "./install.ts";

const root = new URL("..", import.meta.url).pathname;

async function run(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
) {
  const out = await new Deno.Command(command, {
    args,
    cwd: options.cwd,
    env: options.env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return {
    code: out.code,
    stdout: d.decode(out.stdout),
    stderr: d.decode(out.stderr),
  };
}

Deno.test("deno task install-cli puts a working snode on the PATH, usable from any directory", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "snode-install-" });
  const bin = `${tmp}/bin`;
  const elsewhere = `${tmp}/some-other-project`;
  const home = `${tmp}/home`;
  await Deno.mkdir(elsewhere, { recursive: true });
  // Another project's config must not leak into snode's.
  await Deno.writeTextFile(
    `${elsewhere}/deno.json`,
    JSON.stringify({
      imports: { "@commander-js/extra-typings": "./missing.ts" },
    }),
  );
  const env = {
    HOME: home,
    PATH: `${bin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
    SNODE_HOME: home,
    SNODE_PASSPHRASE: "correct horse battery staple",
    NO_COLOR: "1",
  };
  try {
    const install = await run(
      Deno.execPath(),
      ["task", "install-cli", "--bin-dir", bin],
      { cwd: root, env },
    );
    assert.equal(install.code, 0, install.stderr);
    assert.match(install.stdout, new RegExp(`installed ${bin}/snode`));
    const launcher = await Deno.readTextFile(`${bin}/snode`);
    assert.match(launcher, new RegExp(LAUNCHER_MARK.replaceAll("`", ".")));
    assert.equal((await Deno.stat(`${bin}/snode`)).mode! & 0o111, 0o111);

    // From another directory, by name through the PATH, as a user would.
    const version = await run("sh", ["-c", "snode --version"], {
      cwd: elsewhere,
      env,
    });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), "0.1.0");
    const made = await run(
      "sh",
      ["-c", "snode keys new node --insecure-fast-kdf --json"],
      { cwd: elsewhere, env },
    );
    assert.equal(made.code, 0, made.stderr);
    const shown = await run("sh", ["-c", "snode keys show --json"], {
      cwd: "/",
      env,
    });
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(
      JSON.parse(shown.stdout).keys[0].publicKey,
      JSON.parse(made.stdout).publicKey,
    );
    // Exit codes pass through the launcher.
    const bad = await run("sh", ["-c", "snode node frobnicate"], {
      cwd: elsewhere,
      env,
    });
    assert.equal(bad.code, 2);

    // Installing again replaces our launcher; a foreign file needs --force.
    const again = await run(
      Deno.execPath(),
      ["task", "install-cli", "--bin-dir", bin],
      { cwd: root, env },
    );
    assert.equal(again.code, 0, again.stderr);
    await Deno.writeTextFile(`${bin}/other`, "#!/bin/sh\necho mine\n");
    const foreign = await run(
      Deno.execPath(),
      ["task", "install-cli", "--bin-dir", bin, "--name", "other"],
      { cwd: root, env },
    );
    assert.equal(foreign.code, 1);
    assert.match(foreign.stderr, /not an snode launcher: pass --force/);
    assert.equal(
      await Deno.readTextFile(`${bin}/other`),
      "#!/bin/sh\necho mine\n",
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
