/**
 * Prometheus text exposition format (version 0.0.4): `# HELP`, `# TYPE`,
 * then `name{label="value"} number` lines.
 *
 * @module
 */

/** One metric family. */
export interface MetricFamily {
  name: string;
  help: string;
  type: "gauge" | "counter" | "summary" | "histogram";
  samples: {
    /** Suffix of the sample name (e.g. `_sum`), if any. */
    suffix?: string;
    labels?: Record<string, string>;
    value: number | bigint;
  }[];
}

function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll(
    '"',
    '\\"',
  );
}

function formatValue(v: number | bigint): string {
  if (typeof v === "bigint") return v.toString();
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** Render metric families in the text format. */
export function renderMetrics(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help.replaceAll("\n", " ")}`);
    lines.push(`# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = s.labels && Object.keys(s.labels).length > 0
        ? `{${
          Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`)
            .join(",")
        }}`
        : "";
      lines.push(`${f.name}${s.suffix ?? ""}${labels} ${formatValue(s.value)}`);
    }
  }
  return lines.join("\n") + "\n";
}
