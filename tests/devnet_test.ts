// The README's main job, as a newcomer runs it: `deno task devnet` (default
// epochs and node count) brings a living network up - at least 30 active
// nodes in at least 3 swarms within a minute, its lists co-signed by the
// three witnesses, the explorer serving them, a
// messenger client with onion paths, a node decommissioned when it goes
// down - every command the banner prints works as printed, and Ctrl-C
// (SIGINT) stops everything cleanly.
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

async function waitFor<T>(
  what: string,
  deadline: number,
  probe: () => Promise<T | null>,
  context: () => string,
): Promise<T> {
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    assert(Date.now() < deadline, `${what}: not in time\n${context()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

Deno.test({
  name:
    "devnet: 30+ active nodes in 3+ swarms within a minute, the explorer serving them, a client with paths, printed commands work, SIGINT stops all",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "devnet-test-" });
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "devnet/main.ts",
        "--port",
        "0",
        "--explorer-port",
        "0",
        "--data-dir",
        dataDir,
        "--plain",
      ],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    let output = "";
    const decoder = new TextDecoder();
    const pump = (async () => {
      for await (const chunk of child.stdout) output += decoder.decode(chunk);
    })();
    const stderr = new Response(child.stderr).text();
    const log = () => output;
    try {
      // The banner: the explorer first, then the registry.
      const banner = await waitFor(
        "banner",
        Date.now() + 90_000,
        () =>
          Promise.resolve(
            /explorer\s+(http:\/\/127\.0\.0\.1:\d+)[\s\S]*?registry\s+(http:\/\/127\.0\.0\.1:\d+)[\s\S]*?\n\n([\s\S]*?)\n\n/
              .exec(output),
          ),
        log,
      );
      const [, explorer, url] = banner;
      const shownAt = Date.now();

      const info = await waitFor(
        "at least 30 active nodes in at least 3 swarms",
        shownAt + 60_000,
        async () => {
          const i = await (await fetch(`${url}/v1/info`)).json() as {
            nodes: Record<string, number>;
            swarms: number;
          };
          return (i.nodes.active ?? 0) >= 30 && i.swarms >= 3 ? i : null;
        },
        log,
      );
      assert(info.nodes.active! >= 30);

      // Three witnesses re-execute the epochs and co-sign the lists.
      await waitFor(
        "lists co-signed by the three witnesses",
        Date.now() + 30_000,
        async () => {
          const res = await fetch(`${url}/v1/lists/latest.bin`, {
            method: "HEAD",
          });
          return Number(res.headers.get("x-list-cosignatures")) >= 2
            ? true
            : null;
        },
        log,
      );

      // The explorer serves them.
      const page = await fetch(`${explorer}/nodes`);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /<html/);
      assert.match(html, /active/i);

      // The simulated messenger bootstrapped and built paths.
      await waitFor(
        "the client's onion paths",
        Date.now() + 30_000,
        () =>
          Promise.resolve(
            /client\s+paths: \S+ > \S+ > \S+/.test(output) || null,
          ),
        log,
      );

      // Every command the banner prints runs as printed, from the checkout.
      const commands = banner[3]!.split("\n").map((l) => l.trim())
        .filter((l) => /^(curl|npx) /.test(l));
      assert(commands.length >= 3, banner[3]);
      for (const command of commands) {
        // The event stream never ends by itself: bound it.
        const line = command.includes("event-stream")
          ? `${command.replace("curl ", "curl --max-time 3 ")} || [ $? -eq 28 ]`
          : command;
        const out = await new Deno.Command("bash", {
          args: ["-c", line],
          cwd: root,
          env: { HOME: dataDir, NO_COLOR: "1" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert(
          out.success,
          `${command}\n${decoder.decode(out.stdout)}\n${
            decoder.decode(out.stderr)
          }`,
        );
      }

      // The living network: a node that went down is decommissioned.
      await waitFor(
        "a decommissioned node",
        Date.now() + 90_000,
        async () => {
          const i = await (await fetch(`${url}/v1/info`)).json() as {
            nodes: Record<string, number>;
          };
          return (i.nodes.decommissioned ?? 0) >= 1 ? true : null;
        },
        log,
      );
    } finally {
      child.kill("SIGINT");
      const status = await child.status;
      await pump;
      assert.equal(
        status.code,
        0,
        `devnet exit ${status.code}\n${output}\n${await stderr}`,
      );
      assert.match(output, /devnet: stopped/);
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
