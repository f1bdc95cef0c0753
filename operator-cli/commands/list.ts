import { Command } from "@commander-js/extra-typings";
import type { MakeContext } from "./shared.ts";
export function listCommand(_make: MakeContext) {
  return new Command("list");
}
