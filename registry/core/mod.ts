import { ed25519 } from "@noble/curves/ed25519.js";
export const x = ed25519.utils.randomSecretKey().length;
