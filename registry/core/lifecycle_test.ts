import assert from "node:assert/strict";
import fc from "fast-check";
import {
  creditAt,
  failingReasons,
  type LifecycleEvent,
  newLifecycle,
  nextState,
  type NodeLifecycle,
  outlook,
  REASON_STORAGE,
  REASON_UPTIME,
} from "./lifecycle.ts";
import { PRESETS } from "./params.ts";

const p = PRESETS.mainnet; // upstream numbers: validity 63, credit 60/24 per day/1440
const activeAt = (epoch: number) =>
  nextState(newLifecycle(epoch), { kind: "funded" }, epoch, p);

function run(
  node: NodeLifecycle,
  events: [number, LifecycleEvent][],
): NodeLifecycle {
  for (const [epoch, event] of events) node = nextState(node, event, epoch, p);
  return node;
}

Deno.test("funding activates with the initial credit; credit grows 24 a day up to 1,440", () => {
  const n = activeAt(100);
  assert.equal(n.status, "active");
  assert.equal(creditAt(n, 100, p), 60);
  assert.equal(creditAt(n, 100 + 720, p), 84);
  assert.equal(creditAt(n, 100 + 719, p), 83);
  assert.equal(creditAt(n, 100 + 720 * 100, p), 1440);
});

Deno.test("a healthy node proving every interval stays active", () => {
  let n = activeAt(0);
  for (let e = 1; e <= 2000; e++) {
    if (e % p.proofIntervalEpochs === 0) {
      n = nextState(n, { kind: "proof" }, e, p);
    }
    n = nextState(n, { kind: "tick" }, e, p);
    assert.equal(n.status, "active", `epoch ${e}`);
  }
});

Deno.test("proofs closer than the minimum spacing are refused", () => {
  const n = nextState(activeAt(0), { kind: "proof" }, 10, p);
  assert.throws(
    () => nextState(n, { kind: "proof" }, 10 + p.proofMinSpacingEpochs - 1, p),
    {
      code: "proof_too_soon",
    },
  );
  nextState(n, { kind: "proof" }, 10 + p.proofMinSpacingEpochs, p);
});

Deno.test("a proof keeps a node up for exactly the validity window", () => {
  const n = nextState(activeAt(0), { kind: "proof" }, 100, p);
  assert.equal(
    nextState(n, { kind: "tick" }, 100 + p.proofValidityEpochs, p).status,
    "active",
  );
  const d = nextState(n, { kind: "tick" }, 100 + p.proofValidityEpochs + 1, p);
  assert.equal(d.status, "decommissioned");
  assert.equal(d.lastReasons, REASON_UPTIME);
  assert.equal(d.decommissionCount, 1);
});

Deno.test("failing with credit >= 60 decommissions; the credit then runs out into deregistration", () => {
  let n = run(activeAt(0), [[30, { kind: "proof" }], [30 + 64, {
    kind: "tick",
  }]]);
  assert.equal(n.status, "decommissioned");
  const credit = creditAt(n, 94, p);
  assert.equal(credit, 60 + Math.floor(94 * 24 / 720));
  assert.equal(n.creditAtDecommission, credit);
  n = nextState(n, { kind: "tick" }, 94 + credit - 1, p);
  assert.equal(n.status, "decommissioned");
  assert.equal(creditAt(n, 94 + credit - 1, p), 1);
  n = nextState(n, { kind: "tick" }, 94 + credit, p);
  assert.equal(n.status, "deregistered");
  assert.equal(n.lockedUntil, 94 + credit + 30 * 720);
});

Deno.test("recommission: needs a proof since the decommission; credit = max(0, c - 2 * blocks down)", () => {
  let n = run(activeAt(0), [[64, { kind: "tick" }]]);
  assert.equal(n.status, "decommissioned");
  const c = n.creditAtDecommission!;
  // Still decommissioned without a new proof.
  n = nextState(n, { kind: "tick" }, 70, p);
  assert.equal(n.status, "decommissioned");
  n = run(n, [[74, { kind: "proof" }], [74, { kind: "tick" }]]);
  assert.equal(n.status, "active");
  assert.equal(n.creditBase, Math.max(0, c - 2 * 10));
  assert.equal(creditAt(n, 74, p), c - 20);
});

Deno.test("a failing node with credit below 60 is deregistered outright", () => {
  // Decommission, come back late with little credit, fail again.
  let n = run(activeAt(0), [[64, { kind: "tick" }], [90, { kind: "proof" }], [
    90,
    { kind: "tick" },
  ]]);
  assert.equal(n.status, "active");
  assert(creditAt(n, 90, p) < 60, `credit ${creditAt(n, 90, p)}`);
  n = nextState(n, { kind: "tick" }, 90 + p.proofValidityEpochs + 1, p);
  assert.equal(n.status, "deregistered");
});

Deno.test("reachability failures count like missed proofs and are recorded as storage reasons", () => {
  let n = run(activeAt(0), [[10, { kind: "proof" }], [11, {
    kind: "reachability",
    ok: false,
  }]]);
  assert.equal(failingReasons(n, 11, p), REASON_STORAGE);
  n = nextState(n, { kind: "tick" }, 11, p);
  assert.equal(n.status, "decommissioned");
  assert.equal(n.lastReasons, REASON_STORAGE);
  // A proof alone does not bring it back while unreachable; reachable again does.
  n = run(n, [[30, { kind: "proof" }], [30, { kind: "tick" }]]);
  assert.equal(n.status, "decommissioned");
  n = run(n, [[31, { kind: "reachability", ok: true }], [31, {
    kind: "tick",
  }]]);
  assert.equal(n.status, "active");
});

Deno.test("unlocks take effect at their epoch, from active or decommissioned", () => {
  let n = nextState(
    activeAt(0),
    { kind: "unlock_requested", unlockAt: 50 },
    5,
    p,
  );
  assert.throws(
    () => nextState(n, { kind: "unlock_requested", unlockAt: 60 }, 6, p),
    { code: "invalid_transition" },
  );
  n = run(n, [[30, { kind: "proof" }], [49, { kind: "tick" }]]);
  assert.equal(n.status, "active");
  n = nextState(n, { kind: "tick" }, 50, p);
  assert.equal(n.status, "exited");
  // Terminal: ticks change nothing, other events are refused.
  assert.equal(nextState(n, { kind: "tick" }, 60, p), n);
  assert.throws(() => nextState(n, { kind: "proof" }, 60, p), {
    code: "invalid_transition",
  });
});

Deno.test("an awaiting registration can be cancelled, not unlocked", () => {
  const n = newLifecycle(0);
  assert.equal(nextState(n, { kind: "cancelled" }, 3, p).status, "exited");
  assert.throws(
    () => nextState(n, { kind: "unlock_requested", unlockAt: 9 }, 3, p),
    { code: "invalid_transition" },
  );
  assert.throws(() => nextState(activeAt(0), { kind: "cancelled" }, 3, p), {
    code: "invalid_transition",
  });
  assert.throws(() => nextState(activeAt(0), { kind: "funded" }, 3, p), {
    code: "invalid_transition",
  });
});

Deno.test("epochs never go backwards", () => {
  assert.throws(() => nextState(activeAt(10), { kind: "tick" }, 9, p), {
    code: "epoch_went_backwards",
  });
});

Deno.test("outlook names the next consequence and its epoch", () => {
  const active = nextState(activeAt(0), { kind: "proof" }, 30, p);
  const a = outlook(active, 40, p);
  assert.equal(a.next, "decommission");
  assert.equal(a.atEpoch, 30 + p.proofValidityEpochs + 1);
  const d = nextState(active, { kind: "tick" }, 94, p);
  const o = outlook(d, 100, p);
  assert.equal(o.next, "deregister");
  assert.equal(o.atEpoch, 94 + d.creditAtDecommission!);
  assert.equal(o.credit, d.creditAtDecommission! - 6);
  const dereg = nextState(d, { kind: "tick" }, o.atEpoch!, p);
  assert.equal(outlook(dereg, o.atEpoch!, p).next, "stake_unlock");
  const leaving = nextState(
    active,
    { kind: "unlock_requested", unlockAt: 50 },
    40,
    p,
  );
  assert.equal(outlook(leaving, 40, p).next, "exit");
});

Deno.test("property: credit stays within [0, max]; status moves only along allowed edges", () => {
  const allowed = new Set([
    "awaiting_contributions>active",
    "awaiting_contributions>exited",
    "active>decommissioned",
    "active>deregistered",
    "active>exited",
    "decommissioned>active",
    "decommissioned>deregistered",
    "decommissioned>exited",
  ]);
  const event = fc.oneof(
    fc.constant<LifecycleEvent>({ kind: "funded" }),
    fc.constant<LifecycleEvent>({ kind: "proof" }),
    fc.constant<LifecycleEvent>({ kind: "tick" }),
    fc.constant<LifecycleEvent>({ kind: "cancelled" }),
    fc.boolean().map((ok): LifecycleEvent => ({ kind: "reachability", ok })),
    fc.integer({ min: 0, max: 3000 }).map((d): LifecycleEvent => ({
      kind: "unlock_requested",
      unlockAt: d,
    })),
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), event), {
        maxLength: 60,
      }),
      (steps) => {
        let n = newLifecycle(0);
        let epoch = 0;
        for (const [gap, ev] of steps) {
          epoch += gap;
          const before = n.status;
          try {
            n = nextState(
              n,
              ev.kind === "unlock_requested"
                ? { ...ev, unlockAt: epoch + ev.unlockAt }
                : ev,
              epoch,
              p,
            );
          } catch (e) {
            if (!(e instanceof Error && "code" in e)) throw e;
          }
          if (
            before !== n.status && !allowed.has(`${before}>${n.status}`)
          ) return false;
          const c = creditAt(n, epoch, p);
          if (c < 0 || c > p.maxCredit) return false;
        }
        return true;
      },
    ),
    { numRuns: 300 },
  );
});
