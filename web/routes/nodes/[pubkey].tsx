/**
 * `/nodes/:pubkey`: one node's story: its state and what happens next in
 * plain words, stake and contributors, open slots, its state history,
 * proofs, raw reachability evidence, swarm mates, its events and the
 * commands its operator would run next.
 *
 * @module
 */

import type { NodeDetailView } from "../../../registry/client/types.ts";
import { RegistryApiError } from "../../../registry/client/errors.ts";
import {
  Coins,
  Command,
  NodeKey,
  Status,
  SwarmLink,
  TableWrap,
  WalletKey,
  When,
} from "../../components/bits.tsx";
import { EventList } from "../../components/EventList.tsx";
import { eventsBefore } from "../../lib/events.ts";
import {
  formatCoins,
  formatDuration,
  formatFee,
  formatInt,
  formatTime,
  percentOf,
  reasonLabel,
  statusLabel,
  statusMeaning,
} from "../../format.ts";
import { type Ctx, page, PageError } from "../../render.tsx";

/** Parse a node key from the URL, or a 400 page saying what is wrong. */
export function parseKeyParam(raw: string, what: "node" | "wallet"): string {
  const text = decodeURIComponent(raw).trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return text.toLowerCase();
  const hints = (
    <ul>
      {/^[0-9a-fA-F]{1,63}$/.test(text) && (
        <li>
          Looking for keys that start with <code>{text}</code>?{" "}
          <a href={`/nodes?q=${text}&state=all`}>Search the nodes</a>.
        </li>
      )}
      {/^0[35][0-9a-fA-F]{64}$/.test(text) && (
        <li>
          That looks like a Session ID:{" "}
          <a href={`/sessions?id=${text}`}>find its swarm</a>.
        </li>
      )}
      <li>
        Keys are shown on the <a href="/nodes">nodes page</a>.
      </li>
    </ul>
  );
  throw new PageError(
    400,
    `Malformed ${what} key`,
    `A ${what} key is 64 hexadecimal digits (0-9, a-f); "${
      text.slice(0, 80)
    }" is ${text.length} characters${
      /^[0-9a-fA-F]*$/.test(text) ? "" : " and not all hexadecimal"
    }.`,
    hints,
  );
}

/** The CLI commands that fit a node's state. */
export function nextCommands(
  n: NodeDetailView,
  registryUrl: string,
): { why: string; command: string }[] {
  const r = `snode -r ${registryUrl}`;
  const out: { why: string; command: string }[] = [];
  const short = n.pubkey;
  switch (n.status) {
    case "awaiting_contributions":
      out.push({
        why: "Contribute to this node (the minimum is shown above)",
        command: `${r} stake contribute --node ${short} --amount ${
          formatCoins(n.funding.minContribution)
        } --wallet WALLET`,
      });
      out.push({
        why:
          "As its operator, withdraw the registration and get the stake back",
        command: `${r} node unlock --node ${short} --wallet OPERATOR_WALLET`,
      });
      break;
    case "active":
      out.push({
        why: "Keep it proving and answering reachability tests",
        command: `${r} node agent --ip ${
          n.proof?.publicIp ?? "PUBLIC_IP"
        } --https-port ${n.proof?.httpsPort ?? 22021} --quic-port ${
          n.proof?.quicPort ?? 22020
        }`,
      });
      out.push({
        why: "Be alerted before its credit runs low",
        command: `${r} node watch ${short} --credit-below 120`,
      });
      if (!n.unlock) {
        out.push({
          why:
            "Leave the network and get the stake back (takes effect after the unlock delay)",
          command: `${r} node unlock --node ${short} --wallet WALLET`,
        });
      }
      break;
    case "decommissioned":
      out.push({
        why:
          "Send a proof now, then keep the agent running so it is recommissioned",
        command: `${r} node proof --ip ${
          n.proof?.publicIp ?? "PUBLIC_IP"
        } --https-port ${n.proof?.httpsPort ?? 22021} --quic-port ${
          n.proof?.quicPort ?? 22020
        }`,
      });
      out.push({
        why: "Restart the agent (proofs and reachability answers)",
        command: `${r} node agent --ip ${
          n.proof?.publicIp ?? "PUBLIC_IP"
        } --https-port ${n.proof?.httpsPort ?? 22021} --quic-port ${
          n.proof?.quicPort ?? 22020
        }`,
      });
      break;
    case "deregistered":
    case "exited":
      out.push({
        why: "See when each stake returns to its wallet",
        command: `${r} wallet balance --wallet WALLET`,
      });
      break;
  }
  out.push({
    why: "This node's status in the terminal",
    command: `${r} node status ${short}`,
  });
  return out;
}

/** The time an epoch starts, estimated from the registry's clock. */
function epochTime(epoch: number, current: number, now: number, secs: number) {
  return now + (epoch - current) * secs;
}

/** `GET /nodes/:pubkey`. */
export async function node(ctx: Ctx): Promise<Response> {
  const pubkey = parseKeyParam(ctx.params.pubkey ?? "", "node");
  const info = await ctx.data.info();
  let n: NodeDetailView;
  try {
    n = await ctx.data.client.node(pubkey);
  } catch (e) {
    if (e instanceof RegistryApiError && e.status === 404) {
      throw new PageError(
        404,
        "Unknown node",
        `No node with the key ${pubkey} is registered with this registry (${ctx.data.registryUrl}, ${info.network}).`,
        <ul>
          <li>
            A node appears here as soon as its registration is accepted; check
            that it was sent to this network.
          </li>
          <li>
            <a href={`/nodes?q=${pubkey.slice(0, 12)}&state=all`}>
              Search for keys starting with {pubkey.slice(0, 12)}
            </a>
          </li>
          <li>
            <a href={`/wallets/${pubkey}`}>Is it a wallet key?</a>
          </li>
        </ul>,
      );
    }
    throw e;
  }
  const events = await eventsBefore(
    ctx.data.client,
    { node: pubkey },
    await ctx.data.eventBound(),
    20,
  );
  const proofs = ctx.data.proofsSeen(pubkey);
  const now = info.now;
  const secs = info.epochSeconds;
  const at = (epoch: number) => epochTime(epoch, info.epoch, now, secs);
  const live = n.status === "active" || n.status === "decommissioned";
  const requirement = BigInt(n.requirement);
  const commands = nextCommands(n, ctx.data.registryUrl);
  return page(
    ctx,
    {
      title: `Node ${pubkey.slice(0, 12)}`,
      section: "nodes",
      info,
    },
    (
      <>
        <p class="crumbs">
          <a href="/nodes">Nodes</a> / node
        </p>
        <h1>
          Node <code class="hash">{pubkey.slice(0, 16)}…</code>{" "}
          <Status status={n.status} />
        </h1>
        <dl class="facts">
          <dt>Ed25519 key</dt>
          <dd>
            <code class="hash">{n.pubkey}</code>
          </dd>
          <dt>X25519 key</dt>
          <dd>
            <code class="hash">{n.x25519}</code>
          </dd>
          <dt>Operator</dt>
          <dd>
            <WalletKey pubkey={n.operator} full />
          </dd>
          <dt>Swarm</dt>
          <dd>
            <SwarmLink id={n.swarmId} />
          </dd>
          <dt>Registered</dt>
          <dd>
            epoch {n.registeredAt} (≈{" "}
            <When at={at(n.registeredAt)} now={now} />)
          </dd>
          <dt>In this state since</dt>
          <dd>
            epoch {n.statusSince} (≈ <When at={at(n.statusSince)} now={now} />)
          </dd>
        </dl>

        <section aria-labelledby="h-next" class="next">
          <h2 id="h-next">What happens next</h2>
          <p class="meaning">{statusMeaning(n.status)}</p>
          <p class="outlook">
            <strong>{capitalise(outlookText(n))}.</strong>
            {n.outlook.atTime !== null && n.outlook.atTime > now && (
              <>
                {" "}That is at epoch {n.outlook.atEpoch}, about{" "}
                <time
                  dateTime={new Date(n.outlook.atTime * 1000).toISOString()}
                >
                  {formatTime(n.outlook.atTime)}
                </time>{" "}
                (<When at={n.outlook.atTime} now={now} />).
              </>
            )}
          </p>
          <ul>
            {live && (
              <li>
                Credit: <strong>{formatInt(n.credit)}</strong> of at most{" "}
                {formatInt(n.creditMax)} epochs (
                {formatDuration(n.credit * secs)} of failing it can absorb).
                {n.status === "active"
                  ? " A failing node with at least 60 epochs of credit is decommissioned rather than deregistered; an active node earns credit back over time."
                  : " While decommissioned it spends one epoch of credit per epoch; at zero it is deregistered."}
              </li>
            )}
            {n.failing.length > 0 && (
              <li class="warn">
                Failing now: {n.failing.map(reasonLabel).join(", ")}.
              </li>
            )}
            {n.decommissionCount > 0 && (
              <li>
                Decommissioned {n.decommissionCount} time
                {n.decommissionCount === 1 ? "" : "s"} so far
                {n.lastDecommissionReasons.length > 0 &&
                  (
                    <>
                      ; last for:{" "}
                      {n.lastDecommissionReasons.map(reasonLabel).join(", ")}
                    </>
                  )}.
              </li>
            )}
            {n.unlock && (
              <li>
                Unlock requested: the node leaves and its stake returns at epoch
                {" "}
                {n.unlock.unlockAt}, about {formatTime(n.unlock.unlockAtTime)}
                {" "}
                (<When at={n.unlock.unlockAtTime} now={now} />).
              </li>
            )}
            {n.lockedUntil && (
              <li>
                Stake locked until epoch {n.lockedUntil.epoch}, about{" "}
                {formatTime(n.lockedUntil.time)} (
                <When at={n.lockedUntil.time} now={now} />), then returned to
                its wallets.
              </li>
            )}
          </ul>
        </section>

        <section aria-labelledby="h-stake">
          <h2 id="h-stake">Stake and contributors</h2>
          <p>
            <Coins atomic={n.contributed} /> staked of{" "}
            <Coins atomic={n.requirement} /> required (
            {percentOf(BigInt(n.contributed), requirement)}); operator fee{" "}
            <strong>{formatFee(n.feeBasisPoints)}</strong> of rewards.
          </p>
          {!n.funding.funded && n.status === "awaiting_contributions" && (
            <div class="callout">
              <p>
                <strong>Open for contributions:</strong> {n.funding.openSlots}
                {" "}
                open slot
                {n.funding.openSlots === 1 ? "" : "s"};{" "}
                <Coins atomic={n.funding.remaining} />{" "}
                still needed. A new contributor must put in at least{" "}
                <strong>
                  <Coins atomic={n.funding.minContribution} />
                </strong>{" "}
                and at most <Coins atomic={n.funding.maxContribution} />.
                {BigInt(n.funding.reservedOutstanding) > 0n && (
                  <>
                    {" "}
                    <Coins atomic={n.funding.reservedOutstanding} />{" "}
                    is reserved for named contributors.
                  </>
                )}
              </p>
            </div>
          )}
          <TableWrap label="Contributors">
            <table>
              <thead>
                <tr>
                  <th scope="col">Wallet</th>
                  <th scope="col">Role</th>
                  <th scope="col" class="num">Staked</th>
                  <th scope="col" class="num">Reserved</th>
                  <th scope="col" class="num">Share</th>
                  <th scope="col" class="num">Since epoch</th>
                </tr>
              </thead>
              <tbody>
                {n.stakes.map((s) => (
                  <tr>
                    <td>
                      <WalletKey pubkey={s.wallet} />
                    </td>
                    <td>{s.operator ? "operator" : "contributor"}</td>
                    <td class="num">
                      <Coins atomic={s.amount} />
                    </td>
                    <td class="num">
                      {BigInt(s.reserved) > 0n
                        ? <Coins atomic={s.reserved} />
                        : "-"}
                    </td>
                    <td class="num">
                      {percentOf(BigInt(s.amount), requirement)}
                    </td>
                    <td class="num">{s.sinceEpoch}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </section>

        <section aria-labelledby="h-history">
          <h2 id="h-history">State history</h2>
          <ol class="timeline">
            {n.history.map((h) => (
              <li>
                <span class="when">
                  epoch {h.epoch}{" "}
                  <small>(≈ {formatTime(at(h.epoch)).slice(0, 16)})</small>
                </span>{" "}
                {h.from
                  ? (
                    <>
                      <Status status={h.from} /> → <Status status={h.to} />
                    </>
                  )
                  : <Status status={h.to} />} <span>{h.reason}</span>
                {h.credit > 0 && (
                  <small>
                    {" "}
                    (credit {h.credit})
                  </small>
                )}
              </li>
            ))}
          </ol>
        </section>

        <section aria-labelledby="h-proofs">
          <h2 id="h-proofs">Uptime proofs</h2>
          {n.proof
            ? (
              <>
                <p>
                  Latest proof: epoch {n.proof.epoch},{" "}
                  <When at={n.proof.timestamp} now={now} /> (
                  {formatTime(n.proof.timestamp)}), from{" "}
                  <code>
                    {n.proof.publicIp}:{n.proof.httpsPort}
                  </code>{" "}
                  (QUIC {n.proof.quicPort}), node version{" "}
                  {n.proof.nodeVersion}, storage server{" "}
                  {n.proof.storageVersion}. It keeps the node up until epoch
                  {" "}
                  {n.proof.expiresAtEpoch} (≈{" "}
                  <When at={at(n.proof.expiresAtEpoch)} now={now} />).
                </p>
                <ProofStrip
                  proofs={proofs}
                  now={now}
                  validity={info.rules.proofValidityEpochs * secs}
                />
              </>
            )
            : <p>No uptime proof has been received yet.</p>}
        </section>

        <section aria-labelledby="h-reach">
          <h2 id="h-reach">Reachability evidence</h2>
          <p>
            The registry tests each node by sending a random challenge to the
            address in its latest proof; the node must sign it with its key.
            These are the raw results, newest first
            {n.reachability.unreachable
              ? " - the node is currently marked unreachable."
              : "."}
            {n.reachability.consecutiveFailures > 0 &&
              ` ${n.reachability.consecutiveFailures} consecutive failure(s).`}
          </p>
          {n.reachability.tests.length === 0
            ? <p class="muted">No test has been run yet.</p>
            : (
              <TableWrap label="Reachability tests">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Time</th>
                      <th scope="col">Epoch</th>
                      <th scope="col">Address tried</th>
                      <th scope="col">Result</th>
                      <th scope="col">Detail</th>
                      <th scope="col" class="num">Latency</th>
                    </tr>
                  </thead>
                  <tbody>
                    {n.reachability.tests.map((t) => (
                      <tr>
                        <td>{formatTime(t.testedAt)}</td>
                        <td>{t.epoch}</td>
                        <td>
                          <code>{t.address}</code>
                        </td>
                        <td class={t.ok ? "ok" : "warn"}>
                          {t.ok ? "passed" : "failed"}
                        </td>
                        <td>{t.detail}</td>
                        <td class="num">
                          {t.latencyMs === null ? "-" : `${t.latencyMs} ms`}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            )}
        </section>

        <section aria-labelledby="h-mates">
          <h2 id="h-mates">Swarm mates</h2>
          {n.swarmId === null
            ? (
              <p class="muted">
                Not in a swarm ({n.status === "active"
                  ? "it joins one at the next epoch"
                  : `${statusLabel(n.status)} nodes are in none`}).
              </p>
            )
            : (
              <>
                <p>
                  Swarm <SwarmLink id={n.swarmId} />{" "}
                  stores the messages of the Session IDs nearest to it, together
                  with these {n.swarmMates.length} nodes:
                </p>
                <ul class="keys">
                  {n.swarmMates.map((m) => (
                    <li>
                      <NodeKey pubkey={m} />
                    </li>
                  ))}
                </ul>
              </>
            )}
        </section>

        <section aria-labelledby="h-events">
          <h2 id="h-events">Events</h2>
          <EventList events={events.events} label="This node's events" />
          <p>
            <a href={`/events?node=${pubkey}`}>All of this node's events</a>
          </p>
        </section>

        <section aria-labelledby="h-cli">
          <h2 id="h-cli">For the operator: what to run next</h2>
          {commands.map((c) => (
            <>
              <p>{c.why}:</p>
              <Command>{c.command}</Command>
            </>
          ))}
        </section>
      </>
    ),
  );
}

/** The registry's outlook, corrected once a deregistered node's stake came back. */
function outlookText(n: NodeDetailView): string {
  if (n.status === "deregistered" && n.lockedUntil === null) {
    return "deregistered: the stake lock has ended and the stake went back to its wallets";
  }
  if (n.status === "exited") {
    return "exited: the stake went back to its wallets";
  }
  return n.outlook.text;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * The proofs this explorer saw, on a time axis: each tick is a proof; a gap
 * longer than a proof's validity is marked.
 */
function ProofStrip(
  props: { proofs: number[]; now: number; validity: number },
) {
  const proofs = props.proofs;
  if (proofs.length < 2) return null;
  const W = 640, H = 48;
  const t0 = proofs[0]!, t1 = Math.max(props.now, proofs.at(-1)!);
  const x = (t: number) => 8 + ((t - t0) / Math.max(1, t1 - t0)) * (W - 16);
  const gaps: [number, number][] = [];
  for (let i = 1; i < proofs.length; i++) {
    if (proofs[i]! - proofs[i - 1]! > props.validity) {
      gaps.push([proofs[i - 1]!, proofs[i]!]);
    }
  }
  if (props.now - proofs.at(-1)! > props.validity) {
    gaps.push([proofs.at(-1)!, props.now]);
  }
  return (
    <figure class="strip">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`${proofs.length} proofs seen by this explorer from ${
          formatTime(t0)
        } to ${
          formatTime(proofs.at(-1)!)
        }; ${gaps.length} gap(s) longer than a proof's validity.`}
      >
        <line class="axis" x1="8" x2={W - 8} y1={H - 12} y2={H - 12} />
        {gaps.map(([a, b]) => (
          <rect
            class="gap"
            x={x(a)}
            y="4"
            width={x(b) - x(a)}
            height={H - 20}
          />
        ))}
        {proofs.map((t) => (
          <line class="tick" x1={x(t)} x2={x(t)} y1="8" y2={H - 12} />
        ))}
      </svg>
      <figcaption>
        Proofs seen by this explorer since it started ({proofs.length}), oldest
        left; shaded spans are gaps longer than a proof's validity.
      </figcaption>
    </figure>
  );
}
