/**
 * The type mapping between the registry's values and PostgreSQL columns,
 * applied at the store's edge so the rest of the registry sees the same
 * values on SQLite and PostgreSQL.
 *
 * | value                        | SQLite          | PostgreSQL      | the store hands out          |
 * | ---------------------------- | --------------- | --------------- | ---------------------------- |
 * | keys, hashes (32 bytes)      | lower-case hex `text` | `bytea`   | lower-case hex               |
 * | amounts (atomic units), swarm ids (u64) | decimal `text` | `numeric(20,0)` | decimal string (exact) |
 * | epochs, ids, counts          | `integer`       | `bigint`        | number (a safe integer)      |
 * | times (unix ms or s)         | `integer`       | `timestamptz`   | number (ms or s, as before)  |
 * | flags                        | `integer` 0/1   | `boolean`       | 0 or 1                       |
 * | event data (JSON)            | `text`          | `json` (verbatim) | the JSON text              |
 *
 * {@linkcode PostgresTypesPlugin} converts query parameters by the column
 * they meet (an insert's column, an update's `SET`, a comparison's left
 * side) and result values by the column they come from; {@linkcode PG_TYPES}
 * makes `pg` parse `bigint` exactly (a number, or an error beyond 2^53) and
 * leave `json` as text.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import pg from "pg";
import {
  BinaryOperationNode,
  ColumnNode,
  ColumnUpdateNode,
  type InsertQueryNode,
  type KyselyPlugin,
  type OperationNode,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  PrimitiveValueListNode,
  type QueryResult,
  ReferenceNode,
  type RootOperationNode,
  type UnknownRow,
  ValueListNode,
  ValueNode,
  ValuesNode,
} from "kysely";

/** Columns holding a 32-byte key or hash: `bytea` on PostgreSQL. */
export const KEY_COLUMNS: ReadonlySet<string> = new Set([
  "pubkey",
  "operator",
  "wallet",
  "node",
  "signer",
  "hash",
  "prev_hash",
]);

/** Columns holding unix milliseconds: `timestamptz` on PostgreSQL. */
export const MILLISECOND_COLUMNS: ReadonlySet<string> = new Set([
  "created_at",
]);

/** Columns holding unix seconds: `timestamptz` on PostgreSQL. */
export const SECOND_COLUMNS: ReadonlySet<string> = new Set([
  "published_at",
  "tested_at",
  "last_proof_at",
  "last_proof_received_at",
]);

const HEX = /^(?:[0-9a-f]{2})*$/;

function keyToDb(value: unknown, column: string): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value !== "string") return value;
  const hex = value.toLowerCase();
  if (!HEX.test(hex)) {
    throw new TypeError(
      `column ${column}: ${JSON.stringify(value)} is not a hex key`,
    );
  }
  return Buffer.from(hex, "hex");
}

function timeToDb(value: unknown, unitMs: number): unknown {
  if (typeof value !== "number") return value;
  return new Date(value * unitMs).toISOString();
}

/** A parameter for `column`, in the column's PostgreSQL type. */
function toDb(column: string, value: unknown): unknown {
  if (KEY_COLUMNS.has(column)) return keyToDb(value, column);
  if (MILLISECOND_COLUMNS.has(column)) return timeToDb(value, 1);
  if (SECOND_COLUMNS.has(column)) return timeToDb(value, 1000);
  return value;
}

function mapped(column: string): boolean {
  return KEY_COLUMNS.has(column) || MILLISECOND_COLUMNS.has(column) ||
    SECOND_COLUMNS.has(column);
}

/** A result value from `column`, as the store hands it out. */
function fromDb(column: string, value: unknown): unknown {
  if (value instanceof Uint8Array) {
    return KEY_COLUMNS.has(column) ? Buffer.from(value).toString("hex") : value;
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    return SECOND_COLUMNS.has(column) ? Math.floor(ms / 1000) : ms;
  }
  if (typeof value === "boolean") return value ? 1 : 0;
  return value;
}

function columnName(node: OperationNode): string | undefined {
  if (ColumnNode.is(node)) return node.column.name;
  if (ReferenceNode.is(node) && ColumnNode.is(node.column)) {
    return node.column.column.name;
  }
  return undefined;
}

function convertValue(node: OperationNode, column: string): OperationNode {
  if (ValueNode.is(node)) {
    const value = toDb(column, node.value);
    if (value === node.value) return node;
    return node.immediate
      ? ValueNode.createImmediate(value)
      : ValueNode.create(value);
  }
  if (PrimitiveValueListNode.is(node)) {
    return PrimitiveValueListNode.create(
      node.values.map((v) => toDb(column, v)),
    );
  }
  if (ValueListNode.is(node)) {
    return ValueListNode.create(
      node.values.map((v) => convertValue(v, column)),
    );
  }
  return node;
}

class ParameterTransformer extends OperationNodeTransformer {
  protected override transformBinaryOperation(
    node: BinaryOperationNode,
  ): BinaryOperationNode {
    const out = super.transformBinaryOperation(node);
    const column = columnName(out.leftOperand);
    if (column === undefined || !mapped(column)) return out;
    return BinaryOperationNode.create(
      out.leftOperand,
      out.operator,
      convertValue(out.rightOperand, column),
    );
  }

  protected override transformColumnUpdate(
    node: ColumnUpdateNode,
  ): ColumnUpdateNode {
    const out = super.transformColumnUpdate(node);
    const column = columnName(out.column);
    if (column === undefined || !mapped(column)) return out;
    return ColumnUpdateNode.create(out.column, convertValue(out.value, column));
  }

  protected override transformInsertQuery(
    node: InsertQueryNode,
  ): InsertQueryNode {
    const out = super.transformInsertQuery(node);
    const columns = out.columns?.map((c) => c.column.name);
    if (!columns || !out.values || !ValuesNode.is(out.values)) return out;
    if (!columns.some(mapped)) return out;
    const rows = out.values.values.map((row) =>
      PrimitiveValueListNode.is(row)
        ? PrimitiveValueListNode.create(
          row.values.map((v, i) => toDb(columns[i]!, v)),
        )
        : ValueListNode.create(
          row.values.map((v, i) => convertValue(v, columns[i]!)),
        )
    );
    return { ...out, values: ValuesNode.create(rows) };
  }
}

/**
 * The Kysely plugin that applies the mapping: parameters into the
 * PostgreSQL types, results back into the store's values.
 */
export class PostgresTypesPlugin implements KyselyPlugin {
  readonly #transformer = new ParameterTransformer();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node);
  }

  transformResult(
    args: PluginTransformResultArgs,
  ): Promise<QueryResult<UnknownRow>> {
    const rows = args.result.rows;
    for (const row of rows) {
      for (const column in row) {
        const value = row[column];
        const converted = fromDb(column, value);
        if (converted !== value) row[column] = converted;
      }
    }
    return Promise.resolve(args.result);
  }
}

const INT8 = 20;
const JSON_OID = 114;

function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) {
    throw new RangeError(
      `a bigint column holds ${text}, beyond what the registry reads exactly (2^53)`,
    );
  }
  return n;
}

/**
 * `pg`'s result parsers: `bigint` as an exact number, `json` as its text;
 * the rest as `pg` parses them (`numeric` as a string, `bytea` as bytes,
 * `timestamptz` as a Date), converted by {@linkcode PostgresTypesPlugin}.
 */
export const PG_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (format === undefined || format === "text") {
      if (oid === INT8) return parseInt8;
      if (oid === JSON_OID) return (text: string) => text;
    }
    return pg.types.getTypeParser(oid, format ?? "text");
  }) as pg.CustomTypesConfig["getTypeParser"],
};
