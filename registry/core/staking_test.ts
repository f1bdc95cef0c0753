import assert from "node:assert/strict";
import fc from "fast-check";
import type { RegisterNode } from "./messages.ts";
import { PRESETS } from "./params.ts";
import {
  applyContribution,
  checkUnlock,
  fundingState,
  type NodeStakes,
  stakesFromRegistration,
} from "./staking.ts";

const p = PRESETS.mainnet;
const REQ = p.stakingRequirement; // 25,000 coins
const wallet = (i: number) => new Uint8Array(32).fill(i + 1);

function registration(over: Partial<RegisterNode> = {}): RegisterNode {
  return {
    kind: "register_node",
    network: p.id,
    timestamp: 0,
    sequence: 1,
    nodePubkey: new Uint8Array(32).fill(200),
    operator: wallet(0),
    operatorStake: REQ / 4n,
    feeBasisPoints: 1000,
    reserved: [],
    ...over,
  };
}

Deno.test("operator stake: at least a quarter; exactly a quarter is enough", () => {
  stakesFromRegistration(p, registration(), 0);
  assert.throws(
    () =>
      stakesFromRegistration(
        p,
        registration({ operatorStake: REQ / 4n - 1n }),
        0,
      ),
    { code: "operator_stake_too_low" },
  );
});

Deno.test("fee: 0 to 10,000 basis points", () => {
  stakesFromRegistration(p, registration({ feeBasisPoints: 0 }), 0);
  stakesFromRegistration(p, registration({ feeBasisPoints: 10_000 }), 0);
  assert.throws(
    () =>
      stakesFromRegistration(p, registration({ feeBasisPoints: 10_001 }), 0),
    {
      code: "fee_out_of_range",
    },
  );
});

Deno.test("node key and operator wallet must differ", () => {
  assert.throws(
    () => stakesFromRegistration(p, registration({ nodePubkey: wallet(0) }), 0),
    {
      code: "node_key_is_wallet",
    },
  );
});

Deno.test("reservations: distinct wallets, each at least the minimum given the spots before it", () => {
  // After the operator's quarter, 9 spots share 18,750 coins: min 2,083.33...
  const min = (REQ - REQ / 4n) / 9n;
  stakesFromRegistration(
    p,
    registration({ reserved: [{ wallet: wallet(1), amount: min }] }),
    0,
  );
  assert.throws(
    () =>
      stakesFromRegistration(
        p,
        registration({ reserved: [{ wallet: wallet(1), amount: min - 1n }] }),
        0,
      ),
    { code: "reservation_too_small" },
  );
  assert.throws(
    () =>
      stakesFromRegistration(
        p,
        registration({
          reserved: [{ wallet: wallet(1), amount: min }, {
            wallet: wallet(1),
            amount: min,
          }],
        }),
        0,
      ),
    { code: "duplicate_contributor" },
  );
  assert.throws(
    () =>
      stakesFromRegistration(
        p,
        registration({ reserved: [{ wallet: wallet(0), amount: min }] }),
        0,
      ),
    { code: "duplicate_contributor" },
  );
  assert.throws(
    () =>
      stakesFromRegistration(
        p,
        registration({ reserved: [{ wallet: wallet(1), amount: REQ }] }),
        0,
      ),
    { code: "stake_over_cap" },
  );
});

Deno.test("a full operator stake funds at once, and up to 101 % is accepted", () => {
  const node = stakesFromRegistration(
    p,
    registration({ operatorStake: REQ * 101n / 100n }),
    0,
  );
  assert.equal(fundingState(p, node).funded, true);
  assert.throws(
    () =>
      stakesFromRegistration(
        p,
        registration({ operatorStake: REQ * 101n / 100n + 1n }),
        0,
      ),
    {
      code: "stake_over_cap",
    },
  );
});

Deno.test("minimum contribution = (requirement - contributed or reserved) / open spots", () => {
  let node = stakesFromRegistration(p, registration(), 0);
  let state = fundingState(p, node);
  assert.equal(state.minContribution, (REQ - REQ / 4n) / 9n);
  assert.throws(
    () => applyContribution(p, node, wallet(1), state.minContribution - 1n, 1),
    {
      code: "contribution_too_small",
    },
  );
  node = applyContribution(p, node, wallet(1), state.minContribution, 1);
  state = fundingState(p, node);
  assert.equal(state.openSlots, 8);
  assert.equal(
    state.minContribution,
    (REQ - REQ / 4n - (REQ - REQ / 4n) / 9n) / 8n,
  );
});

Deno.test("maximum contribution: 101 % of the open room", () => {
  const node = stakesFromRegistration(p, registration(), 0);
  const max = (REQ - REQ / 4n) * 101n / 100n;
  assert.equal(fundingState(p, node).maxContribution, max);
  assert.throws(() => applyContribution(p, node, wallet(1), max + 1n, 1), {
    code: "contribution_too_large",
  });
  const funded = applyContribution(p, node, wallet(1), max, 1);
  assert.equal(fundingState(p, funded).funded, true);
  assert.throws(() => applyContribution(p, funded, wallet(2), 1n, 2), {
    code: "not_accepting_contributions",
  });
});

Deno.test("reserved spots: must be covered on first contribution, and do not count as open room", () => {
  const reservedAmount = 5_000n * 10n ** 9n;
  const node = stakesFromRegistration(
    p,
    registration({ reserved: [{ wallet: wallet(5), amount: reservedAmount }] }),
    0,
  );
  const state = fundingState(p, node);
  assert.equal(state.openSlots, 8);
  assert.equal(state.reservedOutstanding, reservedAmount);
  assert.equal(
    state.maxContribution,
    (REQ - REQ / 4n - reservedAmount) * 101n / 100n,
  );
  assert.throws(
    () => applyContribution(p, node, wallet(5), reservedAmount - 1n, 1),
    {
      code: "contribution_too_small",
    },
  );
  const after = applyContribution(p, node, wallet(5), reservedAmount, 3);
  assert.equal(after.stakes[1]!.amount, reservedAmount);
  assert.equal(after.stakes[1]!.sinceEpoch, 3);
  assert.equal(fundingState(p, after).reservedOutstanding, 0n);
});

Deno.test("at most 10 contributors", () => {
  let node: NodeStakes = stakesFromRegistration(p, registration(), 0);
  for (let i = 1; i < 10; i++) {
    const { minContribution } = fundingState(p, node);
    node = applyContribution(p, node, wallet(i), minContribution, i);
  }
  const state = fundingState(p, node);
  assert.equal(node.stakes.length, 10);
  assert.equal(state.openSlots, 0);
  // Equal minimums fill exactly the requirement (up to integer rounding).
  assert(state.remaining < 10n, `remaining ${state.remaining}`);
  if (!state.funded) {
    assert.throws(() => applyContribution(p, node, wallet(20), 10n, 11), {
      code: "no_free_slot",
    });
    // An existing contributor can still top up.
    node = applyContribution(p, node, wallet(3), state.remaining, 11);
    assert.equal(fundingState(p, node).funded, true);
  }
});

Deno.test("property: accepted contributions never exceed the 101 % cap nor 10 contributors", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          who: fc.integer({ min: 0, max: 14 }),
          frac: fc.integer({ min: 1, max: 1000 }),
        }),
        {
          maxLength: 30,
        },
      ),
      (steps) => {
        let node = stakesFromRegistration(p, registration(), 0);
        for (const [i, s] of steps.entries()) {
          const amount = REQ * BigInt(s.frac) / 1000n;
          try {
            node = applyContribution(p, node, wallet(s.who), amount, i);
          } catch (e) {
            if (!(e instanceof Error && "code" in e)) throw e;
          }
          const st = fundingState(p, node);
          if (st.contributed > REQ * 101n / 100n) return false;
          if (node.stakes.length > 10) return false;
        }
        return true;
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("unlock: contributors only, once, and small contributors wait 30 days", () => {
  let node = stakesFromRegistration(p, registration(), 0);
  assert.throws(() => checkUnlock(p, node, wallet(0), 10, null), {
    code: "not_funded",
  });
  const small = fundingState(p, node).minContribution;
  node = applyContribution(p, node, wallet(1), small, 10);
  node = applyContribution(
    p,
    node,
    wallet(2),
    fundingState(p, node).maxContribution,
    10,
  );
  assert.equal(fundingState(p, node).funded, true);
  assert.equal(checkUnlock(p, node, wallet(0), 20, null), 20 + 15 * 720);
  assert.throws(() => checkUnlock(p, node, wallet(9), 20, null), {
    code: "not_a_contributor",
  });
  assert.throws(() => checkUnlock(p, node, wallet(0), 20, 500), {
    code: "unlock_already_requested",
  });
  // wallet(1) staked less than a quarter at epoch 10: locked until 10 + 30 days.
  assert.throws(
    () => checkUnlock(p, node, wallet(1), 10 + 30 * 720 - 1, null),
    (e: Error) => /before epoch 21610/.test(e.message),
  );
  assert.equal(
    checkUnlock(p, node, wallet(1), 10 + 30 * 720, null),
    10 + 45 * 720,
  );
});
