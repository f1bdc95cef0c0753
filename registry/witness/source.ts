/**
 * The witness's view of the registry it follows (one registry, or several
 * mirrors serving the same lists): the latest list's epoch, a list, an
 * epoch's inputs document, a state snapshot, the rotation index; and
 * posting co-signatures back. Every answer is checked by the caller (lists
 * against the pinned keys, documents and snapshots against the list's
 * header), so any mirror will do: the first that answers is used.
 *
 * @module
 */

import { toHex } from "../core/bytes.ts";
import type { Cosignature } from "../core/nodelist.ts";

/** A failure to get something from every source. */
export class SourceError extends Error {
  /** `unavailable` (404 everywhere that answered), `unreachable`. */
  readonly code: "unavailable" | "unreachable";
  constructor(code: SourceError["code"], message: string) {
    super(message);
    this.name = "SourceError";
    this.code = code;
  }
}

/** The registry sources a witness follows. */
export class RegistrySources {
  readonly urls: readonly string[];
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(
    urls: readonly string[],
    options: { fetch?: typeof fetch; timeoutMs?: number } = {},
  ) {
    this.urls = urls.map((u) => u.replace(/\/+$/, ""));
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async #get(path: string, accept: string): Promise<Response> {
    let last = "";
    let missing = false;
    for (const url of this.urls) {
      try {
        const res = await this.#fetch(url + path, {
          headers: { accept },
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
        if (res.ok) return res;
        await res.body?.cancel();
        if (res.status === 404) missing = true;
        last = `${url}${path}: HTTP ${res.status}`;
      } catch (e) {
        last = `${url}${path}: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    throw new SourceError(missing ? "unavailable" : "unreachable", last);
  }

  async #bytes(path: string): Promise<Uint8Array> {
    const res = await this.#get(path, "application/octet-stream");
    return new Uint8Array(await res.arrayBuffer());
  }

  /** The latest list's epoch (from `/v1/info`), or null before the first. */
  async latestEpoch(): Promise<number | null> {
    const res = await this.#get("/v1/info", "application/json");
    const info = await res.json() as { latestList: { epoch: number } | null };
    return info.latestList?.epoch ?? null;
  }

  /** List `epoch`'s bytes. */
  list(epoch: number): Promise<Uint8Array> {
    return this.#bytes(`/v1/lists/${epoch}.bin`);
  }

  /** Epoch `epoch`'s inputs document. */
  inputs(epoch: number): Promise<Uint8Array> {
    return this.#bytes(`/v1/epochs/${epoch}/inputs?format=bin`);
  }

  /** The newest state snapshot and its epoch. */
  async latestSnapshot(): Promise<{ epoch: number; bytes: Uint8Array }> {
    const res = await this.#get(
      "/v1/epochs/latest/state",
      "application/octet-stream",
    );
    const epoch = Number(res.headers.get("x-epoch"));
    return { epoch, bytes: new Uint8Array(await res.arrayBuffer()) };
  }

  /** The key rotations the lists announced (unsigned index; each list is checked). */
  async rotations(): Promise<{ epoch: number }[]> {
    const res = await this.#get("/v1/rotations", "application/json");
    return await res.json() as { epoch: number }[];
  }

  /**
   * Post a co-signature of list `epoch` to every source that takes it.
   * Returns how many accepted it.
   */
  async postCosignature(
    epoch: number,
    witnessKey: Uint8Array,
    checkpointHash: Uint8Array,
    cosignature: Pick<Cosignature, "time" | "signature">,
  ): Promise<{ accepted: number; errors: string[] }> {
    const body = JSON.stringify({
      witnessKey: toHex(witnessKey),
      time: cosignature.time.toString(),
      signature: toHex(cosignature.signature),
      checkpointHash: toHex(checkpointHash),
    });
    let accepted = 0;
    const errors: string[] = [];
    await Promise.all(this.urls.map(async (url) => {
      try {
        const res = await this.#fetch(
          `${url}/v1/lists/${epoch}/cosignatures`,
          {
            method: "POST",
            headers: { "content-type": "application/json" },
            body,
            signal: AbortSignal.timeout(this.#timeoutMs),
          },
        );
        const text = await res.text();
        if (res.ok) accepted++;
        else errors.push(`${url}: HTTP ${res.status} ${text.slice(0, 300)}`);
      } catch (e) {
        errors.push(`${url}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }));
    return { accepted, errors };
  }
}
