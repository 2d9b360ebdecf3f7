/**
 * `tapctl compare` against a deployed pipeline: the baseline's results come from the pipeline's own
 * jobs (the harness), and the CLI reaches BigQuery, Cloud Storage and Vertex AI through the official
 * clients, pointed at the in-process fakes of their REST APIs. The candidate's answers are chosen
 * per record, so the report's figures are known in advance.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { COMPARISONS_TABLE, DEFAULT_ANALYSIS, layout, TABLE_NAMES } from '../../../runtime/contract';
import { comparisonJobName } from '../../../runtime/ops/compare-cloud';
import { FakeBigQuery, startFakeBigQuery } from '../../fakes/bigquery-server';
import { FakeGcs, startFakeGcs } from '../../fakes/gcs-server';
import { BUCKET, DATASET, Harness, PROJECT } from '../../fakes/harness';
import { Behaviour, OK_ANSWER } from '../../fakes/vertex';
import { FakeVertex, startFakeVertex } from '../../fakes/vertex-server';
import { tapctl } from './run-cli';

const REGION = 'europe-west4';
const IDS = Array.from({ length: 12 }, (_, i) => `c${String(i).padStart(2, '0')}`);
/** The baseline: half positive, half negative, every call resolved. */
const baselineSentiment = (id: string) => (IDS.indexOf(id) < 6 ? 'positive' : 'negative');
const answer = (sentiment: string): Behaviour => ({ kind: 'ok', answer: { ...OK_ANSWER, sentiment, resolution: 'resolved' } });

const CANDIDATE = { ...DEFAULT_ANALYSIS, promptTemplate: 'Read the call and answer.\n\nCall:\n{transcript}' };

let h: Harness;
let gcs: FakeGcs;
let bq: FakeBigQuery;
let vertex: FakeVertex;
let dir: string;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tap-compare-cloud-'));
  writeFileSync(path.join(dir, 'candidate.json'), JSON.stringify(CANDIDATE));
  h = await Harness.create();
  await h.addTranscripts(IDS.map((id) => ({ id, text: `call ${id} about a bill` })));
  await h.runAll('run-1', { behave: (id) => answer(baselineSentiment(id)) });
  gcs = await startFakeGcs();
  bq = await startFakeBigQuery(h.engine, gcs);
  vertex = await startFakeVertex(gcs);
  // The candidate: c00 changes from positive to negative, c11 is blocked; the rest as before.
  vertex.behave = (id) => (id === 'c00' ? answer('negative') : id === 'c11' ? { kind: 'safety' } : answer(baselineSentiment(id)));
});
afterEach(async () => {
  await vertex.close();
  await bq.close();
  await gcs.close();
  rmSync(dir, { recursive: true, force: true });
});

async function compare(extra: string[] = []) {
  return tapctl(
    [
      'compare',
      ...['--project', PROJECT, '--region', REGION, '--dataset', DATASET, '--bucket', BUCKET],
      ...['--analysis', path.join(dir, 'candidate.json'), '--sample', '12', '--interval', '0'],
      ...extra,
    ],
    {
      env: {
        GOOGLE_OAUTH_ACCESS_TOKEN: 'test-token',
        TAPCTL_BIGQUERY_ENDPOINT: bq.url,
        TAPCTL_STORAGE_ENDPOINT: gcs.url,
        TAPCTL_AIPLATFORM_ENDPOINT: vertex.url,
      },
    },
  );
}

const count = async (table: string) => (h.engine.tables.has(table) ? (await h.rows(table)).length : 0);

interface Report {
  comparison_id: string;
  sample: { records: number; seed: number; stratified_by: string[] };
  fields: { name: string; kind: string; agreement: number; kappa?: number; compared: number }[];
  error_rate: { baseline: number; candidate: number };
  tokens_per_record: { candidate: { input: number; output: number } };
}

describe('tapctl compare against a deployment', () => {
  test('sends the sample through one Vertex AI job and reports the agreement of the answers', async () => {
    const results = await count(TABLE_NAMES.results);
    const r = await compare(['--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.sample).toEqual({ records: 12, seed: 1, stratified_by: ['sentiment', 'resolution'] });
    const field = (name: string) => report.fields.find((f) => f.name === name)!;
    // 11 records both answered; sentiment differs on 1: baseline 6 positive / 5 negative, candidate 5 / 6.
    // po = 10/11, pe = (6*5 + 5*6)/121 = 60/121, kappa = (po - pe) / (1 - pe) = 50/61.
    expect(field('sentiment')).toMatchObject({ kind: 'categorical', compared: 11, agreement: 0.909091, kappa: 0.819672 });
    expect(field('resolution')).toMatchObject({ kind: 'categorical', agreement: 1 });
    expect(field('resolution').kappa).toBeUndefined();
    expect(field('summary')).toMatchObject({ kind: 'text', agreement: 1 });
    expect(report.error_rate.candidate).toBe(0.0833);
    expect(report.tokens_per_record.candidate).toEqual({ input: 100, output: 20 });

    // One job, named after the comparison, reading the requests the generator's builder made.
    expect(vertex.created).toHaveLength(1);
    const job = vertex.created[0] as {
      displayName: string;
      model: string;
      inputConfig: { instancesFormat: string; gcsSource: { uris: string[] } };
      outputConfig: { predictionsFormat: string; gcsDestination: { outputUriPrefix: string } };
    };
    expect(job.displayName).toBe(comparisonJobName(report.comparison_id));
    expect(job.model).toBe(`publishers/google/models/${CANDIDATE.model}`);
    expect(job.inputConfig).toEqual({
      instancesFormat: 'jsonl',
      gcsSource: { uris: [`gs://${BUCKET}/${layout.comparisonInput(report.comparison_id)}`] },
    });
    expect(job.outputConfig).toEqual({
      predictionsFormat: 'jsonl',
      gcsDestination: { outputUriPrefix: `gs://${BUCKET}/${layout.comparisonOutput(report.comparison_id)}` },
    });
    const input = gcs.text(BUCKET, layout.comparisonInput(report.comparison_id))!.trim().split('\n');
    expect(input).toHaveLength(12);
    expect(input[0]).toContain('Read the call and answer.');
    expect(r.stderr).toMatch(/Vertex AI job 7001: RUNNING 0\/12\n/);
    expect(r.stderr).toMatch(/Vertex AI job 7001: SUCCEEDED 12\/12\n/);

    // The answers go to the comparison table, none to the results.
    const rows = await h.rows(COMPARISONS_TABLE.name);
    expect(rows).toHaveLength(12);
    expect(rows.filter((row) => row.error_type !== null).map((row) => [row.record_id, row.error_type])).toEqual([
      ['c11', 'safety_blocked'],
    ]);
    expect(JSON.parse(String(rows.find((row) => row.record_id === 'c00')!.answer)).sentiment).toBe('negative');
    expect(await count(TABLE_NAMES.results)).toBe(results);
    // The first compare created the table, with the contract's columns.
    expect(bq.calls).toContain(`POST /bigquery/v2/projects/${PROJECT}/datasets/${DATASET}/tables`);
    expect(h.engine.tables.get(COMPARISONS_TABLE.name)!.columns).toEqual(COMPARISONS_TABLE.columns);
  });

  test('the text report and the page are the ones the laptop writes', async () => {
    const r = await compare(['--html', path.join(dir, 'report.html')]);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'report.html'), 'utf8')).toMatch(/<tr><td>sentiment<\/td><td>categorical<\/td><td>0\.909<\/td>/);
    expect(r.stdout).toMatch(/^sentiment\s+categorical\s+0\.909\s+0\.820$/m);
    expect(r.stdout).toMatch(/error rate\s+baseline 0\.0%, candidate 8\.3%/);
    expect(r.stdout).toContain('changed values (some):\n  sentiment c00: "positive" -> "negative"');
  });

  test('run again, the same comparison finds its job instead of creating a second, and loads its rows once', async () => {
    const first = await compare(['--json']);
    expect(first.code).toBe(0);
    vertex.behave = () => answer('positive');
    const again = await compare(['--json']);
    expect(again.code).toBe(0);
    expect(vertex.created).toHaveLength(1);
    expect(again.stderr).toContain('found Vertex AI job 7001 of this comparison (JOB_STATE_SUCCEEDED): not sending again');
    expect(JSON.parse(again.stdout)).toEqual(JSON.parse(first.stdout));
    expect(await count(COMPARISONS_TABLE.name)).toBe(12);
    // Another seed is another comparison, with its own job.
    const other = await compare(['--json', '--seed', '2']);
    expect(other.code).toBe(0);
    expect(vertex.created).toHaveLength(2);
  });

  test('a failed job is a clear error and writes nothing; run again, it sends the sample in a new job', async () => {
    const results = await count(TABLE_NAMES.results);
    vertex.fate = 'fail';
    const r = await compare();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /the Vertex AI job projects\/test-project\/locations\/europe-west4\/batchPredictionJobs\/7001 of comparison cmp-[0-9a-f]{24} ended JOB_STATE_FAILED: Internal error occurred/,
    );
    expect(r.stderr).toContain('nothing was written to the comparison or results tables');
    expect(r.stdout).toBe('');
    expect(await count(COMPARISONS_TABLE.name)).toBe(0);
    expect(await count(TABLE_NAMES.results)).toBe(results);

    vertex.fate = 'succeed';
    const again = await compare();
    expect(again.code).toBe(0);
    expect(vertex.created).toHaveLength(2);
    expect(await count(COMPARISONS_TABLE.name)).toBe(12);
  });

  test('a job that ends with no output is a clear error and writes nothing', async () => {
    vertex.fate = 'no_output';
    const r = await compare();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ended JOB_STATE_SUCCEEDED with no output lines under gs:\/\/work-bucket\/comparisons\/cmp-/);
    expect(await count(COMPARISONS_TABLE.name)).toBe(0);
  });

  test('reads the transcripts from a source table of its own, named by the construct', async () => {
    await h.engine.createTable({
      name: 'calls',
      description: 'A source of its own.',
      columns: [
        { name: 'call_id', type: 'STRING', mode: 'REQUIRED', description: '' },
        { name: 'body', type: 'STRING', mode: 'NULLABLE', description: '' },
      ],
      partitionColumn: '',
      clusterColumns: [],
    });
    await h.engine.insert(
      'calls',
      IDS.map((id) => ({ call_id: id, body: `the call ${id} as the source of its own holds it` })),
    );
    const r = await compare([
      '--json',
      ...['--source-table', `${PROJECT}.${DATASET}.calls`, '--source-id-column', 'call_id', '--source-text-column', 'body'],
    ]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report & { records_to_reanalyse: number };
    expect(report.records_to_reanalyse).toBe(12);
    const input = gcs.text(BUCKET, layout.comparisonInput(report.comparison_id))!;
    expect(input).toContain('the call c00 as the source of its own holds it');
    expect(input).not.toContain('call c00 about a bill');
  });

  test('a record the job left without an output line counts as the candidate failing it', async () => {
    vertex.behave = (id) => (id === 'c05' ? { kind: 'drop' } : answer(baselineSentiment(id)));
    const r = await compare(['--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.error_rate.candidate).toBe(0.0833);
    expect(report.fields.find((f) => f.name === 'sentiment')).toMatchObject({ compared: 11, agreement: 1 });
    const rows = await h.rows(COMPARISONS_TABLE.name);
    expect(rows.filter((row) => row.error_type !== null).map((row) => [row.record_id, row.error_type])).toEqual([
      ['c05', 'missing_result'],
    ]);
  });

  test('the laptop-only options are refused against a deployment', async () => {
    const r = await compare(['--model-endpoint', 'http://127.0.0.1:1/v1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--model-endpoint is for a laptop work folder');
    expect(vertex.created).toHaveLength(0);
  });

  test('a baseline whose declaration the deployment does not keep needs --baseline-analysis, checked against the results', async () => {
    const file = path.join(dir, 'baseline.json');
    writeFileSync(file, JSON.stringify({ ...DEFAULT_ANALYSIS, systemInstruction: 'Something else.' }));
    const r = await compare(['--baseline-analysis', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /the declaration of pass1 given with --baseline-analysis has version v-[0-9a-f]+, but the latest results of pass1 have version v-/,
    );
    expect(vertex.created).toHaveLength(0);
  });
});

describe('tapctl evaluate against a deployment', () => {
  test('measures the deployed results against labels, reading BigQuery and nothing else', async () => {
    const gold = [
      { record_id: 'c00', sentiment: 'negative' },
      { record_id: 'c01', sentiment: 'positive' },
      { record_id: 'c06', sentiment: 'negative' },
      { record_id: 'c07', sentiment: 'negative', resolution: 'escalated' },
      { record_id: 'zz', sentiment: 'positive' },
    ];
    writeFileSync(path.join(dir, 'gold.jsonl'), gold.map((g) => JSON.stringify(g)).join('\n') + '\n');
    const r = await tapctl(
      ['evaluate', '--project', PROJECT, '--region', REGION, '--dataset', DATASET, '--gold', path.join(dir, 'gold.jsonl'), '--json'],
      { env: { GOOGLE_OAUTH_ACCESS_TOKEN: 'test-token', TAPCTL_BIGQUERY_ENDPOINT: bq.url } },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      records: { labelled: number; evaluated: number; without_result: string[] };
      fields: { name: string; agreement: number; compared: number }[];
    };
    expect(report.records).toEqual({ labelled: 5, evaluated: 4, without_result: ['zz'] });
    // c00 is positive in the results and labelled negative; the other three agree.
    expect(report.fields.map((f) => [f.name, f.compared, f.agreement])).toEqual([
      ['sentiment', 4, 0.75],
      ['resolution', 1, 0],
    ]);
    expect(vertex.created).toHaveLength(0);
  });
});
