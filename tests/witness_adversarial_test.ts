// Issue 15's "Done when", the dishonest registry: real witness processes on
// loopback follow registries run in this process (the test kit's real
// registry, served behind a front the test can switch), and the test makes
// the registry misbehave:
// - a list that does not follow from its inputs: witnesses refuse, clients reject;
// - a rewrite of an old epoch: refused, proof produced;
// - a split view served to two clients: detected through the witnesses'
//   checkpoints, the proof written by the CLI and verified offline;
// - a witness killed with kill -9 between deciding and posting never signs
//   another list for that epoch after its restart.
import assert from "node:assert/strict";
import { toHex } from "../registry/core/bytes.ts";
import {
  decodeSignedCheckpoint,
  equivocationProofFromJson,
  verifyEquivocationProof,
} from "../registry/core/nodelist.ts";
import { fetchVerifiedList } from "../registry/client/lists.ts";
import { ClientError } from "../registry/client/client_errors.ts";
import {
  clock,
  faucetMessage,
  Front,
  labelKey,
  type LocalRegistry,
  localRegistry,
  ROOT,
  until,
  WitnessProcess,
  writeKeystore,
} from "./witness/net.ts";

const REGISTRY = labelKey("adversarial-registry");
const WITNESSES = [0, 1, 2].map((i) => labelKey(`adversarial-witness-${i}`));
const FUNDED = ["alice", "bob"];

async function tickAll(...regs: LocalRegistry[]): Promise<void> {
  clock.now = Date.now();
  for (const r of regs) await r.registry.tick();
}

async function submitAll(
  bytes: Uint8Array,
  ...regs: LocalRegistry[]
): Promise<void> {
  for (const r of regs) await r.registry.submit(bytes);
}

async function witnesses(
  dir: string,
  front: Front,
  count = 3,
  extra: (i: number) => string[] = () => [],
): Promise<WitnessProcess[]> {
  return await Promise.all(
    WITNESSES.slice(0, count).map(async (w, i) => {
      const dataDir = `${dir}/w${i}`;
      await writeKeystore(dataDir, "witness-key.json", "witness", w.secret);
      return await WitnessProcess.start({
        dataDir,
        registries: [front.url],
        registryKeys: [REGISTRY.hex],
        extra: extra(i),
      });
    }),
  );
}

async function cosignedUpTo(
  reg: LocalRegistry,
  epoch: number,
  n: number,
): Promise<void> {
  await until(`list ${epoch} co-signed by ${n}`, 30_000, async () => {
    const m = await reg.store.read.lists.meta(epoch);
    return m && m.cosignatures >= n ? true : null;
  });
}

function pinned(ws: WitnessProcess[]) {
  return ws.map((w) => ({
    key: Uint8Array.from(w.key.match(/../g)!.map((b) => parseInt(b, 16))),
    url: w.url,
  }));
}

Deno.test({
  name:
    "witnesses: a list that does not follow from its inputs is refused by every witness and rejected by clients",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "witness-bad-list-" });
    const reg = await localRegistry(
      REGISTRY.secret,
      WITNESSES.map((w) => w.hex),
      FUNDED,
    );
    const front = new Front(reg);
    const ws = await witnesses(dir, front);
    try {
      for (let i = 0; i < 3; i++) {
        await submitAll(faucetMessage("alice", 1n), reg);
        await tickAll(reg);
      }
      const honest = reg.registry.epoch - 1;
      await cosignedUpTo(reg, honest, 3);
      const ok = await fetchVerifiedList({
        urls: [front.url],
        network: 3,
        trustedKeys: [REGISTRY.public],
        witnesses: pinned(ws),
        witnessThreshold: 2,
      });
      assert.equal(Number(ok.list.header.epoch), honest);
      assert(ok.cosigners.length >= 2);
      // The registry's operator credits a wallet behind the rules' back.
      await reg.store.transaction((tx) =>
        tx.wallets.post({
          wallet: labelKey("bob").hex,
          delta: 5n,
          kind: "faucet",
          node: null,
          epoch: reg.registry.epoch,
          createdAt: clock.now,
        })
      );
      await tickAll(reg);
      const bad = reg.registry.epoch - 1;
      for (const w of ws) {
        const halt = await until(
          "the witness refuses",
          30_000,
          async () => (await w.status()).halted,
        );
        assert.equal(halt.code, "replay_mismatch");
        assert.equal(halt.epoch, bad);
        assert.match(halt.reason, /stateHash/);
      }
      assert.equal((await reg.store.read.lists.meta(bad))!.cosignatures, 0);
      // Clients reject it: not co-signed, and after a few more lists the
      // fallback to the last co-signed one is over.
      for (let i = 0; i < 3; i++) await tickAll(reg);
      await assert.rejects(
        fetchVerifiedList({
          urls: [front.url],
          network: 3,
          trustedKeys: [REGISTRY.public],
          witnesses: pinned(ws),
          witnessThreshold: 2,
        }),
        (e: unknown) =>
          e instanceof ClientError && e.code === "insufficient_cosignatures",
      );
    } finally {
      await Promise.all(ws.map((w) => w.stop()));
      await front.close();
      await reg.store.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Two registries with one key, fed the same inputs until `forkAfter` epochs, then one more write to B. */
async function forkedTwins(forkAfter: number) {
  const a = await localRegistry(
    REGISTRY.secret,
    WITNESSES.map((w) => w.hex),
    FUNDED,
  );
  const b = await localRegistry(
    REGISTRY.secret,
    WITNESSES.map((w) => w.hex),
    FUNDED,
  );
  for (let i = 0; i < forkAfter; i++) {
    await submitAll(faucetMessage("alice", 1n), a, b);
    await tickAll(a, b);
  }
  // The same history so far, byte for byte.
  const last = a.registry.epoch - 1;
  assert.deepEqual(
    (await a.store.read.lists.find(last))!.bytes,
    (await b.store.read.lists.find(last))!.bytes,
  );
  await submitAll(faucetMessage("bob", 2n), b);
  return { a, b, forkEpoch: a.registry.epoch };
}

Deno.test({
  name:
    "witnesses: a registry rewriting an old epoch is refused, and the witnesses produce an equivocation proof",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "witness-rewrite-" });
    const { a, b, forkEpoch } = await forkedTwins(2);
    const front = new Front(a);
    const ws = await witnesses(dir, front);
    try {
      for (let i = 0; i < 3; i++) await tickAll(a, b);
      const last = a.registry.epoch - 1;
      await cosignedUpTo(a, last, 3);
      // The registry now serves a history rewritten from epoch `forkEpoch`.
      front.target = b;
      await tickAll(a, b);
      for (const w of ws) {
        const halt = await until(
          "the witness refuses",
          30_000,
          async () => (await w.status()).halted,
        );
        assert.equal(halt.code, "equivocation", halt.reason);
        const proofs = await (await fetch(`${w.url}/v1/proofs`)).json();
        assert.equal(proofs.length, 1);
        const v = verifyEquivocationProof(equivocationProofFromJson(proofs[0]));
        assert.equal(v.role, "registry");
        assert.equal(toHex(v.signer), REGISTRY.hex);
        assert(Number(v.epoch) >= forkEpoch && Number(v.epoch) <= last);
      }
      // Nothing of the rewritten history was co-signed.
      for (let e = forkEpoch; e < b.registry.epoch; e++) {
        assert.equal((await b.store.read.lists.meta(e))!.cosignatures, 0);
      }
    } finally {
      await Promise.all(ws.map((w) => w.stop()));
      await front.close();
      await a.store.close();
      await b.store.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function cli(
  args: string[],
  home: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
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
    "witnesses: a split view served to two clients is detected through the witnesses' checkpoints; the CLI writes the proof, check-proof verifies it offline",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "witness-split-" });
    const { a, b } = await forkedTwins(2);
    const front1 = new Front(a); // what the witnesses and client 1 see
    const front2 = new Front(b); // what client 2 sees
    const ws = await witnesses(dir, front1);
    try {
      for (let i = 0; i < 3; i++) await tickAll(a, b);
      const last = a.registry.epoch - 1;
      await cosignedUpTo(a, last, 3);
      const witnessArgs = ws.flatMap((
        w,
      ) => ["--witness-key", `${w.key}@${w.url}`]);
      // Client 1 accepts the co-signed list.
      const c1 = await cli([
        "--registry",
        front1.url,
        "--network",
        "devnet",
        "--json",
        "list",
        "fetch",
        "--registry-key",
        REGISTRY.hex,
        ...witnessArgs,
        "--threshold",
        "2",
      ], `${dir}/home1`);
      assert.equal(c1.code, 0, c1.stderr);
      assert.equal(JSON.parse(c1.stdout).epoch, last);
      // Client 2 is shown another list for the same epoch.
      const proofFile = `${dir}/proof.json`;
      const c2 = await cli([
        "--registry",
        front2.url,
        "--network",
        "devnet",
        "list",
        "fetch",
        "--registry-key",
        REGISTRY.hex,
        ...witnessArgs,
        "--threshold",
        "2",
        "--proof-out",
        proofFile,
      ], `${dir}/home2`);
      assert.equal(c2.code, 5, c2.stdout + c2.stderr);
      assert.match(c2.stderr, /equivocation/);
      // The proof stands on its own: checked offline.
      const check = await cli(
        [
          "--json",
          "list",
          "check-proof",
          proofFile,
          "--registry-key",
          REGISTRY.hex,
        ],
        `${dir}/home3`,
      );
      assert.equal(check.code, 0, check.stderr);
      const verdict = JSON.parse(check.stdout);
      assert.equal(verdict.valid, true);
      assert.equal(verdict.role, "registry");
      assert.equal(verdict.signer, REGISTRY.hex);
      assert.equal(verdict.epoch, last);
      assert.equal(verdict.pinned, "a pinned registry key");
      // A tampered proof is refused.
      const json = JSON.parse(await Deno.readTextFile(proofFile));
      json.checkpoints[1].signature = json.checkpoints[0].signature;
      await Deno.writeTextFile(`${dir}/bad.json`, JSON.stringify(json));
      const bad = await cli(
        ["list", "check-proof", `${dir}/bad.json`],
        `${dir}/home3`,
      );
      assert.equal(bad.code, 5, bad.stderr);
      // The library reports the same, with the proof object.
      await assert.rejects(
        fetchVerifiedList({
          urls: [front2.url],
          network: 3,
          trustedKeys: [REGISTRY.public],
          witnesses: pinned(ws),
          witnessThreshold: 2,
        }),
        (e: unknown) =>
          e instanceof ClientError && e.code === "equivocation" &&
          e.proof?.epoch === BigInt(last),
      );
    } finally {
      await Promise.all(ws.map((w) => w.stop()));
      await front1.close();
      await front2.close();
      await a.store.close();
      await b.store.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "witnesses: killed with kill -9 between deciding and posting, a witness never signs another list for that epoch after its restart",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "witness-kill-" });
    const { a, b, forkEpoch } = await forkedTwins(2);
    const front = new Front(a);
    // One witness, pausing after it decides the epoch where the twins fork.
    let [w] = await witnesses(
      dir,
      front,
      1,
      () => ["--pause-after-decide", `${forkEpoch}:20000`],
    );
    try {
      await tickAll(a, b); // list `forkEpoch`: A's and B's differ
      const decided = await w!.waitFor(
        "the decision",
        (l) => l.msg === "decided" && l.epoch === forkEpoch,
      );
      await w!.kill9();
      const aHash = (await a.store.read.lists.meta(forkEpoch))!.hash;
      const bHash = (await b.store.read.lists.meta(forkEpoch))!.hash;
      assert.equal(decided.checkpointHash, aHash);
      assert.notEqual(aHash, bHash);
      // Killed before posting: A's list carries no co-signature.
      assert.equal((await a.store.read.lists.meta(forkEpoch))!.cosignatures, 0);
      // The registry now shows the witness the other list for that epoch.
      front.target = b;
      await tickAll(a, b);
      [w] = await witnesses(dir, front, 1);
      const halt = await until(
        "the restarted witness refuses",
        30_000,
        async () => (await w!.status()).halted,
      );
      assert.equal(halt.code, "equivocation", halt.reason);
      // Its only decision for that epoch is still A's list...
      const cp = await (await fetch(`${w!.url}/v1/checkpoints/${forkEpoch}`))
        .arrayBuffer();
      assert.equal(
        toHex(decodeSignedCheckpoint(new Uint8Array(cp), 3).id),
        aHash,
      );
      // ...and nothing of B's was co-signed by it.
      for (let e = forkEpoch; e < b.registry.epoch; e++) {
        assert.equal((await b.store.read.lists.meta(e))!.cosignatures, 0);
      }
      const proofs = await (await fetch(`${w!.url}/v1/proofs`)).json();
      assert.equal(proofs.length, 1);
      const v = verifyEquivocationProof(equivocationProofFromJson(proofs[0]));
      assert.equal(Number(v.epoch), forkEpoch);
      assert.deepEqual(
        v.checkpointHashes.map(toHex).sort(),
        [aHash, bHash].sort(),
      );
    } finally {
      await w!.stop();
      await front.close();
      await a.store.close();
      await b.store.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
