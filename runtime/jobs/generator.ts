/**
 * The generator job: streams one batch's planned records into `input.jsonl`, one Gemini request per
 * record, turns records that cannot be sent into permanent `error_tracking` rows (and settles them
 * in `processed_records`), and writes `manifest.json` last. Safe to run again, for the same attempt
 * or a later one: its loads carry job ids derived from (execution, batch), and its objects are
 * rewritten whole.
 */
import { batchKey, BatchRef, gsUri, JOB_ENV, layout, LOG_EVENTS, ManifestDocument, RUN_ENV, TABLE_NAMES } from '../contract';
import {
  batchRef,
  CommonConfig,
  commonConfig,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_MAX_TRANSCRIPT_CHARS,
  optionalInt,
  templateColumns,
} from '../core/config';
import { loadJobId } from '../core/ids';
import { LineWriter, loadStaged, nowOf, num } from '../core/jobkit';
import { errorRow, settledByError } from '../core/matching';
import type { JobEnv, JobRun } from '../core/ports';
import { generate, GenerationLimits, requestTemplate } from '../core/requests';
import { batchRecords } from '../core/sql';
import { sourceRef } from './planner';

export interface GeneratorConfig extends CommonConfig {
  readonly batch: BatchRef;
  readonly attempt: number;
  readonly limits: GenerationLimits;
}

export function config(env: JobEnv): GeneratorConfig {
  return {
    ...commonConfig(env),
    batch: batchRef(env),
    attempt: optionalInt(env, RUN_ENV.attempt, 1, 1000) ?? 1,
    limits: {
      maxTranscriptChars: optionalInt(env, JOB_ENV.maxTranscriptChars, 1, 100_000_000) ?? DEFAULT_MAX_TRANSCRIPT_CHARS,
      maxRequestBytes: optionalInt(env, JOB_ENV.maxRequestBytes, 1024, 1_000_000_000) ?? DEFAULT_MAX_REQUEST_BYTES,
    },
  };
}

export const run: JobRun<ManifestDocument> = async (env, ports) => {
  const cfg = config(env);
  const { warehouse: wh, store, log } = ports;
  const now = nowOf(ports).toISOString();
  const batch = batchKey(cfg.batch);
  const paths = {
    input: layout.input(cfg.executionId, batch, cfg.attempt),
    manifest: layout.manifest(cfg.executionId, batch, cfg.attempt),
    output: layout.output(cfg.executionId, batch, cfg.attempt),
    errors: layout.staging(cfg.executionId, batch, cfg.attempt, `generator-${TABLE_NAMES.errorTracking}`),
    processed: layout.staging(cfg.executionId, batch, cfg.attempt, `generator-${TABLE_NAMES.processedRecords}`),
  };
  log.log('INFO', 'generating requests', { event: LOG_EVENTS.jobStarted });

  const extraColumns = templateColumns(cfg.analysis.promptTemplate);
  const template = requestTemplate(cfg.analysis);
  const input = new LineWriter(store.openWrite(paths.input));
  const errors = new LineWriter(store.openWrite(paths.errors));
  const processed = new LineWriter(store.openWrite(paths.processed));
  const byType: Record<string, number> = {};
  const ctx = { executionId: cfg.executionId, batch, attempt: cfg.attempt, analysisVersion: cfg.analysisVersion, now };
  let lastId: string | undefined;
  let planned = 0;
  const statement = batchRecords((id) => wh.table(id), sourceRef(cfg), cfg.executionId, cfg.batch, extraColumns);
  for await (const row of wh.stream(statement)) {
    const recordId = String(row.record_id);
    if (recordId === lastId) continue;
    lastId = recordId;
    planned++;
    const columns: Record<string, string | null> = {};
    for (const c of extraColumns) columns[c] = (row[`col_${c}`] as string | null) ?? null;
    const transcript = row.transcript === null || row.transcript === undefined ? null : String(row.transcript);
    const generated = generate(template, { recordId, transcript, columns }, cfg.limits);
    if (generated.kind === 'request') {
      await input.write(generated.line);
      continue;
    }
    const record = { recordId, batchId: num(row.batch_id) ?? 0, recordAttempt: num(row.record_attempt) ?? 1 };
    byType[generated.type] = (byType[generated.type] ?? 0) + 1;
    await errors.write(JSON.stringify(errorRow(ctx, record, generated.type, generated.message, null)));
    const settled = settledByError({ ...ctx, maxRecordAttempts: Number.MAX_SAFE_INTEGER }, record, generated.type);
    if (settled) await processed.write(JSON.stringify(settled));
  }
  await input.close();
  await errors.close();
  await processed.close();
  await ports.checkpoint?.('input');

  // One generator commit per batch and execution, whatever the attempt: a batch re-run after a failed
  // Vertex AI job regenerates the same permanent errors, and must not settle those records twice.
  const jobParts = [cfg.executionId, batch];
  await loadStaged(ports, TABLE_NAMES.errorTracking, paths.errors, errors.lines, loadJobId('gen', [...jobParts, TABLE_NAMES.errorTracking]), 'errors');
  await loadStaged(
    ports,
    TABLE_NAMES.processedRecords,
    paths.processed,
    processed.lines,
    loadJobId('gen', [...jobParts, TABLE_NAMES.processedRecords]),
    'processed',
  );

  for (const [type, count] of Object.entries(byType)) {
    log.log('WARNING', `${count} records not sent: ${type}`, { event: LOG_EVENTS.recordErrors, error_type: type, count });
  }

  const manifest: ManifestDocument = {
    execution_id: cfg.executionId,
    batch,
    attempt: cfg.attempt,
    requests: input.lines,
    skipped: errors.lines,
    bytes: input.bytes,
    input_uri: input.lines > 0 ? gsUri(store.bucket, paths.input) : '',
    output_uri_prefix: gsUri(store.bucket, paths.output),
    created_at: now,
  };
  await store.writeText(paths.manifest, JSON.stringify(manifest, null, 2) + '\n');
  await ports.checkpoint?.('manifest');
  log.log('INFO', `wrote ${input.lines} requests, skipped ${errors.lines} of ${planned} records`, {
    event: LOG_EVENTS.jobFinished,
    records: planned,
    requests: input.lines,
    skipped: errors.lines,
    bytes: input.bytes,
  });
  return manifest;
};

if (require.main === module) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  void require('../adapters/gcp/main').runAsMain('generator', run);
}
