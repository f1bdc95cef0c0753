/**
 * What `node`'s subcommands share (`register`/`proof`/`agent` take proof
 * fields, `status`/`watch` pick nodes, `watch`/`agent` take alert options),
 * in a module of its own so the command files import it and not each other.
 *
 * @module
 */

import { Option } from "@commander-js/extra-typings";
import { toHex } from "../../registry/core/bytes.ts";
import type { AlertThresholds } from "../alerts.ts";
import type { Context } from "../context.ts";
import { usage } from "../errors.ts";
import { readKeystoreFile } from "../keystore.ts";
import {
  parseIp,
  parsePort,
  parsePositive,
  parseVersion,
  resolvePubkey,
} from "../parse.ts";

/** The fields of an uptime proof from options. */
export function proofFields(opts: {
  ip: string;
  httpsPort: string;
  quicPort: string;
  nodeVersion: string;
  storageVersion: string;
}) {
  return {
    ipv4: parseIp(opts.ip),
    httpsPort: parsePort(opts.httpsPort, "--https-port"),
    quicPort: parsePort(opts.quicPort, "--quic-port"),
    nodeVersion: parseVersion(opts.nodeVersion, "--node-version"),
    storageVersion: parseVersion(opts.storageVersion, "--storage-version"),
  };
}

/** The node keys a status/watch command is about. */
export async function nodesToShow(
  ctx: Context,
  nodes: string[],
  wallet: string | undefined,
): Promise<string[]> {
  const keys = new Set<string>();
  for (const n of nodes) keys.add(toHex(await resolvePubkey(ctx, n, "node")));
  if (wallet !== undefined) {
    const w = toHex(await resolvePubkey(ctx, wallet, "wallet"));
    for (const s of await ctx.client.allNodes({ wallet: w })) {
      keys.add(s.pubkey);
    }
  }
  if (nodes.length === 0 && wallet === undefined) {
    try {
      const f = await readKeystoreFile(ctx, "node", "node");
      keys.add(f.keystore.publicKey);
    } catch {
      throw usage(
        "which node? give node keys, --wallet WALLET, or create the default node key (snode keys new node)",
      );
    }
  }
  return [...keys];
}

/** Alert options as parsed (added untyped to keep type checking fast). */
export interface AlertCliOptions {
  webhook?: string;
  missedProofs: string;
  creditBelow: string;
  deregWithin: string;
  minVersion?: string;
  poll?: string;
  unreachableAfter: string;
  failFast?: boolean;
}

/**
 * Add the options `watch` and `agent` share: alert thresholds, the webhook,
 * and how to meet a registry that does not answer.
 */
export function withAlertOptions<C extends { addOption(o: Option): unknown }>(
  cmd: C,
): C {
  for (
    const o of [
      new Option("--webhook <url>", "also POST each alert as JSON to this URL"),
      new Option(
        "--missed-proofs <n>",
        "alert after this many proof intervals without a proof",
      ).default("2"),
      new Option(
        "--credit-below <epochs>",
        "alert when decommission credit falls below this",
      ).default("30"),
      new Option(
        "--dereg-within <epochs>",
        "alert when deregistration is this close",
      ).default("30"),
      new Option(
        "--min-version <x.y.z>",
        "alert when the storage server is older than this",
      ),
      new Option(
        "--poll <seconds>",
        "status poll interval (default: one proof interval, at least 5 s)",
      ),
      new Option(
        "--unreachable-after <seconds>",
        'alert "registry unreachable" after this long without an answer (and "reachable again" after)',
      ).default("60"),
      new Option(
        "--fail-fast",
        "exit 3 at once if the registry cannot be reached at start (default: wait for it with backoff)",
      ),
    ]
  ) cmd.addOption(o);
  return cmd;
}

/** Parse the alert options. */
export function parseAlertOptions(
  ctx: Context,
  opts: AlertCliOptions,
): {
  thresholds: Partial<AlertThresholds>;
  webhook: string | undefined;
  unreachableAfter: number;
  failFast: boolean;
} {
  const webhook = opts.webhook ?? ctx.config.webhook;
  if (webhook !== undefined) {
    try {
      const u = new URL(webhook);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
    } catch {
      throw usage(`--webhook "${webhook}" is not an http(s) URL`);
    }
  }
  return {
    webhook,
    unreachableAfter: parsePositive(
      opts.unreachableAfter,
      "--unreachable-after",
      86400,
    ),
    failFast: opts.failFast === true,
    thresholds: {
      missedProofs: parsePositive(opts.missedProofs, "--missed-proofs", 1000),
      creditBelow: parsePositive(opts.creditBelow, "--credit-below", 1e6),
      deregWithinEpochs: parsePositive(opts.deregWithin, "--dereg-within", 1e6),
      ...(opts.minVersion === undefined ? {} : {
        minVersion: parseVersion(opts.minVersion, "--min-version").join("."),
      }),
    },
  };
}
