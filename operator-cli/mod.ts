/**
 * The operator CLI, `snode` (see README.md): `main(argv, io)` runs one
 * command and resolves to its exit code; `denoIo()` is the real process's
 * surroundings; `challengeHandler` is a node's answer to the registry's
 * reachability test (the devnet's simulated nodes use it too).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EXIT } from "./mod.ts";
 * assert.equal(EXIT.network, 3);
 * ```
 *
 * @module
 */

export { buildProgram, main, PROGRAM, VERSION } from "./main.ts";
export { denoIo, type Io } from "./io.ts";
export { EXIT } from "./errors.ts";
export {
  CHALLENGE_PATH,
  challengeHandler,
  type ChallengeOptions,
} from "./challenge.ts";
