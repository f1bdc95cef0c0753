/**
 * `/swarms`: every swarm with its size, and how swarms work.
 *
 * @module
 */

import { BarChart } from "../../components/charts.tsx";
import { SwarmLink, TableWrap } from "../../components/bits.tsx";
import { formatInt } from "../../format.ts";
import { type Ctx, page } from "../../render.tsx";

/** `GET /swarms`. */
export async function swarms(ctx: Ctx): Promise<Response> {
  const [info, snap] = await Promise.all([
    ctx.data.info(),
    ctx.data.snapshot(),
  ]);
  const sizes = new Map<number, number>();
  for (const m of snap.swarms.values()) {
    sizes.set(m.length, (sizes.get(m.length) ?? 0) + 1);
  }
  const bars = [...sizes.entries()].sort((a, b) => a[0] - b[0]).map((
    [s, n],
  ) => ({ label: String(s), value: n }));
  const starving = [...snap.swarms.values()].filter((m) => m.length < 5).length;
  return page(
    ctx,
    { title: "Swarms", section: "swarms", info },
    (
      <>
        <h1>Swarms</h1>
        <p class="lede">
          Active nodes are grouped into swarms; each Session ID's messages are
          stored by the swarm whose id is nearest to the ID's key. There are
          {" "}
          {formatInt(snap.swarms.size)} swarms.
          {starving > 0 &&
            ` ${starving} have fewer than 5 members and are being refilled.`}
        </p>
        <p>
          <a href="/sessions">Find the swarm of a Session ID</a>
        </p>
        <BarChart
          id="chart-sizes"
          title="Swarms by number of members"
          summary={`${snap.swarms.size} swarms; the network aims for 7 members and refills swarms below 5.`}
          bars={bars}
          xLabel="members"
          yLabel="swarms"
        />
        {snap.swarms.size === 0
          ? <p class="muted">No swarms yet: no node is active.</p>
          : (
            <TableWrap label="Swarms">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Swarm id</th>
                    <th scope="col" class="num">Members</th>
                    <th scope="col">Versions</th>
                  </tr>
                </thead>
                <tbody>
                  {[...snap.swarms.entries()].map(([id, members]) => (
                    <tr>
                      <td>
                        <SwarmLink id={id} /> <small class="muted">{id}</small>
                      </td>
                      <td class="num">{members.length}</td>
                      <td>
                        {[
                          ...new Set(
                            members.map((m) => m.storageVersion ?? "?"),
                          ),
                        ].join(", ")}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
      </>
    ),
  );
}
