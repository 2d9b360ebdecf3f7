/**
 * `tapctl compare` on a laptop work folder: an unchanged declaration agrees 1.0 on every field; a
 * changed prompt shows where it differs, with the cost of both; the candidate's answers go to
 * analysis_comparisons and no results table changes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cli } from './run-cli';
import { openLocalWorkspace } from '../../../runtime/adapters/local';
import { COMPARISONS_TABLE, DEFAULT_ANALYSIS, TABLE_NAMES } from '../../../runtime/contract';

const ROOT = path.join(__dirname, '..', '..', '..');
let dir: string;
const work = () => path.join(dir, 'work');

async function count(table: string): Promise<number> {
  const ws = await openLocalWorkspace(work());
  try {
    const [row] = await ws.warehouse.query<{ n: number }>({ sql: `SELECT COUNT(*) AS n FROM ${ws.warehouse.table(table)}` });
    return Number(row!.n);
  } finally {
    await ws.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tap-compare-'));
  const lines = readFileSync(path.join(ROOT, 'examples', 'transcripts.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .slice(0, 40);
  writeFileSync(path.join(dir, 'calls.jsonl'), lines.join('\n') + '\n');
  writeFileSync(path.join(dir, 'same.json'), JSON.stringify(DEFAULT_ANALYSIS));
  writeFileSync(
    path.join(dir, 'changed.json'),
    JSON.stringify({
      ...DEFAULT_ANALYSIS,
      promptTemplate: 'Read the call and answer.\n\nCall:\n{transcript}',
      fields: DEFAULT_ANALYSIS.fields.map((f) => (f.name === 'sentiment' ? { ...f, enum: ['positive', 'negative', 'neutral'] } : f)),
    }),
  );
  const run = await cli(['local', 'run', '--local', work(), '--transcripts', path.join(dir, 'calls.jsonl'), '--json']);
  expect(run.code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Report {
  sample: { records: number; seed: number; stratified_by: string[] };
  fields: { name: string; kind: string; agreement: number; kappa?: number }[];
  cost_per_record: { baseline: number; candidate: number };
  projected_full_cost_usd: number;
  error_rate: { baseline: number; candidate: number };
}

describe('tapctl compare --local', () => {
  test('an unchanged declaration agrees 1.0 on every field, at the same cost', async () => {
    const results = await count(TABLE_NAMES.results);
    const r = await cli(['compare', '--local', work(), '--analysis', path.join(dir, 'same.json'), '--sample', '20', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.sample).toEqual({ records: 20, seed: 1, stratified_by: ['sentiment', 'resolution'] });
    expect(report.fields.map((f) => [f.name, f.agreement])).toEqual(DEFAULT_ANALYSIS.fields.map((f) => [f.name, 1]));
    for (const f of report.fields.filter((x) => x.kind === 'categorical')) expect(f.kappa ?? 1).toBe(1);
    expect(report.cost_per_record.candidate).toBe(report.cost_per_record.baseline);
    expect(report.projected_full_cost_usd).toBeGreaterThan(0);
    expect(report.error_rate.candidate).toBe(0);
    expect(await count(TABLE_NAMES.results)).toBe(results);
    expect(await count(COMPARISONS_TABLE.name)).toBe(20);
  });

  test('a changed prompt shows the fields it changes, with changed values and both costs', async () => {
    const r = await cli(['compare', '--local', work(), '--analysis', path.join(dir, 'changed.json'), '--sample', '30', '--seed', '5']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sentiment\s+categorical\s+0\.\d{3}\s+/m);
    expect(r.stdout).toMatch(/^resolution\s+categorical\s+1\.000\s+/m);
    expect(r.stdout).toContain('changed values (some):');
    expect(r.stdout).toMatch(/cost per record\s+baseline \$\d\.\d{6}, candidate \$\d\.\d{6}/);
    const json = await cli([
      'compare',
      '--local',
      work(),
      '--analysis',
      path.join(dir, 'changed.json'),
      '--sample',
      '30',
      '--seed',
      '5',
      '--json',
    ]);
    const report = JSON.parse(json.stdout) as Report;
    expect(report.fields.find((f) => f.name === 'sentiment')!.agreement).toBeLessThan(1);
    expect(report.cost_per_record.candidate).not.toBe(report.cost_per_record.baseline);
  });

  test('the same seed draws the same records', async () => {
    const ids = async () => {
      await cli(['compare', '--local', work(), '--analysis', path.join(dir, 'same.json'), '--sample', '7', '--seed', '3', '--json']);
      const ws = await openLocalWorkspace(work());
      try {
        const rows = await ws.warehouse.query<{ comparison_id: string; record_id: string }>({
          sql: `SELECT comparison_id, record_id FROM ${ws.warehouse.table(COMPARISONS_TABLE.name)} ORDER BY compared_at DESC, comparison_id, record_id`,
        });
        const last = rows[0]!.comparison_id;
        return rows.filter((x) => x.comparison_id === last).map((x) => x.record_id);
      } finally {
        await ws.close();
      }
    };
    const first = await ids();
    expect(first).toHaveLength(7);
    expect(await ids()).toEqual(first);
  });

  test('refuses a chained candidate, and a deployment without its work bucket, saying what to do', async () => {
    const chained = path.join(dir, 'chained.json');
    writeFileSync(chained, JSON.stringify({ ...DEFAULT_ANALYSIS, after: 'pass1', promptTemplate: 'Summary: {pass1.summary}' }));
    const r = await cli(['compare', '--local', work(), '--analysis', chained, '--sample', '5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('a chained candidate (with after) is not compared yet');
    const cloud = await cli([
      'compare',
      '--project',
      'p',
      '--region',
      'r',
      '--dataset',
      'd',
      '--analysis',
      path.join(dir, 'same.json'),
      '--sample',
      '5',
    ]);
    expect(cloud.code).toBe(1);
    expect(cloud.stderr).toContain('compare in the cloud sends its sample through the work bucket, and none is configured');
    expect(cloud.stderr).toContain('give --bucket');
  });
});

describe('tapctl evaluate --local', () => {
  async function results(n: number) {
    const ws = await openLocalWorkspace(work());
    try {
      return await ws.warehouse.query<{ record_id: string; sentiment: string; summary: string }>({
        sql: `SELECT record_id, sentiment, summary FROM ${ws.warehouse.table(TABLE_NAMES.results)} ORDER BY record_id LIMIT ${n}`,
      });
    } finally {
      await ws.close();
    }
  }

  test('labels equal to the results agree 1.0; a changed label shows as a disagreement', async () => {
    const rows = await results(6);
    const gold = path.join(dir, 'gold.jsonl');
    const flipped = rows[0]!.sentiment === 'negative' ? 'positive' : 'negative';
    writeFileSync(
      gold,
      [
        ...rows.map((r, i) =>
          JSON.stringify({ record_id: r.record_id, sentiment: i === 0 ? flipped : r.sentiment, ...(i < 3 ? { summary: r.summary } : {}) }),
        ),
        JSON.stringify({ record_id: 'not-a-record', sentiment: 'neutral' }),
      ].join('\n') + '\n',
    );
    const r = await cli(['evaluate', '--local', work(), '--gold', gold, '--json']);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as {
      records: { labelled: number; evaluated: number; without_result: string[] };
      fields: { name: string; agreement: number; compared: number; examples: { record_id: string }[] }[];
    };
    expect(report.records).toEqual({ labelled: 7, evaluated: 6, without_result: ['not-a-record'] });
    expect(report.fields.map((f) => [f.name, f.compared])).toEqual([
      ['summary', 3],
      ['sentiment', 6],
    ]);
    expect(report.fields[0]!.agreement).toBe(1);
    expect(report.fields[1]!.agreement).toBeCloseTo(5 / 6, 5);
    expect(report.fields[1]!.examples.map((e) => e.record_id)).toEqual([rows[0]!.record_id]);
  });

  test('refuses labels of fields the analysis does not declare, and bad lines with their numbers', async () => {
    const gold = path.join(dir, 'bad.jsonl');
    writeFileSync(gold, '{"record_id": "a", "mood": "sad"}\n');
    const unknown = await cli(['evaluate', '--local', work(), '--gold', gold]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('the labels name mood, which pass1 does not declare');
    writeFileSync(gold, '{"record_id": "a"}\nnot json\n{"sentiment": "neutral"}\n');
    const bad = await cli(['evaluate', '--local', work(), '--gold', gold]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/line 2: not JSON[\s\S]*line 3: needs a record_id string/);
  });
});
