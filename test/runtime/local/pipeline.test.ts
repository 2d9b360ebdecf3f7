/**
 * End to end on the laptop: the pipeline workflows on the local engine, the jobs in-process on
 * DuckDB and a folder, the local analyzer for Gemini; with and without faults. After each scenario
 * the tables must satisfy the pipeline's invariants.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analysisVersion, DEFAULT_ANALYSIS, SummaryDocument, TABLE_NAMES } from '../../../runtime/contract';
import { openLocalWorkspace } from '../../../runtime/adapters/local';
import { parseFaults } from '../../../runtime/local/faults';
import { LocalRunOptions, runLocalPipeline } from '../../../runtime/local/pipeline';
import { runLocalRecovery } from '../../../runtime/local/recovery';

const EXAMPLES = path.join(__dirname, '..', '..', '..', 'examples', 'transcripts.jsonl');
const VERSION = analysisVersion(DEFAULT_ANALYSIS);

/** The first `n` example transcripts, in a file of their own. */
function sample(n: number): { file: string; ids: string[] } {
  const lines = fs.readFileSync(EXAMPLES, 'utf8').trim().split('\n').slice(0, n);
  const ids = [...new Set(lines.map((l) => (JSON.parse(l) as { transcript_id: string }).transcript_id))];
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tap-e2e-in-')), 'transcripts.jsonl');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return { file, ids };
}

function workdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tap-e2e-'));
}

async function tables(dir: string, version = VERSION) {
  const ws = await openLocalWorkspace(dir);
  try {
    const q = async <T = Record<string, unknown>>(sql: string, params: Record<string, string> = {}) =>
      ws.warehouse.query<T>({ sql, params });
    const t = (id: string) => ws.warehouse.table(id);
    const v = { v: version };
    return {
      results: await q<{ record_id: string; n: number }>(
        `SELECT record_id, COUNT(*) AS n FROM ${t(TABLE_NAMES.results)} WHERE analysis_version = @v GROUP BY record_id`,
        v,
      ),
      processed: await q<{ record_id: string; status: string; n: number }>(
        `SELECT record_id, MAX(status) AS status, COUNT(*) AS n FROM ${t(TABLE_NAMES.processedRecords)} WHERE analysis_version = @v GROUP BY record_id`,
        v,
      ),
      errorIds: await q<{ error_id: string; n: number }>(
        `SELECT error_id, COUNT(*) AS n FROM ${t(TABLE_NAMES.errorTracking)} GROUP BY error_id`,
      ),
      errors: await q<{ record_id: string; error_type: string; retryable: boolean; execution_id: string }>(
        `SELECT record_id, error_type, retryable, execution_id FROM ${t(TABLE_NAMES.errorTracking)} WHERE analysis_version = @v`,
        v,
      ),
      assignments: await q<{ execution_id: string; record_id: string; n: number }>(
        `SELECT execution_id, record_id, COUNT(*) AS n FROM ${t(TABLE_NAMES.batchAssignments)} GROUP BY execution_id, record_id`,
      ),
      resultsByExecution: await q<{ execution_id: string; n: number }>(
        `SELECT execution_id, COUNT(*) AS n FROM ${t(TABLE_NAMES.results)} GROUP BY execution_id`,
      ),
    };
  } finally {
    await ws.close();
  }
}

async function run(dir: string, options: LocalRunOptions = {}): Promise<SummaryDocument> {
  const result = await runLocalPipeline({ workdir: dir, batchSize: 10, maxConcurrentBatches: 3, ...options });
  if (result.state !== 'SUCCEEDED') throw new Error(`run failed: ${JSON.stringify(result.error)}`);
  return result.summary!;
}

/** Runs until a run plans nothing (records with retryable errors get their further attempts). */
async function runToTheEnd(dir: string, options: LocalRunOptions): Promise<SummaryDocument[]> {
  const summaries = [await run(dir, options)];
  for (let i = 0; i < 5 && summaries[summaries.length - 1]!.records_total > 0; i++) {
    summaries.push(await run(dir, { ...options, transcripts: undefined }));
  }
  expect(summaries[summaries.length - 1]!.records_total).toBe(0);
  return summaries;
}

/** Every record settled exactly once, consistently with its rows; nothing twice anywhere. */
async function expectSettled(dir: string, ids: readonly string[]) {
  const t = await tables(dir);
  expect(t.results.filter((r) => Number(r.n) !== 1)).toEqual([]);
  expect(t.processed.filter((r) => Number(r.n) !== 1)).toEqual([]);
  expect(t.errorIds.filter((r) => Number(r.n) !== 1)).toEqual([]);
  expect(t.assignments.filter((r) => Number(r.n) !== 1)).toEqual([]);
  expect(t.processed.map((r) => r.record_id).sort()).toEqual([...ids].sort());
  const analysed = new Set(t.results.map((r) => r.record_id));
  for (const record of t.processed) {
    const errors = t.errors.filter((e) => e.record_id === record.record_id);
    if (record.status === 'succeeded') {
      expect(analysed.has(record.record_id)).toBe(true);
    } else if (record.status === 'failed') {
      expect(analysed.has(record.record_id)).toBe(false);
      expect(errors.some((e) => !e.retryable)).toBe(true);
    } else {
      expect(record.status).toBe('exhausted');
      expect(analysed.has(record.record_id)).toBe(false);
      expect(errors.length).toBe(3);
      expect(errors.every((e) => e.retryable)).toBe(true);
    }
  }
  return t;
}

describe('the laptop pipeline end to end', () => {
  const { file, ids } = sample(60);

  test('without faults: every record analysed or in error_tracking once, and the summary equals the tables', async () => {
    const dir = workdir();
    const summary = await run(dir, { transcripts: file });
    expect(summary.records_total).toBe(ids.length);
    expect(summary.batches).toBe(Math.ceil(ids.length / 10));
    expect(summary.batches_succeeded).toBe(summary.batches);
    expect(summary.batches_failed).toBe(0);
    expect(summary.tokens_in).toBeGreaterThan(0);
    const t = await expectSettled(dir, ids);
    const mine = t.resultsByExecution.find((r) => r.execution_id === summary.execution_id);
    expect(Number(mine?.n)).toBe(summary.records_succeeded);
    expect(summary.records_succeeded + summary.records_failed).toBe(ids.length);
    const errorsOfRun = t.errors.filter((e) => e.execution_id === summary.execution_id);
    expect(new Set(errorsOfRun.map((e) => e.record_id)).size).toBe(summary.records_failed);
    const byType: Record<string, number> = {};
    for (const e of errorsOfRun) byType[e.error_type] = (byType[e.error_type] ?? 0) + 1;
    expect(summary.errors_by_type).toEqual(byType);
    expect(Object.keys(byType).every((type) => ['empty_transcript', 'input_too_large'].includes(type))).toBe(true);

    const again = await run(dir);
    expect(again.records_total).toBe(0);
    expect(again.skipped_dedup).toBe(ids.length);
    expect(again.records_succeeded).toBe(0);
    await expectSettled(dir, ids);
  });

  test('a changed prompt analyses everything again, under its own version', async () => {
    const dir = workdir();
    await run(dir, { transcripts: file });
    const changed = { ...DEFAULT_ANALYSIS, promptTemplate: DEFAULT_ANALYSIS.promptTemplate + '\nAnswer in plain words.' };
    const summary = await run(dir, { analysis: changed });
    expect(summary.analysis_version).toBe(analysisVersion(changed));
    expect(summary.records_total).toBe(ids.length);
    expect(summary.skipped_dedup).toBe(0);
    const t = await tables(dir, analysisVersion(changed));
    expect(t.results.length).toBe(summary.records_succeeded);
    expect(t.processed.length).toBe(ids.length);
  });

  test.each([
    ['vertex-job-fail:1', (s: SummaryDocument[]) => expect(s[0]!.batches_recovered).toBe(s[0]!.batches)],
    ['line-error-rate:0.2', (s: SummaryDocument[]) => expect(s[0]!.errors_by_type.vertex_ai_error).toBeGreaterThan(0)],
    ['malformed-json-rate:0.2', (s: SummaryDocument[]) => expect(s[0]!.errors_by_type.json_parse_error).toBeGreaterThan(0)],
    ['missing-summary-rate:0.2', (s: SummaryDocument[]) => expect(s[0]!.errors_by_type.missing_summary).toBeGreaterThan(0)],
    ['processor-crash-after:results', (s: SummaryDocument[]) => expect(s[0]!.batches_failed).toBe(0)],
    ['processor-crash-after:processed', (s: SummaryDocument[]) => expect(s[0]!.batches_failed).toBe(0)],
    ['processor-crash-after:errors', (s: SummaryDocument[]) => expect(s[0]!.batches_failed).toBe(0)],
    ['generator-crash:2', (s: SummaryDocument[]) => expect(s[0]!.batches_recovered).toBe(0)],
    ['generator-crash:4', (s: SummaryDocument[]) => expect(s[0]!.batches_recovered).toBe(s[0]!.batches)],
    [
      'vertex-job-fail:1,line-error-rate:0.1,malformed-json-rate:0.1,missing-summary-rate:0.1,processor-crash-after:processed,generator-crash:1',
      (s: SummaryDocument[]) => expect(s[0]!.batches_recovered).toBeGreaterThan(0),
    ],
  ])('with %s: every record settles exactly once', async (faults, check) => {
    const dir = workdir();
    const summaries = await runToTheEnd(dir, { transcripts: file, faults: parseFaults(faults, 3), maxBatchAttempts: 3 });
    check(summaries);
    const t = await expectSettled(dir, ids);
    for (const s of summaries) {
      const rows = t.resultsByExecution.find((r) => r.execution_id === s.execution_id);
      expect(Number(rows?.n ?? 0)).toBe(s.records_succeeded);
    }
  });

  test('batches that fail every attempt are listed failed, commit nothing, and stay eligible', async () => {
    const dir = workdir();
    const summary = await run(dir, { transcripts: file, faults: parseFaults('vertex-job-fail:5', 1), maxBatchAttempts: 2 });
    expect(summary.status).toBe('failed');
    expect(summary.batches_failed).toBe(summary.batches);
    expect(summary.failed_batches).toEqual(Array.from({ length: summary.batches }, (_, i) => i));
    const t = await tables(dir);
    const permanent = t.processed.filter((r) => r.status === 'failed').length;
    expect(t.results).toEqual([]);
    expect(t.processed.every((r) => r.status === 'failed')).toBe(true);
    const plan = await runLocalPipeline({ workdir: dir, batchSize: 10, dryRun: true });
    expect(plan.plan?.records).toBe(ids.length - permanent);
  });

  test('a Vertex AI job that expires is recorded failed and re-run by the master', async () => {
    const dir = workdir();
    const small = sample(12);
    const summary = await run(dir, { transcripts: small.file, batchSize: 20, faults: parseFaults('vertex-job-expire:1', 1) });
    expect(summary.batches).toBe(1);
    expect(summary.batches_recovered).toBe(1);
    expect(summary.duration_seconds).toBeGreaterThanOrEqual(72 * 3600);
    await expectSettled(dir, small.ids);
  });
  test('recovering a batch whose staged transcripts expired fails saying so, and the next run plans its records', async () => {
    const dir = workdir();
    const small = sample(12);
    const summary = await run(dir, {
      transcripts: small.file,
      batchSize: 20,
      faults: parseFaults('vertex-job-fail:5', 1),
      maxBatchAttempts: 2,
    });
    expect(summary.batches_failed).toBe(1);
    const ws = await openLocalWorkspace(dir);
    let outcomes;
    try {
      // What partition expiration does after workRetentionDays: the staged rows go, the plan stays.
      await ws.warehouse.query({ sql: `DELETE FROM ${ws.warehouse.table(TABLE_NAMES.batchInputs)}` });
      outcomes = await runLocalRecovery(ws, summary.execution_id, [{ execution_id: summary.execution_id, batch_id: 0 }]);
    } finally {
      await ws.close();
    }
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.status).toBe('failed');
    // The workflow sees the job fail; the job's reason is in the run's log, as in Cloud Logging.
    const log = fs.readFileSync(path.join(dir, 'logs', `${summary.execution_id}.jsonl`), 'utf8');
    const reasons = log
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { job?: string; error?: string })
      .filter((l) => l.job?.endsWith('generator') && l.error);
    expect(reasons.length).toBeGreaterThan(0);
    for (const r of reasons) expect(r.error).toMatch(/staged transcripts of execution .* batch 0 are gone[\s\S]*cannot be recovered/);
    expect((await tables(dir)).results).toEqual([]);
    const next = await run(dir);
    expect(next.records_total).toBe(summary.records_total);
    await expectSettled(dir, small.ids);
  });
});
