/**
 * The database handle every table module takes: the whole database, or an
 * open transaction.
 *
 * @module
 */

import type { Kysely, Transaction } from "kysely";
import type { Database } from "./schema.ts";

/** A database handle or an open transaction. */
export type Db = Kysely<Database> | Transaction<Database>;
