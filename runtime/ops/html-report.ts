/**
 * The report as one self-contained HTML page: inline CSS and SVG, no script, no font, no request,
 * so it opens offline, from a mail attachment, or from a bucket. Every figure carries its raw value
 * in `data-value` so that tools (and tests) can read the page back.
 */
import { RunReport, errorBars, figures, keyMetrics, timeBuckets, TimeBucket } from './report';
import { integer } from './format';

/** Chart colours, also what a test looks for in a screenshot. */
export const COLORS = {
  succeeded: '#2e7d32',
  failed: '#c62828',
  errors: '#ef6c00',
  throughput: '#1565c0',
} as const;

const W = 640;
const H = 220;
const M = { top: 16, right: 16, bottom: 40, left: 56 };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function niceMax(n: number): number {
  if (n <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

function axes(max: number, label: string, buckets: readonly TimeBucket[]): string {
  const plotH = H - M.top - M.bottom;
  const ticks = [0, 0.5, 1].map((f) => {
    const y = M.top + plotH * (1 - f);
    return `<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${M.left - 6}" y="${y + 4}" text-anchor="end">${Number.isInteger(max * f) ? integer(max * f) : (max * f).toFixed(1)}</text>`;
  });
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  const times =
    first && last
      ? `<text x="${M.left}" y="${H - M.bottom + 16}">${clock(first.start)}</text><text x="${W - M.right}" y="${H - M.bottom + 16}" text-anchor="end">${clock(last.end)} UTC</text>`
      : '';
  return `${ticks.join('')}${times}<text x="${M.left}" y="${H - 6}" class="axis-label">${escapeHtml(label)}</text>`;
}

function emptyChart(name: string, title: string, note: string): string {
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg data-chart="${name}" data-marks="0" viewBox="0 0 ${W} 60" width="${W}" height="60" role="img"><text x="${W / 2}" y="34" text-anchor="middle">${escapeHtml(note)}</text></svg></figure>`;
}

/** Batches finishing in each interval: succeeded stacked under failed. */
function batchesChart(buckets: readonly TimeBucket[]): string {
  if (buckets.length === 0) return emptyChart('batches', 'Batches over time', 'No batch has finished yet.');
  const max = niceMax(Math.max(...buckets.map((b) => b.succeeded + b.failed)));
  const plotH = H - M.top - M.bottom;
  const bw = (W - M.left - M.right) / buckets.length;
  let marks = 0;
  const bars = buckets.map((b, i) => {
    const x = M.left + i * bw + 1;
    const hs = (b.succeeded / max) * plotH;
    const hf = (b.failed / max) * plotH;
    const y0 = M.top + plotH;
    let out = '';
    if (b.succeeded > 0) {
      marks++;
      out += `<rect x="${x.toFixed(1)}" y="${(y0 - hs).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${hs.toFixed(1)}" fill="${COLORS.succeeded}" data-value="${b.succeeded}"><title>${b.succeeded} succeeded, ${clock(b.start)}–${clock(b.end)}</title></rect>`;
    }
    if (b.failed > 0) {
      marks++;
      out += `<rect x="${x.toFixed(1)}" y="${(y0 - hs - hf).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${hf.toFixed(1)}" fill="${COLORS.failed}" data-value="${b.failed}"><title>${b.failed} failed, ${clock(b.start)}–${clock(b.end)}</title></rect>`;
    }
    return out;
  });
  const legend = `<p class="legend"><span style="background:${COLORS.succeeded}"></span>succeeded <span style="background:${COLORS.failed}"></span>failed attempts</p>`;
  return `<figure><figcaption>Batches over time</figcaption><svg data-chart="batches" data-marks="${marks}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Batches finishing over time">${axes(max, 'batch attempts finished per interval', buckets)}${bars.join('')}</svg>${legend}</figure>`;
}

/** Records analysed per hour in each interval. */
function throughputChart(buckets: readonly TimeBucket[]): string {
  if (buckets.length === 0 || buckets.every((b) => b.records === 0)) {
    return emptyChart('throughput', 'Throughput', 'No record has been analysed yet.');
  }
  const perHour = buckets.map((b) => (b.records * 3_600_000) / Math.max(1, b.end - b.start));
  const max = niceMax(Math.max(...perHour));
  const plotH = H - M.top - M.bottom;
  const bw = (W - M.left - M.right) / buckets.length;
  let marks = 0;
  const bars = perHour.map((v, i) => {
    if (v <= 0) return '';
    marks++;
    const h = (v / max) * plotH;
    return `<rect x="${(M.left + i * bw + 1).toFixed(1)}" y="${(M.top + plotH - h).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS.throughput}" data-value="${buckets[i]!.records}"><title>${integer(buckets[i]!.records)} records (${integer(v)} per hour)</title></rect>`;
  });
  return `<figure><figcaption>Throughput</figcaption><svg data-chart="throughput" data-marks="${marks}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Records analysed per hour">${axes(max, 'records analysed per hour', buckets)}${bars.join('')}</svg></figure>`;
}

/** Horizontal bars, one per error type. */
function errorsChart(report: RunReport): string {
  const bars = errorBars(report.summary);
  if (bars.length === 0) return emptyChart('errors', 'Errors by type', 'No errors.');
  const row = 26;
  const left = 150;
  const h = bars.length * row + 10;
  const max = Math.max(...bars.map((b) => b.count));
  const rects = bars.map((b, i) => {
    const w = Math.max(2, (b.count / max) * (W - left - 80));
    const y = 5 + i * row;
    return `<text x="${left - 8}" y="${y + 16}" text-anchor="end">${escapeHtml(b.type)}</text><rect x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="${row - 8}" fill="${COLORS.errors}" data-error-type="${escapeHtml(b.type)}" data-value="${b.count}"/><text x="${(left + w + 6).toFixed(1)}" y="${y + 16}">${integer(b.count)}</text>`;
  });
  return `<figure><figcaption>Errors by type</figcaption><svg data-chart="errors" data-marks="${bars.length}" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" aria-label="Errors by type">${rects.join('')}</svg></figure>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:720px;color:#212121;padding:0 12px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:0 0 8px}.sub{color:#616161;margin:0 0 20px}
.status{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;vertical-align:middle}
.status-succeeded{background:${COLORS.succeeded}}.status-failed{background:${COLORS.failed}}.status-running{background:${COLORS.throughput}}
dl{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:8px;margin:0 0 24px}
dl div{border:1px solid #e0e0e0;border-radius:6px;padding:8px 10px}dt{color:#616161;font-size:12px}dd{margin:0;font-size:18px;font-weight:600}
figure{margin:0 0 24px}figcaption{font-weight:600;margin-bottom:6px}svg{max-width:100%;height:auto;font-size:11px;fill:#424242}
.axis-label{fill:#757575}.legend{margin:4px 0 0;color:#616161;font-size:12px}.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}
code{background:#f5f5f5;padding:1px 4px;border-radius:3px}`;

/** The whole page. */
export function reportHtml(report: RunReport): string {
  const s = report.summary;
  const status = report.final ? s.status : report.state;
  const buckets = timeBuckets(report);
  const card = (f: { key: string; label: string; value: number; text: string }) =>
    `<div><dt>${escapeHtml(f.label)}</dt><dd data-metric="${f.key}" data-value="${Number.isFinite(f.value) ? f.value : ''}">${escapeHtml(f.text)}</dd></div>`;
  const keys = keyMetrics(report).map(card).join('');
  const cards = figures(s)
    .map((f) => `<div><dt>${escapeHtml(f.label)}</dt><dd data-metric="${f.key}" data-value="${f.value}">${escapeHtml(f.text)}</dd></div>`)
    .join('');
  const failed =
    s.failed_batches.length > 0
      ? `<h2>Failed batches</h2><p data-metric="failed_batches">${s.failed_batches.map((b) => integer(b)).join(', ')}</p>${report.recover ? `<p>Re-run them with <code>${escapeHtml(report.recover)}</code>.</p>` : ''}`
      : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Run ${escapeHtml(report.executionId)}: transcript analysis report</title>
<style>${CSS}</style></head>
<body data-execution="${escapeHtml(report.executionId)}" data-final="${report.final}" data-basis="${report.basis}">
<h1>Run <span data-metric="execution_id">${escapeHtml(report.executionId)}</span> <span class="status status-${status}" data-metric="status">${status}</span></h1>
<p class="sub">Analysis version ${escapeHtml(s.analysis_version)} · ${report.basis === 'reporter' ? 'final summary' : report.basis === 'live' ? 'summary so far' : 'recomputed after recovery'} · generated ${escapeHtml(report.generatedAt)}</p>
<h2>Key metrics</h2>
<dl>${keys}</dl>
<h2>Summary</h2>
<dl>${cards}</dl>
${batchesChart(buckets)}
${errorsChart(report)}
${throughputChart(buckets)}
${failed}
</body></html>
`;
}
