/**
 * `/`: the network at a glance: nodes by state, stake, swarms and their
 * sizes, software versions, proof freshness, the latest list, history charts
 * and live events.
 *
 * @module
 */

import {
  BarChart,
  LineChart,
  type SeriesPoint,
} from "../components/charts.tsx";
import { Coins, Stat, TableWrap, When } from "../components/bits.tsx";
import { samplePoints } from "../lib/history.ts";
import { proofAge } from "../lib/snapshot.ts";
import {
  ATOMIC_PER_COIN,
  EVENT_KINDS,
  formatCoins,
  formatDuration,
  formatInt,
  percentOf,
  STATUSES,
  statusLabel,
  statusMeaning,
} from "../format.ts";
import { LiveEvents } from "../islands/LiveEvents.tsx";
import { type Ctx, Island, page } from "../render.tsx";

/** Wait for the event index's catch-up, at most `ms`. */
export async function indexReady(ctx: Ctx, ms = 3_000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    ctx.data.index.ready(),
    new Promise((r) => timer = setTimeout(r, ms)),
  ]);
  clearTimeout(timer);
}

/** `GET /`. */
export async function overview(ctx: Ctx): Promise<Response> {
  const [info, snap] = await Promise.all([
    ctx.data.info(),
    ctx.data.snapshot(),
    indexReady(ctx),
  ]);
  const p = info.rules;
  const now = snap.registryNow;
  const count = (s: string) => snap.byStatus[s] ?? 0;
  const live = count("active") + count("decommissioned") +
    count("awaiting_contributions");
  const retired = count("deregistered") + count("exited");

  // Swarm sizes.
  const sizes = new Map<number, number>();
  for (const members of snap.swarms.values()) {
    sizes.set(members.length, (sizes.get(members.length) ?? 0) + 1);
  }
  const sizeBars = [...sizes.entries()].sort((a, b) => a[0] - b[0]).map((
    [size, n],
  ) => ({ label: String(size), value: n }));
  const smallest = sizeBars[0]?.label, largest = sizeBars.at(-1)?.label;

  // Proof freshness of nodes that should be proving.
  const interval = p.proofIntervalEpochs * info.epochSeconds;
  const validity = p.proofValidityEpochs * info.epochSeconds;
  const fresh = { recent: 0, valid: 0, stale: 0, none: 0 };
  for (const n of snap.nodes) {
    if (n.status !== "active" && n.status !== "decommissioned") continue;
    const age = proofAge(n, now);
    if (age === null) fresh.none++;
    else if (age <= interval) fresh.recent++;
    else if (age <= validity) fresh.valid++;
    else fresh.stale++;
  }
  const proving = fresh.recent + fresh.valid + fresh.stale + fresh.none;

  // History.
  const points = samplePoints(ctx.data.index.history.points, 60);
  const activeSeries: SeriesPoint[] = points.map((pt) => ({
    t: pt.time,
    y: pt.active,
  }));
  const stakeSeries: SeriesPoint[] = points.map((pt) => ({
    t: pt.time,
    // Chart geometry only; the table shows the exact amount.
    y: Number(pt.staked / ATOMIC_PER_COIN),
    label: formatCoins(pt.staked),
  }));
  // Swarm counts are known only for sampled lists and live epochs.
  const swarmSeries: SeriesPoint[] = samplePoints(
    ctx.data.index.history.points.filter((pt) => pt.swarms !== null),
    60,
  ).map((pt) => ({ t: pt.time, y: pt.swarms }));
  const span = points.length > 1
    ? formatDuration(points.at(-1)!.time - points[0]!.time)
    : "";
  const firstKnown = (s: SeriesPoint[]) => s.find((x) => x.y !== null);

  // Lists are published every epoch: the overview shows what changed.
  const kinds = EVENT_KINDS.filter((k) => k !== "list_published");
  const events = ctx.data.index.recent(15, kinds);
  return page(
    ctx,
    {
      title: "Overview",
      section: "overview",
      islands: true,
      info,
    },
    (
      <>
        <h1>Network overview</h1>
        <p class="lede">
          The <strong>{info.network}</strong> service-node network at epoch{" "}
          {info.epoch} (an epoch is {formatDuration(info.epochSeconds)}).{" "}
          {formatInt(count("active"))} nodes are active in{" "}
          {formatInt(snap.swarms.size)} swarms, holding{" "}
          <Coins atomic={snap.totalStaked} decimals={2} /> of stake.
        </p>

        <section aria-labelledby="h-state">
          <h2 id="h-state">Nodes by state</h2>
          <dl class="stats">
            {STATUSES.map((s) => (
              <Stat label={statusLabel(s)}>
                <a href={`/nodes?state=${s}`}>{formatInt(count(s))}</a>
              </Stat>
            ))}
            <Stat label="total staked" note="in live nodes">
              <Coins atomic={snap.totalStaked} decimals={2} />
            </Stat>
            <Stat label="swarms">
              <a href="/swarms">{formatInt(snap.swarms.size)}</a>
            </Stat>
            <Stat label="latest list">
              {info.latestList
                ? (
                  <>
                    <a href="/lists">epoch {info.latestList.epoch}</a>
                    <small>
                      hash <code>{info.latestList.hash.slice(0, 12)}</code>
                    </small>
                  </>
                )
                : "none yet"}
            </Stat>
          </dl>
          <p>
            {formatInt(live)} nodes belong to the network;{" "}
            <a href="/nodes?state=retired">{formatInt(retired)} have left it</a>
            {" "}
            (deregistered or exited) and are kept out of the active views.
          </p>
          <details>
            <summary>What the states mean</summary>
            <dl class="glossary">
              {STATUSES.map((s) => (
                <>
                  <dt>{statusLabel(s)}</dt>
                  <dd>{statusMeaning(s)}</dd>
                </>
              ))}
            </dl>
          </details>
        </section>

        <section aria-labelledby="h-history">
          <h2 id="h-history">History</h2>
          <p class="muted">
            Derived by this explorer from the registry's events and signed
            lists{span && ` over the last ${span}`}.
          </p>
          <div class="charts">
            <LineChart
              id="chart-active"
              title="Active nodes"
              summary={activeSeries.length > 0
                ? `From ${firstKnown(activeSeries)?.y ?? 0} to ${
                  activeSeries.at(-1)!.y
                } active nodes${span ? ` over ${span}` : ""}.`
                : "No lists yet."}
              points={activeSeries}
              format={(y) => formatInt(y)}
              yLabel="active nodes"
            />
            <LineChart
              id="chart-stake"
              title="Total stake"
              summary={stakeSeries.length > 0
                ? `Stake in live nodes, now ${
                  formatCoins(points.at(-1)!.staked, 2)
                } coins.`
                : "No lists yet."}
              points={stakeSeries}
              format={(y) => formatInt(y)}
              yLabel="coins staked"
            />
            <LineChart
              id="chart-swarms"
              title="Swarms"
              summary={`Number of swarms${
                swarmSeries.some((s) => s.y !== null)
                  ? `, now ${snap.swarms.size}`
                  : ""
              }; gaps are lists no longer kept by the registry.`}
              points={swarmSeries}
              format={(y) => formatInt(y)}
              yLabel="swarms"
            />
          </div>
        </section>

        <section aria-labelledby="h-swarms" class="narrow">
          <h2 id="h-swarms">Swarm sizes</h2>
          <BarChart
            id="chart-swarm-sizes"
            title="Swarms by number of members"
            summary={sizeBars.length > 0
              ? `${snap.swarms.size} swarms with ${smallest} to ${largest} members each; the network aims for 7 and refills any below 5.`
              : "No swarms yet."}
            bars={sizeBars}
            xLabel="members"
            yLabel="swarms"
          />
        </section>

        <div class="two">
          <section aria-labelledby="h-versions">
            <h2 id="h-versions">Software versions</h2>
            {snap.versions.length === 0
              ? <p class="muted">No node has sent an uptime proof yet.</p>
              : (
                <TableWrap label="Storage server versions">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">storage server</th>
                        <th scope="col" class="num">nodes</th>
                        <th scope="col" class="num">share</th>
                      </tr>
                    </thead>
                    <tbody>
                      {snap.versions.map(([v, n]) => (
                        <tr>
                          <td>
                            <a href={`/nodes?version=${v}`}>{v}</a>
                          </td>
                          <td class="num">{formatInt(n)}</td>
                          <td class="num">
                            {percentOf(
                              BigInt(n),
                              BigInt(
                                snap.versions.reduce((a, x) => a + x[1], 0),
                              ),
                            )}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </TableWrap>
              )}
          </section>

          <section aria-labelledby="h-proofs">
            <h2 id="h-proofs">Proof freshness</h2>
            <p>
              Nodes prove they are up every{" "}
              {formatDuration(interval)}; a proof keeps a node up for{" "}
              {formatDuration(validity)}.
            </p>
            <TableWrap label="Uptime proof ages">
              <table>
                <thead>
                  <tr>
                    <th scope="col">latest uptime proof</th>
                    <th scope="col" class="num">nodes</th>
                    <th scope="col" class="num">share</th>
                  </tr>
                </thead>
                <tbody>
                  {([
                    [`within ${formatDuration(interval)}`, fresh.recent],
                    [`within ${formatDuration(validity)}`, fresh.valid],
                    ["older: failing", fresh.stale],
                    ["never sent", fresh.none],
                  ] as [string, number][]).map(([label, n]) => (
                    <tr>
                      <td>{label}</td>
                      <td class="num">{formatInt(n)}</td>
                      <td class="num">
                        {percentOf(BigInt(n), BigInt(proving))}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
            {info.latestList && (
              <p>
                Latest list: epoch {info.latestList.epoch}, published{" "}
                <When at={info.latestList.publishedAt} now={info.now} />, hash
                {" "}
                <code class="hash">{info.latestList.hash}</code>.
              </p>
            )}
          </section>
        </div>

        <section aria-labelledby="h-events">
          <h2 id="h-events">Recent events</h2>
          <Island
            name="LiveEvents"
            component={LiveEvents}
            props={{
              events,
              streamUrl: "/events/stream",
              max: 15,
              kinds,
              node: null,
            }}
          />
          <p>
            <a href="/events">All events</a>
          </p>
        </section>
      </>
    ),
  );
}
