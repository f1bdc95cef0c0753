/**
 * Epoch inputs: everything that went into one epoch of the registry, in the
 * order it was applied - the signed writes it accepted, its own
 * observations the rules depend on (reachability results), a key rotation
 * it announced, the genesis allocations (epoch 0), and the tick that closed
 * the epoch, each with the registry's clock reading when it was applied.
 * The registry's rules are deterministic given these, so list N follows
 * from the state after list N-1 and inputs N; anyone can re-execute them.
 *
 * A document names the previous epoch's document by hash (a chain) and the
 * deployment's settings the rules read; its SHA-256 is in list N's header
 * (`inputsHash`), so the registry's list signature covers it. Byte layout in
 * `README.md` ("Epoch inputs").
 *
 * The code lives in `inputs/`: `format.ts` (constants and types),
 * `payloads.ts` (the entries' payloads), `document.ts` (the binary
 * document), `json.ts` (its JSON view); this file re-exports the public API.
 *
 * @module
 */

export {
  INPUT_KINDS,
  INPUTS_FORMAT_VERSION,
  INPUTS_HEADER_LENGTH,
  INPUTS_MAGIC,
  MAX_INPUT_ENTRIES,
  MAX_INPUTS_LENGTH,
  MAX_REACHABILITY_DETAIL,
} from "./inputs/format.ts";
export type {
  EpochInputs,
  EpochSettings,
  InputEntry,
  InputKind,
} from "./inputs/format.ts";
export {
  decodeGenesisPayload,
  decodeKeyRotationPayload,
  decodeReachabilityPayload,
  encodeGenesisPayload,
  encodeKeyRotationPayload,
  encodeReachabilityPayload,
} from "./inputs/payloads.ts";
export type {
  GenesisCredit,
  ReachabilityObservation,
} from "./inputs/payloads.ts";
export {
  decodeEpochInputs,
  encodeEpochInputs,
  epochInputsHash,
} from "./inputs/document.ts";
export { epochInputsFromJson, epochInputsToJson } from "./inputs/json.ts";
export type { EpochInputsJson, InputEntryJson } from "./inputs/json.ts";
