import { Command } from "@commander-js/extra-typings";
import type { MakeContext } from "./shared.ts";
export function watchCommand(_make: MakeContext) {
  return new Command("watch");
}
