/**
 * Server-rendered SVG charts with readable axes and text alternatives (a
 * title, a description summarising the data, and the data as a table).
 * Geometry uses floating point; every number shown as text comes from the
 * caller's exact formatter.
 *
 * @module
 */

import { formatTime } from "../format.ts";

/** A point of a time series; `y` null leaves a gap. */
export interface SeriesPoint {
  /** Unix seconds. */
  t: number;
  y: number | null;
  /** The exact value as text (for the table), else `format(y)`. */
  label?: string;
}

/** Round a rough step to 1, 2 or 5 times a power of ten. */
export function niceStep(rough: number): number {
  if (!(rough > 0) || !Number.isFinite(rough)) return 1;
  const p = 10 ** Math.floor(Math.log10(rough));
  const m = rough / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** Ticks from 0 (or below the minimum) past the maximum, about `n` of them. */
export function niceTicks(min: number, max: number, n = 4): number[] {
  const lo = Math.min(0, min);
  const hi = max <= lo ? lo + 1 : max;
  const step = Math.max(niceStep((hi - lo) / n), 1);
  const ticks: number[] = [];
  for (let v = Math.floor(lo / step) * step; v < hi + step; v += step) {
    ticks.push(v);
    if (v >= hi) break;
  }
  return ticks;
}

function shortTime(t: number, span: number): string {
  const iso = formatTime(t); // 2026-11-24 20:38:15 UTC
  if (span > 2 * 86_400) return iso.slice(5, 10);
  if (span > 600) return iso.slice(11, 16);
  return iso.slice(11, 19);
}

/** A line chart of one series over time. */
export function LineChart(props: {
  id: string;
  title: string;
  /** One sentence: what the chart shows and its latest value. */
  summary: string;
  points: SeriesPoint[];
  format: (y: number) => string;
  yLabel: string;
}) {
  const W = 640, H = 240;
  const m = { l: 64, r: 16, t: 16, b: 36 };
  const pts = props.points;
  const ys = pts.map((p) => p.y).filter((y): y is number => y !== null);
  if (pts.length < 2 || ys.length === 0) {
    return (
      <figure class="chart">
        <figcaption>
          <strong>{props.title}</strong>: not enough history yet ({pts.length}
          {" "}
          point{pts.length === 1 ? "" : "s"}).
        </figcaption>
      </figure>
    );
  }
  const t0 = pts[0]!.t, t1 = pts.at(-1)!.t;
  const span = Math.max(1, t1 - t0);
  const ticks = niceTicks(Math.min(...ys), Math.max(...ys));
  const y0 = ticks[0]!, y1 = ticks.at(-1)!;
  const x = (t: number) => m.l + ((t - t0) / span) * (W - m.l - m.r);
  const y = (v: number) =>
    H - m.b - ((v - y0) / Math.max(1e-9, y1 - y0)) * (H - m.t - m.b);
  const segments: string[] = [];
  let current = "";
  for (const p of pts) {
    if (p.y === null) {
      if (current) segments.push(current);
      current = "";
      continue;
    }
    current += `${current ? "L" : "M"}${x(p.t).toFixed(1)},${
      y(p.y).toFixed(1)
    }`;
  }
  if (current) segments.push(current);
  const xTicks = [0, 1, 2, 3].map((i) => t0 + (span * i) / 3);
  const last = [...pts].reverse().find((p) => p.y !== null)!;
  const tid = `${props.id}-title`, did = `${props.id}-desc`;
  return (
    <figure class="chart" id={props.id}>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby={`${tid} ${did}`}
        preserveAspectRatio="xMidYMid meet"
      >
        <title id={tid}>{props.title}</title>
        <desc id={did}>{props.summary}</desc>
        <g class="grid" aria-hidden="true">
          {ticks.map((v) => (
            <g>
              <line x1={m.l} x2={W - m.r} y1={y(v)} y2={y(v)} />
              <text x={m.l - 8} y={y(v) + 4} text-anchor="end">
                {props.format(v)}
              </text>
            </g>
          ))}
          {xTicks.map((t, i) => (
            <text
              x={x(t)}
              y={H - m.b + 20}
              text-anchor={i === 0 ? "start" : i === 3 ? "end" : "middle"}
            >
              {shortTime(t, span)}
            </text>
          ))}
          <text
            class="axis-label"
            x={12}
            y={H / 2}
            transform={`rotate(-90 12 ${H / 2})`}
            text-anchor="middle"
          >
            {props.yLabel}
          </text>
        </g>
        {segments.map((d) => <path key={d} class="line" d={d} />)}
        <circle class="dot" cx={x(last.t)} cy={y(last.y!)} r="4" />
      </svg>
      <figcaption>
        <strong>{props.title}.</strong> {props.summary}
        <details>
          <summary>Data table</summary>
          <table class="data">
            <caption class="vh">{props.title}</caption>
            <thead>
              <tr>
                <th scope="col">time (UTC)</th>
                <th scope="col">{props.yLabel}</th>
              </tr>
            </thead>
            <tbody>
              {pts.map((p) => (
                <tr>
                  <td>{formatTime(p.t).slice(0, 19)}</td>
                  <td class="num">
                    {p.label ?? (p.y === null ? "unknown" : props.format(p.y))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </figcaption>
    </figure>
  );
}

/** A bar chart of counts by category (e.g. swarms by size). */
export function BarChart(props: {
  id: string;
  title: string;
  summary: string;
  bars: { label: string; value: number }[];
  xLabel: string;
  yLabel: string;
}) {
  const W = 640, H = 220;
  const m = { l: 48, r: 16, t: 16, b: 44 };
  const bars = props.bars;
  if (bars.length === 0) {
    return (
      <figure class="chart">
        <figcaption>
          <strong>{props.title}</strong>: nothing to show yet.
        </figcaption>
      </figure>
    );
  }
  const ticks = niceTicks(0, Math.max(...bars.map((b) => b.value)));
  const top = ticks.at(-1)!;
  const bw = (W - m.l - m.r) / bars.length;
  const y = (v: number) => H - m.b - (v / top) * (H - m.t - m.b);
  const tid = `${props.id}-title`, did = `${props.id}-desc`;
  return (
    <figure class="chart" id={props.id}>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby={`${tid} ${did}`}
      >
        <title id={tid}>{props.title}</title>
        <desc id={did}>{props.summary}</desc>
        <g class="grid" aria-hidden="true">
          {ticks.map((v) => (
            <g>
              <line x1={m.l} x2={W - m.r} y1={y(v)} y2={y(v)} />
              <text x={m.l - 8} y={y(v) + 4} text-anchor="end">{v}</text>
            </g>
          ))}
          <text x={(W + m.l) / 2} y={H - 6} text-anchor="middle">
            {props.xLabel}
          </text>
        </g>
        {bars.map((b, i) => (
          <g>
            <rect
              class="bar"
              x={m.l + i * bw + bw * 0.15}
              y={y(b.value)}
              width={bw * 0.7}
              height={Math.max(0, H - m.b - y(b.value))}
            />
            <text
              class="bar-label"
              x={m.l + i * bw + bw / 2}
              y={H - m.b + 16}
              text-anchor="middle"
              aria-hidden="true"
            >
              {b.label}
            </text>
          </g>
        ))}
      </svg>
      <figcaption>
        <strong>{props.title}.</strong> {props.summary}
        <details>
          <summary>Data table</summary>
          <table class="data">
            <caption class="vh">{props.title}</caption>
            <thead>
              <tr>
                <th scope="col">{props.xLabel}</th>
                <th scope="col">{props.yLabel}</th>
              </tr>
            </thead>
            <tbody>
              {bars.map((b) => (
                <tr>
                  <td>{b.label}</td>
                  <td class="num">{b.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </figcaption>
    </figure>
  );
}
