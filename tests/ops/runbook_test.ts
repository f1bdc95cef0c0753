// The runbook (registry/README.md, "Operating it") works as printed: its
// `sh` blocks run here, in order, with bash, from the repository root,
// against a testnet registry the runbook's own start block starts. The
// runbook's paths are the operator's; here they live in a temporary
// directory: /var/lib/snode-registry..., /var/backups/snode-registry and
// /etc/snode are mapped into it, and port 8080 to a free port. Blocks that
// begin with "# not run by the runbook test" (root, systemd, PostgreSQL)
// are not run; every `deno task` they name must exist and every flag they
// pass must be in that program's --help.
import assert from "node:assert/strict";

const ROOT = new URL("../..", import.meta.url).pathname;
const README = `${ROOT}registry/README.md`;

interface Block {
  /** Lines, continuations joined, comments dropped. */
  commands: string[];
  /** Its first comment line, if any. */
  marker: string;
}

/** The `sh` blocks of the README's "Operating it" section. */
export async function runbookBlocks(): Promise<Block[]> {
  const text = await Deno.readTextFile(README);
  const start = text.indexOf("\n## Operating it\n");
  assert(start >= 0, "registry/README.md has an Operating it section");
  const end = text.indexOf("\n## ", start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  const blocks: Block[] = [];
  for (const m of section.matchAll(/\n```sh\n([\s\S]*?)\n```/g)) {
    const lines = m[1]!.replace(/\\\n\s*/g, " ").split("\n");
    blocks.push({
      marker: lines[0]!.startsWith("#") ? lines[0]! : "",
      commands: lines.filter((l) => l.trim() !== "" && !l.startsWith("#")),
    });
  }
  return blocks;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** The environment a command gets: ours, minus nothing it needs. */
function env(): Record<string, string> {
  const e: Record<string, string> = { NO_COLOR: "1" };
  for (const k of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
    const v = Deno.env.get(k);
    if (v !== undefined) e[k] = v;
  }
  return e;
}

/** The programs behind the tasks the runbook names, for their --help. */
const TASK_PROGRAMS: Record<string, string> = {
  start: "registry/main.ts",
  backup: "registry/ops/backup.ts",
  restore: "registry/ops/restore.ts",
};

async function help(task: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TASK_PROGRAMS[task]!, "--help"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, `${task} --help`);
  return new TextDecoder().decode(out.stdout);
}

/** Every `deno task X --flag` in `line` names a task and flags that exist. */
async function checkTaskLine(line: string, tasks: Record<string, string>) {
  const m = /deno task (\S+)(.*)$/.exec(line);
  if (!m) return;
  const [, task, rest] = m;
  assert(tasks[task!], `deno task ${task} exists`);
  const program = TASK_PROGRAMS[task!];
  assert(program, `the runbook test knows the program of deno task ${task}`);
  const text = await help(task!);
  for (const f of rest!.match(/--[a-z][a-z-]*/g) ?? []) {
    assert(
      new RegExp(`(^|\\s)${f}(\\s|=|$)`, "m").test(text),
      `${f} is in deno task ${task}'s --help`,
    );
  }
}

Deno.test({
  name:
    "runbook: every command of registry/README.md's Operating it works as printed",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const tmp = await Deno.makeTempDir({ prefix: "ops-runbook-" });
    const port = freePort();
    const map = (command: string) =>
      command
        .replaceAll("/var/lib/snode-registry", `${tmp}/var/lib/snode-registry`)
        .replaceAll(
          "/var/backups/snode-registry",
          `${tmp}/var/backups/snode-registry`,
        )
        .replaceAll("/etc/snode", `${tmp}/etc/snode`)
        .replaceAll("127.0.0.1:8080", `127.0.0.1:${port}`)
        .replaceAll("--port 8080", `--port ${port}`);
    const bash = async (command: string) => {
      const out = await new Deno.Command("bash", {
        args: ["-euo", "pipefail", "-c", map(command)],
        cwd: ROOT,
        env: env(),
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      return {
        code: out.code,
        stdout: new TextDecoder().decode(out.stdout),
        stderr: new TextDecoder().decode(out.stderr),
      };
    };
    let service: Deno.ChildProcess | null = null;
    const serviceOut: string[] = [];
    try {
      const blocks = await runbookBlocks();
      assert(blocks.length >= 8, `${blocks.length} sh blocks`);
      const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`))
        .tasks;
      const outputs: string[] = [];
      let ran = 0;
      let checked = 0;
      for (const [i, block] of blocks.entries()) {
        const name = `block ${i + 1}: ${block.commands[0]!.slice(0, 70)}`;
        if (block.marker.startsWith("# not run by the runbook test")) {
          await t.step(`${name} (checked, not run)`, async () => {
            for (const c of block.commands) await checkTaskLine(c, tasks);
          });
          checked++;
          continue;
        }
        if (block.marker.startsWith("# started by the runbook test")) {
          await t.step(`${name} (the registry)`, async () => {
            const startLine = block.commands.find((c) =>
              /deno task start /.test(c)
            )!;
            for (const c of block.commands) {
              if (c === startLine) continue;
              const r = await bash(c);
              assert.equal(r.code, 0, `${c}: ${r.stderr}`);
            }
            service = new Deno.Command("bash", {
              args: ["-c", `exec ${map(startLine)}`],
              cwd: ROOT,
              env: env(),
              clearEnv: true,
              stdout: "piped",
              stderr: "piped",
            }).spawn();
            const decoder = new TextDecoder();
            let listening = false;
            (async () => {
              for await (const chunk of service!.stdout) {
                serviceOut.push(decoder.decode(chunk));
                if (serviceOut.join("").includes('"msg":"listening"')) {
                  listening = true;
                }
              }
            })();
            service.stderr.pipeTo(new WritableStream()).catch(() => {});
            const deadline = Date.now() + 90_000;
            while (!listening) {
              assert(
                Date.now() < deadline,
                `no listening line: ${serviceOut.join("")}`,
              );
              await new Promise((r) => setTimeout(r, 100));
            }
          });
          ran++;
          continue;
        }
        await t.step(name, async () => {
          assert(service, "the registry was started by an earlier block");
          for (const c of block.commands) {
            const r = await bash(c);
            assert.equal(
              r.code,
              0,
              `${c}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
            );
            outputs.push(r.stdout);
          }
        });
        ran++;
      }
      const all = outputs.join("\n");
      await t.step("the commands did what the runbook says", () => {
        assert.match(all, /"status":"ready"/);
        assert.match(all, /"publicKey": *"[0-9a-f]{64}"/);
        assert.match(all, /^[A-Za-z0-9+/]{43}=$/m, "a pin-sha256");
        assert.match(all, /^registry_ready 1$/m);
        assert.match(all, /^registry_epoch_lag 0$/m);
        assert.match(all, /taken by the running registry/);
        assert.match(all, /^snode-registry \d+\.\d+\.\d+$/m);
        assert.match(
          all,
          /^restore: .* is now .*snode-registry-drill\/registry\.db/m,
        );
        assert(ran >= 6 && checked >= 4, `ran ${ran}, checked ${checked}`);
      });
    } finally {
      // Stop the registry the start block started: SIGTERM to our own
      // processes, found by the temporary directory on their command line.
      const ours: number[] = [];
      for await (const e of Deno.readDir("/proc")) {
        if (!/^\d+$/.test(e.name)) continue;
        try {
          const cmd = await Deno.readTextFile(`/proc/${e.name}/cmdline`);
          if (cmd.includes(tmp) && Number(e.name) !== Deno.pid) {
            ours.push(Number(e.name));
          }
        } catch {
          // gone
        }
      }
      for (const pid of ours) {
        try {
          Deno.kill(pid, "SIGTERM");
        } catch {
          // gone
        }
      }
      if (service) {
        const s = service as Deno.ChildProcess;
        const timer = setTimeout(() => {
          try {
            s.kill("SIGKILL");
          } catch {
            // gone
          }
        }, 15_000);
        await s.status;
        clearTimeout(timer);
      }
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
