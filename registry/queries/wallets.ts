/**
 * A wallet as the API shows it: balance, stakes, and when each unlocks.
 *
 * @module
 */

import { RegistryError } from "../api/errors.ts";
import type { NodeStatusName, WalletView } from "../api/views.ts";
import { parsePublicKey } from "../core/keys.ts";
import type { RegistryReader } from "./context.ts";

/** A wallet; `unknown_wallet` when it never held coins. */
export async function wallet(
  r: RegistryReader,
  pubkey: string,
): Promise<WalletView> {
  parsePublicKey(pubkey);
  const read = r.store.read;
  const w = await read.wallets.find(pubkey);
  const stakes = await read.nodes.walletStakes(pubkey);
  if (!w && stakes.length === 0) {
    throw new RegistryError(
      "unknown_wallet",
      `wallet ${pubkey} has never held coins`,
    );
  }
  const held = stakes.filter((s) => s.stakes_released_at === null);
  return {
    pubkey,
    balance: w?.balance ?? "0",
    staked: held.reduce((a, s) => a + BigInt(s.amount), 0n).toString(),
    stakes: stakes.map((s) => {
      const unlockEpoch = s.status === "deregistered"
        ? s.locked_until
        : s.unlock_at;
      return {
        node: s.node,
        operator: s.operator === pubkey,
        nodeStatus: s.status as NodeStatusName,
        amount: s.amount,
        reserved: s.reserved,
        sinceEpoch: Number(s.since_epoch),
        released: s.stakes_released_at !== null,
        unlocksAt: s.stakes_released_at === null && unlockEpoch !== null
          ? {
            epoch: Number(unlockEpoch),
            time: r.epochTime(Number(unlockEpoch)),
          }
          : null,
      };
    }),
  };
}
