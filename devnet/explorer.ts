/**
 * The explorer in front of the devnet's registry, in this process.
 *
 * @module
 */

import { startExplorer } from "../web/mod.ts";

/** A running explorer. */
export interface DevnetExplorer {
  url: string;
  shutdown(): Promise<void>;
}

/** Start the explorer for `registryUrl` on 127.0.0.1:`port`. */
export async function startExplorerFor(
  registryUrl: string,
  port: number,
  signal: AbortSignal,
): Promise<DevnetExplorer> {
  const explorer = await startExplorer({
    registryUrl,
    port,
    hostname: "127.0.0.1",
    signal,
  });
  return { url: explorer.url, shutdown: () => explorer.shutdown() };
}
