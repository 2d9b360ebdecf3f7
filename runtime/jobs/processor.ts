/**
 * The processor job: reads every `*.jsonl` under the Vertex AI job's output directory, matches each
 * line to its planned record, validates it, and commits the batch attempt exactly once.
 *
 * It runs for any job that wrote output, whatever its end: Vertex AI exports (and bills) completed
 * lines of a job that failed, was cancelled or expired, so those answers are committed and only the
 * records left without one stay open for the next attempt. What the ledger holds decides first (see
 * `BatchMatcher`): nothing already analysed gets a second result. The rows are staged as files in
 * the work bucket and loaded with job ids derived from (execution, batch, attempt, table): results,
 * errors, `processed_records`, then the attempt's outcome event in `batch_events` (with the tokens
 * of every answer). A re-run after a crash anywhere reloads only what is missing: a load whose id
 * exists answers "already done", and what an earlier load committed is no longer staged.
 */
import { createInterface } from 'node:readline';
import {
  batchKey,
  BatchRef,
  BatchResultDocument,
  layout,
  LOG_EVENTS,
  parseGsUri,
  RedactionCounts,
  RUN_ENV,
  TABLE_NAMES,
} from '../contract';
import { batchAttempt, batchRef, CommonConfig, commonConfig, ConfigError, maxRecordAttempts, requireString } from '../core/config';
import { loadJobId } from '../core/ids';
import { commitOnce, CommitPlan, configForPlan, LineWriter, nowOf, num, readBatchSpan } from '../core/jobkit';
import { BatchMatcher, PlannedRecord, type ResultRow } from '../core/matching';
import type { JobEnv, JobPorts, JobRun } from '../core/ports';
import { parsePrediction } from '../core/responses';
import { batchPlanned } from '../core/sql';

/** Terminal Vertex AI job states; the output of each is worth reading (a job that ended early exports what it completed). */
export const PROCESSABLE_STATES = [
  'JOB_STATE_SUCCEEDED',
  'JOB_STATE_PARTIALLY_SUCCEEDED',
  'JOB_STATE_FAILED',
  'JOB_STATE_CANCELLED',
  'JOB_STATE_EXPIRED',
] as const;

export interface ProcessorConfig extends CommonConfig {
  readonly batch: BatchRef;
  readonly attempt: number;
  readonly vertexJob: string;
  readonly vertexState: string;
  /** Path of the Vertex AI output directory inside the work bucket. */
  readonly outputPrefix: string;
  readonly maxRecordAttempts: number;
}

export function config(env: JobEnv): ProcessorConfig {
  const common = commonConfig(env);
  const outputDir = requireString(env, RUN_ENV.vertexOutputDir);
  let location: { bucket: string; path: string };
  try {
    location = parseGsUri(outputDir);
  } catch {
    throw new ConfigError(RUN_ENV.vertexOutputDir, `must be a gs:// URI, got "${outputDir}"`);
  }
  if (location.bucket !== common.workBucket) {
    throw new ConfigError(RUN_ENV.vertexOutputDir, `must be inside the work bucket gs://${common.workBucket}/, got "${outputDir}"`);
  }
  const vertexState = requireString(env, RUN_ENV.vertexState);
  const state = vertexState.startsWith('JOB_STATE_') ? vertexState : `JOB_STATE_${vertexState}`;
  if (!(PROCESSABLE_STATES as readonly string[]).includes(state)) {
    throw new ConfigError(RUN_ENV.vertexState, `must be one of ${PROCESSABLE_STATES.join(', ')}, got "${vertexState}"`);
  }
  return {
    ...common,
    batch: batchRef(env),
    attempt: batchAttempt(env),
    vertexJob: requireString(env, RUN_ENV.vertexJob),
    vertexState: state,
    outputPrefix: location.path === '' || location.path.endsWith('/') ? location.path : `${location.path}/`,
    maxRecordAttempts: maxRecordAttempts(env),
  };
}

export const run: JobRun<BatchResultDocument> = async (env, ports) => {
  const cfg = config(env);
  const { store, log } = ports;
  const batch = batchKey(cfg.batch);
  log.log('INFO', 'processing predictions', { event: LOG_EVENTS.jobStarted, vertex_job: cfg.vertexJob, vertex_state: cfg.vertexState });
  const result = await commitOnce(ports, layout.staging(cfg.executionId, batch, cfg.attempt, 'processor-commit'), () =>
    prepare(cfg, ports),
  );
  await store.writeText(layout.result(cfg.executionId, batch, cfg.attempt), JSON.stringify(result, null, 2) + '\n');
  await ports.checkpoint?.('result');
  for (const [type, count] of Object.entries(result.errors_by_type)) {
    log.log('WARNING', `${count} records failed: ${type}`, { event: LOG_EVENTS.recordErrors, error_type: type, count });
  }
  log.log(
    result.status === 'succeeded' ? 'INFO' : 'WARNING',
    `committed ${result.succeeded} results and ${result.failed} errors; ${result.unanswered} records left open`,
    {
      event: LOG_EVENTS.jobFinished,
      records: result.records,
      succeeded: result.succeeded,
      failed: result.failed,
      open: result.unanswered,
      tokens_in: result.tokens_in,
      tokens_out: result.tokens_out,
    },
  );
  return result;
};

/** Reads the output, decides every record against the ledger, and stages the commit's files. */
async function prepare(given: ProcessorConfig, ports: JobPorts): Promise<CommitPlan<BatchResultDocument>> {
  const { warehouse: wh, store, log } = ports;
  const span = await readBatchSpan(wh, given.executionId, given.batch);
  // The plan names the analysis by its version: each analysis of a run has its own executions.
  const cfg = await configForPlan(wh, given, span);
  const now = nowOf(ports).toISOString();
  const batch = batchKey(cfg.batch);
  const staging = (table: string) => layout.staging(cfg.executionId, batch, cfg.attempt, table);
  const jobId = (table: string) => loadJobId('proc', [cfg.executionId, batch, cfg.attempt, table]);
  const jobSucceeded = cfg.vertexState === 'JOB_STATE_SUCCEEDED' || cfg.vertexState === 'JOB_STATE_PARTIALLY_SUCCEEDED';

  const matcher = new BatchMatcher(cfg.analysis, {
    executionId: cfg.executionId,
    batch,
    attempt: cfg.attempt,
    analysisVersion: cfg.analysisVersion,
    analysis: cfg.analysisName,
    model: cfg.analysis.model,
    vertexJob: cfg.vertexJob,
    maxRecordAttempts: cfg.maxRecordAttempts,
    now,
    jobSucceeded,
  });
  async function* plannedRecords(): AsyncGenerator<PlannedRecord> {
    if (!span) return;
    for await (const row of wh.stream(
      batchPlanned((id) => wh.table(id), cfg.executionId, cfg.batch, cfg.attempt, span, cfg.resultsTable),
    )) {
      yield {
        recordId: String(row.record_id),
        batchId: num(row.batch_id) ?? 0,
        recordAttempt: (num(row.failed_attempts) ?? 0) + 1,
        committed: row.committed === true,
        settled: row.settled === true,
        finalError: row.final_error === true,
      };
    }
  }
  for await (const record of plannedRecords()) matcher.plan(record);

  const redacted = await readRedactionCounts(cfg, ports);
  const withCounts = (row: ResultRow) =>
    redacted ? { ...row, redaction_counts: JSON.stringify(redacted.get(String(row.record_id)) ?? {}) } : row;
  const files = (await store.list(cfg.outputPrefix)).filter((p) => p.endsWith('.jsonl')).sort();
  const results = new LineWriter(store.openWrite(staging(cfg.resultsTable)));
  let lines = 0;
  for (const file of files) {
    const reader = createInterface({ input: store.openRead(file), crlfDelay: Infinity });
    for await (const line of reader) {
      if (line.trim() === '') continue;
      lines++;
      const row = matcher.accept(parsePrediction(cfg.analysis, line));
      if (row) await results.write(JSON.stringify(withCounts(row)));
    }
  }
  const errors = new LineWriter(store.openWrite(staging(TABLE_NAMES.errorTracking)));
  const processed = new LineWriter(store.openWrite(staging(TABLE_NAMES.processedRecords)));
  // The planned records a second time, in plan order: the matcher keeps hashes, not ids.
  for await (const settled of matcher.settle(plannedRecords())) {
    const writer = settled.kind === 'result' ? results : settled.kind === 'error' ? errors : processed;
    await writer.write(JSON.stringify(settled.kind === 'result' ? withCounts(settled.row) : settled.row));
  }
  await results.close();
  await errors.close();
  await processed.close();
  const counts = matcher.counts;
  if (counts.unmatchedLines > 0) {
    log.log('WARNING', `${counts.unmatchedLines} output lines named no planned record`, { unmatched_lines: counts.unmatchedLines });
  }
  log.log('INFO', `read ${lines} lines from ${files.length} files`, { files: files.length, lines, duplicate_lines: counts.duplicateLines });

  const status = counts.unanswered > 0 ? 'failed' : 'succeeded';
  const event = {
    execution_id: cfg.executionId,
    batch_id: cfg.batch.batchId,
    attempt: cfg.attempt,
    status,
    vertex_job: cfg.vertexJob,
    vertex_state: cfg.vertexState,
    records: counts.records,
    succeeded: counts.succeeded,
    failed: counts.failed,
    open: counts.unanswered,
    tokens_in: counts.tokensIn,
    tokens_out: counts.tokensOut,
    message:
      status === 'failed'
        ? `Vertex AI job ${cfg.vertexJob} ended ${cfg.vertexState}: ${counts.unanswered} of the records sent got no answer and stay open`
        : `batch ${batch}`,
    start_row: cfg.batch.rows?.startRow ?? null,
    end_row: cfg.batch.rows?.endRow ?? null,
    event_time: now,
  };
  await store.writeText(staging(TABLE_NAMES.batchEvents), JSON.stringify(event) + '\n');
  const load = (table: string, rows: number, checkpoint: string) => ({
    table,
    path: staging(table),
    rows,
    jobId: jobId(table),
    checkpoint,
  });
  return {
    loads: [
      load(cfg.resultsTable, results.lines, 'results'),
      load(TABLE_NAMES.errorTracking, errors.lines, 'errors'),
      load(TABLE_NAMES.processedRecords, processed.lines, 'processed'),
      load(TABLE_NAMES.batchEvents, 1, 'event'),
    ],
    outcome: {
      execution_id: cfg.executionId,
      batch,
      attempt: cfg.attempt,
      vertex_job: cfg.vertexJob,
      status,
      records: counts.records,
      succeeded: counts.succeeded,
      failed: counts.failed,
      unanswered: counts.unanswered,
      errors_by_type: counts.errorsByType,
      tokens_in: counts.tokensIn,
      tokens_out: counts.tokensOut,
    },
  };
}

/**
 * What the generator of this attempt redacted, by record (counts by info type), when the analysis
 * redacts: the results rows carry it in `redaction_counts`. A batch's records fit in memory as
 * counts (at most 200,000 small objects).
 */
async function readRedactionCounts(cfg: ProcessorConfig, ports: JobPorts): Promise<Map<string, RedactionCounts> | undefined> {
  if (!cfg.analysis.redaction) return undefined;
  const path = layout.redactionCounts(cfg.executionId, batchKey(cfg.batch), cfg.attempt);
  const counts = new Map<string, RedactionCounts>();
  if (!(await ports.store.exists(path))) return counts;
  const reader = createInterface({ input: ports.store.openRead(path), crlfDelay: Infinity });
  for await (const line of reader) {
    if (line.trim() === '') continue;
    const { record_id, counts: c } = JSON.parse(line) as { record_id: string; counts: RedactionCounts };
    counts.set(record_id, c);
  }
  return counts;
}

if (require.main === module) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  void require('../adapters/gcp/main').runAsMain('processor', run);
}
