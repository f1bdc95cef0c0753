/**
 * What the operator programs (`deno task backup`, `deno task restore`)
 * share.
 *
 * @module
 */

/** The database's file name in the data directory (as `main.ts`'s `DB_FILE`). */
export const DB_FILE_NAME = "registry.db";

/** A mistake on the command line: exit status 2. */
export class UsageError extends Error {}

/** `1536` -> `1.5 KiB`. */
export function formatBytes(n: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${v.toFixed(1)} ${units[i]}`;
}
