/**
 * `/nodes`: every node in a table with search (key prefix, operator prefix,
 * IP), filters (state, swarm, version, open for contributions), sorting and
 * pagination, all in the URL. Deregistered and exited nodes live under their
 * own "left the network" filter, out of the default view.
 *
 * @module
 */

import {
  Coins,
  NodeKey,
  Status,
  SwarmLink,
  TableWrap,
  WalletKey,
} from "../../components/bits.tsx";
import {
  type NodeQuery,
  nodeQueryParams,
  parseNodeQuery,
  runNodeQuery,
  type SortKey,
} from "../../lib/node_query.ts";
import { proofAge } from "../../lib/snapshot.ts";
import {
  formatCoins,
  formatDuration,
  formatFee,
  formatInt,
  statusLabel,
} from "../../format.ts";
import { type Ctx, page } from "../../render.tsx";

/** State filters: value, option text, short name for the result line. */
const STATES: [string, string, string][] = [
  [
    "live",
    "In the network",
    "in the network",
  ],
  ["active", "Active", "active"],
  ["decommissioned", "Decommissioned", "decommissioned"],
  [
    "awaiting_contributions",
    "Awaiting contributions",
    "awaiting contributions",
  ],
  ["retired", "Left the network", "left the network"],
  ["deregistered", "Deregistered", "deregistered"],
  ["exited", "Exited", "exited"],
  ["all", "All", "all"],
];

function SortHeader(
  props: { query: NodeQuery; sort: SortKey; label: string; num?: boolean },
) {
  const { query, sort } = props;
  const current = query.sort === sort;
  const dir = current && query.dir === "asc" ? "desc" : "asc";
  return (
    <th
      scope="col"
      class={props.num ? "num" : undefined}
      aria-sort={current
        ? (query.dir === "asc" ? "ascending" : "descending")
        : undefined}
    >
      <a
        href={"/nodes" + nodeQueryParams(query, { sort, dir, page: 1 })}
        class="sort"
      >
        {props.label}
        <span aria-hidden="true" class="arrow">
          {current ? (query.dir === "asc" ? " ▲" : " ▼") : ""}
        </span>
        {current && (
          <span class="vh">
            , sorted {query.dir === "asc" ? "ascending" : "descending"}
          </span>
        )}
      </a>
    </th>
  );
}

/** `GET /nodes`. */
export async function nodes(ctx: Ctx): Promise<Response> {
  const query = parseNodeQuery(ctx.url.searchParams);
  const [info, snap] = await Promise.all([
    ctx.data.info(),
    ctx.data.snapshot(),
  ]);
  const result = runNodeQuery(snap, query);
  const now = snap.registryNow;
  const validity = info.rules.proofValidityEpochs * info.epochSeconds;
  const pageLink = (n: number) =>
    "/nodes" + nodeQueryParams(query, { page: n });
  const stateName = STATES.find(([k]) => k === query.state)?.[2] ??
    statusLabel(query.state);
  return page(
    ctx,
    { title: "Nodes", section: "nodes", info },
    (
      <>
        <h1>Nodes</h1>
        <form class="filters" method="get" action="/nodes" role="search">
          <div class="row">
            <label class="grow">
              Search{" "}
              <input
                type="search"
                name="q"
                value={query.q}
                placeholder="node or operator key prefix, or IP address"
                spellcheck={false}
                autocomplete="off"
              />
            </label>
            <label>
              State{" "}
              <select name="state">
                {STATES.map(([k, label]) => (
                  <option value={k} selected={query.state === k}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <div class="row">
            <label>
              Swarm id{" "}
              <input
                name="swarm"
                value={query.swarm}
                inputMode="numeric"
                pattern="[0-9]{1,20}"
                size={12}
              />
            </label>
            <label>
              Version{" "}
              <select name="version">
                <option value="" selected={query.version === ""}>any</option>
                {snap.versions.map(([v]) => (
                  <option value={v} selected={query.version === v}>{v}</option>
                ))}
              </select>
            </label>
            <label class="check">
              <input
                type="checkbox"
                name="open"
                value="1"
                checked={query.open}
              />{" "}
              Open for contributions
            </label>
            <label>
              Per page{" "}
              <select name="per">
                {[25, 50, 100, 200].map((n) => (
                  <option value={String(n)} selected={query.perPage === n}>
                    {n}
                  </option>
                ))}
              </select>
            </label>
            {query.sort !== "pubkey" && (
              <input type="hidden" name="sort" value={query.sort} />
            )}
            {query.dir !== "asc" && (
              <input type="hidden" name="dir" value={query.dir} />
            )}
            <button type="submit">Apply</button>
            <a href="/nodes">Reset</a>
          </div>
        </form>
        <p class="result-count" id="result-count">
          {formatInt(result.total)} node{result.total === 1 ? "" : "s"}{" "}
          ({stateName}
          {query.q && <>, matching “{query.q}”</>}
          {query.swarm && <>, swarm {query.swarm}</>}
          {query.version && <>, version {query.version}</>}
          {query.open && <>, open for contributions</>})
          {result.pages > 1 && <>; page {result.page} of {result.pages}</>}.
        </p>
        {result.total === 0
          ? (
            <p class="empty">
              No node matches. {query.state !== "all" && (
                <a
                  href={"/nodes" +
                    nodeQueryParams(query, { state: "all", page: 1 })}
                >
                  Search all nodes, including those that left
                </a>
              )}
            </p>
          )
          : (
            <TableWrap label="Nodes">
              <table class="nodes" aria-describedby="result-count">
                <thead>
                  <tr>
                    <SortHeader query={query} sort="pubkey" label="Node" />
                    <SortHeader query={query} sort="status" label="State" />
                    <SortHeader
                      query={query}
                      sort="operator"
                      label="Operator"
                    />
                    <SortHeader query={query} sort="stake" label="Stake" num />
                    <SortHeader query={query} sort="fee" label="Fee" num />
                    {query.open && (
                      <th scope="col" class="num">Min. contribution</th>
                    )}
                    <SortHeader
                      query={query}
                      sort="credit"
                      label="Credit"
                      num
                    />
                    <SortHeader query={query} sort="swarm" label="Swarm" />
                    <th scope="col">Address</th>
                    <SortHeader query={query} sort="version" label="Version" />
                    <SortHeader
                      query={query}
                      sort="proof"
                      label="Last proof"
                      num
                    />
                  </tr>
                </thead>
                <tbody>
                  {result.rows.map((n) => {
                    const age = proofAge(n, now);
                    const open = snap.open.get(n.pubkey);
                    return (
                      <tr>
                        <td>
                          <NodeKey pubkey={n.pubkey} />
                        </td>
                        <td>
                          <Status status={n.status} />
                        </td>
                        <td>
                          <WalletKey pubkey={n.operator} />
                        </td>
                        <td class="num">
                          {n.contributed === n.requirement
                            ? <Coins atomic={n.contributed} decimals={2} />
                            : (
                              <span title="contributed of required">
                                {formatCoins(n.contributed, 2)} /{" "}
                                <Coins atomic={n.requirement} decimals={2} />
                              </span>
                            )}
                        </td>
                        <td class="num">{formatFee(n.feeBasisPoints)}</td>
                        {query.open && (
                          <td class="num">
                            {open
                              ? (
                                <>
                                  <Coins
                                    atomic={open.minContribution}
                                    decimals={2}
                                  />{" "}
                                  <small>({open.openSlots} slots)</small>
                                </>
                              )
                              : "-"}
                          </td>
                        )}
                        <td class="num">
                          {n.status === "active" ||
                              n.status === "decommissioned"
                            ? formatInt(n.credit)
                            : "-"}
                        </td>
                        <td>
                          <SwarmLink id={n.swarmId} />
                        </td>
                        <td>
                          {n.publicIp
                            ? <code>{n.publicIp}</code>
                            : <span class="muted">none</span>}
                        </td>
                        <td>{n.storageVersion ?? "-"}</td>
                        <td
                          class={`num ${
                            age !== null && age > validity ? "warn" : ""
                          }`}
                        >
                          {age === null
                            ? "never"
                            : formatDuration(age) + " ago"}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </TableWrap>
          )}
        {result.pages > 1 && (
          <nav class="pager" aria-label="Pages of nodes">
            {result.page > 1 && (
              <>
                <a href={pageLink(1)}>First</a>
                <a href={pageLink(result.page - 1)} rel="prev">← Previous</a>
              </>
            )}
            <span>
              Page {result.page} of {result.pages}
            </span>
            {result.page < result.pages && (
              <>
                <a href={pageLink(result.page + 1)} rel="next">Next →</a>
                <a href={pageLink(result.pages)}>Last</a>
              </>
            )}
          </nav>
        )}
        <details>
          <summary>What the columns mean</summary>
          <dl class="glossary">
            <dt>In the network / left the network</dt>
            <dd>
              Active, decommissioned and awaiting nodes are in the network;
              deregistered and exited nodes have left it and are shown only when
              asked for.
            </dd>
            <dt>Stake</dt>
            <dd>
              Coins staked in the node, of the{" "}
              {formatCoins(info.rules.stakingRequirement)}{" "}
              coins it needs to become active.
            </dd>
            <dt>Fee</dt>
            <dd>
              The share of rewards the operator keeps before contributors are
              paid.
            </dd>
            <dt>Credit</dt>
            <dd>
              Epochs a node may spend failing before it is deregistered: a
              failing node with enough credit is only decommissioned, and spends
              one epoch of credit per epoch until it recovers or runs out. It
              earns credit back while active.
            </dd>
            <dt>Last proof</dt>
            <dd>
              Age of the node's latest signed uptime proof; older than{" "}
              {formatDuration(validity)} means it is failing.
            </dd>
          </dl>
        </details>
      </>
    ),
  );
}
