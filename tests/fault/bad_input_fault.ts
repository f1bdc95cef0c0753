// Bad-input fault suite (`deno task test:fault`): at least 10,000 generated
// and mutated requests, from a fixed seed, against the app in-process: every
// write route with mutated signed messages and junk bodies, every read route
// with junk parameters and headers, JSON-RPC with malformed and hostile
// calls, and the binary decoders (messages, lists) directly. No 5xx, every
// refusal problem+json with a known code and its table status, nothing
// thrown by a decoder but the core's own errors, and the state (nodes,
// wallets, stakes, sequences, events, latest list) identical before and after.
import assert from "node:assert/strict";
import { ERRORS, isErrorCode } from "../../registry/api/errors.ts";
import { toHex } from "../../registry/core/bytes.ts";
import { CoreError } from "../../registry/core/errors.ts";
import { decodeMessage } from "../../registry/core/messages.ts";
import {
  decodeNodeList,
  verifyNodeList,
} from "../../registry/core/nodelist.ts";
import { ATOMIC_PER_COIN } from "../../registry/core/params.ts";
import {
  activeNode,
  httpNet,
  stateSnapshot,
  ticks,
} from "../../registry/testkit/http.ts";
import { report } from "./registry_process.ts";

const REQUESTS = 10_000;
const DECODER_INPUTS = 4_000;

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test({
  name:
    `bad input: ${REQUESTS} mutated and generated requests and ${DECODER_INPUTS} decoder inputs: no 5xx, known problem codes, state unchanged`,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const started = performance.now();
    const random = prng(20261124);
    const int = (n: number) => Math.floor(random() * n);
    const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
    const h = await httpNet({ app: { heartbeatMs: 60_000 } });
    try {
      // A registry with something in it: nodes, stakes, events, lists.
      const nodes = [
        await activeNode(h, "n0"),
        await activeNode(h, "n1"),
        await activeNode(h, "n2", "friend"),
      ];
      const faucet = h.net.walletMessage("w", "faucet_request", {
        amount: 5n * ATOMIC_PER_COIN,
      });
      await h.net.registry.submit(faucet.bytes);
      await ticks(h.net, 2);
      const latest = await h.net.registry.store.read.lists.latest();
      const listBytes =
        (await h.net.registry.store.read.lists.find(latest!.epoch))!.bytes;
      const before = await stateSnapshot(h.net);
      const eventsBefore = JSON.stringify(
        await h.net.events({ limit: 10_000 }),
      );

      // Valid messages of every kind, never sent as they are.
      const valid: Uint8Array[] = [
        h.net.walletMessage("w", "faucet_request", {
          amount: ATOMIC_PER_COIN,
        }).bytes,
        h.net.walletMessage("op", "contribute", {
          nodePubkey: h.net.signer("n0").key.public,
          amount: ATOMIC_PER_COIN,
        }).bytes,
        h.net.walletMessage("op", "unlock_request", {
          nodePubkey: h.net.signer("n1").key.public,
        }).bytes,
        h.net.registration("n9", "op", {
          operatorStake: h.net.params.stakingRequirement,
          feeBasisPoints: 0,
          reserved: [],
        }).bytes,
        h.net.proof("n0").bytes,
        faucet.bytes, // already applied: a replay
      ];
      const unsent = valid.slice(0, -1).map(toHex);
      /** A mutation that is never one of the valid, unsent messages. */
      const mutate = (b: Uint8Array): Uint8Array => {
        for (;;) {
          const m = mutateOnce(b);
          if (!unsent.includes(toHex(m))) return m;
        }
      };
      const mutateOnce = (b: Uint8Array): Uint8Array => {
        const out = b.slice();
        switch (int(6)) {
          case 0: // flip bits
            for (let i = 0, n = 1 + int(4); i < n; i++) {
              out[int(out.length)]! ^= 1 << int(8);
            }
            return out;
          case 1: // truncate
            return out.slice(0, int(out.length));
          case 2: // extend
            return Uint8Array.from([
              ...out,
              ...Array.from({ length: 1 + int(64) }, () => int(256)),
            ]);
          case 3: { // overwrite a run with a boundary value
            const at = int(out.length);
            const v = pick([0, 0xff, 0x7f, 0x80]);
            for (let i = at; i < Math.min(out.length, at + 1 + int(9)); i++) {
              out[i] = v;
            }
            return out;
          }
          case 4: // random bytes
            return Uint8Array.from(
              { length: int(300) },
              () => int(256),
            );
          default: { // splice two messages
            const other = pick(valid);
            const cut = int(Math.min(out.length, other.length));
            return Uint8Array.from([
              ...out.slice(0, cut),
              ...other.slice(cut),
            ]);
          }
        }
      };
      const writeRoutes = [
        "/v1/submit",
        "/v1/nodes",
        "/v1/contributions",
        "/v1/unlocks",
        "/v1/proofs",
        "/v1/faucet",
      ];
      const junkText = () =>
        pick([
          "",
          "-1",
          "0",
          "1e999",
          "NaN",
          "null",
          "%00",
          "%ff%fe",
          "../../etc/passwd",
          "'; drop table nodes; --",
          "a".repeat(1 + int(300)),
          "9".repeat(1 + int(40)),
          toHex(Uint8Array.from({ length: int(40) }, () => int(256))),
          nodes[0]!.slice(0, 63),
          nodes[0]!.toUpperCase(),
          "%E2%80%AE",
          "\u0000",
        ]);
      const enc = (s: string) => encodeURIComponent(s);
      const readPath = (): string => {
        switch (int(12)) {
          case 0:
            return `/v1/nodes/${enc(junkText())}`;
          case 1:
            return `/v1/nodes?status=${enc(junkText())}&limit=${
              enc(junkText())
            }&after=${enc(junkText())}`;
          case 2:
            return `/v1/swarms/${enc(junkText())}`;
          case 3:
            return `/v1/wallets/${enc(junkText())}`;
          case 4:
            return `/v1/sessions/${enc(junkText())}/swarm`;
          case 5:
            return `/v1/lists/${enc(junkText())}${
              pick(["", ".bin", ".json", ".xml"])
            }?format=${enc(junkText())}`;
          case 6:
            return `/v1/lists/${
              pick(["latest", "1", "2", junkText()])
            }/diff?from=${enc(junkText())}`;
          case 7:
            return `/v1/events?after=${enc(junkText())}&limit=${
              enc(junkText())
            }&kind=${enc(junkText())}&node=${enc(junkText())}`;
          case 8:
            return `/${enc(junkText())}`;
          case 9:
            return `/v1/${pick(["info", "health", "nodes/open", "swarms"])}?${
              enc(junkText())
            }=${enc(junkText())}`;
          case 10:
            return `/v1/nodes/${pick(nodes)}`;
          default:
            return `/v1/lists/latest`;
        }
      };
      const rpcBody = (): string => {
        const method = pick([
          "get_service_nodes",
          "get_n_service_nodes",
          "get_service_node_list",
          junkText(),
        ]);
        const params = pick<unknown>([
          {},
          { service_node_pubkeys: [junkText(), pick(nodes)] },
          { fields: { [junkText()]: true, pubkey: pick([true, "yes", 1]) } },
          { limit: pick([-1, 0, 1e9, "10", null, 1.5]) },
          { active_only: junkText() },
          [1, 2, 3],
          junkText(),
          null,
        ]);
        const call = {
          jsonrpc: pick(["2.0", "1.0", 2]),
          id: pick([1, "x", null, {}]),
          method,
          params,
        };
        switch (int(6)) {
          case 0:
            return JSON.stringify(call);
          case 1:
            return JSON.stringify([call, call, {}]);
          case 2:
            return JSON.stringify([]);
          case 3:
            return JSON.stringify(call).slice(0, int(60));
          case 4:
            return junkText();
          default:
            return JSON.stringify({
              ...call,
              params: JSON.parse(JSON.stringify(params ?? null)),
            });
        }
      };
      const headerSets = (): Record<string, string> =>
        pick([
          {},
          { accept: junkText() },
          { accept: "text/event-stream" },
          { "if-none-match": junkText() },
          {
            "accept-encoding": pick(["br", "gzip", "identity;q=0", junkText()]),
          },
          { "last-event-id": junkText(), accept: "text/event-stream" },
          { accept: "application/json;q=0, application/octet-stream;q=0" },
        ]);

      /** The app's answer, or null when the fetch API refuses to build such a request (not ours to test). */
      const call = async (
        path: string,
        init: RequestInit,
      ): Promise<Response | null> => {
        let req: Request;
        try {
          req = new Request(`http://localhost${path}`, init);
        } catch (e) {
          if (e instanceof TypeError) return null;
          throw e;
        }
        return await h.app.request(req);
      };
      let unbuildable = 0;
      const statuses: Record<string, number> = {};
      const codes: Record<string, number> = {};
      const families: Record<string, number> = {};
      let serverErrors = 0;
      for (let i = 0; i < REQUESTS; i++) {
        let family: string;
        let res: Response | null;
        let head = false;
        const r = random();
        if (r < 0.45) {
          family = "write";
          const bytes = mutate(pick(valid));
          const as = int(5);
          const path = pick(writeRoutes);
          const init: RequestInit = { method: "POST" };
          if (as === 0) {
            init.headers = { "content-type": "application/octet-stream" };
            init.body = bytes as Uint8Array<ArrayBuffer>;
          } else if (as === 1) {
            init.headers = { "content-type": "application/json" };
            init.body = JSON.stringify({ message: toHex(bytes) });
          } else if (as === 2) {
            init.headers = { "content-type": "application/json" };
            init.body = pick([
              junkText(),
              "{",
              '{"message": 12}',
              '{"message": "zz"}',
              "[]",
              '{"message": "' + "a".repeat(10_000) + '"}',
            ]);
          } else if (as === 3) {
            init.headers = {
              "content-type": pick([
                "text/plain",
                "multipart/form-data",
                junkText(),
              ]),
            };
            init.body = bytes as Uint8Array<ArrayBuffer>;
          } else {
            init.headers = {
              "content-type": "application/octet-stream",
              "content-length": pick(["0", "999999", "-5", "abc"]),
            };
            init.body = bytes as Uint8Array<ArrayBuffer>;
          }
          res = await call(path, init);
        } else if (r < 0.85) {
          family = "read";
          const method = pick([
            "GET",
            "GET",
            "GET",
            "HEAD",
            "PUT",
            "DELETE",
            "PATCH",
            "OPTIONS",
          ]);
          head = method === "HEAD";
          res = await call(readPath(), {
            method,
            headers: headerSets(),
          });
        } else {
          family = "json-rpc";
          const method = random() < 0.9 ? "POST" : "GET";
          const headers = {
            "content-type": pick(["application/json", "text/plain"]),
          };
          res = await call(
            "/json_rpc",
            method === "POST" ? { method, headers, body: rpcBody() } : {
              method,
              headers,
            },
          );
        }
        if (res === null) {
          unbuildable++;
          i--;
          continue;
        }
        families[family] = (families[family] ?? 0) + 1;
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status >= 500) serverErrors++;
        const type = res.headers.get("content-type") ?? "";
        if (res.status >= 400) {
          assert.equal(
            type,
            "application/problem+json",
            `${family} ${res.status}`,
          );
          if (head) continue;
          const p = await res.json() as { code: string; status: number };
          assert(isErrorCode(p.code), `unknown code ${p.code}`);
          assert.equal(res.status, ERRORS[p.code].status, p.code);
          assert.equal(p.status, res.status);
          codes[p.code] = (codes[p.code] ?? 0) + 1;
        } else if (type.startsWith("text/event-stream")) {
          await res.body?.cancel();
        } else {
          await res.body?.cancel();
        }
      }
      assert.equal(serverErrors, 0);
      assert.equal(h.logged.length, 0, JSON.stringify(h.logged));

      // The binary decoders on their own: only the core's errors.
      let decoderRefusals = 0;
      const decoderCodes: Record<string, number> = {};
      for (let i = 0; i < DECODER_INPUTS; i++) {
        const list = random() < 0.5;
        const input = list ? mutate(listBytes) : mutate(pick(valid));
        try {
          if (list) {
            decodeNodeList(input, h.net.params.id);
            verifyNodeList(input, [h.net.registryKey.public], {
              expectedNetwork: h.net.params.id,
            });
          } else decodeMessage(input, h.net.params.id);
        } catch (e) {
          assert(e instanceof CoreError, `decoder threw ${e}`);
          decoderRefusals++;
          decoderCodes[e.code] = (decoderCodes[e.code] ?? 0) + 1;
        }
      }

      // Nothing changed.
      assert.equal(await stateSnapshot(h.net), before);
      assert.equal(
        JSON.stringify(await h.net.events({ limit: 10_000 })),
        eventsBefore,
      );
      report("bad-input", {
        requests: REQUESTS,
        byFamily: families,
        statuses,
        serverErrors,
        skippedUnbuildable: unbuildable,
        problemCodes: codes,
        decoderInputs: DECODER_INPUTS,
        decoderRefusals,
        decoderCodes,
        stateUnchanged: true,
        seconds: Math.round((performance.now() - started) / 1000),
      });
    } finally {
      await h.close();
    }
  },
});
