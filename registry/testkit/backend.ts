/**
 * The databases tests run on: SQLite (in memory or a file) and PostgreSQL
 * (a fresh schema, or a fresh database, on the server `TEST_DATABASE_URL`
 * names). Suites that must hold on both register each test once per
 * backend with {@linkcode eachBackend}.
 *
 * Without `TEST_DATABASE_URL` the PostgreSQL tests fail and say how to get
 * a server: `npx deno task test` starts a throwaway one when PostgreSQL is
 * installed (`tools/with_postgres.sh`), as `.ci/run` does.
 *
 * @module
 */

import {
  createDatabase,
  createSchema,
  dropDatabase,
  dropSchema,
  openStore,
  type Store,
} from "../store/store.ts";

/** A database kind tests run on. */
export type TestBackend = "sqlite" | "postgres";

/** Every backend, in the order tests are registered. */
export const BACKENDS: readonly TestBackend[] = ["sqlite", "postgres"];

/** The PostgreSQL server tests use; throws, saying how to get one, when unset. */
export function testServerUrl(): string {
  const url = Deno.env.get("TEST_DATABASE_URL");
  if (url === undefined || url === "") {
    throw new Error(
      "TEST_DATABASE_URL is not set, so the PostgreSQL variant of this test cannot run. " +
        "Run the tests with `npx deno task test` (it starts a throwaway PostgreSQL server when " +
        "PostgreSQL is installed: apt-get install postgresql), or wrap the command: " +
        "`tools/with_postgres.sh node_modules/.bin/deno test -A <files>`, or point " +
        "TEST_DATABASE_URL at a server where the user may create schemas and databases, " +
        "e.g. postgres://postgres@127.0.0.1:5432/postgres",
    );
  }
  return url;
}

function uniqueName(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return `${prefix}_${Date.now().toString(36)}_${
    Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")
  }`;
}

/** A database made for one test, and how to get rid of it. */
export interface TestDatabase {
  /** Where the store lives: an SQLite path, or a PostgreSQL URL. */
  location: string;
  /** Remove it (PostgreSQL; SQLite files are the caller's). */
  drop(): Promise<void>;
}

/**
 * A fresh PostgreSQL database for one test. `"schema"` (the default) is a
 * new schema on the test server's database: cheap, but advisory locks -
 * the write lock and the leader lease - are shared with other tests on that
 * database, which only serialises their writes; tests of the lease or of
 * several processes take a `"database"` of their own.
 */
export async function testPostgres(
  kind: "schema" | "database" = "schema",
): Promise<TestDatabase> {
  const server = testServerUrl();
  if (kind === "database") {
    const name = uniqueName("registry_test");
    const location = await createDatabase(server, name);
    return { location, drop: () => dropDatabase(server, name) };
  }
  const name = uniqueName("t");
  const location = await createSchema(server, name);
  return { location, drop: () => dropSchema(server, name) };
}

/** A migrated store for a test, whose `close` also drops its database. */
export async function openTestStore(
  backend: TestBackend,
  options: { path?: string } = {},
): Promise<{ store: Store; close(): Promise<void> }> {
  if (backend === "sqlite") {
    const store = await openStore(options.path ?? ":memory:");
    return { store, close: () => store.close() };
  }
  const db = await testPostgres();
  let store: Store;
  try {
    store = await openStore(db.location, { poolSize: 4 });
  } catch (e) {
    await db.drop().catch(() => {});
    throw e;
  }
  return {
    store,
    async close() {
      try {
        await store.close();
      } finally {
        await db.drop();
      }
    },
  };
}

/**
 * Tests that run once per backend: `eachBackend.test(name, fn)` registers
 * `<name> [sqlite]` and `<name> [postgres]`, each calling `fn` with its
 * backend. (A method named `test`, so the formatter keeps the call on one
 * line as it does `Deno.test`'s.)
 */
export const eachBackend = {
  test(name: string, fn: (backend: TestBackend) => Promise<void>): void {
    for (const backend of BACKENDS) {
      Deno.test(`${name} [${backend}]`, () => fn(backend));
    }
  },
};
