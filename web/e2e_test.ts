/**
 * The explorer end to end in headless Chromium (Debian's `chromium` driven
 * by `playwright-core`), against a real registry subprocess and a running
 * explorer, both on 127.0.0.1 port 0: loads every page, searches, sorts,
 * looks up a Session ID, follows a node to its swarm and wallet, runs the
 * verify island to success and sees a tampered list reported, sees a live
 * event arrive, finds no console errors and no serious accessibility
 * violations (axe-core, run in every page at desktop width and in the
 * overview, nodes and node pages at phone width), and saves a screenshot of each
 * page at desktop and phone widths into `web/test_output/screenshots/`.
 *
 * Needs `/usr/bin/chromium` (or `CHROMIUM_PATH`); `.ci/run` installs it.
 * Without it the test is skipped locally and fails under CI.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { ATOMIC_PER_COIN, PRESETS } from "../registry/core/params.ts";
import { startExplorer } from "./server.ts";
import { keyOf, seededRegistry, Signer } from "./testing/registry.ts";

const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";
const haveChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();
const OUT = fileURLToPath(
  new URL("./test_output/screenshots/", import.meta.url),
);
const AXE = fileURLToPath(
  new URL("../node_modules/axe-core/axe.min.js", import.meta.url),
);

const VIEWPORTS = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 390, height: 844 },
} as const;

if (!haveChromium && !Deno.env.get("CI")) {
  console.warn(`e2e_test: ${CHROMIUM} not found; skipping the browser test`);
}

Deno.test({
  name: "explorer end to end in headless Chromium",
  ignore: !haveChromium && !Deno.env.get("CI"),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const timeout = setTimeout(() => {
      console.error("e2e_test: timed out after 150 s");
      Deno.exit(1);
    }, 150_000);
    await Deno.mkdir(OUT, { recursive: true });
    const axeSource = await Deno.readTextFile(AXE);
    const seeded = await seededRegistry({
      active: 15,
      open: 1,
      witnesses: 3,
    });
    const { registry, client, nodes } = seeded;
    const explorer = await startExplorer({
      registryUrl: registry.url,
      port: 0,
      snapshotMaxAgeMs: 300,
      staleWhileRevalidate: false,
    });
    const base = explorer.url;
    let browser: Browser | null = null;
    const problems: string[] = [];
    try {
      await explorer.data.index.ready();
      // Playwright gives the browser a fresh temporary profile.
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
        timeout: 30_000,
      });
      const context = await browser.newContext({
        viewport: VIEWPORTS.desktop,
      });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      /** Pages expected to answer 4xx: their load error is not a problem. */
      let expectError = false;
      page.on("console", (m) => {
        if (m.type() !== "error") return;
        if (expectError && /Failed to load resource/.test(m.text())) return;
        problems.push(`console error on ${page.url()}: ${m.text()}`);
      });
      page.on("pageerror", (e) => {
        problems.push(`page error on ${page.url()}: ${e.message}`);
      });

      const axe = async (p: Page, name: string): Promise<void> => {
        // CDP evaluation is not subject to the page's CSP, which (rightly)
        // refuses inline scripts.
        await p.evaluate(axeSource);
        const violations = await p.evaluate(async () => {
          // deno-lint-ignore no-explicit-any
          const result = await (globalThis as any).axe.run(document, {
            resultTypes: ["violations"],
          });
          // deno-lint-ignore no-explicit-any
          return result.violations.map((v: any) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            nodes: v.nodes.length,
            // deno-lint-ignore no-explicit-any
            target: v.nodes.slice(0, 3).map((n: any) => n.target.join(" ")),
          }));
        }) as {
          id: string;
          impact: string;
          help: string;
          nodes: number;
          target: string[];
        }[];
        const serious = violations.filter((v) =>
          v.impact === "serious" || v.impact === "critical"
        );
        assert.deepEqual(
          serious,
          [],
          `${name}: serious accessibility violations:\n${
            JSON.stringify(serious, null, 2)
          }`,
        );
      };

      /** Pages checked with axe at phone width too (layout-dependent rules). */
      const AXE_ON_PHONE = new Set(["overview", "nodes", "node"]);
      const visit = async (
        name: string,
        path: string,
        status = 200,
      ): Promise<void> => {
        expectError = status >= 400;
        for (const [width, viewport] of Object.entries(VIEWPORTS)) {
          await page.setViewportSize(viewport);
          const res = await page.goto(base + path, { waitUntil: "load" });
          assert.equal(res?.status(), status, `${path} answers ${status}`);
          assert.ok(await page.locator("main h1").count() >= 1, `${path} h1`);
          await page.screenshot({
            path: `${OUT}${name}-${width}.png`,
            fullPage: true,
          });
          // Nothing may stick out sideways on a phone but scrollable tables.
          if (width === "phone") {
            const overflow = await page.evaluate(() =>
              document.documentElement.scrollWidth -
              document.documentElement.clientWidth
            );
            assert.ok(
              overflow <= 1,
              `${path} is ${overflow}px too wide on a phone`,
            );
          }
          if (width === "desktop" || AXE_ON_PHONE.has(name)) {
            await axe(page, `${path} (${width})`);
          }
        }
        expectError = false;
        await page.setViewportSize(VIEWPORTS.desktop);
      };

      const shared = nodes.find((n) => n.contributor !== null)!;
      const swarmId = (await client.node(shared.node.hex)).swarmId!;

      await t.step("every page loads, accessibly, at both widths", async () => {
        await visit("overview", "/");
        await visit("nodes", "/nodes");
        await visit("node", `/nodes/${shared.node.hex}`);
        await visit("swarms", "/swarms");
        await visit("swarm", `/swarms/${swarmId}`);
        await visit("session", `/sessions?id=05${keyOf("alice").hex}`);
        await visit("wallet", `/wallets/${shared.contributor!.hex}`);
        await visit("lists", "/lists");
        await visit("events", "/events");
        await visit("about", "/about");
        await visit("node-404", `/nodes/${"ab".repeat(32)}`, 404);
        await visit("session-400", "/sessions?id=07abc", 400);
      });

      await t.step("search and sort the nodes table", async () => {
        await page.goto(base + "/nodes");
        const key = nodes[5]!.node.hex;
        await page.getByLabel("Search", { exact: true }).fill(key.slice(0, 10));
        await page.getByRole("button", { name: "Apply" }).click();
        await page.waitForURL(/q=/);
        assert.match(
          await page.locator(".result-count").innerText(),
          /^1 node/,
        );
        assert.equal(
          await page.locator(`table.nodes a[href="/nodes/${key}"]`).count(),
          1,
        );
        await page.goto(base + "/nodes");
        await page.getByRole("link", { name: "Stake" }).click();
        await page.waitForURL(/sort=stake/);
        assert.match(
          await page.locator('th[aria-sort="ascending"]').innerText(),
          /^Stake/,
        );
        const first = await page.locator("table.nodes tbody tr").first()
          .locator("a").first().getAttribute("href");
        const open = nodes.find((n) => n.status === "awaiting_contributions")!;
        assert.equal(first, `/nodes/${open.node.hex}`, "least stake first");
        await page.getByRole("link", { name: /Stake/ }).click();
        await page.waitForURL(/dir=desc/);
        assert.equal(
          await page.locator('th[aria-sort="descending"]').count(),
          1,
        );
      });

      await t.step("look up a Session ID, then its swarm", async () => {
        await page.goto(base + "/sessions");
        await page.getByLabel("Session ID", { exact: true }).fill(
          "05" + keyOf("bob").hex,
        );
        await page.getByRole("button", { name: "Find its swarm" }).click();
        await page.waitForURL(/id=05/);
        await page.locator("h2#h-result a").click();
        await page.waitForURL(/\/swarms\/\d+$/);
        assert.match(await page.locator("h1").innerText(), /Swarm \d+/);
        // A malformed id says what is wrong.
        await page.goto(base + "/sessions");
        await page.getByLabel("Session ID", { exact: true }).fill("05xyz");
        expectError = true; // the page answers 400
        await page.getByRole("button", { name: "Find its swarm" }).click();
        await page.waitForURL(/id=05xyz/);
        expectError = false;
        assert.match(
          await page.locator("#session-problem").innerText(),
          /only hexadecimal digits/,
        );
      });

      await t.step("follow a node to its swarm and its wallet", async () => {
        await page.goto(base + `/nodes?q=${shared.node.hex.slice(0, 16)}`);
        await page.locator(`table.nodes a[href="/nodes/${shared.node.hex}"]`)
          .click();
        await page.waitForURL(new RegExp(`/nodes/${shared.node.hex}$`));
        assert.match(
          await page.locator("#h-next").innerText(),
          /What happens next/,
        );
        await page.locator("dl.facts a[href^='/swarms/']").click();
        await page.waitForURL(/\/swarms\/\d+$/);
        assert.equal(
          await page.locator(`a[href="/nodes/${shared.node.hex}"]`).count(),
          1,
          "the node is listed in its swarm",
        );
        await page.goBack();
        await page.locator(`dl.facts a[href="/wallets/${shared.operator.hex}"]`)
          .click();
        await page.waitForURL(/\/wallets\//);
        assert.equal(
          await page.locator(`a[href="/nodes/${shared.node.hex}"]`).count() >=
            1,
          true,
        );
        assert.match(await page.locator("main").innerText(), /operator/);
      });

      await t.step("the verify island succeeds on the real list", async () => {
        await page.goto(base + "/lists");
        await page.getByRole("button", { name: "Verify in your browser" })
          .click();
        const verdict = page.locator(
          ".verdict.verdict-ok, .verdict.verdict-fail",
        );
        await verdict.waitFor();
        assert.match(await verdict.innerText(), /^Verified: list \d+/);
        for (
          const step of [
            "download",
            "decode",
            "signatures",
            "cosignatures",
            "fresh",
            "chain",
            "diff",
          ]
        ) {
          assert.match(
            await page.locator(`li[data-step="${step}"]`).getAttribute(
              "class",
            ) ??
              "",
            /step-ok/,
            `step ${step}`,
          );
        }
        await page.screenshot({
          path: `${OUT}lists-verified-desktop.png`,
          fullPage: true,
        });
      });

      await t.step("a tampered list is reported", async () => {
        await page.route("**/lists/latest.bin", async (route) => {
          const res = await route.fetch();
          const body = new Uint8Array(await res.body());
          // Flip one bit at offset 122 (in a v2 list, a byte of the
          // header's inputs hash; in v1, of the first record's IPv4
          // address): the bytes still decode, but the signatures no longer
          // match.
          body[82 + 40] = body[82 + 40]! ^ 0x01;
          await route.fulfill({ response: res, body: Buffer.from(body) });
        });
        await page.goto(base + "/lists");
        await page.getByRole("button", { name: "Verify in your browser" })
          .click();
        const verdict = page.locator(
          ".verdict.verdict-ok, .verdict.verdict-fail",
        );
        await verdict.waitFor();
        assert.match(await verdict.innerText(), /^NOT verified/);
        assert.match(
          await page.locator('li[data-step="signatures"]').getAttribute(
            "class",
          ) ??
            "",
          /step-fail/,
        );
        assert.match(
          await page.locator('li[data-step="signatures"]').innerText(),
          /insufficient_signatures/,
        );
        await page.screenshot({
          path: `${OUT}lists-tampered-desktop.png`,
          fullPage: true,
        });
        await page.unroute("**/lists/latest.bin");
      });

      await t.step("a live event arrives on the overview", async () => {
        await page.goto(base + "/");
        await page.locator(".live-status", { hasText: "Live" }).waitFor();
        const node = keyOf("live-node"), operator = keyOf("live-operator");
        const signer = new Signer();
        await client.submit(
          signer.sign({
            kind: "faucet_request",
            wallet: operator.public,
            amount: 200n * ATOMIC_PER_COIN,
          }, [operator]),
          "faucet_request",
        );
        await client.submit(
          signer.sign({
            kind: "register_node",
            nodePubkey: node.public,
            operator: operator.public,
            operatorStake: PRESETS.devnet.stakingRequirement,
            feeBasisPoints: 0,
            reserved: [],
          }, [node, operator]),
          "register_node",
        );
        await page.locator(
          `ol.events li.event-registered a[href="/nodes/${node.hex}"]`,
        ).waitFor({ timeout: 15_000 });
      });

      await t.step("no console errors on any page", () => {
        assert.deepEqual(problems, []);
      });
    } finally {
      await browser?.close().catch(() => {});
      await explorer.shutdown();
      await seeded.stop();
      clearTimeout(timeout);
    }
  },
});
