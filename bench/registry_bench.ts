// Benchmarks of the registry service on a real SQLite database (in memory):
// `npx deno task bench`. Setup (registering the nodes) is outside the
// measured functions.
import { ATOMIC_PER_COIN, PRESETS } from "../registry/core/params.ts";
import { testNet } from "../registry/testkit/mod.ts";

const NODES = 1_000;

// Mainnet rules: a proof stays valid for 63 epochs, so all nodes stay active
// through the measured ticks (50 + 5 warm-up).
const net = await testNet({
  params: PRESETS.mainnet,
  funded: ["op"],
  fundedCoins: 30_000_000n,
});
for (let i = 0; i < NODES; i++) {
  await net.registry.submit(
    net.registration(`node-${i}`, "op", {
      operatorStake: PRESETS.mainnet.stakingRequirement,
      feeBasisPoints: 0,
      reserved: [],
    }).bytes,
  );
  await net.registry.submit(
    net.proof(`node-${i}`, { ipv4: `203.0.${i >> 8}.${i & 255}` }).bytes,
  );
}
await net.registry.tick();

Deno.bench(
  `tick: ${NODES} active nodes (lifecycle, swarms, sign and store the list)`,
  {
    group: "registry",
    n: 50,
    warmup: 5,
  },
  async () => {
    await net.registry.tick();
  },
);

const faucet = await testNet();
let i = 0;
Deno.bench(
  "submit: decode, verify, check sequence and apply one faucet request",
  {
    group: "registry",
  },
  async (b) => {
    const msg = faucet.walletMessage(`w${i++ % 50}`, "faucet_request", {
      amount: ATOMIC_PER_COIN,
    });
    b.start();
    await faucet.registry.submit(msg.bytes);
    b.end();
  },
);
