import { testNet } from "./registry/testkit/mod.ts";
import { createApp } from "./registry/http/app.ts";
import { PRESETS } from "./registry/core/params.ts";
const net = await testNet({ funded: ["op"], fundedCoins: 10_000_000n });
const N = 3000;
for (let i = 0; i < N; i++) await net.registry.submit(net.registration(`n${i}`, "op", { operatorStake: PRESETS.devnet.stakingRequirement, feeBasisPoints: 0, reserved: [] }).bytes);
const app = createApp(net.registry, {});
const proofs = Array.from({length: N}, (_, i) => net.proof(`n${i}`, {ipv4: `10.0.${i>>8}.${i&255}`}).bytes);
const half = N / 2;
for (let r = 0; r < 1; r++) {
let t = performance.now();
await Promise.all(proofs.slice(0, 10).map(p => net.registry.submit(p)));
console.log("submit", ((performance.now()-t)/half*1000).toFixed(0), "us");
t = performance.now();
await Promise.all(proofs.slice(half).map(p => app.request("/v1/proofs", { method: "POST", headers: {"content-type": "application/octet-stream"}, body: p as Uint8Array<ArrayBuffer> }).then(r => { if (r.status !== 200) throw new Error(String(r.status)); return r.arrayBuffer(); })));
console.log("app.request", ((performance.now()-t)/half*1000).toFixed(0), "us");
}
await net.close();
