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
