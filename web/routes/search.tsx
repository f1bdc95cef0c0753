/**
 * `/search?q=`: the header's search box. Sends a Session ID to its swarm, a
 * node key to its node, a wallet key to its wallet, a swarm id to its swarm,
 * and anything else (key prefixes, IPs) to the nodes table.
 *
 * @module
 */

import type { Ctx } from "../render.tsx";

function redirect(to: string): Response {
  return new Response(null, { status: 303, headers: { location: to } });
}

/** `GET /search`. */
export async function search(ctx: Ctx): Promise<Response> {
  const q = (ctx.url.searchParams.get("q") ?? "").trim();
  const enc = encodeURIComponent(q);
  if (q === "") return redirect("/nodes");
  if (/^0[35][0-9a-fA-F]{64}$/.test(q)) return redirect(`/sessions?id=${enc}`);
  if (/^[0-9a-fA-F]{64}$/.test(q)) {
    const key = q.toLowerCase();
    const snap = await ctx.data.snapshot();
    if (snap.byKey.has(key)) return redirect(`/nodes/${key}`);
    if (snap.nodes.some((n) => n.operator === key)) {
      return redirect(`/wallets/${key}`);
    }
    try {
      await ctx.data.client.wallet(key);
      return redirect(`/wallets/${key}`);
    } catch {
      return redirect(`/nodes/${key}`);
    }
  }
  if (/^[0-9]{1,20}$/.test(q)) {
    const snap = await ctx.data.snapshot();
    if (snap.swarms.has(BigInt(q).toString())) {
      return redirect(`/swarms/${BigInt(q)}`);
    }
  }
  if (/^[0-9a-fA-F]{66}$/.test(q) || /^0[35]/.test(q) && q.length > 60) {
    return redirect(`/sessions?id=${enc}`);
  }
  return redirect(`/nodes?q=${enc}&state=all`);
}
