/**
 * The chart docs/sae-engine.md shows: FVU ratio to TopK at matched L0
 * against training tokens per SAE, one line per recipe and target L0, as a
 * standalone SVG (no browser or plotting library needed to make it).
 */

export interface ChartSeries {
  label: string;
  /** [tokens per SAE, ratio] */
  points: [number, number][];
  dashed: boolean;
  /** series with the same key share a colour (e.g. one target L0 under two recipes) */
  colorKey: number;
}

const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"];

export function ratioChartSvg(series: ChartSeries[], title: string): string {
  const W = 720;
  const H = 420;
  const m = { left: 64, right: 210, top: 40, bottom: 52 };
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const x0 = Math.log10(Math.min(...xs) / 1.3);
  const x1 = Math.log10(Math.max(...xs) * 1.3);
  const y0 = Math.min(0.8, ...ys.map((y) => y - 0.05));
  const y1 = Math.max(1.2, ...ys.map((y) => y + 0.05));
  const X = (t: number) => m.left + ((Math.log10(t) - x0) / (x1 - x0)) * (W - m.left - m.right);
  const Y = (r: number) => H - m.bottom - ((r - y0) / (y1 - y0)) * (H - m.top - m.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.left}" y="22" font-size="14" font-weight="bold">${escape(title)}</text>`,
  ];
  for (let r = Math.ceil(y0 * 10) / 10; r <= y1 + 1e-9; r += 0.1) {
    const y = Y(r);
    out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${y}" y2="${y}" stroke="${Math.abs(r - 1) < 1e-9 ? "#333" : "#ddd"}"/>`);
    out.push(`<text x="${m.left - 8}" y="${y + 4}" text-anchor="end">${r.toFixed(1)}</text>`);
  }
  for (const t of [...new Set(xs)].sort((a, b) => a - b)) {
    const x = X(t);
    out.push(`<line x1="${x}" x2="${x}" y1="${m.top}" y2="${H - m.bottom}" stroke="#eee"/>`);
    out.push(`<text x="${x}" y="${H - m.bottom + 18}" text-anchor="middle">${(t / 1e6).toFixed(2)}M</text>`);
  }
  out.push(`<text x="${(m.left + W - m.right) / 2}" y="${H - 12}" text-anchor="middle">training tokens per SAE</text>`);
  out.push(
    `<text x="16" y="${(m.top + H - m.bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(m.top + H - m.bottom) / 2})">FVU / TopK's FVU at matched L0</text>`,
  );
  const keys = [...new Set(series.map((s) => s.colorKey))].sort((a, b) => a - b);
  series.forEach((s, i) => {
    const color = PALETTE[keys.indexOf(s.colorKey) % PALETTE.length];
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    out.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""} points="${pts.map(([t, r]) => `${X(t)},${Y(r)}`).join(" ")}"/>`,
    );
    for (const [t, r] of pts)
      out.push(`<circle cx="${X(t)}" cy="${Y(r)}" r="3.5" fill="${color}"><title>${escape(s.label)}: ${r.toFixed(3)}</title></circle>`);
    const ly = m.top + 16 + 20 * i;
    out.push(
      `<line x1="${W - m.right + 16}" x2="${W - m.right + 40}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`,
    );
    out.push(`<text x="${W - m.right + 46}" y="${ly + 4}">${escape(s.label)}</text>`);
  });
  out.push(`<text x="${W - m.right + 16}" y="${H - m.bottom}" fill="#555">below 1: better than TopK</text>`);
  out.push("</svg>");
  return out.join("\n") + "\n";
}

function escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
