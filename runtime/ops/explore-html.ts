/**
 * The results explorer as one self-contained page: inline CSS, SVG charts drawn here, and a small
 * inline script for the table of calls, its filters and search, and one call's view. Nothing is
 * fetched from anywhere, so the page opens from disk; served by `tapctl serve`, the same script asks
 * the server for each filtered page of calls instead of filtering the rows it carries.
 *
 * Every chart mark carries its raw figure in `data-value` / `data-count`, so that tools (and tests)
 * can read the page back.
 */
import { escapeHtml } from './html-report';
import { integer } from './format';
import type { Breakdown, CallPage, Count, Explorer, ExplorerSummary, FieldSummary, Trend } from './explore';
import { NO_VALUE } from './explore';

/** Colours of a category's values, in order; `other` and no value are grey. */
export const PALETTE = ['#1565c0', '#ef6c00', '#2e7d32', '#c62828', '#6a1b9a', '#00838f', '#9e9d24', '#ad1457', '#4e342e', '#37474f'];
const GREY = '#9e9e9e';

/** Where the served page asks for a page of calls. */
export const CALLS_PATH = '/api/calls';

export interface ExplorerPageInput {
  readonly explorer: Explorer;
  readonly summary: ExplorerSummary;
  /** The calls the page carries (the first page, when served). */
  readonly calls: CallPage;
  /** The most calls the page was allowed to carry. */
  readonly sampleLimit: number;
  readonly generatedAt: string;
  /** Served: filters and search are answered by the server. */
  readonly served?: boolean;
  /** Sentences shown under the header, about how the page was made (say, without a declaration). */
  readonly notes?: readonly string[];
}

const label = (value: string | null) => (value === null ? NO_VALUE : value);
const pct = (n: number, of: number) => (of === 0 ? '0%' : `${((100 * n) / of).toFixed(n * 1000 < of ? 1 : 0)}%`);

/** A colour per value of a field, stable across the page's charts: declared values first. */
function colourer(values: readonly (string | null)[]): (value: string | null) => string {
  const order = [...new Set(values.filter((v): v is string => v !== null))];
  return (value) => (value === null || !order.includes(value) ? GREY : PALETTE[order.indexOf(value) % PALETTE.length]!);
}

/** Stacked segments in the order of the legend: declared values first, no value last. */
function inOrder(counts: readonly Count[], values: readonly (string | null)[]): Count[] {
  const rank = (v: string | null) => (v === null ? Number.MAX_SAFE_INTEGER : values.indexOf(v));
  return [...counts].sort((a, b) => rank(a.value) - rank(b.value));
}

function bars(
  name: string,
  rows: readonly { label: string; count: number; colour: string; value: string; note?: string }[],
  of: number,
): string {
  if (rows.length === 0) return `<p class="empty" data-chart="${escapeHtml(name)}" data-marks="0">No values.</p>`;
  const rowH = 22;
  const labelW = 170;
  const barW = 300;
  const max = Math.max(1, ...rows.map((r) => r.count));
  const marks = rows.map((r, i) => {
    const y = i * rowH;
    const w = Math.max(r.count > 0 ? 1 : 0, Math.round((barW * r.count) / max));
    return `<g class="mark" data-value="${escapeHtml(r.value)}" data-count="${r.count}"><text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${escapeHtml(truncate(r.label, 24))}</text><rect x="${labelW}" y="${y + 4}" width="${w}" height="${rowH - 8}" fill="${r.colour}"/><text x="${labelW + w + 6}" y="${y + 15}">${integer(r.count)}${r.note ?? (of > 0 ? ` (${pct(r.count, of)})` : '')}</text></g>`;
  });
  const height = rows.length * rowH;
  return `<svg data-chart="${escapeHtml(name)}" data-marks="${rows.length}" viewBox="0 0 560 ${height}" width="100%" height="${height}" role="img">${marks.join('')}</svg>`;
}

function truncate(text: string, n: number): string {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

function fieldChart(field: FieldSummary, calls: number): string {
  const name = `field:${field.name}`;
  const chart = field.chart;
  switch (chart.kind) {
    case 'categories': {
      const colour = colourer([...(field.values ?? []), ...chart.counts.map((c) => c.value)]);
      const rows = chart.counts.map((c) => ({ label: label(c.value), value: label(c.value), count: c.count, colour: colour(c.value) }));
      if (chart.other > 0) rows.push({ label: 'other', value: 'other', count: chart.other, colour: GREY });
      return bars(name, rows, calls);
    }
    case 'share': {
      const rows = [
        { label: 'yes', value: 'true', count: chart.yes, colour: PALETTE[2]! },
        { label: 'no', value: 'false', count: chart.no, colour: PALETTE[3]! },
      ];
      if (chart.missing > 0) rows.push({ label: NO_VALUE, value: NO_VALUE, count: chart.missing, colour: GREY });
      const answered = chart.yes + chart.no;
      return `<p class="big" data-share="${answered === 0 ? '' : (chart.yes / answered).toFixed(4)}">${pct(chart.yes, answered)} yes</p>${bars(name, rows, calls)}`;
    }
    case 'histogram': {
      if (chart.bins.length === 0) return bars(name, [], calls);
      const W = 560;
      const H = 160;
      const bottom = 36;
      const max = Math.max(1, ...chart.bins.map((b) => b.count));
      const bw = (W - 20) / chart.bins.length;
      const fmt = (n: number) => (Number.isInteger(n) ? integer(n) : n.toFixed(2));
      const marks = chart.bins.map((b, i) => {
        const h = Math.round(((H - bottom - 16) * b.count) / max);
        const x = 10 + i * bw;
        return `<g class="mark" data-value="${fmt(b.from)}-${fmt(b.to)}" data-count="${b.count}"><rect x="${x + 1}" y="${H - bottom - h}" width="${Math.max(1, bw - 2)}" height="${h}" fill="${PALETTE[0]}"/><text x="${x + bw / 2}" y="${H - bottom - h - 3}" text-anchor="middle">${b.count > 0 ? integer(b.count) : ''}</text><text x="${x + bw / 2}" y="${H - bottom + 14}" text-anchor="middle" class="tick">${fmt(b.from)}</text></g>`;
      });
      const mean = chart.mean === null ? '' : `mean ${chart.mean.toFixed(2)}`;
      const missing = chart.missing > 0 ? `, ${integer(chart.missing)} without a value` : '';
      return `<svg data-chart="${escapeHtml(name)}" data-marks="${chart.bins.length}" viewBox="0 0 ${W} ${H}" width="100%" height="${H}" role="img">${marks.join('')}<text x="10" y="${H - 4}" class="axis-label">${escapeHtml(mean + missing)} (to ${fmt(chart.bins[chart.bins.length - 1]!.to)})</text></svg>`;
    }
    case 'keywords': {
      const rows = chart.words.map((w) => ({ label: w.word, value: w.word, count: w.calls, colour: PALETTE[5]! }));
      return `<p class="note">Calls mentioning each of the commonest ${field.kind === 'list' ? 'items' : 'words'} (${integer(chart.withText)} calls have a value).</p>${bars(name, rows, calls)}`;
    }
  }
}

function fieldsSection(summary: ExplorerSummary): string {
  const cards = summary.fields.map(
    (f) =>
      `<article class="card" data-field="${escapeHtml(f.name)}"><h3>${escapeHtml(f.name)} <small>${f.kind}${f.declared ? '' : ', not declared'}</small></h3><p class="note">${escapeHtml(f.description)}</p>${fieldChart(f, summary.calls)}</article>`,
  );
  return `<section id="fields"><h2>Every field</h2><div class="grid">${cards.join('')}</div></section>`;
}

function legend(values: readonly (string | null)[], colour: (v: string | null) => string): string {
  return `<p class="legend">${values.map((v) => `<span><i style="background:${colour(v)}"></i>${escapeHtml(label(v))}</span>`).join('')}</p>`;
}

function trendSection(trend: Trend | null, summary: ExplorerSummary): string {
  if (!trend) return '';
  const field = summary.fields.find((f) => f.name === trend.field);
  const values = [...(field?.values ?? []), ...trend.points.flatMap((p) => p.counts.map((c) => c.value))];
  const colour = colourer(values);
  const shown = [...new Set(values)];
  const W = 1100;
  const H = 240;
  const bottom = 40;
  const max = Math.max(1, ...trend.points.map((p) => p.total));
  const bw = (W - 60) / Math.max(1, trend.points.length);
  const columns = trend.points.map((p, i) => {
    let y = H - bottom;
    const x = 50 + i * bw;
    const stack = inOrder(p.counts, values).map((c) => {
      const h = ((H - bottom - 20) * c.count) / max;
      y -= h;
      return `<rect x="${x + 1}" y="${y.toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${colour(c.value)}" data-value="${escapeHtml(label(c.value))}" data-count="${c.count}"><title>${escapeHtml(`${p.period} ${label(c.value)}: ${c.count}`)}</title></rect>`;
    });
    const tick =
      i % Math.ceil(trend.points.length / 12) === 0
        ? `<text x="${x + bw / 2}" y="${H - bottom + 14}" text-anchor="middle" class="tick">${escapeHtml(p.period)}</text>`
        : '';
    return `<g class="mark" data-period="${escapeHtml(p.period)}" data-count="${p.total}">${stack.join('')}${tick}</g>`;
  });
  const axis = `<text x="44" y="24" text-anchor="end" class="tick">${integer(max)}</text><text x="44" y="${H - bottom}" text-anchor="end" class="tick">0</text>`;
  return `<section id="trend"><h2>Calls per ${trend.period}${trend.field ? ` by ${escapeHtml(trend.field)}` : ''}</h2><p class="note">By ${escapeHtml(trend.column)} (UTC).</p>${trend.field ? legend(shown, colour) : ''}<svg data-chart="trend" data-marks="${trend.points.length}" viewBox="0 0 ${W} ${H}" width="100%" height="${H}" role="img">${axis}${columns.join('')}</svg></section>`;
}

function breakdownChart(b: Breakdown, summary: ExplorerSummary): string {
  const field = summary.fields.find((f) => f.name === b.field);
  const values = [...(field?.values ?? []), ...b.rows.flatMap((r) => r.counts.map((c) => c.value))];
  const colour = colourer(values);
  const rowH = 22;
  const labelW = 140;
  const barW = 360;
  const rows = b.rows.map((r, i) => {
    let x = labelW;
    const y = i * rowH;
    const parts = inOrder(r.counts, values).map((c) => {
      const w = (barW * c.count) / Math.max(1, r.total);
      const rect = `<rect x="${x.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${colour(c.value)}" data-value="${escapeHtml(label(c.value))}" data-count="${c.count}"><title>${escapeHtml(`${label(c.value)}: ${c.count} of ${r.total}`)}</title></rect>`;
      x += w;
      return rect;
    });
    return `<g class="mark" data-key="${escapeHtml(r.key)}" data-count="${r.total}"><text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${escapeHtml(truncate(r.key, 18))}</text>${parts.join('')}<text x="${labelW + barW + 6}" y="${y + 15}">${integer(r.total)} calls</text></g>`;
  });
  const height = Math.max(rowH, b.rows.length * rowH);
  return `<article class="card"><h3>${escapeHtml(b.field)} by ${escapeHtml(b.column)}</h3>${legend([...new Set(values)], colour)}<svg data-chart="breakdown:${escapeHtml(b.column)}:${escapeHtml(b.field)}" data-marks="${b.rows.length}" viewBox="0 0 560 ${height}" width="100%" height="${height}" role="img">${rows.join('')}</svg></article>`;
}

function breakdownSection(summary: ExplorerSummary): string {
  if (summary.breakdowns.length === 0) return '';
  return `<section id="breakdowns"><h2>Breakdowns</h2><p class="note">The busiest keys; each bar is that key's calls split by the field's values.</p><div class="grid">${summary.breakdowns.map((b) => breakdownChart(b, summary)).join('')}</div></section>`;
}

function errorsSection(summary: ExplorerSummary): string {
  const rows = summary.errors.map((e) => ({ label: e.type, value: e.type, count: e.records, colour: PALETTE[3]!, note: '' }));
  return `<section id="errors"><h2>Records with errors</h2><p class="note">Records of these analysis versions with an error row, by type (a record retried and then analysed counts too).</p>${bars('errors', rows, 0)}</section>`;
}

function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
header,section{padding:12px 24px}header{background:#fff;border-bottom:1px solid #ddd}
h1{font-size:22px;margin:4px 0}h2{font-size:18px;margin:8px 0}h3{font-size:15px;margin:0 0 4px}h3 small{color:#777;font-weight:normal}
.meta{color:#555;margin:2px 0}.notice{background:#fff8e1;border:1px solid #ffe082;padding:6px 10px;border-radius:4px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:12px}
.card{background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:10px 12px}
.note{color:#666;font-size:12px;margin:2px 0 6px}.big{font-size:20px;margin:2px 0}
svg text{font-size:12px;fill:#333}svg .tick{font-size:11px;fill:#666}svg .axis-label{fill:#666}
.legend span{margin-right:12px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
#filters{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:6px 0}#filters label{font-size:12px;color:#555}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top;font-size:13px}
th{background:#f0f0f0;position:sticky;top:0;cursor:pointer}th[data-sorted=ascending]::after{content:' ▲'}th[data-sorted=descending]::after{content:' ▼'}tbody tr{cursor:pointer}tbody tr:hover{background:#e3f2fd}tr.selected{background:#bbdefb}
#call{background:#fff;border-top:2px solid #1565c0}#call dl{display:grid;grid-template-columns:200px 1fr;gap:2px 12px;margin:0}
#call dt{color:#555}#call dd{margin:0;white-space:pre-wrap}#call pre{white-space:pre-wrap;background:#f5f5f5;padding:8px;border-radius:4px;max-height:420px;overflow:auto}
.empty{color:#777}
`;

/**
 * The table of calls, its filters and search, and one call's view. Carried rows are filtered here;
 * served, each change asks `CALLS_PATH` for the matching page.
 */
const SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('tap-data').textContent);
  var NONE = data.none;
  var rows = data.calls.rows;
  var matching = data.calls.matching;
  var state = { equals: {}, search: '', sort: null };
  var filters = document.getElementById('filters');
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function show(v) {
    if (v === null || v === undefined) return '';
    if (Array.isArray(v)) return v.join(', ');
    return String(v);
  }
  data.filters.forEach(function (f) {
    var label = el('label', {}, f.name + ' ');
    var select = el('select', { 'data-filter': f.name });
    select.appendChild(el('option', { value: '' }, 'any'));
    f.values.forEach(function (v) { select.appendChild(el('option', { value: v }, v)); });
    select.addEventListener('change', function () {
      if (select.value) state.equals[f.name] = select.value; else delete state.equals[f.name];
      refresh();
    });
    label.appendChild(select);
    filters.appendChild(label);
  });
  var search = el('input', { type: 'search', id: 'search', placeholder: 'search transcripts and fields' });
  var timer;
  search.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () { state.search = search.value.trim().toLowerCase(); refresh(); }, data.served ? 250 : 0);
  });
  filters.appendChild(search);
  function matches(row) {
    for (var name in state.equals) {
      var v = row.values[name];
      var want = state.equals[name];
      if (want === NONE ? v !== null && v !== undefined : show(v) !== want) return false;
    }
    if (!state.search) return true;
    var texts = [row.transcript, row.values.record_id].concat(data.searched.map(function (n) { return show(row.values[n]); }));
    return texts.some(function (t) { return t && String(t).toLowerCase().indexOf(state.search) >= 0; });
  }
  function compare(a, b) {
    var x = a.values[state.sort.column], y = b.values[state.sort.column];
    if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
    if (y === null || y === undefined) return -1;
    var c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
    return state.sort.descending ? -c : c;
  }
  document.querySelectorAll('#calls th').forEach(function (th) {
    th.addEventListener('click', function () {
      var column = th.getAttribute('data-column');
      state.sort = { column: column, descending: state.sort && state.sort.column === column ? !state.sort.descending : false };
      document.querySelectorAll('#calls th').forEach(function (h) { h.removeAttribute('data-sorted'); });
      th.setAttribute('data-sorted', state.sort.descending ? 'descending' : 'ascending');
      refresh();
    });
  });
  function refresh() {
    if (!data.served) {
      var list = rows.filter(matches);
      if (state.sort) list = list.slice().sort(compare);
      render(list, null);
      return;
    }
    var q = new URLSearchParams();
    for (var name in state.equals) q.append('eq', name + '=' + state.equals[name]);
    if (state.search) q.set('q', state.search);
    if (state.sort) q.set('sort', (state.sort.descending ? '-' : '') + state.sort.column);
    fetch(data.callsPath + '?' + q.toString()).then(function (r) { return r.json(); }).then(function (page) {
      if (page.error) { document.getElementById('shown').textContent = page.error; return; }
      rows = page.rows; render(rows, page.matching);
    });
  }
  function render(list, total) {
    var body = document.querySelector('#calls tbody');
    body.textContent = '';
    list.forEach(function (row) {
      var tr = el('tr', { 'data-record': row.values.record_id });
      data.tableColumns.forEach(function (c) { tr.appendChild(el('td', {}, show(row.values[c]).slice(0, 140))); });
      tr.addEventListener('click', function () { open(row, tr); });
      body.appendChild(tr);
    });
    var shown = document.getElementById('shown');
    shown.setAttribute('data-count', String(list.length));
    shown.textContent = data.served
      ? list.length + ' shown of ' + total + ' matching calls'
      : list.length + ' of the ' + rows.length + ' calls on this page match';
  }
  function open(row, tr) {
    document.querySelectorAll('tr.selected').forEach(function (x) { x.classList.remove('selected'); });
    tr.classList.add('selected');
    var view = document.getElementById('call');
    view.hidden = false;
    view.textContent = '';
    view.setAttribute('data-record', row.values.record_id);
    view.appendChild(el('h2', {}, 'Call ' + row.values.record_id));
    var dl = el('dl');
    Object.keys(row.values).forEach(function (k) {
      dl.appendChild(el('dt', {}, k));
      dl.appendChild(el('dd', { 'data-value-of': k }, show(row.values[k])));
    });
    view.appendChild(dl);
    view.appendChild(el('h3', {}, 'Transcript'));
    view.appendChild(el('pre', { id: 'transcript' }, row.transcript === null ? '(the source has no transcript for this record)' : row.transcript));
    view.appendChild(el('h3', {}, 'Errors (' + row.errors.length + ')'));
    if (row.errors.length === 0) view.appendChild(el('p', { class: 'empty' }, 'No error was recorded for this call.'));
    else {
      var t = el('table', { id: 'call-errors' });
      var head = el('tr');
      ['created_at', 'error_type', 'retryable', 'execution_id', 'batch_id', 'attempt', 'message'].forEach(function (h) { head.appendChild(el('th', {}, h)); });
      t.appendChild(head);
      row.errors.forEach(function (e) {
        var r = el('tr');
        [e.created_at, e.error_type, e.retryable, e.execution_id, e.batch_id, e.attempt, e.message].forEach(function (v) { r.appendChild(el('td', {}, show(v))); });
        t.appendChild(r);
      });
      view.appendChild(t);
    }
    view.scrollIntoView();
  }
  render(rows, matching);
})();
`;

/** What the page and `tapctl explore` say of declared fields the results table lacks. */
export function missingNote(explorer: Explorer): string[] {
  const names = explorer.missingDeclared;
  if (names.length === 0) return [];
  return [
    `The declaration names ${names.join(', ')}, which ${explorer.resultsTable} has no column for: not charted. Is it the declaration of ${explorer.analysis}?`,
  ];
}

/** The explorer page. */
export function explorerHtml(input: ExplorerPageInput): string {
  const { explorer, summary, calls, sampleLimit, generatedAt, served } = input;
  const filters = explorer.filterable.map((name) => {
    const field = summary.fields.find((f) => f.name === name);
    const chart = field?.chart;
    const seen = chart?.kind === 'categories' ? chart.counts.map((c: Count) => label(c.value)) : ['true', 'false', NO_VALUE];
    return { name, values: [...new Set([...(field?.values ?? []), ...seen])] };
  });
  const listColumns = [
    'record_id',
    explorer.timeColumn,
    ...['agent_id', 'channel'].filter((c) => explorer.columns.some((x) => x.name === c)),
  ];
  const fieldColumns = explorer.fields.filter((f) => f.kind !== 'list').map((f) => f.name);
  const tableColumns = [...new Set([...listColumns, ...fieldColumns])];
  const searched = explorer.fields.filter((f) => f.kind === 'text' || f.kind === 'enum' || f.kind === 'list').map((f) => f.name);
  const data = { none: NO_VALUE, served: served === true, callsPath: CALLS_PATH, filters, tableColumns, searched, calls };
  const carried = calls.rows.length;
  const notice = served
    ? `Charts count all ${integer(summary.calls)} calls. Filters and search are answered by the warehouse over all of them, ${integer(calls.rows.length)} calls at a time.`
    : `This page carries ${integer(carried)} of the ${integer(summary.calls)} calls (the most recent, at most ${integer(sampleLimit)}). The charts count all ${integer(summary.calls)}; the table's filters and search act on the ${integer(carried)} carried here.`;
  const span = summary.firstCall && summary.lastCall ? `${summary.firstCall.slice(0, 10)} to ${summary.lastCall.slice(0, 10)}` : 'no calls';
  const head = `<header><h1>Calls analysed: ${escapeHtml(explorer.analysis)}</h1>
<p class="meta"><span data-metric="calls" data-value="${summary.calls}">${integer(summary.calls)}</span> calls (${escapeHtml(span)} by ${escapeHtml(explorer.timeColumn)}${explorer.since ? `, since ${escapeHtml(explorer.since)}` : ''}), from ${escapeHtml(explorer.resultsTable)}, the latest result per record; analysis version${summary.versions.length === 1 ? '' : 's'} ${escapeHtml(summary.versions.join(', ') || 'none')}. Generated ${escapeHtml(generatedAt)}.</p>
<p class="notice" id="sample-note" data-carried="${carried}" data-total="${summary.calls}">${escapeHtml(notice)}</p>${[...(input.notes ?? []), ...missingNote(explorer)].map((n) => `<p class="notice">${escapeHtml(n)}</p>`).join('')}</header>`;
  const table = `<section id="list"><h2>Calls</h2><div id="filters"></div><p class="note" id="shown"></p>
<div style="max-height:520px;overflow:auto"><table id="calls"><thead><tr>${tableColumns.map((c) => `<th data-column="${escapeHtml(c)}" title="sort">${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody></tbody></table></div></section>
<section id="call" hidden></section>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Calls analysed: ${escapeHtml(explorer.analysis)}</title><style>${CSS}</style></head>
<body>${head}${fieldsSection(summary)}${trendSection(summary.trend, summary)}${breakdownSection(summary)}${errorsSection(summary)}${table}
<script type="application/json" id="tap-data">${scriptJson(data)}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
