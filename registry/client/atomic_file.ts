/**
 * Writing a file so that readers see the old content or the new, never a
 * part: write a temporary file beside it, flush it to disk, then rename it
 * over the old one (rename is atomic within a directory on POSIX). Used
 * wherever a file is replaced in place: keystores, the client's cache, the
 * CLI's saved lists and its launcher. Deno only (not exported from
 * `mod.ts`, whose modules run in browsers too).
 *
 * @module
 */

/** Options of {@linkcode writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** File mode of the new file. Default 0o600 (owner only). */
  mode?: number;
}

/**
 * Replace `path` with `content` atomically: a reader sees the old file or
 * the complete new one. The temporary file is removed if anything fails.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/state.json`, '{"epoch": 1}');
 * await writeFileAtomic(`${dir}/state.json`, '{"epoch": 2}');
 * assert.equal(await Deno.readTextFile(`${dir}/state.json`), '{"epoch": 2}');
 * assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["state.json"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(
  path: string,
  content: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const mode = options.mode ?? 0o600;
  const bytes = typeof content === "string"
    ? new TextEncoder().encode(content)
    : content;
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  let renamed = false;
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true, mode });
    try {
      let written = 0;
      while (written < bytes.length) {
        written += await file.write(bytes.subarray(written));
      }
      await file.sync();
    } finally {
      file.close();
    }
    // The umask may have narrowed the mode asked for at creation.
    if (Deno.build.os !== "windows") await Deno.chmod(tmp, mode);
    await Deno.rename(tmp, path);
    renamed = true;
  } finally {
    if (!renamed) await Deno.remove(tmp).catch(() => {});
  }
}
