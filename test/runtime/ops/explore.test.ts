/**
 * `tapctl explore` over a real laptop run of the example transcripts, checked in headless Chromium:
 * the page's numbers against SQL written here, its filters, search and one call's view. The run has
 * a line error rate, so that some calls were answered only on their second run and carry errors.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLocalWorkspace } from '../../../runtime/adapters/local';
import { AnalysisSpec, DEFAULT_ANALYSIS } from '../../../runtime/contract';
import { parseFaults } from '../../../runtime/local/faults';
import { runLocalPipeline } from '../../../runtime/local/pipeline';
import { PALETTE } from '../../../runtime/ops/explore-html';
import { cli } from '../cli/run-cli';
import { chromiumPath, closeChromium, countColor, decodePng, withPage } from './chromium';

const EXAMPLES = path.join(__dirname, '..', '..', '..', 'examples', 'transcripts.jsonl');
const ARTIFACTS = path.join(__dirname, '..', '..', 'artifacts');
const SAMPLE = 60;

const ANALYSIS: AnalysisSpec = {
  ...DEFAULT_ANALYSIS,
  fields: [
    ...DEFAULT_ANALYSIS.fields,
    { name: 'escalated', type: 'boolean', description: 'Whether the call was escalated.' },
    { name: 'satisfaction', type: 'integer', description: 'Customer satisfaction from 1 to 5.' },
  ],
};

let dir: string;
let page: string;

type Row = Record<string, unknown>;

async function sql(text: string, params: Record<string, string> = {}): Promise<Row[]> {
  const ws = await openLocalWorkspace(dir, ANALYSIS);
  try {
    return await ws.warehouse.query<Row>({ sql: text, params });
  } finally {
    await ws.close();
  }
}

/** `{value: count}` of a chart's marks, as the browser shows them. */
async function chartOf(chart: string): Promise<Record<string, number>> {
  return withPage(page, 1280, 900, (p) =>
    p.$$eval(
      'svg[data-chart]',
      (svgs, name) => {
        const found: Record<string, number> = {};
        for (const svg of svgs.filter((s) => s.getAttribute('data-chart') === name)) {
          svg.querySelectorAll('g.mark').forEach((g: { getAttribute(name: string): string | null }) => {
            const key = g.getAttribute('data-value') ?? g.getAttribute('data-period') ?? g.getAttribute('data-key') ?? '';
            found[key] = Number(g.getAttribute('data-count'));
          });
        }
        return found;
      },
      chart,
    ),
  );
}

beforeAll(async () => {
  await chromiumPath();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-explore-'));
  const faults = parseFaults('line-error-rate:0.1', 3);
  const first = await runLocalPipeline({ workdir: dir, transcripts: EXAMPLES, analysis: ANALYSIS, batchSize: 50, faults });
  if (first.state !== 'SUCCEEDED') throw new Error(`run failed: ${JSON.stringify(first.error)}`);
  const second = await runLocalPipeline({ workdir: dir, analysis: ANALYSIS, batchSize: 50 });
  if (second.state !== 'SUCCEEDED') throw new Error(`run failed: ${JSON.stringify(second.error)}`);
  page = path.join(dir, 'out', 'explore.html');
  const r = await cli(['explore', '--local', dir, '--html', page, '--sample', String(SAMPLE)]);
  if (r.code !== 0) throw new Error(r.stderr);
}, 300_000);

afterAll(async () => {
  await closeChromium();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('tapctl explore', () => {
  test('writes progress and the page, and the page fetches nothing', async () => {
    const html = fs.readFileSync(page, 'utf8');
    expect(html).not.toMatch(/<link|<img|<iframe|\ssrc=|url\(|https?:\/\//i);
    const r = await cli(['explore', '--local', dir, '--html', path.join(dir, 'again.html')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('explore: field sentiment (2/8)');
    expect(r.stderr).toMatch(/wrote .*again\.html: \d+ calls, 8 fields, \d+ calls carried/);
  });

  test('counts every call once, as SQL does', async () => {
    const [n] = await sql('SELECT COUNT(DISTINCT record_id) AS n FROM transcription_analyzed_transcripts');
    const shown = await withPage(page, 1280, 900, (p) => p.$eval('[data-metric="calls"]', (e) => Number(e.getAttribute('data-value'))));
    expect(shown).toBe(Number(n!.n));
    expect(shown).toBeGreaterThan(200);
  });

  test('enum and boolean charts equal the SQL counts', async () => {
    for (const field of ['sentiment', 'resolution']) {
      const rows = await sql(`SELECT ${field} AS v, COUNT(*) AS n FROM transcription_analyzed_transcripts GROUP BY ${field}`);
      const expected = Object.fromEntries(rows.map((r) => [String(r.v), Number(r.n)]));
      const chart = await chartOf(`field:${field}`);
      for (const value of ANALYSIS.fields.find((f) => f.name === field)!.enum!) expected[value] ??= 0;
      expect(chart).toEqual(expected);
    }
    const [b] = await sql(
      'SELECT COUNT(*) FILTER (WHERE escalated) AS yes, COUNT(*) FILTER (WHERE NOT escalated) AS no FROM transcription_analyzed_transcripts',
    );
    expect(await chartOf('field:escalated')).toEqual({ true: Number(b!.yes), false: Number(b!.no) });
    expect(Number(b!.yes)).toBeGreaterThan(0);
  });

  test("a number field's histogram has one bar per value, each as SQL counts it", async () => {
    const rows = await sql('SELECT satisfaction AS v, COUNT(*) AS n FROM transcription_analyzed_transcripts GROUP BY satisfaction');
    const chart = await chartOf('field:satisfaction');
    const lo = Math.min(...rows.map((r) => Number(r.v)));
    const hi = Math.max(...rows.map((r) => Number(r.v)));
    const expected: Record<string, number> = {};
    for (let v = lo; v <= hi; v++) expected[`${v}-${v === hi ? v : v + 1}`] = Number(rows.find((r) => Number(r.v) === v)?.n ?? 0);
    expect(chart).toEqual(expected);
  });

  test('free-text and list fields show the calls mentioning their commonest words', async () => {
    const rows = await sql('SELECT summary, topics FROM transcription_analyzed_transcripts');
    const summary = await chartOf('field:summary');
    const words = Object.entries(summary);
    expect(words.length).toBe(15);
    for (const [word, calls] of words) {
      expect(
        rows.filter((r) =>
          (
            String(r.summary)
              .toLowerCase()
              .match(/[a-z][a-z]+/g) ?? ([] as string[])
          ).includes(word),
        ).length,
      ).toBe(calls);
    }
    // Stop words are not keywords.
    expect(Object.keys(summary)).not.toContain('the');
    const topics = await chartOf('field:topics');
    const [topic, calls] = Object.entries(topics)[0]!;
    expect(rows.filter((r) => (r.topics as string[]).map((t) => t.toLowerCase().trim()).includes(topic)).length).toBe(calls);
  });

  test('the trend counts calls per day of their call time; breakdowns count calls per agent', async () => {
    const days = await sql(
      `SELECT CAST(CAST(s.call_started_at AS DATE) AS VARCHAR) AS d, COUNT(*) AS n FROM transcription_analyzed_transcripts r
JOIN transcription_pass_2 s ON s.transcript_id = r.record_id GROUP BY d`,
    );
    expect(await chartOf('trend')).toEqual(Object.fromEntries(days.map((r) => [String(r.d), Number(r.n)])));
    const agents = await sql(
      `SELECT s.agent_id AS a, COUNT(*) AS n FROM transcription_analyzed_transcripts r
JOIN transcription_pass_2 s ON s.transcript_id = r.record_id GROUP BY a`,
    );
    const byAgent = Object.fromEntries(agents.map((r) => [String(r.a), Number(r.n)]));
    const chart = await chartOf('breakdown:agent_id:sentiment');
    expect(Object.keys(chart).length).toBe(15);
    for (const [agent, n] of Object.entries(chart)) expect(n).toBe(byAgent[agent]);
    // The busiest agents: none left out had more calls than one shown.
    const left = Object.entries(byAgent).filter(([agent]) => !(agent in chart));
    expect(Math.min(...Object.values(chart))).toBeGreaterThanOrEqual(Math.max(...left.map(([, n]) => n)));
  });

  test('carries a bounded sample of calls and says so', async () => {
    const [rows, note] = await withPage(page, 1280, 900, async (p) => [
      await p.$$eval('#calls tbody tr', (trs) => trs.length),
      await p.$eval('#sample-note', (e) => [e.getAttribute('data-carried'), e.textContent]),
    ]);
    expect(rows).toBe(SAMPLE);
    expect(note[0]).toBe(String(SAMPLE));
    expect(note[1]).toMatch(new RegExp(`carries ${SAMPLE} of the \\d+ calls \\(the most recent, at most ${SAMPLE}\\)`));
  });

  test('a filter changes the table to the matching calls; search narrows it further', async () => {
    const recent = await sql(
      `SELECT r.record_id, r.sentiment, s.transcript FROM transcription_analyzed_transcripts r
JOIN transcription_pass_2 s ON s.transcript_id = r.record_id ORDER BY s.call_started_at DESC, r.record_id LIMIT ${SAMPLE}`,
    );
    const negative = recent.filter((r) => r.sentiment === 'negative');
    const withBill = negative.filter((r) => String(r.transcript).toLowerCase().includes('bill'));
    const seen = await withPage(page, 1280, 900, async (p) => {
      const read = () => p.$$eval('#calls tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-record')));
      const all = await read();
      await p.select('select[data-filter="sentiment"]', 'negative');
      const filtered = await read();
      await p.type('#search', 'bill');
      await p.waitForFunction(`document.querySelectorAll('#calls tbody tr').length === ${withBill.length}`);
      return { all, filtered, searched: await read() };
    });
    expect(seen.all).toEqual(recent.map((r) => r.record_id));
    expect(seen.filtered).toEqual(negative.map((r) => r.record_id));
    expect(seen.filtered.length).toBeLessThan(seen.all.length);
    expect(seen.searched).toEqual(withBill.map((r) => r.record_id));
  });

  test('a click on a column sorts the calls by it, lowest first, then highest first', async () => {
    const seen = await withPage(page, 1280, 900, async (p) => {
      const at = (await p.$$eval('#calls th', (ths) => ths.map((th) => th.textContent))).indexOf('satisfaction');
      const column = () =>
        p.$$eval(
          '#calls tbody tr',
          (trs, i) => trs.map((tr) => (tr as unknown as { cells: { textContent: string }[] }).cells[i]!.textContent),
          at,
        );
      await p.click('#calls th[data-column="satisfaction"]');
      const up = await column();
      await p.click('#calls th[data-column="satisfaction"]');
      return { at, up, down: await column() };
    });
    expect(seen.at).toBeGreaterThan(0);
    const up = seen.up.map(Number);
    expect(up.length).toBe(SAMPLE);
    expect(up).toEqual([...up].sort((a, b) => a - b));
    expect(seen.down.map(Number)).toEqual([...up].sort((a, b) => b - a));
    expect(up[0]).toBeLessThan(up[up.length - 1]!);
  });

  test("a call's view shows its transcript, every field and its errors", async () => {
    // A call answered on its second run: the first left an error row.
    const [call] = await sql(
      `SELECT r.record_id, r.sentiment, s.transcript, (SELECT COUNT(*) FROM error_tracking e WHERE e.record_id = r.record_id) AS errors
FROM transcription_analyzed_transcripts r JOIN transcription_pass_2 s ON s.transcript_id = r.record_id
WHERE r.record_id IN (SELECT record_id FROM error_tracking)
ORDER BY s.call_started_at DESC, r.record_id LIMIT 1`,
    );
    expect(call).toBeDefined();
    const view = await withPage(page, 1280, 900, async (p) => {
      await p.click(`#calls tbody tr[data-record="${String(call!.record_id)}"]`);
      return p.$eval('#call', (e) => ({
        record: e.getAttribute('data-record'),
        transcript: e.querySelector('#transcript')?.textContent,
        sentiment: e.querySelector('[data-value-of="sentiment"]')?.textContent,
        fields: [...e.querySelectorAll('dt')].map((dt) => dt.textContent),
        errors: e.querySelectorAll('#call-errors tr').length - 1,
      }));
    });
    expect(view.record).toBe(call!.record_id);
    expect(view.transcript).toBe(call!.transcript);
    expect(view.sentiment).toBe(call!.sentiment);
    expect(view.fields).toEqual(expect.arrayContaining(ANALYSIS.fields.map((f) => f.name)));
    expect(view.errors).toBe(Number(call!.errors));
    expect(view.errors).toBeGreaterThan(0);
  });

  test('a screenshot 1280 px wide shows the charts (kept in test/artifacts)', async () => {
    const png = await withPage(page, 1280, 1800, (p) => p.screenshot({ type: 'png' }));
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    fs.writeFileSync(path.join(ARTIFACTS, 'explorer-1280.png'), png);
    const image = decodePng(Buffer.from(png));
    expect(image.width).toBe(1280);
    expect(countColor(image, PALETTE[0]!)).toBeGreaterThan(1000);
  });

  test('--since keeps the calls from that day on', async () => {
    const file = path.join(dir, 'since.html');
    const r = await cli(['explore', '--local', dir, '--html', file, '--since', '2026-10-05']);
    expect(r.code).toBe(0);
    const [n] = await sql(
      `SELECT COUNT(*) AS n FROM transcription_analyzed_transcripts r JOIN transcription_pass_2 s ON s.transcript_id = r.record_id
WHERE s.call_started_at >= TIMESTAMP '2026-10-05 00:00:00'`,
    );
    const calls = /data-metric="calls" data-value="(\d+)"/.exec(fs.readFileSync(file, 'utf8'))?.[1];
    expect(Number(calls)).toBe(Number(n!.n));
    expect(Number(n!.n)).toBeGreaterThan(0);
  });

  test('--analysis-file takes the place of the declaration the work folder kept', async () => {
    const declaration = path.join(dir, 'renamed.json');
    const described = 'The mood of the caller, as the file describes it.';
    fs.writeFileSync(
      declaration,
      JSON.stringify({ ...ANALYSIS, fields: ANALYSIS.fields.map((f) => (f.name === 'sentiment' ? { ...f, description: described } : f)) }),
    );
    const file = path.join(dir, 'out', 'declared.html');
    const r = await cli(['explore', '--local', dir, '--html', file, '--analysis-file', declaration, '--sample', '1']);
    expect(r.code).toBe(0);
    const html = fs.readFileSync(file, 'utf8');
    expect(html).toContain(described);
    expect(html).not.toContain('No analysis declaration was given');
  });

  test('says what is wrong with bad input', async () => {
    const since = await cli(['explore', '--local', dir, '--html', path.join(dir, 'x.html'), '--since', 'last tuesday']);
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('--since must be a date or an instant (2026-11-01, 2026-11-01T08:00:00Z), got last tuesday');
    const analysis = await cli(['explore', '--local', dir, '--html', path.join(dir, 'x.html'), '--analysis', 'pass2']);
    expect(analysis.code).toBe(2);
    expect(analysis.stderr).toContain('no results table pass2_results for analysis pass2');
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-explore-none-'));
    const none = await cli(['explore', '--local', empty, '--html', path.join(empty, 'x.html')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no pipeline work folder at');
    const declaration = path.join(empty, 'analysis.json');
    fs.writeFileSync(declaration, JSON.stringify({ ...ANALYSIS, fields: [{ name: 'sentiment', type: 'string', enum: [] }] }));
    const bad = await cli(['explore', '--local', dir, '--html', path.join(dir, 'x.html'), '--analysis-file', declaration]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`--analysis-file ${declaration}:`);
    expect(bad.stderr).toContain('fields[0]');
    fs.rmSync(empty, { recursive: true, force: true });
    expect(fs.existsSync(path.join(dir, 'x.html'))).toBe(false);
  });
});
