/**
 * `snode completion bash|zsh|fish`: shell completion scripts generated from
 * the command tree, so they never drift from the commands.
 *
 * @module
 */

import { Argument, type Command } from "@commander-js/extra-typings";
import { Command as Cmd } from "@commander-js/extra-typings";
import { examples } from "./shared.ts";

interface Node {
  path: string[];
  description: string;
  options: string[];
  children: Node[];
}

function tree(cmd: Command, path: string[]): Node {
  const c = cmd as unknown as {
    options: { long?: string; short?: string }[];
    commands: Command[];
    description(): string;
    name(): string;
  };
  return {
    path,
    description: c.description(),
    options: c.options.flatMap((o) =>
      [o.long, o.short].filter((x): x is string => !!x)
    ).concat("--help"),
    children: c.commands.map((s) =>
      tree(s, [...path, (s as unknown as { name(): string }).name()])
    ),
  };
}

function all(n: Node): Node[] {
  return [n, ...n.children.flatMap(all)];
}

/** The bash script (zsh loads it through bashcompinit). */
export function bashScript(program: Command, name: string): string {
  const root = tree(program, []);
  const cases = all(root).map((n) => {
    const words = [
      ...n.children.map((c) => c.path.at(-1)!),
      ...n.options,
      ...root.options,
    ];
    return `    "${n.path.join(" ")}") words="${
      [...new Set(words)].join(" ")
    }" ;;`;
  }).join("\n");
  return `# ${name} completion for bash: source <(${name} completion bash)
_${name}_complete() {
  local cur path w words i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) continue ;; esac
    if [ -z "$path" ]; then candidate="$w"; else candidate="$path $w"; fi
    case "$candidate" in
${
    all(root).filter((n) => n.path.length > 0).map((n) =>
      `      "${n.path.join(" ")}") path="$candidate" ;;`
    ).join("\n")
  }
    esac
  done
  case "$path" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -o default -F _${name}_complete ${name}
`;
}

/** The zsh script. */
export function zshScript(program: Command, name: string): string {
  return `#compdef ${name}
# ${name} completion for zsh: source <(${name} completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashScript(program, name)}`;
}

/** The fish script. */
export function fishScript(program: Command, name: string): string {
  const root = tree(program, []);
  const lines = [
    `# ${name} completion for fish: ${name} completion fish | source`,
    `complete -c ${name} -f`,
  ];
  const esc = (s: string) => s.replace(/'/g, "\\'");
  for (const n of all(root)) {
    const cond = n.path.length === 0
      ? "__fish_use_subcommand"
      : `__fish_seen_subcommand_from ${n.path.at(-1)}`;
    for (const c of n.children) {
      lines.push(
        `complete -c ${name} -n '${cond}' -a ${c.path.at(-1)} -d '${
          esc(c.description.slice(0, 60))
        }'`,
      );
    }
    for (const o of n.options) {
      if (o.startsWith("--")) {
        lines.push(`complete -c ${name} -n '${cond}' -l ${o.slice(2)}`);
      }
    }
  }
  return lines.join("\n") + "\n";
}

export function completionCommand(
  program: () => Command,
  write: (text: string) => void,
) {
  return examples(
    new Cmd("completion")
      .description("print a shell completion script")
      .addArgument(
        new Argument("<shell>", "bash, zsh or fish").choices(
          ["bash", "zsh", "fish"] as const,
        ),
      )
      .action((shell) => {
        const p = program();
        const name = p.name();
        const script = shell === "bash"
          ? bashScript(p, name)
          : shell === "zsh"
          ? zshScript(p, name)
          : fishScript(p, name);
        write(script);
      }),
    [
      "source <(snode completion bash)",
      "snode completion zsh > ~/.zfunc/_snode",
      "snode completion fish > ~/.config/fish/completions/snode.fish",
    ],
  );
}
