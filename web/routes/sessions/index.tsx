/**
 * `/sessions?id=05...`: which swarm stores a Session ID's messages, with a
 * clear message for a malformed id.
 *
 * @module
 */

import { RegistryApiError } from "../../../registry/client/errors.ts";
import type { SessionSwarmView } from "../../../registry/client/types.ts";
import { NodeKey, TableWrap } from "../../components/bits.tsx";
import { type Ctx, page } from "../../render.tsx";

/** Why a Session ID is malformed, or null if it is well formed. */
export function sessionIdProblem(id: string): string | null {
  if (/^0[35][0-9a-fA-F]{64}$/.test(id)) return null;
  if (id.length === 0) return "Enter a Session ID.";
  if (!/^[0-9a-fA-F]*$/.test(id)) {
    return "A Session ID has only hexadecimal digits (0-9, a-f).";
  }
  if (id.length !== 66) {
    return `A Session ID is 66 hexadecimal digits; this one has ${id.length}.`;
  }
  return `A Session ID starts with 05 (an account) or 03 (a closed group), not ${
    id.slice(0, 2)
  }.`;
}

/** `GET /sessions` and `/sessions/:id`. */
export async function sessions(ctx: Ctx): Promise<Response> {
  const id = (ctx.params.id ?? ctx.url.searchParams.get("id") ?? "").trim();
  const info = await ctx.data.info();
  let result: SessionSwarmView | null = null;
  let problem: string | null = null;
  if (id !== "") {
    problem = sessionIdProblem(id);
    if (problem === null) {
      try {
        result = await ctx.data.client.sessionSwarm(id);
      } catch (e) {
        if (e instanceof RegistryApiError && e.status < 500) {
          problem = e.detail;
        } else throw e;
      }
    }
  }
  const status = problem !== null && sessionIdProblem(id) !== null
    ? 400
    : problem !== null
    ? 404
    : 200;
  return page(
    ctx,
    {
      title: result ? `Swarm of ${id.slice(0, 10)}…` : "Session ID lookup",
      section: "sessions",
      status,
      info,
    },
    (
      <>
        <h1>Session ID lookup</h1>
        <p class="lede">
          Every Session account (ID starting with{" "}
          <code>05</code>) and closed group (<code>03</code>) has its messages
          stored by one swarm: the one whose id is nearest to the ID's key. Only
          the 64 digits after the prefix matter.
        </p>
        <form method="get" action="/sessions" class="filters">
          <div class="row">
            <label class="grow">
              Session ID{" "}
              <input
                name="id"
                value={id}
                size={70}
                maxLength={200}
                placeholder="05 followed by 64 hexadecimal digits"
                spellcheck={false}
                autocomplete="off"
                aria-invalid={problem !== null && status === 400
                  ? "true"
                  : undefined}
                aria-describedby={problem ? "session-problem" : undefined}
              />
            </label>
            <button type="submit">Find its swarm</button>
          </div>
        </form>
        {problem && (
          <p
            class={status === 400 ? "error-box" : "callout"}
            id="session-problem"
            role="alert"
          >
            {status === 400 ? "Malformed Session ID: " : ""}
            {problem}
          </p>
        )}
        {result && (
          <section aria-labelledby="h-result">
            <h2 id="h-result">
              Stored by swarm{" "}
              <a href={`/swarms/${result.swarmId}`}>
                <code>{result.swarmId}</code>
              </a>
            </h2>
            <p>
              {result.members.length} nodes keep the messages of{" "}
              <code class="hash">{result.sessionId}</code>. A client sends to
              any of them; the others hold copies.
            </p>
            <TableWrap label="Swarm members">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Node</th>
                    <th scope="col">Address</th>
                    <th scope="col">HTTPS port</th>
                    <th scope="col">QUIC port</th>
                    <th scope="col">Version</th>
                  </tr>
                </thead>
                <tbody>
                  {result.members.map((m) => (
                    <tr>
                      <td>
                        <NodeKey pubkey={m.pubkey} />
                      </td>
                      <td>
                        <code>{m.publicIp ?? "none"}</code>
                      </td>
                      <td>{m.httpsPort ?? "-"}</td>
                      <td>{m.quicPort ?? "-"}</td>
                      <td>{m.storageVersion ?? "-"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          </section>
        )}
      </>
    ),
  );
}
