/**
 * A small SVG line chart, written as text (no dependencies): panels side by side, each with an
 * x axis of N, a y axis from 0, and a few series drawn as lines with dots.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const svg = lineChartsSvg([{
 *   title: "Wall time", unit: "s", xs: [1, 4],
 *   series: [{ name: "bare", values: [2.5, 4.1] }, { name: "server", values: [2.3, 3.0] }],
 * }]);
 * assert.match(svg, /^<svg[^>]*>/);
 * assert.match(svg, /Wall time/);
 * ```
 * @module
 */

/** One line of a panel: a value per x (null: not measured). */
export interface Series {
  name: string;
  values: Array<number | null>;
}

/** One chart. */
export interface Panel {
  title: string;
  /** The y axis' unit, e.g. "s" or "MB". */
  unit: string;
  xs: number[];
  series: Series[];
}

const WIDTH = 420;
const HEIGHT = 300;
const MARGIN = { left: 60, right: 20, top: 40, bottom: 70 };
const COLORS = ["#d9480f", "#1c7ed6", "#2b8a3e", "#862e9c"];

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A "nice" step (1, 2 or 5 times a power of ten) for about five ticks up to `max`. */
function tickStep(max: number): number {
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw) ?? raw;
}

function panelSvg(panel: Panel, offsetX: number): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const all = panel.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const step = tickStep(Math.max(1e-9, ...all));
  const yMax = Math.ceil(Math.max(1e-9, ...all) / step) * step;
  // N spans 1 to 32: a log-2 x axis spaces the points evenly.
  const lx = panel.xs.map((x) => Math.log2(x));
  const xMin = Math.min(...lx);
  const xSpan = Math.max(1e-9, Math.max(...lx) - xMin);
  const px = (i: number) => MARGIN.left + ((lx[i]! - xMin) / xSpan) * plotW;
  const py = (v: number) => MARGIN.top + plotH - (v / yMax) * plotH;
  const parts: string[] = [`<g transform="translate(${offsetX},0)">`];
  parts.push(
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${
      escape(panel.title)
    }</text>`,
  );
  for (let v = 0; v <= yMax + step / 2; v += step) {
    const y = py(v).toFixed(1);
    parts.push(
      `<line x1="${MARGIN.left}" y1="${y}" x2="${WIDTH - MARGIN.right}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" ` +
        `font-size="11">${Number(v.toPrecision(6))}</text>`,
    );
  }
  parts.push(
    `<text x="14" y="${MARGIN.top + plotH / 2}" font-size="12" text-anchor="middle" ` +
      `transform="rotate(-90 14 ${MARGIN.top + plotH / 2})">${escape(panel.unit)}</text>`,
  );
  panel.xs.forEach((x, i) => {
    parts.push(
      `<text x="${px(i).toFixed(1)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle" ` +
        `font-size="11">${x}</text>`,
    );
  });
  parts.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${MARGIN.top + plotH + 34}" text-anchor="middle" ` +
      `font-size="12">N tasks at once</text>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${WIDTH - MARGIN.right}" ` +
      `y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotH}" ` +
      `stroke="#333"/>`,
  );
  panel.series.forEach((series, s) => {
    const color = COLORS[s % COLORS.length]!;
    const points = series.values.flatMap((v, i) =>
      v === null ? [] : [`${px(i).toFixed(1)},${py(v).toFixed(1)}`]
    );
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(" ")}"/>`,
    );
    for (const point of points) {
      const [x, y] = point.split(",");
      parts.push(`<circle cx="${x}" cy="${y}" r="3.5" fill="${color}"/>`);
    }
    const legendY = HEIGHT - 14;
    const legendX = MARGIN.left + s * 170;
    parts.push(
      `<line x1="${legendX}" y1="${legendY}" x2="${legendX + 20}" y2="${legendY}" ` +
        `stroke="${color}" stroke-width="3"/>`,
      `<text x="${legendX + 26}" y="${legendY}" dominant-baseline="middle" font-size="12">${
        escape(series.name)
      }</text>`,
    );
  });
  parts.push("</g>");
  return parts.join("\n");
}

/** The panels side by side as one SVG document. */
export function lineChartsSvg(panels: Panel[], caption = ""): string {
  const width = WIDTH * panels.length;
  const height = HEIGHT + (caption ? 24 : 0);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...panels.map((panel, i) => panelSvg(panel, i * WIDTH)),
    caption
      ? `<text x="${width / 2}" y="${height - 8}" text-anchor="middle" font-size="11" ` +
        `fill="#555">${escape(caption)}</text>`
      : "",
    "</svg>",
    "",
  ].join("\n");
}
