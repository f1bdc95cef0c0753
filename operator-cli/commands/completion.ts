import { Command } from "@commander-js/extra-typings";
export function completionCommand(_program: () => Command) {
  return new Command("completion");
}
