/**
 * The four jobs run on the local adapters (DuckDB, a folder, the local analyzer standing in for a
 * Vertex AI batch job) over the sample transcripts: every record ends analysed or in
 * error_tracking, nothing twice, and a second plan finds nothing left.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { analyzeFile, openLocalWorkspace, type LocalWorkspace } from '../../../../runtime/adapters/local';
import {
  DEFAULT_ANALYSIS,
  JOB_ENV,
  LOCAL_LAYOUT,
  RUN_ENV,
  gsUri,
  layout,
  type ManifestDocument,
  type PlanDocument,
  type SummaryDocument,
} from '../../../../runtime/contract';
import { MemoryLogger } from '../../../../runtime/core/log';
import type { JobEnv, JobPorts } from '../../../../runtime/core/ports';
import * as generator from '../../../../runtime/jobs/generator';
import * as planner from '../../../../runtime/jobs/planner';
import * as processor from '../../../../runtime/jobs/processor';
import * as reporter from '../../../../runtime/jobs/reporter';

let dir: string;
let ws: LocalWorkspace;
let ports: JobPorts;
const clock = { t: Date.parse('2026-11-28T10:00:00Z') };

const base: Record<string, string> = {
  [JOB_ENV.projectId]: LOCAL_LAYOUT.projectId,
  [JOB_ENV.dataset]: LOCAL_LAYOUT.dataset,
  [JOB_ENV.workBucket]: LOCAL_LAYOUT.bucketName,
  [JOB_ENV.sourceTable]: `${LOCAL_LAYOUT.projectId}.${LOCAL_LAYOUT.dataset}.transcription_pass_2`,
  [JOB_ENV.analysis]: JSON.stringify(DEFAULT_ANALYSIS),
  [JOB_ENV.maxTranscriptChars]: '400000',
};

/** The first rows of the sample file, with its special rows among them, deduplicated by id. */
function sampleRows(n: number): Array<Record<string, unknown>> {
  const file = path.join(__dirname, '../../../../examples/transcripts.jsonl');
  const rows = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const wanted = rows.filter(
    (r, i) =>
      i < n ||
      (r.transcript as string | null)?.trim() === '' ||
      r.transcript === null ||
      String(r.transcript).length > 400_000 ||
      !String(r.language).startsWith('en'),
  );
  const byId = new Map(wanted.map((r) => [r.transcript_id as string, r]));
  return [...byId.values()];
}

async function runBatch(executionId: string, batchId: number): Promise<void> {
  const env: JobEnv = { ...base, [RUN_ENV.executionId]: executionId, [RUN_ENV.batchId]: String(batchId), [RUN_ENV.attempt]: '1' };
  const manifest: ManifestDocument = await generator.run(env, ports);
  if (manifest.requests === 0) return;
  const output = layout.output(executionId, String(batchId), 1);
  const result = await analyzeFile(ws.store, layout.input(executionId, String(batchId), 1), output, { now: () => new Date(clock.t) });
  await processor.run(
    {
      ...env,
      [RUN_ENV.vertexJob]: `projects/local-project/locations/local/batchPredictionJobs/${executionId}-${batchId}`,
      [RUN_ENV.vertexOutputDir]: gsUri(LOCAL_LAYOUT.bucketName, result.outputDirectory),
      [RUN_ENV.vertexState]: 'JOB_STATE_SUCCEEDED',
    },
    ports,
  );
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tap-jobs-'));
  ws = await openLocalWorkspace(dir);
  ports = { warehouse: ws.warehouse, store: ws.store, log: new MemoryLogger(), now: () => new Date((clock.t += 1000)) };
  const rows = sampleRows(30).map((r) => JSON.stringify({ ...r, ingested_at: '2026-11-28T09:00:00Z' }));
  await ws.store.writeText('source.jsonl', `${rows.join('\n')}\n`);
  await ws.warehouse.load('transcription_pass_2', 'source.jsonl', 'source-1');
});
afterAll(async () => {
  await ws.close();
  rmSync(dir, { recursive: true, force: true });
});

const count = async (sql: string): Promise<number> => Number((await ws.warehouse.query<{ n: number }>({ sql }))[0]!.n);

describe('the jobs on the local adapters', () => {
  let plan: PlanDocument;
  let summary: SummaryDocument;

  it('plans, generates, analyses, processes and reports a run', async () => {
    const env = { ...base, [RUN_ENV.executionId]: 'run-1', [RUN_ENV.batchSize]: '8' };
    plan = await planner.run(env, ports);
    expect(plan.records).toBe(await count(`SELECT COUNT(DISTINCT transcript_id) AS n FROM \`transcription_pass_2\``));
    for (let b = 0; b < plan.batch_count; b++) await runBatch('run-1', b);
    summary = await reporter.run(env, ports);
    expect(summary.records_total).toBe(plan.records);
    expect(summary.records_succeeded + summary.records_failed).toBe(plan.records);
    expect(summary.errors_by_type).toMatchObject({ empty_transcript: 3, input_too_large: 2 });
    expect(summary.tokens_in).toBeGreaterThan(0);
  });

  it('leaves every record analysed or in error_tracking, exactly once', async () => {
    const results = await count('SELECT COUNT(*) AS n FROM `transcription_analyzed_transcripts`');
    const distinct = await count('SELECT COUNT(DISTINCT record_id) AS n FROM `transcription_analyzed_transcripts`');
    expect(results).toBe(distinct);
    expect(results).toBe(summary.records_succeeded);
    const settled = await count('SELECT COUNT(*) AS n FROM `processed_records`');
    expect(settled).toBe(plan.records);
    const sentiments = await ws.warehouse.query<{ sentiment: string }>({
      sql: 'SELECT DISTINCT sentiment FROM `transcription_analyzed_transcripts`',
    });
    for (const s of sentiments) expect(['positive', 'neutral', 'negative', 'mixed']).toContain(s.sentiment);
  });

  it('finds nothing left to analyse on a second run', async () => {
    const again = await planner.run({ ...base, [RUN_ENV.executionId]: 'run-2', [RUN_ENV.batchSize]: '8' }, ports);
    expect(again.records).toBe(0);
    expect(again.skipped_dedup).toBe(plan.records);
  });
});
