/**
 * `snode node register|status|unlock|proof|agent|watch`.
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import { toHex } from "../../registry/core/bytes.ts";
import { formatCoins } from "../../registry/core/params.ts";
import type { NodeDetailView } from "../../registry/client/types.ts";
import type { Context } from "../context.ts";
import { CliError } from "../errors.ts";
import { unlockKey } from "../keystore.ts";
import { formatDuration, formatTime, short } from "../output.ts";
import {
  parseAmount,
  parseFee,
  parseReserve,
  resolvePubkey,
} from "../parse.ts";
import { commonFields, deliver } from "../signing.ts";
import {
  examples,
  type MakeContext,
  reportDelivery,
  writeOptions,
} from "./shared.ts";
import { nodesToShow, proofFields } from "./node_options.ts";
import { agentCommand } from "./agent.ts";
import { watchCommand } from "./watch.ts";

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

export function nodeCommand(make: MakeContext) {
  const node = new Command("node").description(
    "register a node, see its status, unlock it, send proofs, run the agent, watch for alerts",
  );

  examples(
    writeOptions(
      node.command("register")
        .description(
          "register a node: signed by the node key (possession) and the operator wallet (stake)",
        )
        .option("--node-key <name>", "node keystore name or path", "node")
        .option(
          "--wallet <wallet>",
          "operator wallet keystore name or path",
          "wallet",
        )
        .requiredOption(
          "--stake <coins>",
          "operator stake (at least a quarter of the requirement)",
        )
        .option(
          "--fee <percent>",
          "operator fee, percent of rewards (e.g. 5%)",
          "0",
        )
        .option(
          "--reserve <wallet:amount>",
          "reserve a spot for a contributor (repeatable); wallet as hex or key name",
          collect,
        ),
    ).action(async (opts, cmd) => {
      const ctx = make(cmd);
      const stake = parseAmount(opts.stake, "--stake");
      const fee = parseFee(opts.fee);
      const reserved = [];
      for (const r of opts.reserve ?? []) {
        reserved.push(await parseReserve(ctx, r));
      }
      if (!opts.offline) {
        const rules = (await ctx.info()).rules;
        const min = BigInt(rules.operatorMinimum);
        if (stake < min) {
          throw new CliError(
            "refused",
            "operator_stake_too_low",
            `the operator must stake at least ${
              formatCoins(min)
            } coins (a quarter of the ${
              formatCoins(BigInt(rules.stakingRequirement))
            } requirement); --stake ${formatCoins(stake)} is below it`,
          );
        }
      }
      const nodeKey = await unlockKey(ctx, opts.nodeKey, "node");
      const wallet = await unlockKey(ctx, opts.wallet, "wallet");
      const body = {
        kind: "register_node" as const,
        ...(await commonFields(ctx, opts)),
        nodePubkey: nodeKey.publicKey,
        operator: wallet.publicKey,
        operatorStake: stake,
        feeBasisPoints: fee,
        reserved,
      };
      const d = await deliver(
        ctx,
        body,
        [nodeKey.secretKey, wallet.secretKey],
        opts,
      );
      if (d.offline) return reportDelivery(ctx, d, () => "");
      const detail = await ctx.client.node(nodeKey.publicKey).catch(() => null);
      ctx.out.result({ ...d.result, node: toHex(nodeKey.publicKey), detail });
      ctx.out.line(
        `${ctx.out.c("green", "registered")} node ${
          toHex(nodeKey.publicKey)
        }: ${d.result.status}`,
      );
      if (detail && !detail.funding.funded) {
        ctx.out.line(
          `${
            formatCoins(BigInt(detail.funding.remaining))
          } coins still open in ${detail.funding.openSlots} spot(s); minimum contribution ${
            formatCoins(BigInt(detail.funding.minContribution))
          }. Contributors run: snode stake contribute --node ${
            toHex(nodeKey.publicKey)
          } --amount N`,
        );
      }
      if (detail?.status === "active") {
        ctx.out.line(
          "fully funded and active: start the agent now (snode node agent ...), or it will be decommissioned",
        );
      }
    }),
    [
      "snode node register --stake 30 --fee 5%",
      "snode node register --stake 60 --reserve alice:30 --reserve 3f2a...e1:15",
      "snode node register --stake 120 --offline --network devnet --out reg.json",
    ],
  );

  examples(
    node.command("status")
      .description(
        "state, stake and contributors, swarm, last proof, credit left and what happens next, unlock date",
      )
      .argument(
        "[nodes...]",
        "node keys (hex) or node keystore names (default: the node key)",
      )
      .option(
        "--wallet <wallet>",
        "every node this wallet operates or contributes to (hex or key name)",
      )
      .action(async (nodes, opts, cmd) => {
        const ctx = make(cmd);
        const keys = await nodesToShow(ctx, nodes, opts.wallet);
        const info = await ctx.info();
        const details = await Promise.all(keys.map((k) => ctx.client.node(k)));
        ctx.out.result({ epoch: info.epoch, now: info.now, nodes: details });
        if (details.length === 0) {
          ctx.out.line("no nodes");
          return;
        }
        if (details.length === 1) {
          showDetail(ctx, details[0]!, info.epochSeconds);
        } else showTable(ctx, details);
      }),
    [
      "snode node status",
      "snode node status 5c1f...a9 7d0e...3b",
      "snode node status --wallet wallet",
      "snode node status --json | jq '.nodes[0].outlook'",
    ],
  );

  examples(
    writeOptions(
      node.command("unlock")
        .description(
          "request the unlock of a node's stakes (effective after the unlock delay)",
        )
        .option("--node <node>", "node key (hex) or node keystore name", "node")
        .option(
          "--wallet <wallet>",
          "contributor wallet keystore name or path",
          "wallet",
        ),
    ).action(async (opts, cmd) => {
      const ctx = make(cmd);
      const nodePubkey = await resolvePubkey(ctx, opts.node, "node");
      const wallet = await unlockKey(ctx, opts.wallet, "wallet");
      const body = {
        kind: "unlock_request" as const,
        ...(await commonFields(ctx, opts)),
        wallet: wallet.publicKey,
        nodePubkey,
      };
      const d = await deliver(ctx, body, [wallet.secretKey], opts);
      if (d.offline) return reportDelivery(ctx, d, () => "");
      const detail = await ctx.client.node(nodePubkey).catch(() => null);
      ctx.out.result({ ...d.result, detail });
      ctx.out.line(
        `unlock requested for node ${toHex(nodePubkey)}: ${d.result.status}`,
      );
      if (detail?.unlock) {
        ctx.out.line(
          `stakes unlock at epoch ${detail.unlock.unlockAt} (about ${
            formatTime(detail.unlock.unlockAtTime)
          }); the node keeps serving until then`,
        );
      }
    }),
    [
      "snode node unlock",
      "snode node unlock --node 5c1f...a9 --wallet alice",
    ],
  );

  examples(
    writeOptions(
      node.command("proof")
        .description("send one signed uptime proof")
        .option("--node-key <name>", "node keystore name or path", "node")
        .requiredOption("--ip <ipv4>", "the node's public IPv4 address")
        .option(
          "--https-port <port>",
          "storage server HTTPS port (also the reachability test port)",
          "22021",
        )
        .option("--quic-port <port>", "storage server QUIC port", "22020")
        .option("--node-version <x.y.z>", "service node version", "11.0.0")
        .option(
          "--storage-version <x.y.z>",
          "storage server version",
          "2.10.0",
        ),
    ).action(async (opts, cmd) => {
      const ctx = make(cmd);
      const fields = proofFields(opts);
      const key = await unlockKey(ctx, opts.nodeKey, "node");
      const body = {
        kind: "uptime_proof" as const,
        ...(await commonFields(ctx, opts)),
        nodePubkey: key.publicKey,
        ...fields,
      };
      const d = await deliver(ctx, body, [key.secretKey], opts);
      reportDelivery(
        ctx,
        d,
        (r) => `proof accepted for node ${r.result.node}: ${r.result.status}`,
      );
    }),
    ["snode node proof --ip 203.0.113.7 --https-port 22021 --quic-port 22020"],
  );

  node.addCommand(agentCommand(make) as unknown as Command);
  node.addCommand(watchCommand(make) as unknown as Command);
  return node;
}

function stateColor(ctx: Context, status: string): string {
  const style = status === "active"
    ? "green"
    : status === "decommissioned" || status === "awaiting_contributions"
    ? "yellow"
    : status === "deregistered"
    ? "red"
    : "dim";
  return ctx.out.c(style, status);
}

function showTable(ctx: Context, nodes: NodeDetailView[]): void {
  ctx.out.table(
    [
      "NODE",
      "STATE",
      "STAKE",
      "CONTRIB",
      "SWARM",
      "LAST PROOF",
      "CREDIT",
      "UNLOCK",
      "NEXT",
    ],
    nodes.map((n) => [
      short(n.pubkey),
      stateColor(ctx, n.status),
      `${formatCoins(BigInt(n.contributed))}/${
        formatCoins(BigInt(n.requirement))
      }`,
      String(n.contributors),
      n.swarmId === null ? "-" : short(n.swarmId),
      n.lastProofAgeSeconds === null
        ? "never"
        : formatDuration(n.lastProofAgeSeconds) + " ago",
      `${n.credit}/${n.creditMax}`,
      n.unlock ? formatTime(n.unlock.unlockAtTime) : "-",
      n.outlook.text,
    ]),
  );
}

function showDetail(
  ctx: Context,
  n: NodeDetailView,
  epochSeconds: number,
): void {
  const kv = (k: string, v: string) =>
    ctx.out.line(`${ctx.out.c("bold", k.padEnd(14))}${v}`);
  kv("node", n.pubkey);
  kv("state", `${stateColor(ctx, n.status)} since epoch ${n.statusSince}`);
  kv(
    "stake",
    `${formatCoins(BigInt(n.contributed))} of ${
      formatCoins(BigInt(n.requirement))
    } coins, fee ${n.feeBasisPoints / 100}%` +
      (n.funding.funded
        ? ""
        : `; ${
          formatCoins(BigInt(n.funding.remaining))
        } open in ${n.funding.openSlots} spot(s), min contribution ${
          formatCoins(BigInt(n.funding.minContribution))
        }`),
  );
  for (const s of n.stakes) {
    ctx.out.line(
      `${"".padEnd(14)}${
        s.operator ? "operator   " : "contributor"
      } ${s.wallet}  ${formatCoins(BigInt(s.amount))}` +
        (BigInt(s.reserved) > 0n
          ? ` (reserved ${formatCoins(BigInt(s.reserved))})`
          : ""),
    );
  }
  kv(
    "swarm",
    n.swarmId === null
      ? "none"
      : `${n.swarmId} (${n.swarmMates.length} other members)`,
  );
  kv(
    "last proof",
    n.proof
      ? `${
        formatDuration(n.proof.ageSeconds)
      } ago from ${n.proof.publicIp}:${n.proof.httpsPort}, v${n.proof.nodeVersion}, storage v${n.proof.storageVersion}; valid until epoch ${n.proof.expiresAtEpoch}`
      : "never",
  );
  kv(
    "credit",
    `${n.credit} of ${n.creditMax} epochs (${
      formatDuration(n.credit * epochSeconds)
    } of grace if the node fails)`,
  );
  if (n.failing.length > 0) {
    kv("failing", ctx.out.c("red", n.failing.join(", ")));
  }
  if (n.reachability.unreachable || n.reachability.consecutiveFailures > 0) {
    const last = n.reachability.tests[0];
    kv(
      "reachability",
      ctx.out.c(
        "red",
        `${n.reachability.consecutiveFailures} failed test(s) in a row${
          last ? `: ${last.detail} (${last.address})` : ""
        }`,
      ),
    );
  }
  kv(
    "next",
    n.outlook.text +
      (n.outlook.atTime !== null
        ? ` (about ${formatTime(n.outlook.atTime)})`
        : ""),
  );
  kv(
    "unlock",
    n.unlock
      ? `requested: stakes unlock at epoch ${n.unlock.unlockAt} (about ${
        formatTime(n.unlock.unlockAtTime)
      })`
      : n.lockedUntil
      ? `stakes locked until epoch ${n.lockedUntil.epoch} (about ${
        formatTime(n.lockedUntil.time)
      })`
      : "not requested",
  );
}
