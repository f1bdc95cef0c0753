/**
 * `/swarms/:id`: one swarm's members.
 *
 * @module
 */

import {
  Coins,
  NodeKey,
  TableWrap,
  WalletKey,
} from "../../components/bits.tsx";
import { proofAge } from "../../lib/snapshot.ts";
import { formatDuration } from "../../format.ts";
import { type Ctx, page, PageError } from "../../render.tsx";

const U64_MAX = (1n << 64n) - 1n;

/** `GET /swarms/:id`. */
export async function swarm(ctx: Ctx): Promise<Response> {
  const raw = ctx.params.id ?? "";
  if (!/^[0-9]{1,20}$/.test(raw) || BigInt(raw) > U64_MAX) {
    throw new PageError(
      400,
      "Malformed swarm id",
      `A swarm id is a whole number from 0 to 2^64-1; "${
        raw.slice(0, 40)
      }" is not one.`,
    );
  }
  const id = BigInt(raw).toString();
  const [info, snap] = await Promise.all([
    ctx.data.info(),
    ctx.data.snapshot(),
  ]);
  const members = snap.swarms.get(id);
  if (!members) {
    throw new PageError(
      404,
      "Unknown swarm",
      `There is no swarm ${id} now. Swarms change as nodes join and leave.`,
      <p>
        <a href="/swarms">All swarms</a>
      </p>,
    );
  }
  const now = snap.registryNow;
  return page(
    ctx,
    { title: `Swarm ${id}`, section: "swarms", info },
    (
      <>
        <p class="crumbs">
          <a href="/swarms">Swarms</a> / swarm
        </p>
        <h1>
          Swarm <code>{id}</code>
        </h1>
        <p class="lede">
          {members.length}{" "}
          active nodes store the messages of every Session ID whose key is
          nearer to {id}{" "}
          than to any other swarm id (on the ring of 2^64 values).
          {members.length < 5 &&
            " It has fewer than 5 members: the network refills it from larger swarms, or dissolves it."}
        </p>
        <TableWrap label="Members">
          <table>
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">Operator</th>
                <th scope="col">Address</th>
                <th scope="col">Version</th>
                <th scope="col" class="num">Stake</th>
                <th scope="col" class="num">Last proof</th>
              </tr>
            </thead>
            <tbody>
              {members.map((n) => {
                const age = proofAge(n, now);
                return (
                  <tr>
                    <td>
                      <NodeKey pubkey={n.pubkey} />
                    </td>
                    <td>
                      <WalletKey pubkey={n.operator} />
                    </td>
                    <td>
                      <code>{n.publicIp ?? "none"}</code>
                    </td>
                    <td>{n.storageVersion ?? "-"}</td>
                    <td class="num">
                      <Coins atomic={n.contributed} decimals={2} />
                    </td>
                    <td class="num">
                      {age === null ? "never" : `${formatDuration(age)} ago`}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableWrap>
        <p>
          <a href={`/nodes?swarm=${id}`}>These nodes in the nodes table</a>
        </p>
      </>
    ),
  );
}
