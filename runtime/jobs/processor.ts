/**
 * The processor job: reads every `*.jsonl` under the Vertex AI job's output directory, matches each
 * line to its planned record, validates it, and commits the batch exactly once: the rows are staged
 * as files in the work bucket and loaded with job ids derived from (execution, batch, attempt,
 * Vertex AI job, table), `processed_records` last. A re-run after a crash anywhere reloads only what
 * is missing: a load whose id exists answers "already done". The batch's `succeeded` event is the
 * batch workflow's to write, from `result.json`.
 */
import { createInterface } from 'node:readline';
import {
  batchKey,
  BatchRef,
  BatchResultDocument,
  layout,
  LOG_EVENTS,
  parseGsUri,
  RUN_ENV,
  TABLE_NAMES,
} from '../contract';
import { batchRef, CommonConfig, commonConfig, ConfigError, maxRecordAttempts, optionalInt, requireString } from '../core/config';
import { loadJobId } from '../core/ids';
import { LineWriter, loadStaged, nowOf, num } from '../core/jobkit';
import { BatchMatcher, PlannedRecord } from '../core/matching';
import type { JobEnv, JobRun } from '../core/ports';
import { parsePrediction } from '../core/responses';
import { batchPlanned } from '../core/sql';

/** Terminal Vertex AI job states whose output is worth reading. */
export const PROCESSABLE_STATES = ['JOB_STATE_SUCCEEDED', 'JOB_STATE_PARTIALLY_SUCCEEDED'] as const;

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
    attempt: optionalInt(env, RUN_ENV.attempt, 1, 1000) ?? 1,
    vertexJob: requireString(env, RUN_ENV.vertexJob),
    vertexState: state,
    outputPrefix: location.path === '' || location.path.endsWith('/') ? location.path : `${location.path}/`,
    maxRecordAttempts: maxRecordAttempts(env),
  };
}

export const run: JobRun<BatchResultDocument> = async (env, ports) => {
  const cfg = config(env);
  const { warehouse: wh, store, log } = ports;
  const now = nowOf(ports).toISOString();
  const batch = batchKey(cfg.batch);
  const staging = (table: string) => layout.staging(cfg.executionId, batch, cfg.attempt, table);
  const jobId = (table: string) => loadJobId('proc', [cfg.executionId, batch, cfg.attempt, cfg.vertexJob, table]);
  log.log('INFO', 'processing predictions', { event: LOG_EVENTS.jobStarted, vertex_job: cfg.vertexJob, vertex_state: cfg.vertexState });

  const matcher = new BatchMatcher(cfg.analysis, {
    executionId: cfg.executionId,
    batch,
    attempt: cfg.attempt,
    analysisVersion: cfg.analysisVersion,
    model: cfg.analysis.model,
    vertexJob: cfg.vertexJob,
    maxRecordAttempts: cfg.maxRecordAttempts,
    now,
  });
  async function* plannedRecords(): AsyncGenerator<PlannedRecord> {
    for await (const row of wh.stream(batchPlanned((id) => wh.table(id), cfg.executionId, cfg.batch, cfg.vertexJob))) {
      yield {
        recordId: String(row.record_id),
        batchId: num(row.batch_id) ?? 0,
        recordAttempt: num(row.record_attempt) ?? 1,
        committed: row.committed === true,
      };
    }
  }
  for await (const record of plannedRecords()) matcher.plan(record);

  const files = (await store.list(cfg.outputPrefix)).filter((p) => p.endsWith('.jsonl')).sort();
  const results = new LineWriter(store.openWrite(staging(TABLE_NAMES.results)));
  let lines = 0;
  for (const file of files) {
    const reader = createInterface({ input: store.openRead(file), crlfDelay: Infinity });
    for await (const line of reader) {
      if (line.trim() === '') continue;
      lines++;
      const row = matcher.accept(parsePrediction(cfg.analysis, line));
      if (row) await results.write(JSON.stringify(row));
    }
  }
  const errorWriter = new LineWriter(store.openWrite(staging(TABLE_NAMES.errorTracking)));
  const processedWriter = new LineWriter(store.openWrite(staging(TABLE_NAMES.processedRecords)));
  // The planned records a second time, in plan order: the matcher keeps hashes, not ids.
  for await (const settled of matcher.settle(plannedRecords())) {
    const writer = settled.kind === 'result' ? results : settled.kind === 'error' ? errorWriter : processedWriter;
    await writer.write(JSON.stringify(settled.row));
  }
  await results.close();
  await errorWriter.close();
  await processedWriter.close();
  const counts = matcher.counts;
  const errorRows = errorWriter.lines;
  const processedRows = processedWriter.lines;

  await loadStaged(ports, TABLE_NAMES.results, staging(TABLE_NAMES.results), results.lines, jobId(TABLE_NAMES.results), 'results');
  await loadStaged(ports, TABLE_NAMES.errorTracking, staging(TABLE_NAMES.errorTracking), errorRows, jobId(TABLE_NAMES.errorTracking), 'errors');
  await loadStaged(
    ports,
    TABLE_NAMES.processedRecords,
    staging(TABLE_NAMES.processedRecords),
    processedRows,
    jobId(TABLE_NAMES.processedRecords),
    'processed',
  );

  const result: BatchResultDocument = {
    execution_id: cfg.executionId,
    batch,
    attempt: cfg.attempt,
    vertex_job: cfg.vertexJob,
    records: counts.records,
    succeeded: counts.succeeded,
    failed: counts.failed,
    errors_by_type: counts.errorsByType,
    tokens_in: counts.tokensIn,
    tokens_out: counts.tokensOut,
  };
  await store.writeText(layout.result(cfg.executionId, batch, cfg.attempt), JSON.stringify(result, null, 2) + '\n');
  await ports.checkpoint?.('result');
  for (const [type, count] of Object.entries(counts.errorsByType)) {
    log.log('WARNING', `${count} records failed: ${type}`, { event: LOG_EVENTS.recordErrors, error_type: type, count });
  }
  if (counts.unmatchedLines > 0) {
    log.log('WARNING', `${counts.unmatchedLines} output lines named no planned record`, { unmatched_lines: counts.unmatchedLines });
  }
  log.log('INFO', `committed ${counts.succeeded} results and ${counts.failed} errors`, {
    event: LOG_EVENTS.jobFinished,
    files: files.length,
    lines,
    records: counts.records,
    succeeded: counts.succeeded,
    failed: counts.failed,
    duplicate_lines: counts.duplicateLines,
    tokens_in: counts.tokensIn,
    tokens_out: counts.tokensOut,
  });
  return result;
};

if (require.main === module) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  void require('../adapters/gcp/main').runAsMain('processor', run);
}
