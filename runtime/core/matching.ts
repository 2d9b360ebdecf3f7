/**
 * Matching a batch's predictions to its planned records and deciding, per record, what is committed:
 * a result row, or an error row; and a `processed_records` row when the record is settled.
 *
 * A record may get several lines (a retried shard, a duplicated file): the first success wins, and
 * failing that the first error, in the order the files and lines are read (files sorted by name),
 * so that a run and its re-run decide alike. Results are handed on as soon as they are decided;
 * only the planned ids and the pending errors are held.
 */
import { AnalysisSpec, ErrorType, isRetryable, RecordStatus } from '../contract';
import { errorId } from './ids';
import { recordLabel } from './requests';
import type { Prediction, TokenUsage } from './responses';

export interface PlannedRecord {
  readonly recordId: string;
  readonly batchId: number;
  /** How many times the record has been sent, this time included. */
  readonly recordAttempt: number;
}

export interface BatchContext {
  readonly executionId: string;
  /** `batchKey(ref)`, for ids. */
  readonly batch: string;
  readonly attempt: number;
  readonly analysisVersion: string;
  readonly model: string;
  readonly vertexJob: string;
  readonly maxRecordAttempts: number;
  /** ISO timestamp written into every row. */
  readonly now: string;
}

export type ResultRow = Record<string, unknown>;

export interface ErrorRow {
  readonly error_id: string;
  readonly execution_id: string;
  readonly batch_id: number;
  readonly attempt: number;
  readonly record_id: string;
  readonly analysis_version: string;
  readonly error_type: ErrorType;
  readonly retryable: boolean;
  readonly record_attempt: number;
  readonly message: string | null;
  readonly vertex_job: string | null;
  readonly created_at: string;
}

export interface ProcessedRow {
  readonly record_id: string;
  readonly analysis_version: string;
  readonly status: RecordStatus;
  readonly attempts: number;
  readonly first_processed_execution_id: string;
  readonly batch_id: number;
  readonly processed_at: string;
}

export function errorRow(
  ctx: Pick<BatchContext, 'executionId' | 'batch' | 'attempt' | 'analysisVersion' | 'now'>,
  record: PlannedRecord,
  type: ErrorType,
  message: string,
  vertexJob: string | null,
): ErrorRow {
  return {
    error_id: errorId(ctx.executionId, ctx.batch, ctx.attempt, record.recordId, ctx.analysisVersion),
    execution_id: ctx.executionId,
    batch_id: record.batchId,
    attempt: ctx.attempt,
    record_id: record.recordId,
    analysis_version: ctx.analysisVersion,
    error_type: type,
    retryable: isRetryable(type),
    record_attempt: record.recordAttempt,
    message: message.slice(0, 2000),
    vertex_job: vertexJob,
    created_at: ctx.now,
  };
}

/** The `processed_records` row an error leads to, if the record is settled by it. */
export function settledByError(
  ctx: Pick<BatchContext, 'executionId' | 'analysisVersion' | 'maxRecordAttempts' | 'now'>,
  record: PlannedRecord,
  type: ErrorType,
): ProcessedRow | undefined {
  const status: RecordStatus | undefined = !isRetryable(type)
    ? 'failed'
    : record.recordAttempt >= ctx.maxRecordAttempts
      ? 'exhausted'
      : undefined;
  if (status === undefined) return undefined;
  return {
    record_id: record.recordId,
    analysis_version: ctx.analysisVersion,
    status,
    attempts: record.recordAttempt,
    first_processed_execution_id: ctx.executionId,
    batch_id: record.batchId,
    processed_at: ctx.now,
  };
}

interface Slot {
  readonly record: PlannedRecord;
  /** 0 unseen, 1 error pending, 2 succeeded. */
  state: 0 | 1 | 2;
  usage?: TokenUsage;
}

export interface BatchCounts {
  records: number;
  succeeded: number;
  failed: number;
  errorsByType: Partial<Record<ErrorType, number>>;
  tokensIn: number;
  tokensOut: number;
  /** Lines that named no planned record (or were not JSON). */
  unmatchedLines: number;
  /** Extra lines for a record already decided. */
  duplicateLines: number;
}

export class BatchMatcher {
  private readonly byLabel = new Map<string, Slot>();
  private readonly byId = new Map<string, Slot>();
  private readonly pending = new Map<string, { type: ErrorType; message: string }>();
  private tokensIn = 0;
  private tokensOut = 0;
  private unmatched = 0;
  private duplicates = 0;

  constructor(
    private readonly spec: AnalysisSpec,
    private readonly ctx: BatchContext,
  ) {}

  plan(record: PlannedRecord): void {
    if (this.byId.has(record.recordId)) return;
    const slot: Slot = { record, state: 0 };
    this.byId.set(record.recordId, slot);
    this.byLabel.set(recordLabel(record.recordId), slot);
  }

  get planned(): number {
    return this.byId.size;
  }

  private find(prediction: Prediction): Slot | undefined {
    if (prediction.markerId !== undefined) {
      const slot = this.byId.get(prediction.markerId);
      if (slot) return slot;
    }
    return prediction.label !== undefined ? this.byLabel.get(prediction.label) : undefined;
  }

  /** Takes one parsed line (undefined: not JSON); returns the result row when it decides a success. */
  accept(prediction: Prediction | undefined): ResultRow | undefined {
    const slot = prediction && this.find(prediction);
    if (!prediction || !slot) {
      this.unmatched++;
      return undefined;
    }
    if (slot.state === 2) {
      this.duplicates++;
      return undefined;
    }
    const outcome = prediction.outcome;
    if (outcome.kind === 'error') {
      if (slot.state === 1) {
        this.duplicates++;
        return undefined;
      }
      slot.state = 1;
      this.pending.set(slot.record.recordId, { type: outcome.type, message: outcome.message });
      return undefined;
    }
    if (slot.state === 1) {
      this.duplicates++;
      this.pending.delete(slot.record.recordId);
    }
    slot.state = 2;
    this.tokensIn += outcome.usage.promptTokens ?? 0;
    this.tokensOut += outcome.usage.outputTokens ?? 0;
    const ctx = this.ctx;
    const row: ResultRow = { record_id: slot.record.recordId, analysis_version: ctx.analysisVersion };
    for (const field of this.spec.fields) row[field.name] = outcome.values[field.name] ?? null;
    row.model = ctx.model;
    row.prompt_tokens = outcome.usage.promptTokens;
    row.output_tokens = outcome.usage.outputTokens;
    row.total_tokens = outcome.usage.totalTokens;
    row.finish_reason = outcome.finishReason;
    row.execution_id = ctx.executionId;
    row.batch_id = slot.record.batchId;
    row.vertex_job = ctx.vertexJob;
    row.processed_at = ctx.now;
    return row;
  }

  /**
   * Once every line has been read: the error rows (pending errors, and `missing_result` for records
   * with no line) and the `processed_records` rows, in plan order, with the batch's counts.
   */
  finish(): { errors: ErrorRow[]; processed: ProcessedRow[]; counts: BatchCounts } {
    const errors: ErrorRow[] = [];
    const processed: ProcessedRow[] = [];
    const errorsByType: Partial<Record<ErrorType, number>> = {};
    let succeeded = 0;
    for (const slot of this.byId.values()) {
      const record = slot.record;
      if (slot.state === 2) {
        succeeded++;
        processed.push({
          record_id: record.recordId,
          analysis_version: this.ctx.analysisVersion,
          status: 'succeeded',
          attempts: record.recordAttempt,
          first_processed_execution_id: this.ctx.executionId,
          batch_id: record.batchId,
          processed_at: this.ctx.now,
        });
        continue;
      }
      const failure = this.pending.get(record.recordId) ?? {
        type: 'missing_result' as const,
        message: 'no output line for this record',
      };
      errorsByType[failure.type] = (errorsByType[failure.type] ?? 0) + 1;
      errors.push(errorRow(this.ctx, record, failure.type, failure.message, this.ctx.vertexJob));
      const settled = settledByError(this.ctx, record, failure.type);
      if (settled) processed.push(settled);
    }
    return {
      errors,
      processed,
      counts: {
        records: this.byId.size,
        succeeded,
        failed: errors.length,
        errorsByType,
        tokensIn: this.tokensIn,
        tokensOut: this.tokensOut,
        unmatchedLines: this.unmatched,
        duplicateLines: this.duplicates,
      },
    };
  }
}
