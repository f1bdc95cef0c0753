/**
 * Alerts keyed to consequences, not to blips (network.md §7.1-7.2): the
 * registry's events and periodic status polls go in, and an alert comes out
 * only when something the operator must act on starts - proofs missed in a
 * row, credit running low, decommissioned, deregistration close, unlock
 * effective in 48/24/6 hours, a new contribution, an outdated version.
 * Each alert has a key; a key fires once, and re-arms only when the
 * condition clears (credit back above the threshold, a proof arrives, the
 * node is recommissioned), so a flapping value never floods the terminal or
 * the webhook.
 *
 * @module
 */

import { formatCoins } from "../registry/core/params.ts";
import type {
  InfoView,
  NodeDetailView,
  RegistryEventView,
} from "../registry/client/types.ts";
import { formatDuration, formatTime } from "./output.ts";

/** How bad an alert is. */
export type Severity = "info" | "warning" | "critical";

/** What an alert is about. */
export type AlertKind =
  | "proofs_missed"
  | "credit_low"
  | "decommissioned"
  | "recommissioned"
  | "deregistration_soon"
  | "deregistered"
  | "unreachable"
  | "unlock_soon"
  | "unlock_effective"
  | "contribution"
  | "outdated_version"
  | "registry_unreachable"
  | "registry_reachable";

/** One alert. */
export interface Alert {
  /** Debounce key: an alert with a key already fired is not repeated. */
  key: string;
  /** What it is about. */
  kind: AlertKind;
  /** How bad. */
  severity: Severity;
  /** The node concerned, hex. */
  node: string | null;
  /** One line for people. */
  message: string;
  /** Unix seconds. */
  at: number;
  /** Details for machines. */
  data: Record<string, unknown>;
}

/** Thresholds of {@linkcode AlertEngine}. */
export interface AlertThresholds {
  /** Alert when this many proof intervals pass without a proof. Default 2. */
  missedProofs: number;
  /** Alert when credit falls below this many epochs. Default 30. */
  creditBelow: number;
  /** Alert when deregistration is this many epochs away or fewer. Default 30. */
  deregWithinEpochs: number;
  /** Hours before an unlock to warn at. Default 48, 24, 6. */
  unlockHours: number[];
  /** Oldest acceptable storage server version, if known (e.g. "2.10.0"). */
  minVersion?: string;
}

/** Default thresholds. */
export const DEFAULT_THRESHOLDS: AlertThresholds = {
  missedProofs: 2,
  creditBelow: 30,
  deregWithinEpochs: 30,
  unlockHours: [48, 24, 6],
};

/** Turns events and status snapshots into debounced alerts. */
export class AlertEngine {
  readonly thresholds: AlertThresholds;
  readonly #fired = new Set<string>();
  /** Keys to forget when a condition clears, by `node:condition`. */
  readonly #armed = new Map<string, string>();

  constructor(thresholds: Partial<AlertThresholds> = {}) {
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...thresholds };
  }

  #emit(out: Alert[], alert: Omit<Alert, "at">, at: number): void {
    if (this.#fired.has(alert.key)) return;
    this.#fired.add(alert.key);
    out.push({ ...alert, at });
  }

  /** Fire once until `clear(slot)`. */
  #latched(
    out: Alert[],
    slot: string,
    alert: Omit<Alert, "at">,
    at: number,
  ): void {
    if (this.#armed.has(slot)) return;
    this.#armed.set(slot, alert.key);
    this.#emit(out, alert, at);
  }

  #clear(slot: string): void {
    const key = this.#armed.get(slot);
    if (key !== undefined) {
      this.#armed.delete(slot);
      this.#fired.delete(key);
    }
  }

  /** Alerts for one registry event. */
  onEvent(e: RegistryEventView, nowSeconds: number): Alert[] {
    const out: Alert[] = [];
    const node = e.node;
    const n = node ?? "";
    switch (e.kind) {
      case "decommissioned": {
        const reasons = e.data.reasons.join(", ");
        this.#clear(`${n}:recommissioned`);
        this.#latched(out, `${n}:decommissioned`, {
          key: `decommissioned:${n}:${e.epoch}`,
          kind: "decommissioned",
          severity: "critical",
          node,
          message: `node DECOMMISSIONED at epoch ${e.epoch}${
            reasons ? ` (${reasons})` : ""
          }: it left its swarm and earns nothing; send a proof and make it reachable before its credit runs out, or it is deregistered and its stake locked`,
          data: e.data,
        }, nowSeconds);
        break;
      }
      case "recommissioned":
        this.#clear(`${n}:decommissioned`);
        this.#clear(`${n}:dereg_soon`);
        this.#latched(out, `${n}:recommissioned`, {
          key: `recommissioned:${n}:${e.epoch}`,
          kind: "recommissioned",
          severity: "info",
          node,
          message: `node recommissioned at epoch ${e.epoch}: serving again`,
          data: e.data,
        }, nowSeconds);
        break;
      case "deregistered": {
        const reasons = e.data.reasons.join(", ");
        this.#latched(out, `${n}:deregistered`, {
          key: `deregistered:${n}:${e.epoch}`,
          kind: "deregistered",
          severity: "critical",
          node,
          message: `node DEREGISTERED at epoch ${e.epoch}${
            reasons ? ` (${reasons})` : ""
          }: its stakes are locked; register it again to serve`,
          data: e.data,
        }, nowSeconds);
        break;
      }
      case "reachability_failed":
        this.#latched(out, `${n}:unreachable`, {
          key: `unreachable:${n}:${e.epoch}`,
          kind: "unreachable",
          severity: "warning",
          node,
          message:
            `the registry could not reach the node: ${e.data.detail} (${e.data.address}); check the firewall and the advertised address`,
          data: e.data,
        }, nowSeconds);
        break;
      case "contribution": {
        const amount = formatCoins(BigInt(e.data.amount));
        const wallet = e.data.wallet;
        this.#emit(out, {
          key: `contribution:${e.id}`,
          kind: "contribution",
          severity: "info",
          node,
          message: `new contribution of ${amount} coins from ${wallet}`,
          data: e.data,
        }, nowSeconds);
        break;
      }
      case "unlock_effective":
      case "exited":
        this.#emit(out, {
          key: `unlock_effective:${n}`,
          kind: "unlock_effective",
          severity: "info",
          node,
          message:
            `the unlock took effect at epoch ${e.epoch}: the node exited and its stakes were returned`,
          data: e.data,
        }, nowSeconds);
        break;
    }
    return out;
  }

  /**
   * Alerts from a status snapshot: missed proofs, low credit, deregistration
   * soon, unlock soon, outdated version (and decommissioned, should the
   * event have been missed).
   */
  onStatus(n: NodeDetailView, info: InfoView, nowSeconds: number): Alert[] {
    const out: Alert[] = [];
    const t = this.thresholds;
    const node = n.pubkey;
    const live = n.status === "active" || n.status === "decommissioned";
    const interval = info.rules.proofIntervalEpochs * info.epochSeconds;

    // Proofs missed in a row (only once the node should be proving).
    if (live && interval > 0) {
      const age = n.proof
        ? n.proof.ageSeconds
        : Math.max(0, (info.epoch - n.statusSince) * info.epochSeconds);
      const missed = Math.floor(age / interval);
      if (missed >= t.missedProofs) {
        this.#latched(out, `${node}:missed`, {
          key: `proofs_missed:${node}:${n.proof?.timestamp ?? 0}`,
          kind: "proofs_missed",
          severity: "warning",
          node,
          message: `${missed} uptime proofs missed in a row (last ${
            n.proof ? formatDuration(n.proof.ageSeconds) + " ago" : "never"
          }): ${n.outlook.text}`,
          data: { missed, lastProofAgeSeconds: n.proof?.ageSeconds ?? null },
        }, nowSeconds);
      } else if (missed === 0) {
        this.#clear(`${node}:missed`);
      }
    }

    // Credit running low (hysteresis: re-arm 10 % above the threshold).
    if (live) {
      if (n.credit < t.creditBelow) {
        this.#latched(out, `${node}:credit`, {
          key: `credit_low:${node}:${n.statusSince}`,
          kind: "credit_low",
          severity: n.status === "decommissioned" ? "critical" : "warning",
          node,
          message: `decommission credit is down to ${n.credit} epochs (${
            formatDuration(n.credit * info.epochSeconds)
          }); when it runs out ${
            n.status === "decommissioned"
              ? "the node is deregistered and its stake locked: send a proof and make it reachable now"
              : "a failing node is deregistered instead of decommissioned: keep it proving and reachable, and the credit grows back with uptime"
          }`,
          data: { credit: n.credit, threshold: t.creditBelow },
        }, nowSeconds);
      } else if (n.credit >= Math.ceil(t.creditBelow * 1.1)) {
        this.#clear(`${node}:credit`);
      }
    }

    // Decommissioned (if the event was missed; same key as the event's).
    if (n.status === "decommissioned") {
      this.#clear(`${node}:recommissioned`);
      this.#latched(out, `${node}:decommissioned`, {
        key: `decommissioned:${node}:${n.statusSince}`,
        kind: "decommissioned",
        severity: "critical",
        node,
        message: `node DECOMMISSIONED since epoch ${n.statusSince}${
          n.lastDecommissionReasons.length
            ? ` (${n.lastDecommissionReasons.join(", ")})`
            : ""
        }: ${n.outlook.text}`,
        data: {
          statusSince: n.statusSince,
          reasons: n.lastDecommissionReasons,
        },
      }, nowSeconds);
    } else if (n.status === "active") {
      this.#clear(`${node}:decommissioned`);
    }

    if (n.status === "deregistered") {
      this.#latched(out, `${node}:deregistered`, {
        key: `deregistered:${node}:${n.statusSince}`,
        kind: "deregistered",
        severity: "critical",
        node,
        message:
          `node DEREGISTERED since epoch ${n.statusSince}: ${n.outlook.text}`,
        data: { statusSince: n.statusSince, lockedUntil: n.lockedUntil },
      }, nowSeconds);
    }

    // Deregistration close - alerted only while the operator can do
    // something about it, and saying what. Right after a recommission the
    // outlook says "deregister" (the credit is below the decommission
    // minimum, so a failure would deregister) while the node proves on
    // time: nothing to do then, so no alert.
    const todo = remedies(n, info);
    if (
      n.outlook.next === "deregister" && n.outlook.atEpoch !== null &&
      n.outlook.atEpoch - info.epoch <= t.deregWithinEpochs &&
      todo.length > 0
    ) {
      const left = Math.max(0, n.outlook.atEpoch - info.epoch);
      this.#latched(out, `${node}:dereg_soon`, {
        key: `deregistration_soon:${node}:${n.outlook.atEpoch}`,
        kind: "deregistration_soon",
        severity: "critical",
        node,
        message: `deregistration in ${left} epochs (about ${
          formatDuration(left * info.epochSeconds)
        }, epoch ${n.outlook.atEpoch}) unless you act: ${todo.join("; ")}`,
        data: { atEpoch: n.outlook.atEpoch, epochsLeft: left, actions: todo },
      }, nowSeconds);
    } else if (n.outlook.next !== "deregister" || todo.length === 0) {
      this.#clear(`${node}:dereg_soon`);
    }

    // Unlock effective in 48/24/6 h: the smallest window crossed, once.
    if (n.unlock) {
      const left = n.unlock.unlockAtTime - nowSeconds;
      const hours = [...t.unlockHours].sort((a, b) => a - b);
      const crossed = hours.find((h) => left <= h * 3600);
      if (crossed !== undefined && left > 0) {
        const key = `unlock_soon:${node}:${n.unlock.unlockAt}:${crossed}`;
        // Mark the wider windows as fired too: one alert per window crossed.
        for (const h of hours.filter((h) => h > crossed)) {
          this.#fired.add(`unlock_soon:${node}:${n.unlock.unlockAt}:${h}`);
        }
        this.#emit(out, {
          key,
          kind: "unlock_soon",
          severity: "info",
          node,
          message: `stake unlock takes effect in ${
            formatDuration(left)
          } (epoch ${n.unlock.unlockAt}, about ${
            formatTime(n.unlock.unlockAtTime)
          }): the node then exits`,
          data: {
            unlockAt: n.unlock.unlockAt,
            secondsLeft: left,
            window: crossed,
          },
        }, nowSeconds);
      }
    }

    // Outdated versions: the service node against the registry's published
    // minimum (`rules.minimumNodeVersion`, when it publishes one), the
    // storage server against --min-version.
    const rules = info.rules as { minimumNodeVersion?: unknown };
    const minNode = typeof rules.minimumNodeVersion === "string"
      ? rules.minimumNodeVersion
      : undefined;
    const nodeVersion = n.proof?.nodeVersion;
    if (
      minNode && nodeVersion && compareVersions(nodeVersion, minNode) < 0
    ) {
      this.#emit(out, {
        key: `outdated_version:${node}:node:${nodeVersion}`,
        kind: "outdated_version",
        severity: "warning",
        node,
        message:
          `service node ${nodeVersion} is older than the network's minimum ${minNode} (the registry's rule): upgrade the node, then restart the agent with the new --node-version`,
        data: { component: "node", current: nodeVersion, latest: minNode },
      }, nowSeconds);
    }
    const latest = t.minVersion;
    const current = n.proof?.storageVersion ?? n.storageVersion;
    if (latest && current && compareVersions(current, latest) < 0) {
      this.#emit(out, {
        key: `outdated_version:${node}:${current}`,
        kind: "outdated_version",
        severity: "warning",
        node,
        message:
          `storage server ${current} is older than ${latest}: upgrade before it is refused`,
        data: { component: "storage", current, latest },
      }, nowSeconds);
    }
    return out;
  }
}

/**
 * What the operator can do to keep a node from deregistration, or nothing
 * when nothing is wrong: its proof is overdue (for a decommissioned node:
 * none since the decommission), or the registry cannot reach it.
 */
export function remedies(n: NodeDetailView, info: InfoView): string[] {
  if (n.status !== "active" && n.status !== "decommissioned") return [];
  const todo: string[] = [];
  const interval = info.rules.proofIntervalEpochs * info.epochSeconds;
  const overdue = n.status === "decommissioned"
    ? n.proof === null || n.proof.epoch < n.statusSince
    : n.proof === null || n.proof.ageSeconds > interval * 1.5;
  if (overdue) {
    todo.push(
      `send an uptime proof (is "snode node agent" running? "snode node proof --ip ..." sends one by hand; last proof ${
        n.proof ? formatDuration(n.proof.ageSeconds) + " ago" : "never"
      })`,
    );
  }
  if (n.reachability.unreachable) {
    const last = n.reachability.tests[0];
    todo.push(
      `make the node reachable${
        last ? ` at ${last.address} (${last.detail})` : ""
      }: check the firewall and the advertised --ip / --https-port`,
    );
  }
  return todo;
}

/** Compare `a.b.c` versions. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Whether the registry answers: `registry_unreachable` once it has failed
 * for `afterSeconds` in a row (a blip says nothing), `registry_reachable`
 * when it answers again after that alert. Times are unix milliseconds.
 */
export class OutageTracker {
  readonly url: string;
  readonly afterMs: number;
  #since: number | null = null;
  #alerted = false;

  constructor(options: { url: string; afterSeconds: number }) {
    this.url = options.url;
    this.afterMs = options.afterSeconds * 1000;
  }

  /** Whether the last request failed. */
  get down(): boolean {
    return this.#since !== null;
  }

  /** A request failed at `nowMs`. */
  failed(nowMs: number, detail: string): Alert[] {
    this.#since ??= nowMs;
    const down = nowMs - this.#since;
    if (this.#alerted || down < this.afterMs) return [];
    this.#alerted = true;
    return [{
      key: `registry_unreachable:${this.url}:${this.#since}`,
      kind: "registry_unreachable",
      severity: "warning",
      node: null,
      message: `registry ${this.url} unreachable for ${
        formatDuration(down / 1000)
      } (${detail}): alerts and proofs wait until it answers; the node itself is not affected yet`,
      at: Math.floor(nowMs / 1000),
      data: {
        url: this.url,
        since: Math.floor(this.#since / 1000),
        detail,
      },
    }];
  }

  /** A request succeeded at `nowMs`. */
  ok(nowMs: number): Alert[] {
    const since = this.#since;
    const alerted = this.#alerted;
    this.#since = null;
    this.#alerted = false;
    if (since === null || !alerted) return [];
    return [{
      key: `registry_reachable:${this.url}:${since}`,
      kind: "registry_reachable",
      severity: "info",
      node: null,
      message: `registry ${this.url} reachable again after ${
        formatDuration((nowMs - since) / 1000)
      }`,
      at: Math.floor(nowMs / 1000),
      data: {
        url: this.url,
        since: Math.floor(since / 1000),
        downSeconds: Math.round((nowMs - since) / 1000),
      },
    }];
  }
}

/** Where alerts go: the terminal and, optionally, a webhook. */
export class AlertSink {
  readonly #write: (alert: Alert) => void;
  readonly #webhook: string | undefined;
  readonly #warn: (text: string) => void;
  readonly #pending = new Set<Promise<void>>();

  constructor(options: {
    write: (alert: Alert) => void;
    webhook?: string;
    warn: (text: string) => void;
  }) {
    this.#write = options.write;
    this.#webhook = options.webhook;
    this.#warn = options.warn;
  }

  /** Deliver alerts: written at once, posted to the webhook in the background. */
  deliver(alerts: Alert[]): void {
    for (const a of alerts) {
      this.#write(a);
      if (this.#webhook) {
        const p = this.#post(a).finally(() => this.#pending.delete(p));
        this.#pending.add(p);
      }
    }
  }

  async #post(alert: Alert): Promise<void> {
    const body = JSON.stringify({ source: "snode", ...alert });
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        const res = await fetch(this.#webhook!, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(5000),
        });
        await res.body?.cancel();
        if (res.ok) return;
        if (res.status < 500) {
          this.#warn(
            `webhook answered HTTP ${res.status}; alert not delivered`,
          );
          return;
        }
      } catch (e) {
        if (attempt === 3) {
          this.#warn(
            `webhook ${this.#webhook} failed: ${(e as Error).message}`,
          );
          return;
        }
      }
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }

  /** Wait for webhook posts in flight (at shutdown). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }
}
