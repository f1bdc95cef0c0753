/**
 * `snode list fetch|verify|check-proof|export-fallback`: the signed node
 * list, checked k-of-n against pinned registry keys (following the
 * registry's key rotations), with co-signatures from k of the pinned
 * witnesses, compared with what the witnesses co-signed, and chained to the
 * list saved last time; equivocation proofs written to a file and checked
 * offline; and the fallback list a messenger client build ships.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import { toHex } from "../../registry/core/bytes.ts";
import { parsePublicKey } from "../../registry/core/keys.ts";
import {
  decodeNodeList,
  equivocationProofFromJson,
  followKeyRotation,
  majorityThreshold,
  verifyChain,
  verifyEquivocationProof,
  verifyNodeList,
} from "../../registry/core/nodelist.ts";
import { NETWORK_IDS, networkById } from "../../registry/core/params.ts";
import { fetchVerifiedList } from "../../registry/client/lists.ts";
import { ClientError } from "../../registry/client/client_errors.ts";
import {
  compareWithWitnesses,
  requireCosignatures,
} from "../../registry/client/witness.ts";
import { resolveTrust, saveFollowedKeys, writeProof } from "./list_trust.ts";
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

/**
 * Run `work`; an equivocation it reports is written to a file and becomes
 * a verification failure naming the file.
 */
async function withProof<T>(
  ctx: Context,
  network: string,
  out: string | undefined,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof ClientError && e.code === "equivocation" && e.proof) {
      const where = await writeProof(ctx, network, e.proof, out);
      throw new CliError(
        "verify",
        "equivocation",
        `${e.message}; proof written to ${where} (check it with snode list check-proof ${where})`,
      );
    }
    if (e instanceof ClientError && e.code === "insufficient_cosignatures") {
      throw new CliError("verify", e.code, e.message);
    }
    throw e;
  }
}

export function listCommand(make: MakeContext) {
  const list = new Command("list").description(
    "download and verify the signed node list (pinned keys, k of n, hash chain)",
  );
  const witnessOption = () =>
    new Option(
      "--witness-key <hex[@url]>",
      'a pinned witness key, optionally with the URL it serves checkpoints at (repeatable; config "witnessKeys")',
    ).argParser(collect);
  const keyOption = () =>
    new Option(
      "--registry-key <hex>",
      'a pinned registry public key (repeatable; config "registryKeys")',
    )
      .argParser(collect);

  examples(
    list.command("fetch")
      .description(
        "fetch the latest list from every --registry (first valid answer wins), verify it (registry signature, witness co-signatures, what the witnesses co-signed) and its chain to the saved one, save it",
      )
      .addOption(keyOption())
      .addOption(witnessOption())
      .option(
        "--threshold <k>",
        "co-signatures needed from the pinned witnesses (default: a strict majority of them)",
      )
      .option(
        "--registry-threshold <k>",
        "registry signatures needed from the pinned registry keys (default: a majority)",
      )
      .option(
        "--pinned-keys <file>",
        "JSON file of pinned keys: registryKeys, registryThreshold, witnesses [{key, url}], threshold",
      )
      .option(
        "--proof-out <file>",
        "where to write an equivocation proof (default <home>/lists/<network>/equivocation-<epoch>.json)",
      )
      .option("--out <file>", "also write the list (binary) here")
      .option(
        "--cross-check",
        "wait for every source and report any serving a different list (split view)",
      )
      .option("--full", "fetch the full list, not a diff from the saved one")
      .action(async (opts, cmd) => {
        const ctx = make(cmd);
        const network = await networkOf(ctx);
        const trust = await resolveTrust(ctx, opts, network.name);
        const keys = trust.registryKeys;
        const threshold = trust.registryThreshold;
        const dir = listDir(ctx, network.name);
        const previous = await readMaybe(join(dir, "latest.bin"));
        const fetched = await withProof(
          ctx,
          network.name,
          opts.proofOut,
          () =>
            ctx.out.spin(
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
                  witnesses: trust.witnesses,
                  witnessThreshold: trust.threshold,
                }),
            ),
        );
        await Deno.mkdir(dir, { recursive: true });
        if (fetched.registryKeys.join() !== keys.map(toHex).join()) {
          await saveFollowedKeys(
            ctx,
            network.name,
            trust,
            fetched.registryKeys,
          );
          ctx.out.warn(
            `the registry rotated its signing key: now trusting ${
              fetched.registryKeys.join(", ")
            } (followed from the pinned key along the verified chain)`,
          );
        }
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
          registryKeys: fetched.registryKeys,
          cosigners: fetched.cosigners,
          witnessThreshold: fetched.witnessThreshold,
          ...(fetched.cosignatureFallback
            ? { cosignatureFallback: fetched.cosignatureFallback }
            : {}),
          ...(fetched.witnessComparison
            ? {
              witnesses: {
                agreed: fetched.witnessComparison.agreed,
                missing: fetched.witnessComparison.missing,
                failed: fetched.witnessComparison.failed,
              },
            }
            : {}),
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
        if (trust.witnesses.length > 0) {
          ctx.out.line(
            `co-signatures: ${summary.cosigners.length} of ${trust.witnesses.length} pinned witnesses (needed ${summary.witnessThreshold})`,
          );
        }
        if (fetched.cosignatureFallback) {
          ctx.out.warn(
            `list ${fetched.cosignatureFallback.latestEpoch} is not co-signed enough yet; using list ${summary.epoch}, which is and which it extends`,
          );
        }
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
      "snode list fetch --registry-key 45cb...f1 --witness-key 9a0c...@http://127.0.0.1:9101 --witness-key 77e1... --threshold 2",
      "snode -r https://a.example -r https://b.example list fetch --cross-check --pinned-keys pinned.json",
    ],
  );

  examples(
    list.command("verify")
      .description(
        "verify a saved list file: registry signatures against the pinned keys, co-signatures of the pinned witnesses (and, with their URLs, what they co-signed), and the chain to a previous list",
      )
      .argument("[file]", "list file (default: the one saved by list fetch)")
      .addOption(keyOption())
      .addOption(witnessOption())
      .option(
        "--threshold <k>",
        "co-signatures needed from the pinned witnesses (default: a strict majority of them)",
      )
      .option(
        "--registry-threshold <k>",
        "registry signatures needed from the pinned registry keys (default: a majority)",
      )
      .option(
        "--pinned-keys <file>",
        "JSON file of pinned keys: registryKeys, registryThreshold, witnesses [{key, url}], threshold",
      )
      .option(
        "--proof-out <file>",
        "where to write an equivocation proof (default <home>/lists/<network>/equivocation-<epoch>.json)",
      )
      .option(
        "--previous <file>",
        "the list before it, to check the chain (default: the saved previous one)",
      )
      .action(async (file, opts, cmd) => {
        const ctx = make(cmd);
        const network = await networkOf(ctx);
        const trust = await resolveTrust(ctx, opts, network.name);
        const keys = trust.registryKeys;
        const threshold = trust.registryThreshold;
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
        const comparison = trust.witnesses.some((w) => w.url) &&
            v.list.header.commitments !== undefined
          ? await compareWithWitnesses(
            bytes,
            network.id,
            trust.witnesses,
            keys,
            { timeoutMs: ctx.timeoutMs },
          )
          : undefined;
        if (comparison?.proofs[0]) {
          const proof = comparison.proofs[0];
          const where = await writeProof(
            ctx,
            network.name,
            proof,
            opts.proofOut,
          );
          throw new CliError(
            "verify",
            "equivocation",
            `equivocation: the ${proof.role} key ${
              toHex(proof.signer)
            } signed two lists for epoch ${proof.epoch}; proof written to ${where} (check it with snode list check-proof ${where})`,
          );
        }
        let cosigners: string[];
        try {
          cosigners = requireCosignatures(
            bytes,
            network.id,
            trust.witnesses.map((w) => w.key),
            trust.threshold,
          );
        } catch (e) {
          if (e instanceof ClientError) {
            throw new CliError("verify", e.code, e.message);
          }
          throw e;
        }
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
          cosigners,
          witnessThreshold: trust.threshold,
          nextRegistryKeys: followKeyRotation(v.list, keys).map(toHex),
          chain,
          ...(comparison
            ? {
              witnesses: {
                agreed: comparison.agreed,
                missing: comparison.missing,
                failed: comparison.failed,
              },
            }
            : {}),
        };
        ctx.out.result(out);
        ctx.out.line(
          `${
            ctx.out.c("green", "valid")
          }: list ${out.epoch}, ${out.nodes} nodes, signed by ${out.signers.length} of ${keys.length} pinned keys (needed ${threshold})${
            trust.witnesses.length > 0
              ? `, co-signed by ${cosigners.length} of ${trust.witnesses.length} pinned witnesses (needed ${trust.threshold})`
              : ""
          }${chain ? `; ${chain}` : ""}`,
        );
      }),
    [
      "snode list verify --registry-key 45cb...f1",
      "snode list verify list.bin --previous old.bin --registry-key 45cb...f1",
      "snode list verify --pinned-keys pinned.json --threshold 2",
    ],
  );

  examples(
    list.command("check-proof")
      .description(
        "check an equivocation proof offline: two checkpoints for one epoch, both signed by the same registry or witness key",
      )
      .argument("<file>", "the proof (JSON, as list fetch/verify write it)")
      .addOption(keyOption())
      .addOption(witnessOption())
      .action(async (file, opts, cmd) => {
        const ctx = make(cmd);
        let text: string;
        try {
          text = await Deno.readTextFile(file);
        } catch (e) {
          throw usage(`cannot read ${file}: ${(e as Error).message}`);
        }
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          throw usage(`${file} is not JSON`, "bad_json");
        }
        const proof = equivocationProofFromJson(json);
        const v = verifyEquivocationProof(proof);
        const signer = toHex(v.signer);
        const pinnedAs = (opts.registryKey ?? []).some((k) =>
            k.toLowerCase() === signer
          )
          ? "a pinned registry key"
          : (opts.witnessKey ?? []).some((k) =>
              k.split("@")[0]!.toLowerCase() === signer
            )
          ? "a pinned witness key"
          : null;
        const out = {
          file,
          valid: true,
          network: networkById(v.network).name,
          epoch: Number(v.epoch),
          role: v.role,
          signer,
          pinned: pinnedAs,
          checkpointHashes: v.checkpointHashes.map(toHex),
        };
        ctx.out.result(out);
        ctx.out.line(
          `${ctx.out.c("red", "valid proof")}: the ${v.role} key ${signer}${
            pinnedAs ? ` (${pinnedAs})` : ""
          } signed two different lists for ${out.network} epoch ${out.epoch}: ${
            out.checkpointHashes.join(" and ")
          }`,
        );
      }),
    [
      "snode list check-proof equivocation-42.json",
      "snode list check-proof proof.json --registry-key 45cb...f1",
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
