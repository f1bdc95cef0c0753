// The README's main job, as a newcomer runs it: `deno task devnet` starts a
// registry and simulated nodes; the network comes alive, a flaky node is
// decommissioned, and Ctrl-C (SIGINT) stops everything cleanly.
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

Deno.test({
  name:
    "devnet: registry and simulated nodes come alive, a flaky node is decommissioned, SIGINT stops all",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "devnet-test-" });
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "devnet/main.ts",
        "--nodes",
        "6",
        "--flaky",
        "1",
        "--flaky-after",
        "2",
        "--port",
        "0",
        "--epoch-seconds",
        "1",
        "--data-dir",
        dataDir,
      ],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    const deadline = AbortSignal.timeout(90_000);
    let output = "";
    const decoder = new TextDecoder();
    const pump = (async () => {
      for await (const chunk of child.stdout) output += decoder.decode(chunk);
    })();
    const stderr = new Response(child.stderr).text();
    try {
      // The banner names the registry URL.
      let url: string | null = null;
      while (!url) {
        assert(!deadline.aborted, `no banner in time:\n${output}`);
        url =
          /devnet registry\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ??
            null;
        await new Promise((r) => setTimeout(r, 100));
      }
      // All six nodes register and go active in one swarm; the flaky one is
      // decommissioned once its proof expires (11 epochs of 1 s).
      let statuses: Record<string, number> = {};
      while (!(statuses.decommissioned === 1 && statuses.active === 5)) {
        assert(
          !deadline.aborted,
          `network did not reach 5 active + 1 decommissioned: ${
            JSON.stringify(statuses)
          }\n${output}`,
        );
        await new Promise((r) => setTimeout(r, 500));
        const page = await (await fetch(`${url}/v1/nodes`)).json() as {
          nodes: { status: string }[];
        };
        statuses = {};
        for (const n of page.nodes) {
          statuses[n.status] = (statuses[n.status] ?? 0) + 1;
        }
      }
      const swarms = await (await fetch(`${url}/v1/swarms`)).json() as {
        members: string[];
      }[];
      assert.equal(swarms.length, 1);
      assert.equal(swarms[0]!.members.length, 5);
      assert.match(output, /stops proving \(flaky node\)/);

      // Every command the banner prints works as printed, in order, on a
      // machine where the CLI has never run (a fresh HOME).
      const commands = bannerCommands(output);
      assert.equal(commands.length, 6, output);
      const home = await Deno.makeTempDir({ prefix: "devnet-home-" });
      try {
        for (const command of commands) {
          const r = await runPrinted(command, home);
          assert.equal(r.code, 0, `${command}\n${r.stdout}\n${r.stderr}`);
          if (command.includes("/v1/events")) {
            assert.match(r.stdout, /^id: \d+\nevent: \w+\ndata: \{/m);
          } else if (command.includes("list fetch")) {
            assert.match(r.stdout, /verified/);
          } else if (command.includes("list verify")) {
            assert.match(r.stdout, /valid/);
          } else assert.doesNotThrow(() => JSON.parse(r.stdout), command);
        }
      } finally {
        await Deno.remove(home, { recursive: true });
      }
    } finally {
      child.kill("SIGINT");
      const status = await child.status;
      await pump;
      assert.equal(
        status.code,
        0,
        `devnet exit ${status.code}\n${output}\n${await stderr}`,
      );
      assert.match(output, /registry stopped/);
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

/** The banner's `try:` commands. */
function bannerCommands(output: string): string[] {
  const lines = output.split("\n");
  const start = lines.findIndex((l) => /^\s*try:\s/.test(l));
  const out: string[] = [];
  for (let i = start; i >= 0 && i < lines.length; i++) {
    const text = lines[i]!.replace(/^\s*(try:)?\s*/, "");
    if (text === "") break;
    out.push(text);
  }
  return out;
}

/**
 * Run a printed command with `sh -c` from the repository root, HOME fresh
 * (deno's cache kept, to save time). A streaming command (the event stream)
 * is stopped once it has shown an event; everything is bounded.
 */
async function runPrinted(
  command: string,
  home: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const cache = Deno.env.get("DENO_DIR") ??
    `${Deno.env.get("HOME") ?? "."}/.cache/deno`;
  const child = new Deno.Command("sh", {
    args: ["-c", command],
    cwd: root,
    env: { HOME: home, DENO_DIR: cache, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const streaming = command.includes("text/event-stream");
  const decoder = new TextDecoder();
  let stdout = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const stderr = new Response(child.stderr).text();
  for await (const chunk of child.stdout) {
    stdout += decoder.decode(chunk, { stream: true });
    if (streaming && /^data: \{/m.test(stdout)) {
      child.kill("SIGTERM");
      break;
    }
  }
  const status = await child.status;
  clearTimeout(timer);
  return {
    code: streaming && /^data: \{/m.test(stdout) ? 0 : status.code,
    stdout,
    stderr: await stderr,
  };
}
