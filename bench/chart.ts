/**
 * The bench's chart: hand-written SVG (no dependency), three panels of
 * horizontal bars — backlog throughput (with its ratio to the kafkajs loop),
 * p50/p99 latency on a log scale, peak RSS — one bar per row, coloured by
 * family (broker, client, Kafka Streams, Eddy, StateFun 3.3).
 *
 * `deno run --allow-read --allow-write bench/chart.ts <results.json> <chart.svg>` draws it again from the
 * results a run wrote (the bench writes both).
 *
 * @module
 */

import type { Family, Result } from "./pipelines/pipeline.ts";
import { anchorsOf, formatNumber, ratio, type RunInfo } from "./report.ts";

const COLORS: Record<Family, string> = {
  broker: "#7f7f7f",
  client: "#4e79a7",
  streams: "#f28e2b",
  eddy: "#59a14f",
  statefun: "#b07aa1",
};
const FAMILY_NAMES: Record<Family, string> = {
  broker: "broker ceiling (Kafka perf tools)",
  client: "client ceiling (raw kafkajs)",
  streams: "Kafka Streams",
  eddy: "Eddy",
  statefun: "StateFun 3.3",
};

const WIDTH = 1000;
const LABEL_X = 300; // right edge of the row labels
const PLOT_X = 310;
const PLOT_WIDTH = 520;
const ROW = 22;
const BAR = 14;

/** Renders the chart. */
export function renderChart(results: Result[], run: RunInfo): string {
  const parts: string[] = [];
  let y = 30;
  parts.push(text(
    20,
    y,
    `Eddy and its anchors — keyed count, ${formatNumber(run.records)} records backlog, ` +
      `${run.keys} keys, ${run.partitions} partitions; ${
        formatNumber(run.rate)
      } rec/s paced for ${run.latencySeconds} s`,
    {
      size: 16,
      weight: "bold",
    },
  ));
  y += 20;
  parts.push(text(20, y, `${run.date} · ${run.machine} · Deno ${run.deno} · ${run.kafka} · ${run.java}`, {
    size: 11,
    fill: "#555",
  }));
  y += 22;
  let x = 20;
  for (const family of Object.keys(COLORS) as Family[]) {
    parts.push(`<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${COLORS[family]}"/>`);
    parts.push(text(x + 18, y, FAMILY_NAMES[family], { size: 12 }));
    x += 18 + FAMILY_NAMES[family].length * 6.6 + 24;
  }
  y += 16;

  const anchors = anchorsOf(results);
  const withThroughput = results.filter((result) => result.throughput !== undefined);
  y = panel(
    parts,
    y,
    "Backlog throughput (records/s; × the kafkajs loop, × Kafka Streams of the same guarantee)",
    withThroughput,
    {
      // The consumer perf tool reads several times faster than anything else: the axis ends at the fastest
      // pipeline, and a faster bar is cut (a break mark at the axis' end).
      scale: linear(
        Math.max(
          ...withThroughput.filter((result) => result.family !== "broker").map((result) => result.throughput!),
          1,
        ),
      ),
      bars: (result) => [{ value: result.throughput!, opacity: 1 }],
      label: (result) => {
        const streams = result.guarantee === "none" ? undefined : anchors.streams[result.guarantee]?.throughput;
        const ratios = [
          result.id === "kafkajs-loop"
            ? undefined
            : ratio(result.throughput, anchors.kafkajsLoop?.throughput) + " loop",
          result.family === "streams" || streams === undefined
            ? undefined
            : ratio(result.throughput, streams) + " Streams",
        ].filter((part) => part !== undefined && !part.startsWith("–"));
        return [formatNumber(result.throughput), ...ratios].join(" · ");
      },
    },
  );

  const withLatency = results.filter((result) => result.p50 !== undefined);
  y = panel(
    parts,
    y,
    "Latency at the paced rate, ms, log scale: p50 (dark) and p99 (light); ¹ = not end-to-end",
    withLatency,
    {
      scale: logarithmic(Math.max(...withLatency.map((result) => result.p99 ?? result.p50!))),
      bars: (result) => [{ value: result.p99 ?? result.p50!, opacity: 0.35 }, { value: result.p50!, opacity: 1 }],
      label: (result) =>
        `${formatNumber(result.p50)} / ${formatNumber(result.p99)} ms${
          result.latencyKind === "end-to-end" ? "" : " ¹"
        }`,
    },
  );

  const withRss = results.filter((result) => result.peakRssMiB !== undefined);
  y = panel(
    parts,
    y,
    "Peak RSS of the pipeline's processes (MiB; VmHWM; remote rows without their SDK server)",
    withRss,
    {
      scale: linear(Math.max(...withRss.map((result) => result.peakRssMiB!))),
      bars: (result) => [{ value: result.peakRssMiB!, opacity: 1 }],
      label: (result) => `${formatNumber(result.peakRssMiB)} MiB`,
    },
  );

  parts.push(text(
    20,
    y + 4,
    "¹ ProducerPerformance: produce latency (acks=all, unthrottled); EndToEndLatency: " +
      "produce → consume round trip with one record in flight. The machine is shared: compare ratios, not figures.",
    {
      size: 11,
      fill: "#555",
    },
  ));
  const height = y + 40;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ` +
    `font-family="Helvetica, Arial, sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${
      parts.join("\n")
    }\n</svg>\n`;
}

interface Scale {
  /** x of a value. */
  at(value: number): number;
  /** Tick values. */
  ticks: number[];
}

interface PanelOptions {
  scale: Scale;
  bars(result: Result): { value: number; opacity: number }[];
  label(result: Result): string;
}

/** Draws one panel below `y`; returns the y below it. */
function panel(parts: string[], y: number, title: string, rows: Result[], options: PanelOptions): number {
  y += 24;
  parts.push(text(20, y, title, { size: 13, weight: "bold" }));
  y += 12;
  const top = y;
  const bottom = top + rows.length * ROW;
  for (const tick of options.scale.ticks) {
    const x = options.scale.at(tick);
    parts.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom}" stroke="#ddd"/>`);
    parts.push(text(x, bottom + 12, formatNumber(tick), { size: 10, fill: "#777", anchor: "middle" }));
  }
  for (const [i, result] of rows.entries()) {
    const rowY = top + i * ROW;
    parts.push(text(LABEL_X, rowY + BAR - 2, result.name, { size: 12, anchor: "end" }));
    let end = PLOT_X;
    for (const bar of options.bars(result)) {
      const axisEnd = PLOT_X + PLOT_WIDTH;
      const x = Math.min(axisEnd + 12, Math.max(PLOT_X + 1, options.scale.at(bar.value)));
      const barY = rowY + (ROW - BAR) / 2 - 2;
      end = Math.max(end, x);
      parts.push(
        `<rect x="${PLOT_X}" y="${barY}" width="${(x - PLOT_X).toFixed(1)}" height="${BAR}" ` +
          `fill="${COLORS[result.family]}" fill-opacity="${bar.opacity}"/>`,
      );
      if (x > axisEnd) {
        parts.push(
          `<path d="M${axisEnd - 2} ${barY + BAR + 2} L${axisEnd + 4} ${barY - 2} M${axisEnd + 3} ${barY + BAR + 2} ` +
            `L${axisEnd + 9} ${barY - 2}" stroke="white" stroke-width="2.5"/>`,
        );
      }
    }
    parts.push(text(end + 6, rowY + BAR - 2, options.label(result), { size: 11 }));
  }
  return bottom + 20;
}

function linear(max: number): Scale {
  const step = niceStep(max / 5);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
  return { at: (value) => PLOT_X + (value / top) * PLOT_WIDTH, ticks };
}

function logarithmic(max: number): Scale {
  const decades = Math.max(1, Math.ceil(Math.log10(Math.max(max, 2))));
  const ticks = Array.from({ length: decades + 1 }, (_, i) => 10 ** i);
  // 1 ms and less sit at the axis; a bar of 0 ms gets a sliver.
  return {
    at: (value) => PLOT_X + (Math.log10(Math.max(value, 1)) / decades) * PLOT_WIDTH,
    ticks,
  };
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-9)));
  const scaled = raw / power;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

function text(
  x: number,
  y: number,
  content: string,
  style: { size: number; weight?: string; fill?: string; anchor?: "start" | "middle" | "end" },
): string {
  const escaped = content.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-size="${style.size}"${
    style.weight ? ` font-weight="${style.weight}"` : ""
  }${style.fill ? ` fill="${style.fill}"` : ""}${
    style.anchor && style.anchor !== "start" ? ` text-anchor="${style.anchor}"` : ""
  }>${escaped}</text>`;
}

if (import.meta.main) {
  const [resultsFile, chartFile] = Deno.args;
  if (!resultsFile || !chartFile) {
    console.error("usage: deno run --allow-read --allow-write bench/chart.ts <results.json> <chart.svg>");
    Deno.exit(2);
  }
  const { run, results } = JSON.parse(await Deno.readTextFile(resultsFile)) as { run: RunInfo; results: Result[] };
  await Deno.writeTextFile(chartFile, renderChart(results, run));
}
