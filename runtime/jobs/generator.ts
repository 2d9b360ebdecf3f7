/**
 * The generator job: streams one batch attempt's planned records into `input.jsonl`, one Gemini
 * request per record that still needs an answer, and writes `manifest.json` last.
 *
 * What the ledger says decides each record, read just before writing: a record already settled is
 * left alone; a record with a result but no `processed_records` row (a commit cut short) gets that
 * row and is not sent again; a record that cannot be sent becomes a permanent `error_tracking` row
 * and is settled. Safe to run again for the same attempt (its loads carry job ids derived from
 * execution, batch, attempt and table) and for a later one (what an earlier attempt settled is
 * skipped).
 */
import {
  batchKey,
  BatchRef,
  DEFAULTS,
  gsUri,
  JOB_ENV,
  layout,
  LIMITS,
  LOG_EVENTS,
  ManifestDocument,
  modelResource,
  TABLE_NAMES,
} from '../contract';
import { batchAttempt, batchRef, CommonConfig, commonConfig, maxRecordAttempts, optionalInt, promptInputs } from '../core/config';
import { loadJobId } from '../core/ids';
import { commitOnce, CommitPlan, configForPlan, LineWriter, nowOf, num, readBatchSpan } from '../core/jobkit';
import { errorRow, ledgerState, PlannedRecord, processedRow, settledByError } from '../core/matching';
import type { JobEnv, JobPorts, JobRun } from '../core/ports';
import { RedactionQueue } from '../core/redaction-queue';
import { generate, GenerationLimits, requestTemplate } from '../core/requests';
import { batchRecords } from '../core/sql';

export interface GeneratorConfig extends CommonConfig {
  readonly batch: BatchRef;
  readonly attempt: number;
  readonly limits: GenerationLimits;
  readonly maxRecordAttempts: number;
}

export function config(env: JobEnv): GeneratorConfig {
  return {
    ...commonConfig(env),
    batch: batchRef(env),
    attempt: batchAttempt(env),
    maxRecordAttempts: maxRecordAttempts(env),
    limits: {
      maxTranscriptChars: optionalInt(env, JOB_ENV.maxTranscriptChars, 1, LIMITS.maxTranscriptChars) ?? DEFAULTS.maxTranscriptChars,
      maxRequestBytes:
        optionalInt(env, JOB_ENV.maxRequestBytes, LIMITS.minRequestBytes, LIMITS.maxRequestBytes) ?? DEFAULTS.maxRequestBytes,
    },
  };
}

export const run: JobRun<ManifestDocument> = async (env, ports) => {
  const cfg = config(env);
  const { store, log } = ports;
  const batch = batchKey(cfg.batch);
  log.log('INFO', 'generating requests', { event: LOG_EVENTS.jobStarted });
  const { manifest, records, errorsByType } = await commitOnce(
    ports,
    layout.staging(cfg.executionId, batch, cfg.attempt, 'generator-commit'),
    () => prepare(cfg, ports),
  );
  for (const [type, count] of Object.entries(errorsByType)) {
    log.log('WARNING', `${count} records not sent: ${type}`, { event: LOG_EVENTS.recordErrors, error_type: type, count });
  }
  if (manifest.redacted) {
    const findings = Object.values(manifest.redacted).reduce((a, b) => a + b, 0);
    log.log('INFO', `redacted ${findings} findings of personal data before writing the requests`, {
      event: LOG_EVENTS.redacted,
      findings,
      by_type: manifest.redacted,
    });
  }
  await store.writeText(layout.manifest(cfg.executionId, batch, cfg.attempt), JSON.stringify(manifest, null, 2) + '\n');
  await ports.checkpoint?.('manifest');
  log.log(
    'INFO',
    `wrote ${manifest.requests} requests for ${records} records (${manifest.skipped} could not be sent, ${manifest.already_settled} were settled already)`,
    {
      event: LOG_EVENTS.jobFinished,
      records,
      requests: manifest.requests,
      skipped: manifest.skipped,
      already_settled: manifest.already_settled,
      bytes: manifest.bytes,
    },
  );
  return manifest;
};

/**
 * A batch whose plan rows have no staged text: their `batch_inputs` partition expired (see
 * `workRetentionDays`), or the planner stopped before staging and was never run again. Nothing can
 * be sent for them; the records are still waiting and a new run plans them again.
 */
export class StagedInputGoneError extends Error {
  constructor(executionId: string, batch: string, row: number) {
    super(
      `the staged transcripts of execution ${executionId} batch ${batch} are gone (plan row ${row} has none in ${TABLE_NAMES.batchInputs}): ` +
        `they expire with the run files, workRetentionDays (${DEFAULTS.workRetentionDays} by default) after planning, so this batch cannot be recovered; ` +
        'its unsettled records are planned again by a new run (tapctl run)',
    );
    this.name = 'StagedInputGoneError';
  }
}

/**
 * The template's columns from a staged row's JSON object. A column the plan did not stage (the
 * template changed since) is an error, not a silent null in every request.
 */
function promptColumns(staged: unknown, names: readonly string[], recordId: string): Record<string, string | null> {
  if (names.length === 0) return {};
  const values = typeof staged === 'string' ? (JSON.parse(staged) as Record<string, unknown>) : {};
  const columns: Record<string, string | null> = {};
  for (const c of names) {
    if (!(c in values)) {
      throw new Error(
        `record ${recordId} was planned without the column "${c}" that the prompt template names (the template changed since): plan it again with a new run`,
      );
    }
    const v = values[c];
    columns[c] = v === null || v === undefined ? null : String(v);
  }
  return columns;
}

interface GeneratorOutcome {
  readonly manifest: ManifestDocument;
  readonly records: number;
  readonly errorsByType: Record<string, number>;
}

/** Reads the attempt's records against the ledger and stages the requests and the rows to commit. */
async function prepare(given: GeneratorConfig, ports: JobPorts): Promise<CommitPlan<GeneratorOutcome>> {
  const { warehouse: wh, store } = ports;
  const span = await readBatchSpan(wh, given.executionId, given.batch);
  // The plan names the analysis by its version: each analysis of a run has its own executions.
  const cfg = await configForPlan(wh, given, span);
  const now = nowOf(ports).toISOString();
  const batch = batchKey(cfg.batch);
  const paths = {
    input: layout.input(cfg.executionId, batch, cfg.attempt),
    output: layout.output(cfg.executionId, batch, cfg.attempt),
    errors: layout.staging(cfg.executionId, batch, cfg.attempt, `generator-${TABLE_NAMES.errorTracking}`),
    processed: layout.staging(cfg.executionId, batch, cfg.attempt, `generator-${TABLE_NAMES.processedRecords}`),
    redaction: layout.redactionCounts(cfg.executionId, batch, cfg.attempt),
  };
  const extraColumns = promptInputs(cfg.analysis.promptTemplate);
  const template = requestTemplate(cfg.analysis);
  const input = new LineWriter(store.openWrite(paths.input));
  const errors = new LineWriter(store.openWrite(paths.errors));
  const processed = new LineWriter(store.openWrite(paths.processed));
  const byType: Record<string, number> = {};
  const redacted: Record<string, number> = {};
  const ctx = {
    executionId: cfg.executionId,
    batch,
    attempt: cfg.attempt,
    analysisVersion: cfg.analysisVersion,
    analysis: cfg.analysisName,
    now,
  };
  let lastId: string | undefined;
  let planned = 0;
  let alreadySettled = 0;
  // Redaction happens here, before any request is written: input.jsonl and all that follows hold only redacted text.
  const redactionCounts = cfg.analysis.redaction ? new LineWriter(store.openWrite(paths.redaction)) : undefined;
  type Open = { record: PlannedRecord; recordId: string; columns: Record<string, string | null> };
  const queue = new RedactionQueue<Open>(
    cfg.analysis.redaction,
    ports.redactor,
    cfg.limits.maxTranscriptChars,
    async (open, transcript, counts) => {
      const { record, recordId, columns } = open;
      const generated = generate(template, { recordId, transcript, columns }, cfg.limits);
      if (generated.kind === 'request') {
        await input.write(generated.line);
        if (redactionCounts && counts) {
          await redactionCounts.write(JSON.stringify({ record_id: recordId, counts }));
          for (const [type, n] of Object.entries(counts)) redacted[type] = (redacted[type] ?? 0) + n;
        }
        return;
      }
      byType[generated.type] = (byType[generated.type] ?? 0) + 1;
      await errors.write(JSON.stringify(errorRow(ctx, record, generated.type, generated.message, null)));
      const settled = settledByError({ ...ctx, maxRecordAttempts: Number.MAX_SAFE_INTEGER }, record, generated.type);
      if (settled) await processed.write(JSON.stringify(settled));
    },
  );
  const rows = span ? wh.stream(batchRecords((id) => wh.table(id), cfg.executionId, cfg.batch, cfg.attempt, span, cfg.resultsTable)) : [];
  for await (const row of rows) {
    const recordId = String(row.record_id);
    if (recordId === lastId) continue;
    lastId = recordId;
    planned++;
    if (row.staged !== true) throw new StagedInputGoneError(cfg.executionId, batch, num(row.row_number) ?? 0);
    const record = {
      recordId,
      batchId: num(row.batch_id) ?? 0,
      recordAttempt: (num(row.failed_attempts) ?? 0) + 1,
      settled: row.settled === true,
      committed: row.committed === true,
      finalError: row.final_error === true,
    };
    const ledger = ledgerState(record, cfg.maxRecordAttempts);
    if (ledger === 'settled') {
      alreadySettled++;
      continue;
    }
    if (ledger !== 'open') {
      alreadySettled++;
      await processed.write(JSON.stringify(processedRow(ctx, record, ledger.repair)));
      continue;
    }
    const columns = promptColumns(row.prompt_columns, extraColumns, recordId);
    const transcript = row.transcript === null || row.transcript === undefined ? null : String(row.transcript);
    await queue.add({ record, recordId, columns }, transcript);
  }
  await queue.flush();
  await redactionCounts?.close();
  await input.close();
  await errors.close();
  await processed.close();
  await ports.checkpoint?.('input');

  const jobParts = [cfg.executionId, batch, cfg.attempt];
  return {
    loads: [
      {
        table: TABLE_NAMES.errorTracking,
        path: paths.errors,
        rows: errors.lines,
        jobId: loadJobId('gen', [...jobParts, TABLE_NAMES.errorTracking]),
        checkpoint: 'errors',
      },
      {
        table: TABLE_NAMES.processedRecords,
        path: paths.processed,
        rows: processed.lines,
        jobId: loadJobId('gen', [...jobParts, TABLE_NAMES.processedRecords]),
        checkpoint: 'processed',
      },
    ],
    outcome: {
      records: planned,
      errorsByType: byType,
      manifest: {
        execution_id: cfg.executionId,
        batch,
        attempt: cfg.attempt,
        requests: input.lines,
        skipped: errors.lines,
        already_settled: alreadySettled,
        bytes: input.bytes,
        input_uri: input.lines > 0 ? gsUri(store.bucket, paths.input) : '',
        output_uri_prefix: gsUri(store.bucket, paths.output),
        model: modelResource(cfg.analysis.model),
        analysis: cfg.analysisName,
        created_at: now,
        ...(cfg.analysis.redaction ? { redacted } : {}),
      },
    },
  };
}

if (require.main === module) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { dlpRedactor } = require('../adapters/gcp/dlp-client') as typeof import('../adapters/gcp/dlp-client');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  void require('../adapters/gcp/main').runAsMain('generator', run, process.env, dlpRedactor);
}
