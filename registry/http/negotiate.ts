/**
 * Content negotiation (RFC 9110 §12.5): `Accept` and `Accept-Encoding` with
 * q-values, and `If-None-Match` matching.
 *
 * @module
 */

interface Range {
  value: string;
  q: number;
}

function parseRanges(header: string): Range[] {
  const out: Range[] = [];
  for (const part of header.split(",")) {
    const [value, ...params] = part.split(";").map((s) => s.trim());
    if (!value) continue;
    let q = 1;
    for (const p of params) {
      const m = /^q\s*=\s*([0-9.]+)$/i.exec(p);
      if (m) {
        const n = Number(m[1]);
        q = Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0;
      }
    }
    out.push({ value: value.toLowerCase(), q });
  }
  return out;
}

/**
 * The offered media type the `Accept` header prefers (the server's order
 * breaks ties), or null when it accepts none. No header accepts anything.
 */
export function preferredMediaType(
  accept: string | undefined,
  offered: readonly string[],
): string | null {
  if (accept === undefined || accept.trim() === "") return offered[0] ?? null;
  const ranges = parseRanges(accept);
  let best: string | null = null;
  let bestQ = 0;
  for (const type of offered) {
    const [major] = type.split("/");
    let q = -1;
    let specificity = -1;
    for (const r of ranges) {
      const s = r.value === type
        ? 2
        : r.value === `${major}/*`
        ? 1
        : r.value === "*/*"
        ? 0
        : -1;
      if (s > specificity) {
        specificity = s;
        q = r.q;
      }
    }
    if (q > bestQ) {
      best = type;
      bestQ = q;
    }
  }
  return best;
}

/** Whether `Accept` names `type` itself (not by a wildcard) with q > 0. */
export function acceptsExplicitly(
  accept: string | undefined,
  type: string,
): boolean {
  if (!accept) return false;
  return parseRanges(accept).some((r) => r.value === type && r.q > 0);
}

/** Content codings this API compresses with, in the server's preference order. */
export type Encoding = "br" | "gzip" | "identity";

/** The coding to answer with for an `Accept-Encoding` header. */
export function preferredEncoding(header: string | undefined): Encoding {
  if (!header) return "identity";
  const ranges = parseRanges(header);
  const qOf = (coding: string): number => {
    const exact = ranges.find((r) => r.value === coding);
    if (exact) return exact.q;
    const star = ranges.find((r) => r.value === "*");
    if (star) return star.q;
    return coding === "identity" ? 1 : 0;
  };
  let best: Encoding = "identity";
  let bestQ = 0;
  for (const coding of ["br", "gzip"] as const) {
    const q = qOf(coding);
    if (q > bestQ) {
      best = coding;
      bestQ = q;
    }
  }
  // identity is acceptable unless refused; compressing is still preferred.
  return bestQ > 0 ? best : "identity";
}

/**
 * Whether `If-None-Match` matches one of `etags` (weak comparison, as
 * RFC 9110 §13.1.2 requires for this header).
 */
export function ifNoneMatch(
  header: string | undefined,
  etags: readonly string[],
): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  const strip = (t: string) => t.trim().replace(/^W\//, "");
  const wanted = new Set(etags.map(strip));
  return header.split(",").some((t) => wanted.has(strip(t)));
}
