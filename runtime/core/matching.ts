/**
 * Matching a batch attempt's predictions to its planned records and deciding, per record, what is
 * committed: a result row, or an error row; and a `processed_records` row when the record is settled.
 *
 * The ledger decides first: a record already settled gets nothing, a record already analysed gets
 * only its missing `processed_records` row, and any answer for either is dropped (its tokens still
 * count: Vertex AI bills it). A record may get several lines (a retried shard, a duplicated file):
 * the first success wins, and failing that the first error, in the order the files and lines are
 * read (files sorted by name), so that a run and its re-run decide alike. A record the attempt sent
 * that got no line is a `missing_result` error when the job SUCCEEDED, and is left open (no row)
 * when the job ended early. Results are handed on as soon as they are decided; what is held is a
 * 64-bit hash and a packed number per planned record, and the pending errors.
 */
import { AnalysisSpec, countsAttempt, ErrorType, isRetryable, PRIMARY_ANALYSIS, RecordStatus } from '../contract';
import { errorId } from './ids';
import { recordLabel } from './requests';
import type { Prediction } from './responses';

export interface PlannedRecord {
  readonly recordId: string;
  readonly batchId: number;
  /** How many times the record's own answer has been tried, this time included. */
  readonly recordAttempt: number;
  /** A result for the version is committed already: add no result, only its `processed_records` row. */
  readonly committed?: boolean;
  /** The record has its `processed_records` row: nothing to add. */
  readonly settled?: boolean;
  /** The record has a permanent error for the version: never sent again. */
  readonly finalError?: boolean;
}

/**
 * What the ledger says of a planned record before anything is sent: nothing left to do (`settled`);
 * only its missing `processed_records` row, with the status it must have (a commit cut short
 * between its loads left it out); or `open`: it needs an answer.
 */
export function ledgerState(record: PlannedRecord, maxRecordAttempts: number): 'settled' | 'open' | { readonly repair: RecordStatus } {
  if (record.settled) return 'settled';
  if (record.committed) return { repair: 'succeeded' };
  if (record.finalError) return { repair: 'failed' };
  if (record.recordAttempt > maxRecordAttempts) return { repair: 'exhausted' };
  return 'open';
}

/** The `processed_records` row of a record settled as `status`. */
export function processedRow(
  ctx: Pick<BatchContext, 'executionId' | 'analysisVersion' | 'now'>,
  record: PlannedRecord,
  status: RecordStatus,
): ProcessedRow {
  return {
    record_id: record.recordId,
    analysis_version: ctx.analysisVersion,
    status,
    // A record out of attempts was last tried in the attempt before this one.
    attempts: Math.max(1, status === 'exhausted' ? record.recordAttempt - 1 : record.recordAttempt),
    first_processed_execution_id: ctx.executionId,
    batch_id: record.batchId,
    processed_at: ctx.now,
  };
}

export interface BatchContext {
  readonly executionId: string;
  /** `batchKey(ref)`, for ids. */
  readonly batch: string;
  readonly attempt: number;
  readonly analysisVersion: string;
  /** Name of the analysis, written on error rows. @default - pass1 */
  readonly analysis?: string;
  readonly model: string;
  readonly vertexJob: string;
  readonly maxRecordAttempts: number;
  /** ISO timestamp written into every row. */
  readonly now: string;
  /**
   * Whether the Vertex AI job SUCCEEDED. When it ended otherwise, a record with no output line was
   * not answered: it stays open rather than becoming a `missing_result` error.
   */
  readonly jobSucceeded?: boolean;
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
  readonly counts_attempt: boolean;
  readonly analysis: string;
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
  ctx: Pick<BatchContext, 'executionId' | 'batch' | 'attempt' | 'analysisVersion' | 'analysis' | 'now'>,
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
    counts_attempt: countsAttempt(type),
    analysis: ctx.analysis ?? PRIMARY_ANALYSIS,
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
    : countsAttempt(type) && record.recordAttempt >= ctx.maxRecordAttempts
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

export interface BatchCounts {
  /** Planned records the attempt covered. */
  records: number;
  /** Records with a result: committed now, or before. */
  succeeded: number;
  /** Records that got an error row. */
  failed: number;
  /** Records sent that got no line from a job that did not succeed: left open. */
  unanswered: number;
  errorsByType: Partial<Record<ErrorType, number>>;
  tokensIn: number;
  tokensOut: number;
  /** Lines that named no planned record (or were not JSON). */
  unmatchedLines: number;
  /** Extra lines for a record already decided, or for one settled before this attempt. */
  duplicateLines: number;
}

/**
 * Per planned record, one number: `(batchId * 1024 + recordAttempt) * 4 + state`.
 */
function pack(batchId: number, attempt: number, state: number): number {
  return (batchId * 1024 + Math.min(attempt, 1023)) * 4 + state;
}

/** A row `settle()` hands on: a deferred result row, an error row, or a processed_records row. */
export type SettledRow =
  | { readonly kind: 'result'; readonly row: ResultRow }
  | { readonly kind: 'error'; readonly row: ErrorRow }
  | { readonly kind: 'processed'; readonly row: ProcessedRow };

const UNSEEN = 0;
const PENDING_ERROR = 1;
const SUCCEEDED = 2;
/** Settled or analysed before this attempt: not sent, and any answer for it is dropped. */
const DONE_BEFORE = 3;

/** Two independent 32-bit FNV-style hashes of a string: a 64-bit key. */
function hash64(text: string): [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b) ^ Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b) ^ Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  return [h1 >>> 0, h2 >>> 0];
}

/**
 * An open-addressing table from a 64-bit key to a small number, in typed arrays: about 20 bytes
 * per planned record, and no object per record, whatever the batch size.
 */
class KeyTable {
  private hi = new Uint32Array(1024);
  private lo = new Uint32Array(1024);
  /** value + 1; 0 marks an empty slot. */
  private values = new Float64Array(1024);
  size = 0;

  private slot(hi: number, lo: number): number {
    const mask = this.hi.length - 1;
    let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & mask;
    while (this.values[i] !== 0 && (this.hi[i] !== hi || this.lo[i] !== lo)) i = (i + 1) & mask;
    return i;
  }

  get(key: [number, number]): number | undefined {
    const i = this.slot(key[0], key[1]);
    return this.values[i] === 0 ? undefined : this.values[i]! - 1;
  }

  /** Sets a value; returns false if the key was already there. */
  set(key: [number, number], value: number, mustBeNew = false): boolean {
    const i = this.slot(key[0], key[1]);
    const existed = this.values[i] !== 0;
    if (existed && mustBeNew) return false;
    this.hi[i] = key[0];
    this.lo[i] = key[1];
    this.values[i] = value + 1;
    if (!existed && ++this.size * 2 > this.hi.length) this.grow();
    return true;
  }

  private grow(): void {
    const { hi, lo, values } = this;
    this.hi = new Uint32Array(hi.length * 2);
    this.lo = new Uint32Array(hi.length * 2);
    this.values = new Float64Array(hi.length * 2);
    for (let i = 0; i < hi.length; i++) {
      if (values[i] === 0) continue;
      const j = this.slot(hi[i]!, lo[i]!);
      this.hi[j] = hi[i]!;
      this.lo[j] = lo[i]!;
      this.values[j] = values[i]!;
    }
  }
}

/**
 * Matches a batch's lines to its planned records. Records are keyed by a 64-bit hash of their
 * label (see `recordLabel`), so the matcher holds no record ids: `settle()` takes the planned
 * records a second time, in plan order, to write their rows. Two planned ids with the same hash
 * (odds about 1 in 10^9 for 200,000 records) stop the batch with an error rather than mix them.
 */
export class BatchMatcher {
  private readonly table = new KeyTable();
  private readonly pending = new Map<string, { type: ErrorType; message: string }>();
  /** Results whose line named the record only by a hashed label: written once `settle()` meets the id. */
  private readonly deferred = new Map<string, ResultRow>();
  private tokensIn = 0;
  private tokensOut = 0;
  private unmatched = 0;
  private duplicates = 0;
  private settledCounts?: BatchCounts;

  constructor(
    private readonly spec: AnalysisSpec,
    private readonly ctx: BatchContext,
  ) {}

  plan(record: PlannedRecord): void {
    const state = ledgerState(record, this.ctx.maxRecordAttempts) === 'open' ? UNSEEN : DONE_BEFORE;
    const fresh = this.table.set(hash64(recordLabel(record.recordId)), pack(record.batchId, record.recordAttempt, state), true);
    if (!fresh) {
      throw new Error(`record ${record.recordId} is planned twice in this batch, or its label hash collides with another record's`);
    }
  }

  get planned(): number {
    return this.table.size;
  }

  /** Takes one parsed line (undefined: not JSON); returns the result row when it decides a success. */
  accept(prediction: Prediction | undefined): ResultRow | undefined {
    const label = prediction?.markerId !== undefined ? recordLabel(prediction.markerId) : prediction?.label;
    const key = label === undefined ? undefined : hash64(label);
    const packed = key && this.table.get(key);
    if (!prediction || !key || packed === undefined) {
      this.unmatched++;
      return undefined;
    }
    const state = packed % 4;
    // Vertex AI bills every answer it returned, whatever becomes of it here.
    this.tokensIn += prediction.outcome.usage.promptTokens ?? 0;
    this.tokensOut += prediction.outcome.usage.outputTokens ?? 0;
    // The id itself when known: from the marker, or a label that is the id; else the label, resolved in settle().
    const recordId = prediction.markerId ?? label!;
    const idKnown = prediction.markerId !== undefined || !label!.startsWith('h-');
    if (state === SUCCEEDED || state === DONE_BEFORE) {
      this.duplicates++;
      return undefined;
    }
    const outcome = prediction.outcome;
    if (outcome.kind === 'error') {
      if (state === PENDING_ERROR) {
        this.duplicates++;
        return undefined;
      }
      this.table.set(key, packed - state + PENDING_ERROR);
      this.pending.set(label!, { type: outcome.type, message: outcome.message });
      return undefined;
    }
    if (state === PENDING_ERROR) {
      this.duplicates++;
      this.pending.delete(label!);
    }
    this.table.set(key, packed - state + SUCCEEDED);
    const ctx = this.ctx;
    const row: ResultRow = { record_id: recordId, analysis_version: ctx.analysisVersion };
    for (const field of this.spec.fields) row[field.name] = outcome.values[field.name] ?? null;
    row.model = ctx.model;
    row.prompt_tokens = outcome.usage.promptTokens;
    row.output_tokens = outcome.usage.outputTokens;
    row.total_tokens = outcome.usage.totalTokens;
    row.finish_reason = outcome.finishReason;
    row.execution_id = ctx.executionId;
    row.batch_id = Math.floor(packed / 4096);
    row.vertex_job = ctx.vertexJob;
    row.processed_at = ctx.now;
    if (!idKnown) {
      this.deferred.set(label!, row);
      return undefined;
    }
    return row;
  }

  private counter = { records: 0, succeeded: 0, failed: 0, unanswered: 0, errorsByType: {} as Partial<Record<ErrorType, number>> };

  /** The rows one planned record settles into. */
  private rowsOf(record: PlannedRecord): SettledRow[] {
    const label = recordLabel(record.recordId);
    const packed = this.table.get(hash64(label));
    const state = packed === undefined ? undefined : packed % 4;
    if (state === undefined) throw new Error(`record ${record.recordId} was not planned when the lines were read: the plan changed`);
    this.counter.records++;
    if (state === DONE_BEFORE) {
      const ledger = ledgerState(record, this.ctx.maxRecordAttempts);
      if (typeof ledger === 'string') return [];
      if (ledger.repair === 'succeeded') this.counter.succeeded++;
      return [{ kind: 'processed', row: processedRow(this.ctx, record, ledger.repair) }];
    }
    if (state === SUCCEEDED) {
      this.counter.succeeded++;
      const out: SettledRow[] = [];
      const deferred = this.deferred.get(label);
      if (deferred) out.push({ kind: 'result', row: { ...deferred, record_id: record.recordId, batch_id: record.batchId } });
      out.push({ kind: 'processed', row: processedRow(this.ctx, record, 'succeeded') });
      return out;
    }
    const pending = this.pending.get(label);
    if (!pending && this.ctx.jobSucceeded === false) {
      this.counter.unanswered++;
      return [];
    }
    const failure = pending ?? { type: 'missing_result' as const, message: 'no output line for this record' };
    this.counter.errorsByType[failure.type] = (this.counter.errorsByType[failure.type] ?? 0) + 1;
    this.counter.failed++;
    const out: SettledRow[] = [{ kind: 'error', row: errorRow(this.ctx, record, failure.type, failure.message, this.ctx.vertexJob) }];
    const settled = settledByError(this.ctx, record, failure.type);
    if (settled) out.push({ kind: 'processed', row: settled });
    return out;
  }

  private close(): void {
    if (this.counter.records !== this.table.size) {
      throw new Error(`the plan has ${this.counter.records} records now but had ${this.table.size} when the lines were read`);
    }
    this.settledCounts = {
      ...this.counter,
      tokensIn: this.tokensIn,
      tokensOut: this.tokensOut,
      unmatchedLines: this.unmatched,
      duplicateLines: this.duplicates,
    };
  }

  /**
   * Once every line has been read, given the planned records again in plan order: the error rows
   * (pending errors, and `missing_result` for records with no line), the `processed_records` rows,
   * and the few deferred result rows. `counts` is complete once the iteration has ended.
   */
  async *settle(planned: AsyncIterable<PlannedRecord> | Iterable<PlannedRecord>): AsyncGenerator<SettledRow> {
    for await (const record of planned) yield* this.rowsOf(record);
    this.close();
  }

  /** The batch's counts, after `settle()` has been iterated to its end. */
  get counts(): BatchCounts {
    if (!this.settledCounts) throw new Error('counts are known once settle() has been iterated');
    return this.settledCounts;
  }

  /** `settle()` collected into arrays, for small batches and tests. */
  finish(planned: Iterable<PlannedRecord>): { results: ResultRow[]; errors: ErrorRow[]; processed: ProcessedRow[]; counts: BatchCounts } {
    const results: ResultRow[] = [];
    const errors: ErrorRow[] = [];
    const processed: ProcessedRow[] = [];
    for (const record of planned) {
      for (const s of this.rowsOf(record)) {
        if (s.kind === 'result') results.push(s.row);
        else if (s.kind === 'error') errors.push(s.row);
        else processed.push(s.row);
      }
    }
    this.close();
    return { results, errors, processed, counts: this.counts };
  }
}
