/**
 * The public network explorer: server-rendered pages over the registry's
 * HTTP API, with islands for live events and in-browser list verification.
 * `startExplorer` runs it (the devnet calls it); `main.ts` is the program
 * behind `deno task web`.
 *
 * @example
 * ```ts ignore
 * import { startExplorer } from "./mod.ts";
 * const explorer = await startExplorer({ registryUrl: "http://127.0.0.1:8080", port: 0 });
 * console.log(`explorer at ${explorer.url}`);
 * await explorer.shutdown();
 * ```
 *
 * @module
 */

export {
  createExplorerApp,
  CSP,
  type ExplorerOptions,
  type RunningExplorer,
  startExplorer,
} from "./server.ts";
export { ExplorerData, type ExplorerDataOptions } from "./lib/source.ts";
