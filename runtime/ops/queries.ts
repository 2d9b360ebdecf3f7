/**
 * The operator's questions, as SQL over the pipeline's tables: one text for BigQuery and DuckDB
 * (through the `Warehouse` port, whose `table()` names tables in its own dialect), values passed as
 * parameters. Rows come back normalised: numbers as numbers, timestamps as ISO strings.
 */
import type { Statement, Warehouse } from '../core/ports';
import { batchEventOrder, ErrorType, PRIMARY_ANALYSIS, resultsTableName, SummaryDocument, TABLE_NAMES, TableKey } from '../contract';
import { runSummary } from '../core/summary';

/** What the operator commands need from a warehouse: names and queries. */
export type OpsWarehouse = Pick<Warehouse, 'table' | 'query'>;

/** Table ids, when the deployment renamed some (only the results table and the source can be). */
export type TableIds = Partial<Record<TableKey, string>>;

export class OpsQueries {
  constructor(
    private readonly warehouse: OpsWarehouse,
    private readonly tableIds: TableIds = {},
  ) {}

  private t(key: TableKey): string {
    return this.warehouse.table(this.tableIds[key] ?? TABLE_NAMES[key]);
  }

  /** The warehouse with the deployment's table ids in place of the contract's defaults. */
  private get named(): OpsWarehouse {
    const byDefault = new Map(Object.entries(this.tableIds).map(([key, id]) => [TABLE_NAMES[key as TableKey], id!]));
    return { table: (id) => this.warehouse.table(byDefault.get(id) ?? id), query: (s) => this.warehouse.query(s) };
  }

  /** The run's summary as the tables tell it now: the reporter's computation (`runSummary`). */
  summary(executionId: string, now: Date): Promise<SummaryDocument> {
    return runSummary(this.named, executionId, now);
  }

  private run<T>(statement: Statement): Promise<T[]> {
    return this.warehouse.query<T>(statement);
  }

  /** The most recent executions, newest first. */
  async recentExecutions(limit = 5): Promise<ExecutionInfo[]> {
    const rows = await this.run<Record<string, unknown>>({
      sql: `SELECT execution_id, MIN(event_time) AS started_at, MAX(event_time) AS last_update,
  MAX(CASE WHEN status <> 'planned' THEN status END) AS finished_status,
  MAX(records_total) AS records_total, MAX(batch_count) AS batch_count
FROM ${this.t('executions')}
GROUP BY execution_id
ORDER BY started_at DESC
LIMIT @limit`,
      params: { limit },
      types: { limit: 'INT64' },
    });
    return rows.map(executionInfo);
  }

  /** The execution's rows in `executions`: its plan and, once finished, its summary. */
  async execution(executionId: string): Promise<ExecutionRecord | undefined> {
    const rows = await this.run<Record<string, unknown>>({
      sql: `SELECT status, analysis_version, params, records_total, skipped_dedup, batch_count, summary, event_time
FROM ${this.t('executions')}
WHERE execution_id = @execution_id
ORDER BY event_time`,
      params: { execution_id: executionId },
    });
    if (rows.length === 0) return undefined;
    const planned = rows.find((r) => r.status === 'planned') ?? rows[0]!;
    const finished = [...rows].reverse().find((r) => r.status !== 'planned');
    const summaryText = finished?.summary;
    return {
      executionId,
      analysisVersion: String(planned.analysis_version ?? ''),
      params: parseJsonObject(planned.params),
      recordsTotal: num(planned.records_total),
      skippedDedup: num(planned.skipped_dedup),
      batchCount: num(planned.batch_count),
      plannedAt: iso(planned.event_time),
      status: finished ? String(finished.status) : 'running',
      finishedAt: finished ? iso(finished.event_time) : null,
      summary: typeof summaryText === 'string' && summaryText ? (JSON.parse(summaryText) as SummaryDocument) : null,
    };
  }

  /**
   * Each batch's current event (its latest attempt over the whole batch, see `batchEventOrder`),
   * with its attempts and failed attempts so far (row-range attempts included).
   */
  async batches(executionId: string): Promise<BatchState[]> {
    const rows = await this.run<Record<string, unknown>>({
      sql: `SELECT batch_id, attempt, status, vertex_job, vertex_state, succeeded, failed, open, message, event_time, records, attempts, failures
FROM (
  SELECT batch_id, attempt, status, vertex_job, vertex_state, succeeded, failed, open, message, event_time, start_row,
    MAX(records) OVER (PARTITION BY batch_id) AS records,
    MAX(attempt) OVER (PARTITION BY batch_id) AS attempts,
    COUNT(DISTINCT CASE WHEN status = 'failed' THEN attempt END) OVER (PARTITION BY batch_id) AS failures,
    ROW_NUMBER() OVER (PARTITION BY batch_id, start_row IS NULL ORDER BY ${batchEventOrder()}) AS position
  FROM ${this.t('batchEvents')}
  WHERE execution_id = @execution_id
) AS ranked
WHERE position = 1 AND start_row IS NULL
ORDER BY batch_id`,
      params: { execution_id: executionId },
    });
    return rows.map((r) => ({
      batchId: num(r.batch_id),
      attempt: num(r.attempt),
      attempts: num(r.attempts),
      failures: num(r.failures),
      status: String(r.status),
      vertexJob: str(r.vertex_job),
      vertexState: str(r.vertex_state),
      records: numOrNull(r.records),
      succeeded: numOrNull(r.succeeded),
      failed: numOrNull(r.failed),
      open: numOrNull(r.open),
      message: str(r.message),
      eventTime: iso(r.event_time)!,
    }));
  }

  /** Terminal batch events (succeeded, failed, empty) in time order: the run's timeline. */
  async outcomes(executionId: string): Promise<BatchOutcome[]> {
    const rows = await this.run<Record<string, unknown>>({
      sql: `SELECT batch_id, attempt, status, records, succeeded, failed, event_time
FROM ${this.t('batchEvents')}
WHERE execution_id = @execution_id AND status IN ('succeeded', 'failed', 'empty')
ORDER BY event_time, batch_id, attempt`,
      params: { execution_id: executionId },
    });
    return rows.map((r) => ({
      batchId: num(r.batch_id),
      attempt: num(r.attempt),
      status: String(r.status) as BatchOutcome['status'],
      records: num(r.records),
      succeeded: num(r.succeeded),
      failed: num(r.failed),
      eventTime: iso(r.event_time)!,
    }));
  }

  /** First and last event of the execution's batches. */
  async span(executionId: string): Promise<{ start: string | null; end: string | null }> {
    const [row] = await this.run<Record<string, unknown>>({
      sql: `SELECT MIN(event_time) AS start_time, MAX(event_time) AS end_time
FROM ${this.t('batchEvents')}
WHERE execution_id = @execution_id`,
      params: { execution_id: executionId },
    });
    return { start: iso(row?.start_time), end: iso(row?.end_time) };
  }

  /** Error rows by type: rows, and distinct records. */
  async errorsByType(executionId: string): Promise<ErrorCount[]> {
    const rows = await this.run<Record<string, unknown>>({
      sql: `SELECT error_type, COUNT(*) AS error_rows, COUNT(DISTINCT record_id) AS records
FROM ${this.t('errorTracking')}
WHERE execution_id = @execution_id
GROUP BY error_type
ORDER BY error_rows DESC, error_type`,
      params: { execution_id: executionId },
    });
    return rows.map((r) => ({ errorType: String(r.error_type), rows: num(r.error_rows), records: num(r.records) }));
  }

  /** Records the execution left in error: in error_tracking and never analysed in this execution. */
  async recordsFailed(executionId: string): Promise<number> {
    const results = await this.resultsOf(executionId);
    const [row] = await this.run<Record<string, unknown>>({
      sql: `SELECT COUNT(DISTINCT e.record_id) AS n
FROM ${this.t('errorTracking')} e
LEFT JOIN (SELECT DISTINCT record_id FROM ${results} WHERE execution_id = @execution_id) r ON r.record_id = e.record_id
WHERE e.execution_id = @execution_id AND r.record_id IS NULL`,
      params: { execution_id: executionId },
    });
    return num(row?.n);
  }

  /** Results committed by the execution, with their tokens, per model. */
  async resultsByModel(executionId: string): Promise<{ model: string; records: number; tokensIn: number; tokensOut: number }[]> {
    const results = await this.resultsOf(executionId);
    const rows = await this.run<Record<string, unknown>>({
      sql: `SELECT model, COUNT(*) AS records, COALESCE(SUM(prompt_tokens), 0) AS tokens_in, COALESCE(SUM(output_tokens), 0) AS tokens_out
FROM ${results}
WHERE execution_id = @execution_id
GROUP BY model
ORDER BY model`,
      params: { execution_id: executionId },
    });
    return rows.map((r) => ({ model: String(r.model), records: num(r.records), tokensIn: num(r.tokens_in), tokensOut: num(r.tokens_out) }));
  }

  /**
   * The results table of the analysis an execution ran: the one its plan names (the planner keeps
   * it with the plan; runs from before several analyses ran pass1).
   */
  private async resultsOf(executionId: string): Promise<string> {
    const [plan] = await this.run<Record<string, unknown>>({
      sql: `SELECT params FROM ${this.t('executions')} WHERE execution_id = @execution_id AND status = 'planned' LIMIT 1`,
      params: { execution_id: executionId },
    });
    let analysis = PRIMARY_ANALYSIS;
    try {
      const params = typeof plan?.params === 'string' ? (JSON.parse(plan.params) as { analysis?: unknown }) : {};
      if (typeof params.analysis === 'string') analysis = params.analysis;
    } catch {
      // Unreadable params: a run from before several analyses.
    }
    return analysis === PRIMARY_ANALYSIS ? this.t('results') : this.warehouse.table(resultsTableName(analysis));
  }

  /** What `clear-history` would delete: the execution's results, and the `processed_records` rows that settle them. */
  async historyCounts(executionId: string): Promise<{ processedRecords: number; results: number }> {
    const results = await this.resultsOf(executionId);
    const [p] = await this.run<Record<string, unknown>>({
      sql: `SELECT COUNT(*) AS n FROM ${this.t('processedRecords')} p
WHERE p.status = 'succeeded' AND EXISTS (
  SELECT 1 FROM ${results} r
  WHERE r.execution_id = @execution_id AND r.record_id = p.record_id AND r.analysis_version = p.analysis_version
)`,
      params: { execution_id: executionId },
    });
    const [r] = await this.run<Record<string, unknown>>({
      sql: `SELECT COUNT(*) AS n FROM ${results} WHERE execution_id = @execution_id`,
      params: { execution_id: executionId },
    });
    return { processedRecords: num(p?.n), results: num(r?.n) };
  }

  /**
   * Forgets what the execution analysed, so that the next run analyses those records again: the
   * `processed_records` rows that settle its results (whichever run wrote them), then its results.
   * Errors stay, as history. In that order, a crash between the two leaves records with a result and
   * no `processed_records` row, which the next run settles without sending them (clear-history can
   * simply be run again); the other order would leave records settled with no result at all.
   */
  async clearHistory(executionId: string): Promise<void> {
    const results = await this.resultsOf(executionId);
    await this.run({
      sql: `DELETE FROM ${this.t('processedRecords')} p
WHERE p.status = 'succeeded' AND EXISTS (
  SELECT 1 FROM ${results} r
  WHERE r.execution_id = @execution_id AND r.record_id = p.record_id AND r.analysis_version = p.analysis_version
)`,
      params: { execution_id: executionId },
    });
    await this.run({ sql: `DELETE FROM ${results} WHERE execution_id = @execution_id`, params: { execution_id: executionId } });
  }
}

export interface ExecutionInfo {
  readonly executionId: string;
  readonly startedAt: string | null;
  readonly lastUpdate: string | null;
  readonly status: string;
  readonly recordsTotal: number;
  readonly batchCount: number;
}

export interface ExecutionRecord {
  readonly executionId: string;
  readonly analysisVersion: string;
  readonly params: Record<string, unknown>;
  readonly recordsTotal: number;
  readonly skippedDedup: number;
  readonly batchCount: number;
  readonly plannedAt: string | null;
  /** `running` until the reporter writes the final row. */
  readonly status: string;
  readonly finishedAt: string | null;
  readonly summary: SummaryDocument | null;
}

export interface BatchState {
  readonly batchId: number;
  /** Attempt of the latest event. */
  readonly attempt: number;
  /** Highest attempt seen. */
  readonly attempts: number;
  /** Failed attempts so far. */
  readonly failures: number;
  readonly status: string;
  readonly vertexJob: string | null;
  readonly vertexState: string | null;
  readonly records: number | null;
  readonly succeeded: number | null;
  readonly failed: number | null;
  /** Records the attempt sent that got no answer (still open). */
  readonly open: number | null;
  readonly message: string | null;
  readonly eventTime: string;
}

export interface BatchOutcome {
  readonly batchId: number;
  readonly attempt: number;
  readonly status: 'succeeded' | 'failed' | 'empty';
  readonly records: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly eventTime: string;
}

export interface ErrorCount {
  readonly errorType: ErrorType | string;
  readonly rows: number;
  readonly records: number;
}

function executionInfo(r: Record<string, unknown>): ExecutionInfo {
  return {
    executionId: String(r.execution_id),
    startedAt: iso(r.started_at),
    lastUpdate: iso(r.last_update),
    status: str(r.finished_status) ?? 'running',
    recordsTotal: num(r.records_total),
    batchCount: num(r.batch_count),
  };
}

/** A number from BigQuery (number, numeric string) or DuckDB (number, bigint); null counts as 0. */
export function num(v: unknown): number {
  return numOrNull(v) ?? 0;
}

export function numOrNull(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  if (typeof v === 'object' && v !== null && 'value' in v) return numOrNull((v as { value: unknown }).value);
  return null;
}

export function str(v: unknown): string | null {
  return v === null || v === undefined || v === '' ? null : String(v);
}

/** A timestamp from BigQuery (`BigQueryTimestamp` with `.value`), DuckDB (Date or text) or ISO text. */
export function iso(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object' && 'value' in v) return iso((v as { value: unknown }).value);
  if (typeof v === 'number') return new Date(v).toISOString();
  const text = String(v);
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : text.replace(' ', 'T') + 'Z');
  return Number.isNaN(d.getTime()) ? text : d.toISOString();
}

function parseJsonObject(v: unknown): Record<string, unknown> {
  if (typeof v !== 'string' || v === '') return {};
  try {
    const parsed = JSON.parse(v) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
