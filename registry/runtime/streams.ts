/**
 * Reading a body without trusting its size: request bodies (the API's write
 * limit) and node answers (the reachability prober) are read up to a limit
 * and abandoned beyond it, so a peer cannot make the registry buffer more.
 *
 * @module
 */

import { concat } from "../core/bytes.ts";

/**
 * Read a stream to its end, or return `null` (and cancel it) as soon as it
 * passes `limit` bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const body = new Response("hello").body;
 * assert.deepEqual(await readAtMost(body, 5), new TextEncoder().encode("hello"));
 * assert.equal(await readAtMost(new Response("hello!").body, 5), null);
 * ```
 */
export async function readAtMost(
  stream: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<Uint8Array | null> {
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return concat(...chunks);
      size += value.length;
      if (size > limit) return null;
      chunks.push(value);
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
