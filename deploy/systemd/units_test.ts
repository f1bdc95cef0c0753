/**
 * The example systemd units: systemd itself checks them where it is
 * installed (`systemd-analyze verify`, `systemd-sysusers --dry-run`; the
 * test says when it skips that), and everywhere the commands they run are
 * checked against the real programs - every flag the agent's unit passes
 * is in the CLI's help, every variable it sets is one the CLI reads, the
 * registry's unit runs `deno task start`'s permissions with flags from the
 * registry's own --help, and credentials are read from $CREDENTIALS_DIRECTORY
 * (`%d`), never from the environment.
 */

import assert from "node:assert/strict";
import { main } from "../../operator-cli/main.ts";
import { EXIT } from "../../operator-cli/errors.ts";
import type { Io } from "../../operator-cli/io.ts";
import { installLauncher } from "../../operator-cli/install.ts";

const here = new URL("./", import.meta.url);
const root = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** `[Section] Key=value` lines (continuations joined); keys may repeat. */
function parseUnit(text: string): Map<string, [string, string][]> {
  const sections = new Map<string, [string, string][]>();
  let current: [string, string][] = [];
  const joined = text.replace(/\\\n\s*/g, " ");
  for (const raw of joined.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = [];
      sections.set(section[1]!, current);
      continue;
    }
    const i = line.indexOf("=");
    assert(i > 0, `not a setting: ${line}`);
    current.push([line.slice(0, i), line.slice(i + 1)]);
  }
  return sections;
}

function values(unit: Map<string, [string, string][]>, key: string): string[] {
  return (unit.get("Service") ?? []).filter(([k]) => k === key).map(([, v]) =>
    v
  );
}

async function unit(name: string) {
  const text = await Deno.readTextFile(new URL(name, here));
  return { text, parsed: parseUnit(text) };
}

/** Help text of the CLI, in-process. */
async function help(args: string[]): Promise<string> {
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
  assert.equal(await main([...args, "--help"], io), 0, args.join(" "));
  return out.join("");
}

/** Sandboxing both units must keep. */
const SANDBOX = [
  "NoNewPrivileges=yes",
  "ProtectSystem=strict",
  "ProtectHome=yes",
  "PrivateTmp=yes",
  "CapabilityBoundingSet=",
];

Deno.test("the agent's unit runs the installed snode with flags and variables the CLI has", async () => {
  const { parsed, text } = await unit("snode-agent.service");
  for (const s of SANDBOX) assert(text.includes(`\n${s}\n`), s);
  assert.deepEqual(values(parsed, "User"), ["snode"]);
  assert.deepEqual(values(parsed, "StateDirectory"), ["snode"]);

  const [exec] = values(parsed, "ExecStart");
  const words = exec!.split(/\s+/);
  // What `deno task install-cli --bin-dir /usr/local/bin` writes.
  assert.equal(words[0], "/usr/local/bin/snode");
  const path = words.slice(1).filter((w, i, all) =>
    !w.startsWith("-") && !all[i - 1]?.startsWith("--")
  );
  assert.deepEqual(path.slice(0, 2), ["node", "agent"]);
  const known = (await help([])) + (await help(["node", "agent"]));
  const flags = words.filter((w) => w.startsWith("--"));
  assert(flags.length > 5);
  for (const f of flags) {
    assert(
      new RegExp(`(^|[\\s,])${f}[\\s<]`, "m").test(known),
      `${f} in --help`,
    );
  }

  // The passphrase: a credential, read from its directory by the CLI's own flag.
  const creds = values(parsed, "LoadCredential").map((c) => c.split(":")[0]!);
  assert.deepEqual(creds, ["node-passphrase"]);
  assert.match(exec!, /--node-passphrase-file %d\/node-passphrase(\s|$)/);
  const env = values(parsed, "Environment").map((e) => e.split("=")[0]!);
  assert(
    !env.some((e) => /PASSPHRASE/.test(e)),
    "no passphrase in the environment",
  );
  const read = new Set<string>();
  for (const dir of ["operator-cli/", "operator-cli/commands/"]) {
    for await (const e of Deno.readDir(`${root}/${dir}`)) {
      if (!e.name.endsWith(".ts")) continue;
      const src = await Deno.readTextFile(`${root}/${dir}${e.name}`);
      for (const m of src.matchAll(/\benv\(\s*"([A-Z_]+)"\s*\)/g)) {
        read.add(m[1]!);
      }
    }
  }
  for (const e of env.filter((e) => e.startsWith("SNODE_"))) {
    assert(read.has(e), `${e} is read by the CLI`);
  }

  // Restarting does not mend these; all are the CLI's documented codes.
  const noRestart = values(parsed, "RestartPreventExitStatus")[0]!.split(" ")
    .map(Number);
  const codes = new Set<number>(Object.values(EXIT));
  assert(noRestart.every((c) => codes.has(c)));
  assert(!noRestart.includes(EXIT.network), "exit 3 is worth a restart");
});

Deno.test("the registry's unit runs deno task start's permissions with flags from the registry's --help", async () => {
  const { parsed, text } = await unit("snode-registry.service");
  for (const s of SANDBOX) assert(text.includes(`\n${s}\n`), s);
  const [exec] = values(parsed, "ExecStart");
  const words = exec!.split(/\s+/);
  assert.equal(words[0], "/opt/snode/node_modules/deno/deno");
  await Deno.stat(`${root}/node_modules/deno/deno`); // where npm ci puts it
  const script = words.findIndex((w) => w.endsWith("/registry/main.ts"));
  assert.equal(words[script], "/opt/snode/registry/main.ts");

  const tasks = JSON.parse(await Deno.readTextFile(`${root}/deno.json`)).tasks;
  const start = (tasks.start as string).split(/\s+/);
  const perms = start.slice(2, start.indexOf("registry/main.ts"));
  assert(perms.includes("--allow-net"));
  assert.deepEqual(words.slice(1, script), ["run", ...perms]);

  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...perms, "registry/main.ts", "--help"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const registryHelp = new TextDecoder().decode(out.stdout);
  for (const f of words.slice(script + 1).filter((w) => w.startsWith("--"))) {
    assert(registryHelp.includes(`${f} `), `${f} in the registry's --help`);
  }
  const creds = values(parsed, "LoadCredential").map((c) => c.split(":")[0]!);
  assert.deepEqual(creds, ["registry-passphrase"]);
  assert.match(exec!, /--passphrase-file %d\/registry-passphrase(\s|$)/);
  // Logs journald reads well; `systemctl reload` re-reads the TLS files.
  assert.match(exec!, /--log-format journal(\s|$)/);
  assert.deepEqual(values(parsed, "SyslogIdentifier"), ["snode-registry"]);
  assert.deepEqual(values(parsed, "ExecReload"), ["/bin/kill -HUP $MAINPID"]);
});

/** Where the witness program lives once it lands (either layout). */
async function witnessProgram(): Promise<string | null> {
  for (const p of ["registry/witness/main.ts", "witness/main.ts"]) {
    try {
      await Deno.stat(`${root}/${p}`);
      return p;
    } catch {
      // not (yet) there
    }
  }
  return null;
}

Deno.test("the witness's unit: sandboxed, its passphrase a credential, journald logs; flags and permissions as the witness program's", async () => {
  const { parsed, text } = await unit("snode-witness.service");
  for (const s of SANDBOX) assert(text.includes(`\n${s}\n`), s);
  assert.deepEqual(values(parsed, "User"), ["snode-witness"]);
  assert.deepEqual(values(parsed, "StateDirectory"), ["snode-witness"]);
  assert.deepEqual(values(parsed, "SyslogIdentifier"), ["snode-witness"]);
  const creds = values(parsed, "LoadCredential").map((c) => c.split(":")[0]!);
  assert.deepEqual(creds, ["witness-passphrase"]);
  const [exec] = values(parsed, "ExecStart");
  assert.match(exec!, /--passphrase-file %d\/witness-passphrase(\s|$)/);
  const env = values(parsed, "Environment").map((e) => e.split("=")[0]!);
  assert(
    !env.some((e) => /PASSPHRASE/.test(e)),
    "no passphrase in the environment",
  );
  const sysusers = await Deno.readTextFile(
    new URL("snode.sysusers.conf", here),
  );
  assert.match(sysusers, /^u snode-witness /m);

  const program = await witnessProgram();
  const tasks = JSON.parse(await Deno.readTextFile(`${root}/deno.json`)).tasks;
  if (program === null || tasks.witness === undefined) {
    console.warn(
      "deploy/systemd: SKIPPED checking snode-witness.service's flags and permissions: the witness program (registry/witness/main.ts or witness/main.ts, task `witness`) is not in the tree yet; the check runs once it is",
    );
    return;
  }
  const words = exec!.split(/\s+/);
  const script = words.findIndex((w) => w.endsWith("/main.ts"));
  assert.equal(words[script], `/opt/snode/${program}`);
  const task = (tasks.witness as string).split(/\s+/);
  const perms = task.slice(2, task.findIndex((w) => w.endsWith(".ts")));
  assert.deepEqual(words.slice(1, script), ["run", ...perms]);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...perms, program, "--help"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const help = new TextDecoder().decode(out.stdout);
  for (const f of words.slice(script + 1).filter((w) => w.startsWith("--"))) {
    assert(help.includes(`${f} `), `${f} in the witness's --help`);
  }
});

function which(command: string): boolean {
  try {
    return new Deno.Command(command, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync().success;
  } catch {
    return false;
  }
}

const HAS_SYSTEMD = which("systemd-analyze");

Deno.test({
  name:
    "systemd-analyze verify accepts the three units, and systemd-sysusers the users",
  // Skipped only outside CI: .ci/run installs Debian's systemd package.
  ignore: !HAS_SYSTEMD && !Deno.env.get("CI"),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "snode-units-" });
    try {
      // The units as installed, with the checkout and the launcher where
      // they are on this machine (verify checks the programs exist).
      const { path: launcher } = await installLauncher({
        binDir: `${tmp}/bin`,
      });
      const units = [
        "snode-agent.service",
        "snode-registry.service",
        "snode-witness.service",
      ];
      for (const name of units) {
        const text = (await Deno.readTextFile(new URL(name, here)))
          .replaceAll("/usr/local/bin/snode", launcher)
          .replaceAll("/opt/snode", root);
        await Deno.writeTextFile(`${tmp}/${name}`, text);
      }
      const out = await new Deno.Command("systemd-analyze", {
        args: [
          "verify",
          "--man=no",
          ...units.map((u) => `${tmp}/${u}`),
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const said = new TextDecoder().decode(out.stdout) +
        new TextDecoder().decode(out.stderr);
      assert(out.success, said);
      assert.equal(
        said.trim(),
        "",
        "no warnings either (unknown keys are only warned about)",
      );

      const users = await new Deno.Command("systemd-sysusers", {
        args: ["--dry-run", new URL("snode.sysusers.conf", here).pathname],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const log = new TextDecoder().decode(users.stdout) +
        new TextDecoder().decode(users.stderr);
      assert(users.success, log);
      assert.doesNotMatch(log, /fail|invalid|unknown|ignoring/i);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
