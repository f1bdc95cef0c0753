/**
 * `/lists`: the latest signed node list, its signatures, its chain and diff
 * sizes, and the "verify in your browser" island; `/lists/*.bin`: the signed
 * bytes, passed through from the registry so the island can check them.
 *
 * @module
 */

import type { RegistryEventOf } from "../../../registry/api/events.ts";
import { RegistryApiError } from "../../../registry/client/errors.ts";
import { fromHex, toHex } from "../../../registry/core/bytes.ts";
import { keyIdOf } from "../../../registry/core/nodelist.ts";
import { TableWrap, When } from "../../components/bits.tsx";
import { formatInt, formatTime, percentOf } from "../../format.ts";
import { VerifyList } from "../../islands/VerifyList.tsx";
import { type Ctx, Island, page, PageError } from "../../render.tsx";
import { indexReady } from "../index.tsx";

/** Chain links the island walks back. */
const LINKS = 3;

function bytesResponse(bytes: Uint8Array, immutable: boolean): Response {
  return new Response(bytes as Uint8Array<ArrayBuffer>, {
    headers: {
      "content-type": "application/octet-stream",
      "cache-control": immutable
        ? "public, max-age=31536000, immutable"
        : "no-cache",
    },
  });
}

/** `GET /lists/latest.bin`, `/lists/{epoch}.bin`. */
export async function listFile(ctx: Ctx): Promise<Response> {
  const m = /^(latest|[0-9]{1,15})\.bin$/.exec(ctx.params.file ?? "");
  if (!m) {
    throw new PageError(
      400,
      "Bad list name",
      "Ask for latest.bin or {epoch}.bin.",
    );
  }
  const which = m[1] === "latest" ? "latest" : Number(m[1]);
  const bytes = await ctx.data.client.listBytes(which);
  return bytesResponse(bytes, which !== "latest");
}

/** `GET /lists/{epoch}/diff.bin?from=K`. */
export async function listDiffFile(ctx: Ctx): Promise<Response> {
  const to = Number(ctx.params.epoch);
  const from = ctx.url.searchParams.get("from") ?? "";
  if (!/^[0-9]{1,15}$/.test(from) || !Number.isSafeInteger(to)) {
    throw new PageError(
      400,
      "Bad diff",
      "Ask for {epoch}/diff.bin?from={older epoch}.",
    );
  }
  const bytes = await ctx.data.client.listDiff(Number(from), to);
  return bytesResponse(bytes, true);
}

/** `GET /lists`. */
export async function lists(ctx: Ctx): Promise<Response> {
  const [info] = await Promise.all([ctx.data.info(), indexReady(ctx)]);
  if (!info.latestList) {
    return page(
      ctx,
      { title: "Lists", section: "lists", info },
      (
        <>
          <h1>Node lists</h1>
          <p>
            No list has been published yet: the first comes at the end of the
            first epoch.
          </p>
        </>
      ),
    );
  }
  const { bytes, list } = await ctx.data.list(info.latestList.epoch);
  const epoch = Number(list.header.epoch);
  const keys = info.registryKeys;
  const threshold = Math.floor(keys.length / 2) + 1;
  const keyById = new Map(
    keys.map((k) => [toHex(keyIdOf(fromHex(k, 32))), k]),
  );
  const active = list.records.filter((r) => r.state === "active").length;
  const chain = ctx.data.index.recent(12, ["list_published"]).filter((
    e,
  ): e is RegistryEventOf<"list_published"> => e.kind === "list_published");
  const diffs: { from: number; size: number | null }[] = [];
  for (const k of [1, 5, 30]) {
    const from = epoch - k;
    if (from < 0) continue;
    try {
      const d = await ctx.data.client.listDiff(from, epoch);
      diffs.push({ from, size: d.length });
    } catch (e) {
      if (e instanceof RegistryApiError) diffs.push({ from, size: null });
      else throw e;
    }
  }
  const prevHash = toHex(list.header.prevHash);
  const h = list.header;
  return page(
    ctx,
    {
      title: "Lists",
      section: "lists",
      islands: true,
      info,
    },
    (
      <>
        <h1>Node lists</h1>
        <p class="lede">
          Every epoch the registry publishes a signed list of the nodes in the
          network (active and decommissioned) with their addresses and swarms.
          Clients accept a list only if enough registry keys signed it, and each
          list names the one before it by hash, so a registry cannot quietly
          rewrite history or show different lists to different people without it
          being detectable.
        </p>

        <section aria-labelledby="h-latest">
          <h2 id="h-latest">Latest list: epoch {epoch}</h2>
          <dl class="facts">
            <dt>Body hash (its identity)</dt>
            <dd>
              <code class="hash">{info.latestList.hash}</code>
            </dd>
            <dt>Previous list's hash</dt>
            <dd>
              <code class="hash">{prevHash}</code>
            </dd>
            <dt>Nodes</dt>
            <dd>
              {formatInt(list.records.length)} ({formatInt(active)} active,{" "}
              {formatInt(list.records.length - active)} decommissioned)
            </dd>
            <dt>Valid</dt>
            <dd>
              from {formatTime(Number(h.validAfter))}, fresh until{" "}
              {formatTime(Number(h.freshUntil))}, usable until{" "}
              {formatTime(Number(h.validUntil))}
            </dd>
            <dt>Published</dt>
            <dd>
              <When at={info.latestList.publishedAt} now={info.now} />
            </dd>
            <dt>Swarm seed</dt>
            <dd>
              <code>{h.swarmSeed.toString()}</code>
            </dd>
            <dt>Size</dt>
            <dd>
              {formatInt(bytes.length)} bytes ·{" "}
              <a href={`/lists/${epoch}.bin`} download={`list-${epoch}.bin`}>
                download the signed binary
              </a>
            </dd>
          </dl>
        </section>

        <section aria-labelledby="h-sigs">
          <h2 id="h-sigs">Signatures</h2>
          <p>
            The registry keys (pin these in your client:{" "}
            <code>snode list verify --registry-key KEY</code>):
          </p>
          <ul class="keys">
            {keys.map((k) => (
              <li>
                <code class="hash">{k}</code>
              </li>
            ))}
          </ul>
          <p>
            A list needs valid signatures from {threshold} of these{" "}
            {keys.length} key{keys.length === 1 ? "" : "s"} (a strict majority).
          </p>
          <TableWrap label="Signatures of the latest list">
            <table>
              <thead>
                <tr>
                  <th scope="col">Key id</th>
                  <th scope="col">Registry key</th>
                  <th scope="col">Signature</th>
                </tr>
              </thead>
              <tbody>
                {list.signatures.map((s) => {
                  const id = toHex(s.keyId);
                  const key = keyById.get(id);
                  return (
                    <tr>
                      <td>
                        <code>{id}</code>
                      </td>
                      <td>
                        {key
                          ? <code title={key}>{key.slice(0, 16)}…</code>
                          : <span class="warn">not a stated key</span>}
                      </td>
                      <td>
                        <code class="sig">{toHex(s.signature)}</code>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableWrap>
        </section>

        <section aria-labelledby="h-verify">
          <h2 id="h-verify">Verify in your browser</h2>
          <p>
            Downloads the latest list and the {LINKS}{" "}
            before it from this explorer, and checks them here with the protocol
            core's own verifier against the keys stated above: you need not
            trust this explorer's word for it.
          </p>
          <Island
            name="VerifyList"
            component={VerifyList}
            props={{
              networkId: info.networkId,
              registryKeys: keys,
              threshold,
              links: LINKS,
              base: "/lists",
            }}
          />
        </section>

        <section aria-labelledby="h-chain">
          <h2 id="h-chain">The chain</h2>
          <p>Recent lists, newest first; each names the one below it.</p>
          <TableWrap label="Recent lists">
            <table>
              <thead>
                <tr>
                  <th scope="col">Epoch</th>
                  <th scope="col">Body hash</th>
                  <th scope="col" class="num">Nodes</th>
                  <th scope="col" class="num">Active</th>
                  <th scope="col">Published</th>
                </tr>
              </thead>
              <tbody>
                {chain.map((e) => (
                  <tr>
                    <td>{String(e.data.epoch)}</td>
                    <td>
                      <code class="hash">{String(e.data.hash)}</code>
                      {Number(e.data.epoch) === epoch - 1 &&
                        (e.data.hash === prevHash
                          ? (
                            <small class="ok">
                              ← named by list {epoch}
                            </small>
                          )
                          : (
                            <small class="warn">
                              ≠ list {epoch}'s previous hash
                            </small>
                          ))}
                    </td>
                    <td class="num">{String(e.data.nodes)}</td>
                    <td class="num">{String(e.data.active)}</td>
                    <td>{formatTime(Math.floor(e.createdAt / 1000))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </section>

        <section aria-labelledby="h-diffs">
          <h2 id="h-diffs">Diffs</h2>
          <p>
            A client holding an older list fetches only a diff, which rebuilds
            the new list byte for byte, signatures included.
          </p>
          <TableWrap label="Diff sizes">
            <table>
              <thead>
                <tr>
                  <th scope="col">From list</th>
                  <th scope="col" class="num">Diff size</th>
                  <th scope="col" class="num">Of the full list</th>
                </tr>
              </thead>
              <tbody>
                <tr>
                  <td>(full list)</td>
                  <td class="num">{formatInt(bytes.length)} bytes</td>
                  <td class="num">100%</td>
                </tr>
                {diffs.map((d) => (
                  <tr>
                    <td>
                      {d.from} ({epoch - d.from}{" "}
                      epoch{epoch - d.from === 1 ? "" : "s"} old)
                    </td>
                    <td class="num">
                      {d.size === null
                        ? "not kept"
                        : `${formatInt(d.size)} bytes`}
                    </td>
                    <td class="num">
                      {d.size === null
                        ? "-"
                        : percentOf(BigInt(d.size), BigInt(bytes.length))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </section>
      </>
    ),
  );
}
