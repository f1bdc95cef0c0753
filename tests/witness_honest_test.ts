// Issue 15's and 16's "Done when", the honest registry, all real processes
// on loopback: the registry (`deno task start`, 1-second epochs, reachability
// tests on) with three witnesses (`deno task witness`), signed writes
// arriving; clients with k = 2 accept every list (the client library and
// the CLI); a fourth witness started from a state snapshot reaches the same
// state commitment as those that replayed from genesis; then the registry
// rotates its signing key and the witnesses, the client library and the
// CLI - all pinning the old key - follow.
import assert from "node:assert/strict";
import { toHex } from "../registry/core/bytes.ts";
import { type MessageBody, signMessage } from "../registry/core/messages.ts";
import { ATOMIC_PER_COIN, PRESETS } from "../registry/core/params.ts";
import { decodeSignedCheckpoint } from "../registry/core/nodelist.ts";
import { fetchVerifiedList } from "../registry/client/lists.ts";
import {
  labelKey,
  RegistryProc,
  ROOT,
  until,
  WitnessProcess,
  writeKeystore,
} from "./witness/net.ts";

const REGISTRY = labelKey("honest-registry");
const NEXT = labelKey("honest-registry-next");
const WITNESSES = [0, 1, 2, 3].map((i) => labelKey(`honest-witness-${i}`));
const P = PRESETS.devnet;

const sequences = new Map<string, number>();
/** A message signed by `signers` (the last one's sequence), dated now. */
function signed(body: Record<string, unknown>, signers: string[]): Uint8Array {
  const seq = (sequences.get(signers.at(-1)!) ?? 0) + 1;
  sequences.set(signers.at(-1)!, seq);
  return signMessage(
    {
      network: 3,
      timestamp: Math.floor(Date.now() / 1000),
      sequence: seq,
      ...body,
    } as unknown as MessageBody,
    signers.map((s) => labelKey(s).secret),
  ).bytes;
}

async function post(
  url: string,
  path: string,
  bytes: Uint8Array,
): Promise<void> {
  const res = await fetch(url + path, {
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: bytes as Uint8Array<ArrayBuffer>,
  });
  const text = await res.text();
  assert(res.ok, `${path}: ${res.status} ${text}`);
}

async function cli(args: string[], home: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}operator-cli/main.ts`, ...args],
    env: { SNODE_HOME: home, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return {
    code: out.code,
    stdout: d.decode(out.stdout),
    stderr: d.decode(out.stderr),
  };
}

Deno.test({
  name:
    "witnesses, the honest path: registry + 3 witnesses, clients with k=2 accept every list, a snapshot start agrees with genesis replay, a key rotation is followed with the old key pinned",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "witness-honest-" });
    const regDir = `${dir}/registry`;
    await writeKeystore(
      regDir,
      "registry-key.json",
      "registry",
      REGISTRY.secret,
    );
    for (const [i, w] of WITNESSES.entries()) {
      await writeKeystore(
        `${dir}/w${i}`,
        "witness-key.json",
        "witness",
        w.secret,
      );
    }
    // A fixed free port, so the witnesses follow the registry across its restart.
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    const regArgs = [
      "--port",
      String(port),
      "--data-dir",
      regDir,
      "--epoch-seconds",
      "1",
      "--probe-timeout-ms",
      "300",
      "--write-rate",
      "off",
      "--witnesses",
      WITNESSES.slice(0, 3).map((w) => w.hex).join(","),
    ];
    let registry = await RegistryProc.start(regArgs);
    const ws: WitnessProcess[] = [];
    try {
      ws.push(
        ...await Promise.all([0, 1, 2].map((i) =>
          WitnessProcess.start({
            dataDir: `${dir}/w${i}`,
            registries: [registry.url],
            registryKeys: [REGISTRY.hex],
          })
        )),
      );
      const pinned = () =>
        ws.slice(0, 3).map((w, i) => ({
          key: WITNESSES[i]!.public,
          url: w.url,
        }));
      const witnessArgs = () =>
        ws.slice(0, 3).flatMap((w) => ["--witness-key", `${w.key}@${w.url}`]);

      await t.step(
        "signed writes arrive: faucet, registrations, contributions, proofs",
        async () => {
          const url = registry.url;
          for (const who of ["op1", "op2", "friend"]) {
            await post(
              url,
              "/v1/faucet",
              signed({
                kind: "faucet_request",
                wallet: labelKey(who).public,
                amount: 500n * ATOMIC_PER_COIN,
              }, [who]),
            );
          }
          await post(
            url,
            "/v1/nodes",
            signed({
              kind: "register_node",
              nodePubkey: labelKey("n1").public,
              operator: labelKey("op1").public,
              operatorStake: P.stakingRequirement,
              feeBasisPoints: 100,
              reserved: [],
            }, ["n1", "op1"]),
          );
          await post(
            url,
            "/v1/nodes",
            signed({
              kind: "register_node",
              nodePubkey: labelKey("n2").public,
              operator: labelKey("op2").public,
              operatorStake: P.operatorMinimum,
              feeBasisPoints: 0,
              reserved: [],
            }, ["n2", "op2"]),
          );
          await post(
            url,
            "/v1/contributions",
            signed({
              kind: "contribute",
              wallet: labelKey("friend").public,
              nodePubkey: labelKey("n2").public,
              amount: P.stakingRequirement - P.operatorMinimum,
            }, ["friend"]),
          );
          for (const n of ["n1", "n2"]) {
            await post(
              url,
              "/v1/proofs",
              signed({
                kind: "uptime_proof",
                nodePubkey: labelKey(n).public,
                ipv4: "127.0.0.1",
                httpsPort: 1,
                quicPort: 2,
                nodeVersion: [11, 0, 0],
                storageVersion: [2, 10, 0],
              }, [n]),
            );
          }
        },
      );

      await t.step(
        "clients with k=2 of 3 witnesses accept every list, as they come",
        async () => {
          const accepted = new Set<number>();
          const deadline = Date.now() + 30_000;
          while (accepted.size < 6) {
            assert(Date.now() < deadline, `accepted only ${[...accepted]}`);
            const got = await fetchVerifiedList({
              urls: [registry.url],
              network: 3,
              trustedKeys: [REGISTRY.public],
              witnesses: pinned(),
              witnessThreshold: 2,
            });
            assert(got.cosigners.length >= 2);
            assert.deepEqual(got.witnessComparison?.proofs, []);
            accepted.add(Number(got.list.header.epoch));
            await new Promise((r) => setTimeout(r, 400));
          }
          // Every list since genesis was co-signed by all three witnesses.
          const latest = Math.max(...accepted) - 1;
          for (let e = 0; e <= latest; e++) {
            const res = await fetch(`${registry.url}/v1/lists/${e}.bin`, {
              method: "HEAD",
            });
            assert.equal(
              res.headers.get("x-list-cosignatures"),
              "3",
              `list ${e}`,
            );
          }
          for (const w of ws) assert.equal((await w.status()).halted, null);
          // The inputs carried what happened: writes, reachability, ticks.
          const kinds = new Set<string>();
          for (let e = 0; e <= latest; e++) {
            const doc = await (await fetch(
              `${registry.url}/v1/epochs/${e}/inputs?format=json`,
            )).json();
            for (const en of doc.entries) kinds.add(en.kind);
          }
          assert.deepEqual([...kinds].sort(), [
            "genesis",
            "reachability",
            "tick",
            "write",
          ]);
          // The CLI too.
          const out = await cli([
            "--registry",
            registry.url,
            "--network",
            "devnet",
            "--json",
            "list",
            "fetch",
            "--registry-key",
            REGISTRY.hex,
            ...witnessArgs(),
            "--threshold",
            "2",
          ], `${dir}/home`);
          assert.equal(out.code, 0, out.stderr);
          const summary = JSON.parse(out.stdout);
          assert(summary.cosigners.length >= 2);
          const verify = await cli([
            "--registry",
            registry.url,
            "--network",
            "devnet",
            "--json",
            "list",
            "verify",
            "--registry-key",
            REGISTRY.hex,
            ...witnessArgs(),
            "--threshold",
            "2",
          ], `${dir}/home`);
          assert.equal(verify.code, 0, verify.stderr);
        },
      );

      await t.step(
        "a witness started from a snapshot reaches the same state commitment as replay from genesis",
        async () => {
          const w = await WitnessProcess.start({
            dataDir: `${dir}/w3`,
            registries: [registry.url],
            registryKeys: [REGISTRY.hex],
            extra: ["--start", "snapshot"],
          });
          ws.push(w);
          const s = await until(
            "the snapshot witness decides",
            20_000,
            async () => {
              const st = await w.status();
              return st.latest ? st : null;
            },
          );
          assert.match(s.startedFrom ?? "", /^snapshot \d+$/);
          assert.equal((await ws[0]!.status()).startedFrom, "genesis");
          const epoch = s.latest!.epoch;
          const fromGenesis = await until(
            "the genesis witness's checkpoint",
            10_000,
            async () => {
              const r = await fetch(`${ws[0]!.url}/v1/checkpoints/${epoch}`);
              return r.ok
                ? new Uint8Array(await r.arrayBuffer())
                : (await r.body?.cancel(), null);
            },
          );
          const fromSnapshot = new Uint8Array(
            await (await fetch(`${w.url}/v1/checkpoints/${epoch}`))
              .arrayBuffer(),
          );
          const a = decodeSignedCheckpoint(fromGenesis, 3);
          const b = decodeSignedCheckpoint(fromSnapshot, 3);
          assert.equal(toHex(a.id), toHex(b.id));
          assert.equal(
            toHex(a.header.commitments!.stateHash),
            toHex(b.header.commitments!.stateHash),
          );
        },
      );

      await t.step(
        "the registry rotates its key; witnesses, the client library and the CLI follow with the old key pinned",
        async () => {
          assert.equal(await registry.stop(), 0);
          await writeKeystore(
            regDir,
            "registry-key.next.json",
            "registry",
            NEXT.secret,
          );
          // Same data directory, same port: the witnesses keep following.
          registry = await RegistryProc.start([
            ...regArgs,
            "--rotate-key",
            "on",
          ]);
          const rotated = await registry.waitFor(
            "the rotation",
            (l) => l.msg === "rotated the registry signing key",
            20_000,
          );
          assert.equal(rotated.registryKey, NEXT.hex);
          await until("witnesses follow the new key", 20_000, async () => {
            for (const w of ws.slice(0, 3)) {
              const st = await (await fetch(`${w.url}/v1/status`)).json();
              if (st.halted) throw new Error(JSON.stringify(st.halted));
              if (
                st.registryKeys[0] !== NEXT.hex ||
                st.latest.epoch <= Number(rotated.epoch)
              ) return null;
            }
            return true;
          });
          const got = await until(
            "a co-signed list signed by the new key",
            20_000,
            async () => {
              const g = await fetchVerifiedList({
                urls: [registry.url],
                network: 3,
                trustedKeys: [REGISTRY.public], // the old key, pinned
                witnesses: pinned(),
                witnessThreshold: 2,
              });
              return Number(g.list.header.epoch) > Number(rotated.epoch)
                ? g
                : null;
            },
          );
          assert.deepEqual(got.registryKeys, [NEXT.hex]);
          assert.deepEqual(got.signers, [NEXT.hex]);
          const out = await cli([
            "--registry",
            registry.url,
            "--network",
            "devnet",
            "--json",
            "list",
            "fetch",
            "--registry-key",
            REGISTRY.hex,
            ...witnessArgs(),
            "--threshold",
            "2",
          ], `${dir}/home`);
          assert.equal(out.code, 0, out.stderr);
          const summary = JSON.parse(out.stdout);
          assert.deepEqual(summary.registryKeys, [NEXT.hex]);
          assert(summary.epoch > Number(rotated.epoch));
          // Next time the CLI starts from the key it followed.
          const again = await cli([
            "--registry",
            registry.url,
            "--network",
            "devnet",
            "--json",
            "list",
            "verify",
            "--registry-key",
            REGISTRY.hex,
            ...witnessArgs(),
            "--threshold",
            "2",
          ], `${dir}/home`);
          assert.equal(again.code, 0, again.stderr);
          // The key files moved: the new key is registry-key.json now.
          const files = [...Deno.readDirSync(regDir)].map((e) => e.name);
          assert(
            files.includes(`registry-key.retired-${rotated.epoch}.json`),
            files.join(),
          );
          assert(!files.includes("registry-key.next.json"));
        },
      );

      await t.step(
        "the registry killed with kill -9 amid writes: its inputs stay consistent, the witnesses keep co-signing",
        async () => {
          const writing = { on: true };
          const writer = (async () => {
            while (writing.on) {
              try {
                await post(
                  registry.url,
                  "/v1/faucet",
                  signed({
                    kind: "faucet_request",
                    wallet: labelKey("friend").public,
                    amount: ATOMIC_PER_COIN,
                  }, ["friend"]),
                );
              } catch {
                // refused or cut off by the kill: fine
              }
            }
          })();
          await new Promise((r) => setTimeout(r, 1500));
          await registry.kill9();
          writing.on = false;
          await writer;
          registry = await RegistryProc.start(regArgs);
          const restartedAt = await (await fetch(`${registry.url}/v1/info`))
            .json() as { epoch: number };
          await until("co-signatures after the restart", 20_000, async () => {
            for (const w of ws.slice(0, 3)) {
              const st = await w.status();
              if (st.halted) throw new Error(JSON.stringify(st.halted));
              if ((st.latest?.epoch ?? 0) <= restartedAt.epoch + 1) {
                return null;
              }
            }
            return true;
          });
        },
      );
    } finally {
      await Promise.all(ws.map((w) => w.stop()));
      await registry.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
