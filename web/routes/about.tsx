/**
 * `/about`: which registry and network this explorer reads, the rules in
 * words, and where every number comes from.
 *
 * @module
 */

import { TableWrap } from "../components/bits.tsx";
import { formatCoins, formatDuration, formatInt } from "../format.ts";
import { type Ctx, page } from "../render.tsx";

/** `GET /about`. */
export async function about(ctx: Ctx): Promise<Response> {
  const info = await ctx.data.info();
  const r = info.rules;
  const e = (epochs: number) =>
    `${formatInt(epochs)} epochs (${
      formatDuration(epochs * info.epochSeconds)
    })`;
  const index = ctx.data.index;
  return page(
    ctx,
    { title: "About", section: "about", info },
    (
      <>
        <h1>About this explorer</h1>
        <section aria-labelledby="h-source">
          <h2 id="h-source">What it reads</h2>
          <dl class="facts">
            <dt>Registry</dt>
            <dd>
              <code>{ctx.data.registryUrl}</code> (its HTTP API only)
            </dd>
            <dt>Network</dt>
            <dd>
              <strong>{info.network}</strong> (network id {info.networkId})
            </dd>
            <dt>Epoch</dt>
            <dd>
              {info.epoch} in progress; one epoch lasts{" "}
              {formatDuration(info.epochSeconds)}
            </dd>
            <dt>Registry keys</dt>
            <dd>
              {info.registryKeys.map((k) => (
                <div>
                  <code class="hash">{k}</code>
                </div>
              ))}
            </dd>
            <dt>Event follower</dt>
            <dd>
              {index.live
                ? "following the registry's event stream live"
                : index.caughtUp
                ? "caught up; reconnecting to the live stream"
                : "reading the stored events"}
              , last event {index.lastId}
            </dd>
          </dl>
          <p>
            Node tables, swarms and totals come from a snapshot of{" "}
            <code>/v1/nodes</code>{" "}
            refreshed every few seconds; a node's page, wallets and Session ID
            lookups ask the registry directly. The history charts and the proof
            timeline are derived by this explorer from the registry's events and
            signed lists (the registry keeps no history of its own). The verify
            island checks the signed lists in your browser.
          </p>
        </section>
        <section aria-labelledby="h-rules">
          <h2 id="h-rules">The rules, in words</h2>
          <TableWrap label="Network rules">
            <table>
              <tbody>
                <tr>
                  <th scope="row">Stake a node needs</th>
                  <td>
                    {formatCoins(r.stakingRequirement)}{" "}
                    coins, of which the operator puts in at least{" "}
                    {formatCoins(r.operatorMinimum)}; up to {r.maxContributors}
                    {" "}
                    wallets may share it.
                  </td>
                </tr>
                <tr>
                  <th scope="row">Uptime proofs</th>
                  <td>
                    every {e(r.proofIntervalEpochs)}; one keeps a node up for
                    {" "}
                    {e(r.proofValidityEpochs)}.
                  </td>
                </tr>
                <tr>
                  <th scope="row">Credit</th>
                  <td>
                    A new node starts with {e(r.initialCredit)}{" "}
                    of credit and earns more while active, up to{" "}
                    {e(r.maxCredit)}. A failing node with at least{" "}
                    {formatInt(r.initialCredit)} epochs of credit is{" "}
                    <strong>decommissioned</strong>: it leaves its swarm and
                    spends credit until it recovers; with less, or when the
                    credit runs out, it is <strong>deregistered</strong>.
                  </td>
                </tr>
                <tr>
                  <th scope="row">Deregistration</th>
                  <td>
                    The stake stays locked for{" "}
                    {e(r.deregLockEpochs)}, then returns to its wallets.
                  </td>
                </tr>
                <tr>
                  <th scope="row">Unlocking</th>
                  <td>
                    A node leaves {e(r.unlockDelayEpochs)}{" "}
                    after an unlock is requested; small contributors cannot ask
                    in their first {e(r.smallContributorLockEpochs)}.
                  </td>
                </tr>
                <tr>
                  <th scope="row">Clock</th>
                  <td>
                    Signed messages must be within{" "}
                    {formatDuration(r.clockToleranceSeconds)}{" "}
                    of the registry's clock.
                  </td>
                </tr>
              </tbody>
            </table>
          </TableWrap>
        </section>
      </>
    ),
  );
}
