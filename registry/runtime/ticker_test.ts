import assert from "node:assert/strict";
import { Ticker, type TickInfo } from "./ticker.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("ticker: ticks at start + k * interval, without drift", async () => {
  // No wall-time bounds (the machine may be loaded): what is checked is the
  // arithmetic. Every tick's deadline is start + index * interval, whatever
  // the previous ticks cost; a tick never fires before its deadline; and a
  // deadline missed while the machine was busy is counted as skipped.
  const interval = 100;
  const fired: { info: TickInfo; at: number }[] = [];
  let enough!: () => void;
  const four = new Promise<void>((r) => enough = r);
  const ticker = new Ticker({
    intervalMs: interval,
    onTick: async (info) => {
      fired.push({ info, at: Date.now() });
      if (fired.length === 4) enough();
      await sleep(30); // work that would make a naive setTimeout chain drift
    },
  });
  const start = Date.now();
  ticker.start(start);
  const timeout = setTimeout(enough, 30_000);
  await four;
  clearTimeout(timeout);
  await ticker.stop();
  assert.equal(fired.length >= 4, true, `only ${fired.length} ticks in 30 s`);
  let previous = 0;
  for (const { info, at } of fired) {
    assert.equal(info.deadline, start + info.index * interval);
    assert(at >= info.deadline, "never early");
    assert.equal(info.skipped, info.index - previous - 1);
    previous = info.index;
  }
});

Deno.test("ticker: a long tick skips deadlines instead of stacking ticks", async () => {
  const interval = 50;
  const infos: TickInfo[] = [];
  let running = 0, most = 0, firstEnded = 0;
  const ticker = new Ticker({
    intervalMs: interval,
    onTick: async (info) => {
      running++;
      most = Math.max(most, running);
      infos.push(info);
      if (info.index === 1) {
        await sleep(interval * 2.5); // overruns deadlines 2 and 3
        firstEnded = Date.now();
      }
      running--;
    },
  });
  const start = Date.now();
  ticker.start(start);
  await sleep(interval * 7);
  await ticker.stop();
  assert.equal(most, 1);
  assert.equal(infos[0]!.index, 1);
  const second = infos[1]!;
  assert(second.index >= 4, `second tick is #${second.index}`);
  assert.equal(second.skipped, second.index - 2);
  assert.equal(second.deadline, start + second.index * interval);
  // It waited for the first deadline after the long tick ended.
  assert(second.deadline >= firstEnded);
  assert(second.deadline - interval < firstEnded + 5);
});

Deno.test("ticker: stop waits for the running tick; errors are reported and ticking goes on", async () => {
  let finished = false;
  const errors: unknown[] = [];
  let n = 0;
  const ticker = new Ticker({
    intervalMs: 20,
    onTick: async () => {
      n++;
      if (n === 1) throw new Error("boom");
      await sleep(50);
      finished = true;
    },
    onError: (e) => errors.push(e),
  });
  ticker.start();
  while (n < 2) await sleep(5);
  assert(ticker.busy);
  await ticker.stop();
  assert.equal(finished, true);
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as Error).message, "boom");
  const after = n;
  await sleep(60);
  assert.equal(n, after, "no tick after stop");
  assert.throws(
    () => new Ticker({ intervalMs: 0, onTick: () => {} }),
    RangeError,
  );
});

Deno.test("ticker: lag counts the deadlines passed while a tick runs long", async () => {
  let now = 0;
  let release: () => void = () => {};
  const t = new Ticker({
    intervalMs: 1000,
    now: () => now,
    onTick: () => new Promise<void>((r) => release = r),
  });
  assert.equal(t.lag(), 0, "stopped");
  t.start(0);
  assert.equal(t.lag(), 0);
  now = 1000;
  await new Promise((r) => setTimeout(r, 1100)); // the first tick begins
  assert.equal(t.lag(), 0, "a tick running at its own deadline is on time");
  now = 4500; // it runs past three more deadlines
  assert.equal(t.lag(), 3);
  release();
  await t.stop();
  assert.equal(t.lag(), 0);
});
