/**
 * `/wallets/:pubkey`: every node a wallet operates or contributes to, with
 * totals: the multi-node view operators ask for.
 *
 * @module
 */

import { RegistryApiError } from "../../../registry/client/errors.ts";
import type { WalletView } from "../../../registry/client/types.ts";
import {
  Coins,
  NodeKey,
  Stat,
  Status,
  TableWrap,
  When,
} from "../../components/bits.tsx";
import { EventList } from "../../components/EventList.tsx";
import { eventsBefore } from "../../lib/events.ts";
import { formatFee, formatInt, formatTime, statusLabel } from "../../format.ts";
import { type Ctx, page, PageError } from "../../render.tsx";
import { parseKeyParam } from "../nodes/[pubkey].tsx";

/** `GET /wallets/:pubkey`. */
export async function wallet(ctx: Ctx): Promise<Response> {
  const pubkey = parseKeyParam(ctx.params.pubkey ?? "", "wallet");
  const [info, snap] = await Promise.all([
    ctx.data.info(),
    ctx.data.snapshot(),
  ]);
  let w: WalletView;
  try {
    w = await ctx.data.client.wallet(pubkey);
  } catch (e) {
    if (e instanceof RegistryApiError && e.status === 404) {
      throw new PageError(
        404,
        "Unknown wallet",
        `The wallet ${pubkey} has never held coins or stake on this registry (${info.network}).`,
        <ul>
          <li>
            <a href={`/nodes/${pubkey}`}>Is it a node key?</a>
          </li>
        </ul>,
      );
    }
    throw e;
  }
  const events = await eventsBefore(
    ctx.data.client,
    { wallet: pubkey },
    await ctx.data.eventBound(),
    20,
  );
  const held = w.stakes.filter((s) => !s.released);
  const operated = w.stakes.filter((s) => s.operator);
  const byStatus = new Map<string, bigint>();
  for (const s of held) {
    byStatus.set(
      s.nodeStatus,
      (byStatus.get(s.nodeStatus) ?? 0n) + BigInt(s.amount),
    );
  }
  const total = BigInt(w.balance) + BigInt(w.staked);
  const nextUnlock =
    held.filter((s) => s.unlocksAt !== null).sort((a, b) =>
      a.unlocksAt!.epoch - b.unlocksAt!.epoch
    )[0];
  return page(
    ctx,
    {
      title: `Wallet ${pubkey.slice(0, 12)}`,
      info,
    },
    (
      <>
        <h1>
          Wallet <code class="hash">{pubkey.slice(0, 16)}…</code>
        </h1>
        <p>
          <code class="hash">{pubkey}</code>
        </p>
        <dl class="stats">
          <Stat label="balance">
            <Coins atomic={w.balance} />
          </Stat>
          <Stat label="staked" note="not yet returned">
            <Coins atomic={w.staked} />
          </Stat>
          <Stat label="total">
            <Coins atomic={total} />
          </Stat>
          <Stat label="nodes">
            {formatInt(w.stakes.length)}{" "}
            <small>({operated.length} operated)</small>
          </Stat>
          {[...byStatus.entries()].map(([status, amount]) => (
            <Stat label={`in ${statusLabel(status)} nodes`}>
              <Coins atomic={amount} />
            </Stat>
          ))}
        </dl>
        {nextUnlock?.unlocksAt && (
          <p>
            Next stake to return: <Coins atomic={nextUnlock.amount} /> from node
            {" "}
            <NodeKey pubkey={nextUnlock.node} /> at epoch{" "}
            {nextUnlock.unlocksAt.epoch}, about{" "}
            {formatTime(nextUnlock.unlocksAt.time)} (
            <When at={nextUnlock.unlocksAt.time} now={info.now} />).
          </p>
        )}
        <section aria-labelledby="h-stakes">
          <h2 id="h-stakes">Stakes</h2>
          {w.stakes.length === 0
            ? <p class="muted">This wallet has no stake in any node.</p>
            : (
              <TableWrap label="Stakes of this wallet">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Node</th>
                      <th scope="col">Role</th>
                      <th scope="col">State</th>
                      <th scope="col" class="num">Staked</th>
                      <th scope="col" class="num">Fee</th>
                      <th scope="col" class="num">Credit</th>
                      <th scope="col">Returns</th>
                    </tr>
                  </thead>
                  <tbody>
                    {w.stakes.map((s) => {
                      const n = snap.byKey.get(s.node);
                      return (
                        <tr>
                          <td>
                            <NodeKey pubkey={s.node} />
                          </td>
                          <td>{s.operator ? "operator" : "contributor"}</td>
                          <td>
                            <Status status={s.nodeStatus} />
                          </td>
                          <td class="num">
                            <Coins atomic={s.amount} />
                            {BigInt(s.reserved) > BigInt(s.amount) && (
                              <small>
                                (reserved <Coins atomic={s.reserved} />)
                              </small>
                            )}
                          </td>
                          <td class="num">
                            {n ? formatFee(n.feeBasisPoints) : "-"}
                          </td>
                          <td class="num">
                            {n && (n.status === "active" ||
                                n.status === "decommissioned")
                              ? formatInt(n.credit)
                              : "-"}
                          </td>
                          <td>
                            {s.released ? "returned" : s.unlocksAt
                              ? (
                                <>
                                  epoch {s.unlocksAt.epoch} (
                                  <When at={s.unlocksAt.time} now={info.now} />)
                                </>
                              )
                              : "when unlocked"}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </TableWrap>
            )}
        </section>
        <section aria-labelledby="h-events">
          <h2 id="h-events">Events</h2>
          <EventList events={events.events} label="This wallet's events" />
          <p>
            <a href={`/events?wallet=${pubkey}`}>All of this wallet's events</a>
            {" · "}
            <a href={`/nodes?q=${pubkey}&state=all`}>nodes it operates</a>
          </p>
        </section>
      </>
    ),
  );
}
