import assert from "node:assert/strict";
import { KeystoreError } from "../core/errors.ts";
import { Logger } from "./log.ts";

function capture(options: ConstructorParameters<typeof Logger>[0] = {}) {
  const lines: string[] = [];
  const log = new Logger({
    clock: () => Date.UTC(2026, 0, 2, 3, 4, 5),
    ...options,
    sink: (l) => lines.push(l),
  });
  return { log, lines };
}

Deno.test("log: one JSON object per line, fields made JSON-safe", () => {
  const { log, lines } = capture();
  log.info("tick", {
    epoch: 3,
    amount: 10n,
    key: new Uint8Array([0xab, 0xcd]),
    changes: { active: 1 },
    error: new KeystoreError("wrong_passphrase", "nope"),
    plain: new Error("plain"),
    msg: "ignored: cannot override msg",
  });
  assert.equal(lines.length, 1);
  assert(!lines[0]!.includes("\n"));
  assert.deepEqual(JSON.parse(lines[0]!), {
    time: "2026-01-02T03:04:05.000Z",
    level: "info",
    msg: "tick",
    epoch: 3,
    amount: "10",
    key: "abcd",
    changes: { active: 1 },
    error: { code: "wrong_passphrase", message: "nope" },
    plain: "plain",
  });
});

Deno.test("log: levels, child fields, text format", () => {
  const { log, lines } = capture({ level: "warn" });
  log.debug("d");
  log.info("i");
  log.warn("w");
  log.error("e");
  assert.deepEqual(lines.map((l) => JSON.parse(l).level), ["warn", "error"]);

  const t = capture({ format: "text" });
  t.log.child({ network: "devnet" }).info("listening", {
    port: 8080,
    dir: "my data",
    changes: { active: 2 },
  });
  assert.equal(
    t.lines[0],
    '2026-01-02T03:04:05.000Z INFO  listening network=devnet port=8080 dir="my data" changes={"active":2}',
  );
});

Deno.test("log: a broken sink never throws", () => {
  const log = new Logger({
    sink: () => {
      throw new Error("stdout closed");
    },
  });
  log.error("still fine");
});

Deno.test("logger: the journal format puts the syslog priority before the JSON", () => {
  const lines: string[] = [];
  const log = new Logger({
    format: "journal",
    level: "debug",
    sink: (l) => lines.push(l),
    clock: () => 0,
  });
  log.error("tick failed", { epoch: 3 });
  log.warn("w");
  log.info("i");
  log.debug("d");
  assert.deepEqual(lines.map((l) => l.slice(0, 3)), [
    "<3>",
    "<4>",
    "<6>",
    "<7>",
  ]);
  assert.deepEqual(JSON.parse(lines[0]!.slice(3)), {
    time: "1970-01-01T00:00:00.000Z",
    level: "error",
    msg: "tick failed",
    epoch: 3,
  });
});
