/**
 * Compressed representations of lists and diffs, computed once per key and
 * kept within a byte budget: a published list never changes, so it is
 * compressed once, not per request.
 *
 * @module
 */

import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import type { Encoding } from "./negotiate.ts";

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/**
 * Compress with a coding. Brotli's best quality costs seconds on a
 * multi-megabyte list (measured: 4.3 s for a 3 MB JSON list of 10,000
 * nodes, 0.46 s at quality 9), so it is kept for small bodies.
 */
export async function compress(
  bytes: Uint8Array,
  encoding: Encoding,
): Promise<Uint8Array> {
  if (encoding === "identity") return bytes;
  if (encoding === "gzip") {
    return new Uint8Array(await gzipAsync(bytes, { level: 9 }));
  }
  const quality = bytes.length < 256 * 1024
    ? 11
    : bytes.length < 2 * 1024 * 1024
    ? 9
    : 5;
  return new Uint8Array(
    await brotliAsync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: quality,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }),
  );
}

/**
 * Representations by key, within a byte budget (oldest evicted first).
 * Concurrent misses of one key share one computation.
 */
export class RepresentationCache {
  readonly #budget: number;
  readonly #entries = new Map<string, Promise<Uint8Array>>();
  readonly #sizes = new Map<string, number>();
  #bytes = 0;

  constructor(budget: number) {
    this.#budget = budget;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Entries held. */
  get size(): number {
    return this.#entries.size;
  }

  /** The cached value, or `produce()`'s, remembered. */
  get(key: string, produce: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const hit = this.#entries.get(key);
    if (hit) return hit;
    const made = produce();
    this.#entries.set(key, made);
    made.then((bytes) => {
      if (this.#entries.get(key) !== made) return;
      this.#sizes.set(key, bytes.length);
      this.#bytes += bytes.length;
      for (const [k] of this.#entries) {
        if (this.#bytes <= this.#budget || k === key) break;
        this.#evict(k);
      }
    }, () => this.#entries.delete(key));
    return made;
  }

  #evict(key: string): void {
    this.#entries.delete(key);
    this.#bytes -= this.#sizes.get(key) ?? 0;
    this.#sizes.delete(key);
  }
}
