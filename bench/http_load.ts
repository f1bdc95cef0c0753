/// <reference lib="deno.worker" />
/**
 * A load generator for `postgres_bench.ts`, run as a Web Worker so it has a
 * thread of its own and does not share the registry's event loop: it gets a
 * job (lanes of requests; lanes run concurrently, each lane's requests one
 * after another, in order) and answers with how long they took and the
 * statuses they got.
 *
 * @module
 */

/** One request. */
export interface LoadRequest {
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

/** What the worker is asked to do. */
export interface LoadJob {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Each lane's requests, in order. */
  lanes: LoadRequest[][];
}

/** What it answers. */
export interface LoadResult {
  requests: number;
  seconds: number;
  /** Responses by status (0: no response). */
  statuses: Record<number, number>;
}

async function run(job: LoadJob): Promise<LoadResult> {
  const statuses: Record<number, number> = {};
  const started = performance.now();
  await Promise.all(job.lanes.map(async (lane) => {
    for (const r of lane) {
      let status = 0;
      try {
        const res = await fetch(job.url + r.path, {
          method: r.method,
          headers: r.headers,
          ...(r.body ? { body: r.body as Uint8Array<ArrayBuffer> } : {}),
        });
        await res.arrayBuffer();
        status = res.status;
      } catch {
        // Counted as status 0.
      }
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  }));
  return {
    requests: job.lanes.reduce((n, l) => n + l.length, 0),
    seconds: (performance.now() - started) / 1000,
    statuses,
  };
}

self.onmessage = async (e: MessageEvent<LoadJob>) => {
  self.postMessage(await run(e.data));
};
