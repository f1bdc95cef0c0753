/**
 * `deno task install-cli`: put `snode` on the PATH as a real command. Writes
 * a small launcher script (default `~/.local/bin/snode`) that runs this
 * checkout's CLI with its pinned Deno binary and its own `deno.json`, so it
 * works from any directory - unlike `alias snode='npx deno task cli'`,
 * which works only from the repository root.
 *
 * ```sh
 * npx deno task install-cli                          # ~/.local/bin/snode
 * npx deno task install-cli --bin-dir /usr/local/bin # for every user (and systemd)
 * ```
 *
 * The launcher names absolute paths: after moving the checkout, run the
 * task again. To remove it, delete the file.
 *
 * @module
 */

import { writeFileAtomic } from "../registry/client/atomic_file.ts";
import { parseArgs } from "node:util";

/** First line after the shebang of every launcher this writes. */
export const LAUNCHER_MARK =
  "# snode launcher, written by `deno task install-cli`";

/** Options of {@linkcode installLauncher}. */
export interface InstallOptions {
  /** Directory to write the launcher into (created if missing). */
  binDir: string;
  /** Command name. Default `snode`. */
  name?: string;
  /** Replace a file there that is not one of our launchers. */
  force?: boolean;
  /** The Deno binary to run. Default: the one running this. */
  deno?: string;
  /** The repository root. Default: the one this file is in. */
  root?: string;
}

/** Quote a word for `sh`. */
function quote(word: string): string {
  return `'${word.replaceAll("'", `'"'"'`)}'`;
}

/** The launcher script's text. */
export function launcherScript(deno: string, root: string): string {
  return [
    "#!/bin/sh",
    LAUNCHER_MARK,
    `# from ${root}; run the task again if that checkout moves.`,
    `exec ${quote(deno)} run --allow-all --config ${
      quote(`${root}/deno.json`)
    } ${quote(`${root}/operator-cli/main.ts`)} "$@"`,
    "",
  ].join("\n");
}

/**
 * Write the launcher. Refuses (throws) to replace a file that is not one of
 * our launchers unless `force`. Returns its path and whether its directory
 * is on `PATH`.
 */
export async function installLauncher(
  options: InstallOptions,
): Promise<{ path: string; onPath: boolean }> {
  const root = options.root ??
    new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const deno = options.deno ?? Deno.execPath();
  const dir = options.binDir.replace(/\/+$/, "") || "/";
  const path = `${dir}/${options.name ?? "snode"}`;
  try {
    const existing = await Deno.readTextFile(path);
    if (!existing.includes(LAUNCHER_MARK) && !options.force) {
      throw new Error(
        `${path} exists and is not an snode launcher: pass --force to replace it`,
      );
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(path, launcherScript(deno, root), { mode: 0o755 });
  const onPath = (Deno.env.get("PATH") ?? "").split(":").some((p) =>
    p.replace(/\/+$/, "") === dir
  );
  return { path, onPath };
}

if (import.meta.main) {
  let args;
  try {
    args = parseArgs({
      args: Deno.args,
      options: {
        "bin-dir": { type: "string" },
        name: { type: "string" },
        force: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    console.error(`error: ${(e as Error).message} (see --help)`);
    Deno.exit(2);
  }
  if (args.help) {
    console.log(
      `Usage: deno task install-cli [--bin-dir DIR] [--name snode] [--force]

Writes a launcher for this checkout's operator CLI into DIR (default
$XDG_BIN_HOME, else ~/.local/bin), so \`snode\` works from any directory.
--force replaces a file of that name that is not an snode launcher.`,
    );
    Deno.exit(0);
  }
  const home = Deno.env.get("HOME");
  const binDir = args["bin-dir"] ?? Deno.env.get("XDG_BIN_HOME") ??
    (home ? `${home}/.local/bin` : undefined);
  if (!binDir) {
    console.error("error: no --bin-dir and no HOME to default to");
    Deno.exit(2);
  }
  try {
    const { path, onPath } = await installLauncher({
      binDir,
      ...(args.name === undefined ? {} : { name: args.name }),
      force: args.force === true,
    });
    console.log(`installed ${path}`);
    if (!onPath) {
      console.log(
        `note: ${binDir} is not on your PATH; add it, e.g. in ~/.profile:\n  export PATH="${binDir}:$PATH"`,
      );
    }
    console.log(`try: ${args.name ?? "snode"} --help`);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
