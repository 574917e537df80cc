// Charts for the in-memory backend. The real app's charts come from Rust (plotters); these
// are only drawn so that the browser build has something true to the data to show and so UI
// tests can check that a chart with bars or lines arrives in the page.

const WIDTH = 800;
const HEIGHT = 340;
const MARGIN = { top: 24, right: 24, bottom: 64, left: 72 };
const PALETTE = ['#2f6db5', '#d9822b', '#3a9a6a', '#a34ea8', '#c44d58', '#6b7a8f'];

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function niceMax(max: number): number {
  if (max <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  // Multiples that split into four even ticks.
  for (const m of [1, 2, 4, 6, 8, 10]) if (m * step >= max) return m * step;
  return 10 * step;
}

function frame(yMax: number, yLabel: (v: number) => string, title: string): string {
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  let out = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">`;
  out += `<title>${escapeXml(title)}</title><rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`;
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    const y = MARGIN.top + plotH - (plotH * i) / 4;
    out += `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y}" y2="${y}" stroke="#e3e7ed"/>`;
    out += `<text x="${MARGIN.left - 8}" y="${y + 4}" text-anchor="end" fill="#5b6675">${escapeXml(yLabel(v))}</text>`;
  }
  out += `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" stroke="#8a94a3"/>`;
  return out;
}

function xLabel(x: number, text: string, rotate: boolean): string {
  const y = HEIGHT - MARGIN.bottom + 16;
  return rotate
    ? `<text x="${x}" y="${y}" text-anchor="end" fill="#5b6675" transform="rotate(-35 ${x} ${y})">${escapeXml(text)}</text>`
    : `<text x="${x}" y="${y}" text-anchor="middle" fill="#5b6675">${escapeXml(text)}</text>`;
}

export function barChart(labels: string[], values: number[], yLabel: (v: number) => string, title: string): string {
  const yMax = niceMax(Math.max(0, ...values));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const slot = plotW / Math.max(1, labels.length);
  const rotate = labels.length > 8;
  let out = frame(yMax, yLabel, title);
  labels.forEach((label, i) => {
    const h = (plotH * values[i]) / yMax;
    const x = MARGIN.left + i * slot + slot * 0.18;
    out += `<rect class="bar" x="${x.toFixed(1)}" y="${(MARGIN.top + plotH - h).toFixed(1)}" width="${(slot * 0.64).toFixed(1)}" height="${h.toFixed(1)}" fill="${PALETTE[0]}"><title>${escapeXml(`${label}: ${yLabel(values[i])}`)}</title></rect>`;
    out += xLabel(MARGIN.left + i * slot + slot / 2, label, rotate);
  });
  return out + '</svg>';
}

export interface LineSeries {
  name: string;
  /** One value per x label; null where the series has no point. */
  values: (number | null)[];
}

export function lineChart(labels: string[], series: LineSeries[], yLabel: (v: number) => string, title: string, yMaxFixed?: number): string {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const yMax = yMaxFixed ?? niceMax(Math.max(0, ...all));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const step = labels.length > 1 ? plotW / (labels.length - 1) : 0;
  const xAt = (i: number) => MARGIN.left + (labels.length > 1 ? i * step : plotW / 2);
  let out = frame(yMax, yLabel, title);
  const every = Math.max(1, Math.ceil(labels.length / 12));
  labels.forEach((label, i) => {
    if (i % every === 0) out += xLabel(xAt(i), label, true);
  });
  series.forEach((s, k) => {
    const color = PALETTE[k % PALETTE.length];
    let d = '';
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null) {
        pen = false;
        return;
      }
      const y = MARGIN.top + plotH - (plotH * v) / yMax;
      d += `${pen ? 'L' : 'M'}${xAt(i).toFixed(1)},${y.toFixed(1)}`;
      pen = true;
    });
    out += `<path class="series" d="${d}" fill="none" stroke="${color}" stroke-width="2"><title>${escapeXml(s.name)}</title></path>`;
    if (series.length > 1) {
      const lx = MARGIN.left + 8 + k * 130;
      out += `<rect x="${lx}" y="6" width="12" height="4" fill="${color}"/><text x="${lx + 16}" y="12" fill="#2b3440">${escapeXml(s.name)}</text>`;
    }
  });
  return out + '</svg>';
}
