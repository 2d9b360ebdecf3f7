/**
 * `tapctl explore` and `tapctl serve` against a deployment: the official BigQuery client pointed at
 * the fake Google APIs (test/runtime/ops/fake-gcp.ts), whose dataset holds a handful of source and
 * result rows written here. The page's figures are checked against what was written, computed from
 * the same rows in this file. The commands run as their own processes with every connection off
 * this machine's loopback refused (test/fakes/loopback-only.js).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { openLocalWorkspace, type LocalWorkspace } from '../../../runtime/adapters/local';
import { AnalysisSpec, DEFAULT_ANALYSIS, TABLE_NAMES } from '../../../runtime/contract';
import { FakeGcp } from '../ops/fake-gcp';
import { tapctl } from './run-cli';

const PROJECT = 'acme-prod';
const REGION = 'europe-west4';
const DATASET = 'transcript_analysis';
const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'tapctl.js');
const LOOPBACK_ONLY = path.join(__dirname, '..', '..', 'fakes', 'loopback-only.js');

const ANALYSIS: AnalysisSpec = {
  ...DEFAULT_ANALYSIS,
  fields: [
    ...DEFAULT_ANALYSIS.fields,
    { name: 'escalated', type: 'boolean', description: 'Whether the call was escalated.' },
    { name: 'satisfaction', type: 'integer', description: 'Customer satisfaction from 1 to 5.' },
  ],
};

interface Source {
  id: string;
  transcript: string;
  day: number;
  agent: string;
  channel: string;
}
interface Result {
  id: string;
  version: string;
  minute: number;
  sentiment: string;
  escalated: boolean | null;
  satisfaction: number | null;
  topics: string[];
}

const SOURCE: Source[] = [
  { id: 'c1', transcript: 'Agent: hello. Customer: my invoice is wrong.', day: 1, agent: 'a1', channel: 'phone' },
  { id: 'c2', transcript: 'Agent: hi. Customer: I want to cancel.', day: 1, agent: 'a2', channel: 'chat' },
  { id: 'c3', transcript: 'Agent: good morning. Customer: the router is down.', day: 2, agent: 'a1', channel: 'phone' },
  { id: 'c4', transcript: 'Agent: hello. Customer: thanks for the refund.', day: 3, agent: 'a2', channel: 'phone' },
  { id: 'c5', transcript: 'Agent: hello. Customer: where is my parcel?', day: 4, agent: 'a1', channel: 'chat' },
  { id: 'c6', transcript: 'Agent: hello. Customer: not analysed yet.', day: 5, agent: 'a2', channel: 'chat' },
];
const RESULTS: Result[] = [
  { id: 'c1', version: 'v1', minute: 0, sentiment: 'positive', escalated: false, satisfaction: 4, topics: ['billing'] },
  { id: 'c1', version: 'v2', minute: 60, sentiment: 'negative', escalated: true, satisfaction: 1, topics: ['billing', 'refund'] },
  { id: 'c2', version: 'v2', minute: 61, sentiment: 'negative', escalated: false, satisfaction: 2, topics: ['cancellation'] },
  { id: 'c3', version: 'v2', minute: 62, sentiment: 'neutral', escalated: true, satisfaction: null, topics: ['outage'] },
  { id: 'c4', version: 'v1', minute: 5, sentiment: 'positive', escalated: false, satisfaction: 5, topics: ['refund'] },
  { id: 'c5', version: 'v2', minute: 63, sentiment: 'mixed', escalated: null, satisfaction: 3, topics: [] },
];
const ERRORS = [
  { id: 'e1', record: 'c3', version: 'v1', type: 'json_parse_error' },
  { id: 'e2', record: 'c6', version: 'v2', type: 'missing_result' },
  { id: 'e3', record: 'c3', version: 'v2', type: 'json_parse_error' },
  { id: 'e4', record: 'c2', version: 'v0', type: 'vertex_ai_error' },
];
const T0 = Date.parse('2026-11-02T09:00:00Z');
const dayAt = (day: number) => new Date(T0 + day * 86_400_000).toISOString();
const minuteAt = (minute: number) => new Date(Date.parse('2026-11-20T08:00:00Z') + minute * 60_000).toISOString();

/** The latest result per record, as the explorer reads them. */
function latest(): Result[] {
  const byId = new Map<string, Result>();
  for (const r of RESULTS) if (!byId.has(r.id) || byId.get(r.id)!.minute < r.minute) byId.set(r.id, r);
  return [...byId.values()];
}

function tally<T>(items: readonly T[], key: (item: T) => string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    if (k !== null) out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

let dir: string;
let ws: LocalWorkspace;
let fake: FakeGcp;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tap-explore-cloud-'));
  ws = await openLocalWorkspace(path.join(dir, 'warehouse'), ANALYSIS);
  const w = ws.warehouse;
  for (const s of SOURCE) {
    await w.query({
      sql: `INSERT INTO ${w.table(TABLE_NAMES.source)} (transcript_id, transcript, call_started_at, agent_id, channel, ingested_at) VALUES (@id, @text, @at, @agent, @channel, @at)`,
      params: { id: s.id, text: s.transcript, at: dayAt(s.day), agent: s.agent, channel: s.channel },
      types: { at: 'TIMESTAMP' },
    });
  }
  for (const r of RESULTS) {
    await w.query({
      sql: `INSERT INTO ${w.table(TABLE_NAMES.results)} (record_id, analysis_version, summary, sentiment, topics, escalated, satisfaction, model, execution_id, batch_id, processed_at)
VALUES (@id, @version, @summary, @sentiment, @topics, @escalated, @satisfaction, 'gemini-2.5-flash', 'e1', 0, @at)`,
      params: {
        id: r.id,
        version: r.version,
        summary: `The customer called about ${r.topics.join(' and ') || 'nothing'}.`,
        sentiment: r.sentiment,
        topics: r.topics,
        escalated: r.escalated,
        satisfaction: r.satisfaction,
        at: minuteAt(r.minute),
      },
      types: { topics: 'ARRAY<STRING>', escalated: 'BOOL', satisfaction: 'INT64', at: 'TIMESTAMP' },
    });
  }
  for (const e of ERRORS) {
    await w.query({
      sql: `INSERT INTO ${w.table(TABLE_NAMES.errorTracking)} (error_id, execution_id, batch_id, attempt, record_id, analysis_version, error_type, retryable, record_attempt, message, created_at)
VALUES (@id, 'e1', 0, 1, @record, @version, @type, FALSE, 1, 'seeded', @at)`,
      params: { id: e.id, record: e.record, version: e.version, type: e.type, at: minuteAt(0) },
      types: { at: 'TIMESTAMP' },
    });
  }
  fake = await new FakeGcp({ project: PROJECT, region: REGION, dataset: DATASET, workflows: [], warehouse: w }).start();
  writeFileSync(
    path.join(dir, 'tapctl.json'),
    JSON.stringify({
      project_id: { value: PROJECT },
      region: { value: REGION },
      dataset: { value: DATASET },
    }),
  );
  writeFileSync(path.join(dir, 'analysis.json'), JSON.stringify(ANALYSIS));
  env = {
    GOOGLE_OAUTH_ACCESS_TOKEN: 'test-token',
    TAPCTL_WORKFLOWS_ENDPOINT: fake.url,
    TAPCTL_AIPLATFORM_ENDPOINT: fake.url,
    TAPCTL_BIGQUERY_ENDPOINT: fake.url,
    NODE_OPTIONS: `--require ${LOOPBACK_ONLY}`,
  };
});

afterEach(async () => {
  await fake.stop();
  await ws.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = (argv: string[]) => tapctl(argv, { env, cwd: dir });

/** `{value: count}` of the marks of one chart of a page. */
function chart(html: string, name: string): Record<string, number> {
  const svg = new RegExp(`<svg data-chart="${name}"[^>]*>(.*?)</svg>`, 's').exec(html);
  if (!svg) throw new Error(`no chart ${name} on the page`);
  const marks: Record<string, number> = {};
  for (const m of svg[1]!.matchAll(/<g class="mark" data-(?:value|key)="([^"]*)" data-count="(\d+)"/g)) marks[m[1]!] = Number(m[2]);
  return marks;
}

function carried(html: string): { matching: number; rows: { values: Record<string, unknown>; transcript: string | null }[] } {
  const json = /<script type="application\/json" id="tap-data">(.*?)<\/script>/s.exec(html)![1]!;
  return (JSON.parse(json) as { calls: ReturnType<typeof carried> }).calls;
}

describe('tapctl explore against a deployment (fake BigQuery, official client)', () => {
  test('with --analysis-file, every figure equals the rows in the dataset', async () => {
    const r = await run(['explore', '--analysis-file', 'analysis.json', '--html', 'out/calls.html']);
    expect(r.stderr).not.toContain('loopback-only');
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    const html = readFileSync(path.join(dir, 'out', 'calls.html'), 'utf8');
    const calls = latest();
    expect(html).toContain(`data-metric="calls" data-value="${calls.length}"`);
    expect(chart(html, 'field:sentiment')).toEqual({
      ...Object.fromEntries(ANALYSIS.fields.find((f) => f.name === 'sentiment')!.enum!.map((v) => [v, 0])),
      ...tally(calls, (c) => c.sentiment),
    });
    expect(chart(html, 'field:escalated')).toEqual({
      true: calls.filter((c) => c.escalated === true).length,
      false: calls.filter((c) => c.escalated === false).length,
      '(none)': calls.filter((c) => c.escalated === null).length,
    });
    const scores = calls.map((c) => c.satisfaction).filter((s): s is number => s !== null);
    expect(Object.values(chart(html, 'field:satisfaction')).reduce((a, b) => a + b, 0)).toBe(scores.length);
    expect(html).toContain(`mean ${(scores.reduce((a, b) => a + b, 0) / scores.length).toFixed(2)}`);
    expect(chart(html, 'field:topics')).toEqual(
      tally(
        calls.flatMap((c) => c.topics),
        (t) => t,
      ),
    );
    const versions = new Set(calls.map((c) => c.version));
    const errorRecords = new Map<string, Set<string>>();
    for (const e of ERRORS.filter((x) => versions.has(x.version))) {
      errorRecords.set(e.type, (errorRecords.get(e.type) ?? new Set()).add(e.record));
    }
    expect(chart(html, 'errors')).toEqual(Object.fromEntries([...errorRecords].map(([type, records]) => [type, records.size])));
    const source = (id: string) => SOURCE.find((s) => s.id === id)!;
    expect(chart(html, 'breakdown:agent_id:sentiment')).toEqual(tally(calls, (c) => source(c.id).agent));
    expect(chart(html, 'breakdown:channel:resolution')).toEqual(tally(calls, (c) => source(c.id).channel));
    const page = carried(html);
    const byTime = [...calls].sort((a, b) => SOURCE.find((s) => s.id === b.id)!.day - SOURCE.find((s) => s.id === a.id)!.day);
    expect(page.rows.map((x) => [x.values.record_id, x.transcript])).toEqual(
      byTime.map((c) => [c.id, SOURCE.find((s) => s.id === c.id)!.transcript]),
    );
    expect(html).not.toContain('No analysis declaration was given');
    expect(html).not.toMatch(/(src|href)="https?:/);
    const queries = fake.callsTo('bigquery');
    expect(queries.length).toBeGreaterThan(10);
    expect(queries.every((q) => q.path === `/bigquery/v2/projects/${PROJECT}/queries`)).toBe(true);
    expect(queries.some((q) => String((q.body as { query: string }).query).includes('INFORMATION_SCHEMA.COLUMNS'))).toBe(true);
  });

  test('without a declaration, fields are charted by their column types and the page and stderr say so', async () => {
    const r = await run(['explore', '--html', 'calls.html', '--since', dayAt(2).slice(0, 10)]);
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stderr).toContain('No analysis declaration was given');
    expect(r.stderr).toContain('--analysis-file FILE');
    const html = readFileSync(path.join(dir, 'calls.html'), 'utf8');
    expect(html).toContain('No analysis declaration was given');
    const since = latest().filter((c) => SOURCE.find((s) => s.id === c.id)!.day >= 2);
    expect(html).toContain(`data-metric="calls" data-value="${since.length}"`);
    // A STRING column without its declaration is free text: its commonest words, not its values.
    expect(html).toMatch(/<h3>sentiment <small>text, not declared<\/small>/);
    expect(html).toMatch(/<h3>topics <small>list, not declared<\/small>/);
    expect(html).toMatch(/<h3>satisfaction <small>number, not declared<\/small>/);
    expect(chart(html, 'field:escalated')).toEqual({
      true: since.filter((c) => c.escalated === true).length,
      false: since.filter((c) => c.escalated === false).length,
      '(none)': since.filter((c) => c.escalated === null).length,
    });
  });

  test('names the declared fields the results table has no column for, on stderr and on the page', async () => {
    const urgency = { name: 'urgency', type: 'string', enum: ['low', 'high'], description: 'How urgent the call was.' } as const;
    writeFileSync(path.join(dir, 'other.json'), JSON.stringify({ ...ANALYSIS, fields: [...ANALYSIS.fields, urgency] }));
    const r = await run(['explore', '--analysis-file', 'other.json', '--html', 'calls.html']);
    expect(r.code).toBe(0);
    const said = `The declaration names urgency, which ${TABLE_NAMES.results} has no column for`;
    expect(r.stderr).toContain(said);
    const html = readFileSync(path.join(dir, 'calls.html'), 'utf8');
    expect(html).toContain(said);
    expect(html).not.toContain('data-field="urgency"');
    expect(html).toContain('data-field="sentiment"');
  });

  test('refuses a declaration that is not one, a missing file, and a dataset that is not there', async () => {
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ ...ANALYSIS, fields: [{ name: 'mood', type: 'colour' }] }));
    const bad = await run(['explore', '--analysis-file', 'bad.json', '--html', 'x.html']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--analysis-file bad.json:');
    expect(bad.stderr).toContain('colour');
    const missing = await run(['explore', '--analysis-file', 'nowhere.json', '--html', 'x.html']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--analysis-file: cannot read ${path.join(dir, 'nowhere.json')}`);
    writeFileSync(path.join(dir, 'text.json'), '{ not json');
    expect((await run(['explore', '--analysis-file', 'text.json', '--html', 'x.html'])).stderr).toContain('not valid JSON');
    expect(fake.callsTo('bigquery')).toEqual([]);
    const other = await run(['explore', '--dataset', 'other_dataset', '--html', 'x.html']);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('not found');
    const analysis = await run(['explore', '--analysis', 'qa', '--html', 'x.html']);
    expect(analysis.code).toBe(2);
    expect(analysis.stderr).toContain('no results table qa_results for analysis qa');
  });
});

test('the loopback guard refuses a connection to Google, so the checks above can fail', async () => {
  const r = await tapctl(['explore', '--html', 'x.html'], { env: { ...env, TAPCTL_BIGQUERY_ENDPOINT: undefined }, cwd: dir });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('loopback-only: blocked a connection to bigquery.googleapis.com');
  expect(fake.callsTo('bigquery')).toEqual([]);
});

describe('tapctl serve against a deployment', () => {
  test('serves the page and answers filters with queries over every call', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--analysis-file', 'analysis.json'], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, METADATA_SERVER_DETECTION: 'none', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /serving (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on('close', () => reject(new Error(`serve ended: ${stderr}`)));
      });
      const home = await fetch(url);
      expect(home.status).toBe(200);
      expect(await home.text()).toContain(`data-metric="calls" data-value="${latest().length}"`);
      const negative = latest().filter((c) => c.sentiment === 'negative');
      const filtered = await fetch(new URL('api/calls?eq=sentiment=negative', url));
      const page = (await filtered.json()) as { matching: number; rows: { values: Record<string, unknown> }[] };
      expect(page.matching).toBe(negative.length);
      expect(page.rows.map((x) => x.values.record_id).sort()).toEqual(negative.map((c) => c.id).sort());
      const searched = (await (await fetch(new URL('api/calls?q=router', url))).json()) as { matching: number };
      expect(searched.matching).toBe(SOURCE.filter((s) => s.transcript.includes('router') && latest().some((c) => c.id === s.id)).length);
      const refused = await fetch(new URL('api/calls?eq=summary=x', url));
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: string }).error).toContain('cannot filter on summary');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).not.toContain('loopback-only');
  });
});
