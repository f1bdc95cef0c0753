/**
 * `snode list fetch|verify|export-fallback`: the signed node list, checked
 * k-of-n against pinned registry keys and chained to the list saved last
 * time; and the fallback list a messenger client build ships.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import { toHex } from "../../registry/core/bytes.ts";
import { parsePublicKey } from "../../registry/core/keys.ts";
import {
  decodeNodeList,
  majorityThreshold,
  verifyChain,
  verifyNodeList,
} from "../../registry/core/nodelist.ts";
import { NETWORK_IDS } from "../../registry/core/params.ts";
import { fetchVerifiedList } from "../../registry/client/lists.ts";
import { buildFallbackList } from "../../registry/client/fallback.ts";
import { RegistryClient } from "../../registry/client/api.ts";
import { type Context, join } from "../context.ts";
import { CliError, usage } from "../errors.ts";
import { writeFileAtomic } from "../signing.ts";
import { examples, type MakeContext } from "./shared.ts";

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

function pinnedKeys(ctx: Context, given: string[] | undefined): Uint8Array[] {
  const hex = given && given.length > 0 ? given : ctx.config.registryKeys ?? [];
  if (hex.length === 0) {
    throw usage(
      'no pinned registry keys: pass --registry-key HEX (repeatable) or set "registryKeys" in the config file; get them from the registry operator, not from the registry you are checking',
      "no_pinned_keys",
    );
  }
  return hex.map((h) => {
    try {
      return parsePublicKey(h);
    } catch {
      throw usage(
        `--registry-key "${h}" is not an Ed25519 public key (64 hex digits)`,
        "bad_id",
      );
    }
  });
}

function thresholdOf(
  ctx: Context,
  text: string | undefined,
  keys: number,
): number {
  const t = text !== undefined
    ? Number(text)
    : ctx.config.threshold ?? majorityThreshold(keys);
  if (!Number.isInteger(t) || t < 1 || t > keys) {
    throw usage(
      `--threshold must be 1 to the ${keys} pinned key(s), got ${text ?? t}`,
    );
  }
  return t;
}

async function networkOf(ctx: Context): Promise<{ id: number; name: string }> {
  if (ctx.networkName !== undefined) {
    return { id: NETWORK_IDS[ctx.networkName], name: ctx.networkName };
  }
  let last: unknown;
  for (const url of ctx.registryUrls) {
    try {
      const info = await new RegistryClient(url, { timeoutMs: ctx.timeoutMs })
        .info();
      return { id: info.networkId, name: info.network };
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

function listDir(ctx: Context, network: string): string {
  return join(ctx.home, "lists", network);
}

async function readMaybe(path: string): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

export function listCommand(make: MakeContext) {
  const list = new Command("list").description(
    "download and verify the signed node list (pinned keys, k of n, hash chain)",
  );
  const keyOption = () =>
    new Option(
      "--registry-key <hex>",
      'a pinned registry public key (repeatable; config "registryKeys")',
    )
      .argParser(collect);

  examples(
    list.command("fetch")
      .description(
        "fetch the latest list from every --registry (first valid answer wins), verify it and its chain to the saved one, save it",
      )
      .addOption(keyOption())
      .option(
        "--threshold <k>",
        "valid signatures needed (default: a majority of the pinned keys)",
      )
      .option("--out <file>", "also write the list (binary) here")
      .option(
        "--cross-check",
        "wait for every source and report any serving a different list (split view)",
      )
      .option("--full", "fetch the full list, not a diff from the saved one")
      .action(async (opts, cmd) => {
        const ctx = make(cmd);
        const keys = pinnedKeys(ctx, opts.registryKey);
        const threshold = thresholdOf(ctx, opts.threshold, keys.length);
        const network = await networkOf(ctx);
        const dir = listDir(ctx, network.name);
        const previous = await readMaybe(join(dir, "latest.bin"));
        const fetched = await ctx.out.spin(
          `fetching the node list from ${ctx.registryUrls.length} source(s)`,
          () =>
            fetchVerifiedList({
              urls: ctx.registryUrls,
              network: network.id,
              trustedKeys: keys,
              threshold,
              ...(previous === undefined ? {} : { previous }),
              useDiff: opts.full !== true,
              timeoutMs: ctx.timeoutMs,
              nowSeconds: Math.floor(Date.now() / 1000),
              crossCheck: opts.crossCheck === true,
            }),
        );
        await Deno.mkdir(dir, { recursive: true });
        if (previous !== undefined) {
          await writeFileAtomic(join(dir, "previous.bin"), previous);
        }
        await writeFileAtomic(join(dir, "latest.bin"), fetched.bytes);
        if (opts.out) await writeFileAtomic(opts.out, fetched.bytes);
        const h = fetched.list.header;
        const summary = {
          network: network.name,
          epoch: Number(h.epoch),
          nodes: fetched.list.records.length,
          bodyHash: fetched.bodyHash,
          signers: fetched.signers,
          threshold: fetched.threshold,
          source: fetched.source,
          viaDiff: fetched.viaDiff,
          chain: fetched.chain,
          fresh: fetched.fresh,
          validUntil: Number(h.validUntil),
          saved: join(dir, "latest.bin"),
          failures: fetched.failures.map((f) => ({
            url: f.url,
            error: f.error.message,
          })),
          disagreements: fetched.disagreements,
        };
        ctx.out.result(summary);
        ctx.out.line(
          `${
            ctx.out.c("green", "verified")
          } list ${summary.epoch} (${summary.nodes} nodes, hash ${
            summary.bodyHash.slice(0, 16)
          }…) from ${summary.source}${summary.viaDiff ? " via a diff" : ""}`,
        );
        ctx.out.line(
          `signatures: ${summary.signers.length} of ${keys.length} pinned keys (needed ${threshold})`,
        );
        ctx.out.line(
          fetched.chain.checked
            ? `chain: follows the saved list ${fetched.chain.fromEpoch} (${fetched.chain.links} link(s) checked)`
            : `chain: not checked (${fetched.chain.reason})`,
        );
        if (fetched.fresh === false) {
          ctx.out.warn(
            "the list is past its fresh-until time: the registry may be stuck",
          );
        }
        for (const f of summary.failures) ctx.out.warn(`${f.url}: ${f.error}`);
        for (const d of fetched.disagreements) {
          ctx.out.warn(
            `${d.url} serves a DIFFERENT list for epoch ${summary.epoch} (${d.bodyHash}): split view, do not trust it`,
          );
        }
        if (fetched.disagreements.length > 0) {
          throw new CliError(
            "verify",
            "split_view",
            `${fetched.disagreements.length} source(s) disagree about list ${summary.epoch}`,
          );
        }
      }),
    [
      "snode list fetch --registry-key 45cb...f1",
      "snode -r https://a.example -r https://b.example list fetch --cross-check --threshold 2",
    ],
  );

  examples(
    list.command("verify")
      .description(
        "verify a saved list file: signatures against pinned keys and the chain to a previous list",
      )
      .argument("[file]", "list file (default: the one saved by list fetch)")
      .addOption(keyOption())
      .option(
        "--threshold <k>",
        "valid signatures needed (default: a majority)",
      )
      .option(
        "--previous <file>",
        "the list before it, to check the chain (default: the saved previous one)",
      )
      .action(async (file, opts, cmd) => {
        const ctx = make(cmd);
        const keys = pinnedKeys(ctx, opts.registryKey);
        const threshold = thresholdOf(ctx, opts.threshold, keys.length);
        const network = await networkOf(ctx);
        const dir = listDir(ctx, network.name);
        const path = file ?? join(dir, "latest.bin");
        const bytes = await readMaybe(path);
        if (bytes === undefined) {
          throw usage(
            `no list at ${path}: run "snode list fetch" first`,
            "no_list",
          );
        }
        const v = verifyNodeList(bytes, keys, {
          expectedNetwork: network.id,
          threshold,
        });
        const prevPath = opts.previous ??
          (file === undefined ? join(dir, "previous.bin") : undefined);
        let chain: string | null = null;
        if (prevPath !== undefined) {
          const prev = await readMaybe(prevPath);
          if (prev !== undefined) {
            const p = decodeNodeList(prev, network.id);
            const gap = v.list.header.epoch - p.header.epoch;
            if (gap === 0n) {
              chain = "same list as the previous one";
            } else if (gap === 1n || opts.previous !== undefined) {
              verifyChain(p, v.list);
              chain = `follows list ${p.header.epoch}`;
            } else {
              // Only the ends are saved; list fetch walked the links between.
              chain = `${
                gap - 1n
              } list(s) between the saved list ${p.header.epoch} and this one are not kept locally; list fetch checked those links`;
            }
          } else if (opts.previous !== undefined) {
            throw usage(`no list at ${opts.previous}`, "no_list");
          }
        }
        const out = {
          file: path,
          network: network.name,
          epoch: Number(v.list.header.epoch),
          nodes: v.list.records.length,
          bodyHash: toHex(v.bodyHash),
          signers: v.signers.map(toHex),
          threshold,
          chain,
        };
        ctx.out.result(out);
        ctx.out.line(
          `${
            ctx.out.c("green", "valid")
          }: list ${out.epoch}, ${out.nodes} nodes, signed by ${out.signers.length} of ${keys.length} pinned keys (needed ${threshold})${
            chain ? `; ${chain}` : ""
          }`,
        );
      }),
    [
      "snode list verify --registry-key 45cb...f1",
      "snode list verify list.bin --previous old.bin --registry-key 45cb...f1",
    ],
  );
  examples(
    list.command("export-fallback")
      .description(
        "write the fallback list a messenger client build ships: the latest list, verified against the pinned keys, with the unlock epochs the client uses to drop nodes that have probably left",
      )
      .requiredOption("--out <file>", "the fallback file to write (JSON)")
      .addOption(keyOption())
      .option(
        "--threshold <k>",
        "valid signatures needed (default: a majority of the pinned keys)",
      )
      .action(async (opts, cmd) => {
        const ctx = make(cmd);
        const keys = pinnedKeys(ctx, opts.registryKey);
        const threshold = thresholdOf(ctx, opts.threshold, keys.length);
        const network = await networkOf(ctx);
        const fetched = await ctx.out.spin(
          `fetching the node list from ${ctx.registryUrls.length} source(s)`,
          () =>
            fetchVerifiedList({
              urls: ctx.registryUrls,
              network: network.id,
              trustedKeys: keys,
              threshold,
              useDiff: false,
              timeoutMs: ctx.timeoutMs,
              nowSeconds: Math.floor(Date.now() / 1000),
            }),
        );
        // The source that served the list also tells the epoch length and
        // when each pending unlock takes effect (unsigned: a client only
        // ever uses them to drop nodes, never to add one).
        const source = new RegistryClient(fetched.source, {
          timeoutMs: ctx.timeoutMs,
        });
        const info = await source.info();
        const inList = new Set(
          fetched.list.records.map((r) => toHex(r.pubkey)),
        );
        const unlocks: Record<string, number> = {};
        if (fetched.list.records.some((r) => r.unlockRequested)) {
          for (const n of await source.allNodes({}, 1_000_000)) {
            if (n.unlockAt !== null && inList.has(n.pubkey)) {
              unlocks[n.pubkey] = n.unlockAt;
            }
          }
        }
        const fallback = buildFallbackList({
          bytes: fetched.bytes,
          network: network.name as "mainnet" | "testnet" | "devnet",
          exportedAt: Math.floor(Date.now() / 1000),
          epochSeconds: info.epochSeconds,
          unlockDelayEpochs: info.rules.unlockDelayEpochs,
          unlocks,
        });
        await writeFileAtomic(opts.out, JSON.stringify(fallback) + "\n");
        const summary = {
          file: opts.out,
          network: network.name,
          epoch: Number(fetched.list.header.epoch),
          nodes: fetched.list.records.length,
          bodyHash: fetched.bodyHash,
          signers: fetched.signers,
          unlocks: Object.keys(unlocks).length,
          source: fetched.source,
        };
        ctx.out.result(summary);
        ctx.out.line(
          `${
            ctx.out.c("green", "wrote")
          } ${opts.out}: list ${summary.epoch} (${summary.nodes} nodes, hash ${
            summary.bodyHash.slice(0, 16)
          }…, ${summary.unlocks} pending unlock(s)) from ${summary.source}`,
        );
      }),
    [
      "snode list export-fallback --out fallback.json --registry-key 45cb...f1",
    ],
  );
  return list;
}
