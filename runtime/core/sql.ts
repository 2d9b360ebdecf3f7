/**
 * Every SQL statement the jobs issue, as pure text builders (BigQuery dialect). Table names come
 * through `Warehouse.table(id)`, values are `@name` parameters, identifiers are validated.
 *
 * The same texts run on DuckDB after its adapter rewrites backtick names and `@name` parameters, so
 * they keep to what both dialects accept:
 * - no `SELECT * EXCEPT`, no `SAFE.` prefixes, no STRUCT literals, no `ARRAY_AGG(... LIMIT)`;
 * - `QUALIFY` only after a `WHERE TRUE` (BigQuery wants a WHERE, GROUP BY or HAVING beside it);
 * - `COALESCE`, `CASE`, `COUNT(DISTINCT)`, window functions; no `COUNTIF`, `IF`, `DIV`;
 * - casts as `CAST(x AS STRING)` / `INT64` / `FLOAT64` / `BOOL` (the DuckDB adapter maps the names);
 * - no `SELECT` without `FROM` next to a `WHERE` (ZetaSQL rejects it): select from `(SELECT 1 AS one)`;
 * - timestamps are parameters of type TIMESTAMP given as ISO strings.
 * Each statement starts with an id comment, `-- tap:<id>`, that names it in logs and fakes.
 */
import { TABLE_NAMES } from '../contract';
import { isIdentifier } from './config';
import type { SqlParamTypes, SqlParams, Statement } from './ports';

/** Resolves a table id (or `project.dataset.table`) to the warehouse's quoted name. */
export type TableName = (tableId: string) => string;

/** Ids of every statement, as written in their first-line comment. */
export const STATEMENT_IDS = [
  'plan_assign',
  'plan_counts',
  'plan_skipped',
  'plan_preview',
  'plan_events',
  'plan_execution',
  'batch_records',
  'batch_planned',
  'report_plan',
  'report_batches',
  'report_results',
  'report_errors',
  'report_failed_records',
  'report_execution',
] as const;
export type StatementId = (typeof STATEMENT_IDS)[number];

function col(name: string): string {
  if (!isIdentifier(name)) throw new Error(`invalid column name "${name}"`);
  return `\`${name}\``;
}

function stmt(id: StatementId, body: string, params: SqlParams, types: SqlParamTypes): Statement {
  return { sql: `-- tap:${id}\n${body}`, params, types };
}

/** The id comment of a statement, or undefined. */
export function statementId(sql: string): string | undefined {
  return /^-- tap:([a-z_]+)/.exec(sql)?.[1];
}

export interface SourceRef {
  /** Qualified source table, `project.dataset.table`. */
  readonly table: string;
  readonly idColumn: string;
  readonly textColumn: string;
}

export interface PlanParams {
  readonly executionId: string;
  readonly analysisVersion: string;
  readonly batchSize: number;
  readonly maxRecordAttempts: number;
  /** At most this many records, or all. */
  readonly limit: number | null;
  readonly plannedAt: string;
}

/**
 * The records a plan would take, shared by `plan_assign` and `plan_preview`: every source id with
 * no `processed_records` row for the version, no permanent error for it, and fewer retryable
 * failed attempts than allowed; numbered in a stable order (by record id).
 */
function eligibleCte(t: TableName, source: SourceRef): string {
  return `source_ids AS (
  SELECT DISTINCT CAST(${col(source.idColumn)} AS STRING) AS record_id
  FROM ${t(source.table)}
  WHERE ${col(source.idColumn)} IS NOT NULL
),
settled AS (
  SELECT DISTINCT record_id FROM ${t(TABLE_NAMES.processedRecords)} WHERE analysis_version = @analysis_version
),
permanent AS (
  SELECT DISTINCT record_id FROM ${t(TABLE_NAMES.errorTracking)}
  WHERE analysis_version = @analysis_version AND NOT retryable
),
retried AS (
  SELECT record_id, COUNT(DISTINCT error_id) AS failed_attempts
  FROM ${t(TABLE_NAMES.errorTracking)}
  WHERE analysis_version = @analysis_version AND retryable
  GROUP BY record_id
),
eligible AS (
  SELECT s.record_id, COALESCE(r.failed_attempts, 0) + 1 AS record_attempt
  FROM source_ids s
  LEFT JOIN settled d ON d.record_id = s.record_id
  LEFT JOIN permanent p ON p.record_id = s.record_id
  LEFT JOIN retried r ON r.record_id = s.record_id
  WHERE d.record_id IS NULL AND p.record_id IS NULL AND COALESCE(r.failed_attempts, 0) < @max_record_attempts
),
numbered AS (
  SELECT record_id, record_attempt, ROW_NUMBER() OVER (ORDER BY record_id) AS row_number
  FROM eligible
)`;
}

const PLAN_TYPES: SqlParamTypes = {
  execution_id: 'STRING',
  analysis_version: 'STRING',
  batch_size: 'INT64',
  max_record_attempts: 'INT64',
  max_records: 'INT64',
  planned_at: 'TIMESTAMP',
};

function planParams(p: PlanParams): SqlParams {
  return {
    execution_id: p.executionId,
    analysis_version: p.analysisVersion,
    batch_size: p.batchSize,
    max_record_attempts: p.maxRecordAttempts,
    max_records: p.limit,
    planned_at: p.plannedAt,
  };
}

/**
 * Writes the plan snapshot in one statement: `batch_id = (row_number - 1) / batch_size`. It does
 * nothing when the execution already has a plan, so a retried planner cannot plan twice.
 */
export function planAssign(t: TableName, source: SourceRef, p: PlanParams): Statement {
  return stmt(
    'plan_assign',
    `INSERT INTO ${t(TABLE_NAMES.batchAssignments)} (execution_id, batch_id, row_number, record_id, analysis_version, record_attempt, planned_at)
WITH ${eligibleCte(t, source)}
SELECT @execution_id, CAST(FLOOR((row_number - 1) / @batch_size) AS INT64), row_number, record_id, @analysis_version, record_attempt, @planned_at
FROM numbered
WHERE (@max_records IS NULL OR row_number <= @max_records)
  AND NOT EXISTS (SELECT 1 FROM ${t(TABLE_NAMES.batchAssignments)} WHERE execution_id = @execution_id)`,
    planParams(p),
    PLAN_TYPES,
  );
}

/** What a plan would take, without writing it (dry run). */
export function planPreview(t: TableName, source: SourceRef, p: PlanParams): Statement {
  const { execution_id: _e, planned_at: _p, batch_size: _b, ...params } = planParams(p);
  const { execution_id: _te, planned_at: _tp, batch_size: _tb, ...types } = PLAN_TYPES;
  return stmt(
    'plan_preview',
    `WITH ${eligibleCte(t, source)}
SELECT COUNT(*) AS records
FROM numbered
WHERE (@max_records IS NULL OR row_number <= @max_records)`,
    params,
    types,
  );
}

/** Size of an execution's plan. */
export function planCounts(t: TableName, executionId: string): Statement {
  return stmt(
    'plan_counts',
    `SELECT COUNT(*) AS records, COALESCE(MAX(batch_id) + 1, 0) AS batch_count, MIN(analysis_version) AS analysis_version, MIN(planned_at) AS planned_at
FROM ${t(TABLE_NAMES.batchAssignments)}
WHERE execution_id = @execution_id`,
    { execution_id: executionId },
    { execution_id: 'STRING' },
  );
}

/** Source records left out of a plan because they are settled for the version. */
export function planSkipped(t: TableName, source: SourceRef, analysisVersion: string): Statement {
  return stmt(
    'plan_skipped',
    `WITH source_ids AS (
  SELECT DISTINCT CAST(${col(source.idColumn)} AS STRING) AS record_id
  FROM ${t(source.table)}
  WHERE ${col(source.idColumn)} IS NOT NULL
),
settled AS (
  SELECT record_id, MAX(CASE WHEN status = 'exhausted' THEN 1 ELSE 0 END) AS exhausted
  FROM ${t(TABLE_NAMES.processedRecords)}
  WHERE analysis_version = @analysis_version
  GROUP BY record_id
)
SELECT
  COALESCE(SUM(CASE WHEN d.exhausted = 0 THEN 1 ELSE 0 END), 0) AS skipped_dedup,
  COALESCE(SUM(CASE WHEN d.exhausted = 1 THEN 1 ELSE 0 END), 0) AS skipped_exhausted
FROM source_ids s
JOIN settled d ON d.record_id = s.record_id`,
    { analysis_version: analysisVersion },
    { analysis_version: 'STRING' },
  );
}

/** One `planned` event per batch of the plan, once. */
export function planEvents(t: TableName, executionId: string, eventTime: string): Statement {
  return stmt(
    'plan_events',
    `INSERT INTO ${t(TABLE_NAMES.batchEvents)} (execution_id, batch_id, attempt, status, records, event_time)
SELECT execution_id, batch_id, 0, 'planned', COUNT(*), @event_time
FROM ${t(TABLE_NAMES.batchAssignments)}
WHERE execution_id = @execution_id
  AND NOT EXISTS (SELECT 1 FROM ${t(TABLE_NAMES.batchEvents)} WHERE execution_id = @execution_id AND status = 'planned')
GROUP BY execution_id, batch_id`,
    { execution_id: executionId, event_time: eventTime },
    { execution_id: 'STRING', event_time: 'TIMESTAMP' },
  );
}

export interface ExecutionRow {
  readonly executionId: string;
  readonly status: 'planned' | 'succeeded' | 'failed';
  readonly analysisVersion: string;
  readonly params: string | null;
  readonly recordsTotal: number | null;
  readonly skippedDedup: number | null;
  readonly batchCount: number | null;
  readonly summary: string | null;
  readonly eventTime: string;
}

/**
 * Appends an `executions` row. With `once`, only when the execution has no row of that status yet
 * (the planner's row: a retried planner writes it once).
 */
export function insertExecution(t: TableName, row: ExecutionRow, once: boolean): Statement {
  const guard = once
    ? `\nWHERE NOT EXISTS (SELECT 1 FROM ${t(TABLE_NAMES.executions)} WHERE execution_id = @execution_id AND status = @status)`
    : '';
  return stmt(
    once ? 'plan_execution' : 'report_execution',
    `INSERT INTO ${t(TABLE_NAMES.executions)} (execution_id, status, analysis_version, params, records_total, skipped_dedup, batch_count, summary, event_time)
SELECT @execution_id, @status, @analysis_version, @params, @records_total, @skipped_dedup, @batch_count, @summary, @event_time
FROM (SELECT 1 AS one) AS single_row${guard}`,
    {
      execution_id: row.executionId,
      status: row.status,
      analysis_version: row.analysisVersion,
      params: row.params,
      records_total: row.recordsTotal,
      skipped_dedup: row.skippedDedup,
      batch_count: row.batchCount,
      summary: row.summary,
      event_time: row.eventTime,
    },
    {
      execution_id: 'STRING',
      status: 'STRING',
      analysis_version: 'STRING',
      params: 'STRING',
      records_total: 'INT64',
      skipped_dedup: 'INT64',
      batch_count: 'INT64',
      summary: 'STRING',
      event_time: 'TIMESTAMP',
    },
  );
}

/** A batch, by number or by row range (inclusive). */
export type BatchFilter = { readonly batchId: number } | { readonly startRow: number; readonly endRow: number };

function batchWhere(ref: BatchFilter, alias: string): { sql: string; params: SqlParams; types: SqlParamTypes } {
  if ('batchId' in ref) {
    return { sql: `${alias}.batch_id = @batch_id`, params: { batch_id: ref.batchId }, types: { batch_id: 'INT64' } };
  }
  return {
    sql: `${alias}.row_number BETWEEN @start_row AND @end_row`,
    params: { start_row: ref.startRow, end_row: ref.endRow },
    types: { start_row: 'INT64', end_row: 'INT64' },
  };
}

/**
 * The rows a generator sends: the batch's planned records joined to their source rows, in plan
 * order. A source id present twice gives two adjacent rows; the generator keeps the first.
 */
export function batchRecords(
  t: TableName,
  source: SourceRef,
  executionId: string,
  ref: BatchFilter,
  extraColumns: readonly string[],
): Statement {
  const where = batchWhere(ref, 'a');
  const extras = extraColumns.map((c) => `,\n  CAST(s.${col(c)} AS STRING) AS ${col(`col_${c}`)}`).join('');
  return stmt(
    'batch_records',
    `SELECT a.row_number, a.batch_id, a.record_id, a.record_attempt, CAST(s.${col(source.textColumn)} AS STRING) AS transcript${extras}
FROM ${t(TABLE_NAMES.batchAssignments)} a
LEFT JOIN ${t(source.table)} s ON CAST(s.${col(source.idColumn)} AS STRING) = a.record_id
WHERE a.execution_id = @execution_id AND ${where.sql}
ORDER BY a.row_number`,
    { execution_id: executionId, ...where.params },
    { execution_id: 'STRING', ...where.types },
  );
}

/**
 * The records a processor expects output for: the batch's planned records, minus those the
 * generator turned into permanent errors instead of requests (in any attempt of the execution: the
 * generator commits those once per batch). `committed` marks a record that already has a result
 * for the version from another Vertex AI job (a batch attempt that crashed between its loads and
 * was then run again): it gets its `processed_records` row, not a second result. Without a Vertex
 * AI job (null), `committed` is false for every record.
 */
export function batchPlanned(t: TableName, executionId: string, ref: BatchFilter, vertexJob: string | null = null): Statement {
  const where = batchWhere(ref, 'a');
  return stmt(
    'batch_planned',
    `SELECT a.record_id, a.batch_id, a.record_attempt,
  EXISTS (
    SELECT 1 FROM ${t(TABLE_NAMES.results)} r
    WHERE r.record_id = a.record_id AND r.analysis_version = a.analysis_version AND r.vertex_job <> @vertex_job
  ) AS committed
FROM ${t(TABLE_NAMES.batchAssignments)} a
WHERE a.execution_id = @execution_id AND ${where.sql}
  AND NOT EXISTS (
    SELECT 1 FROM ${t(TABLE_NAMES.errorTracking)} e
    WHERE e.execution_id = a.execution_id AND e.record_id = a.record_id AND e.analysis_version = a.analysis_version
      AND e.vertex_job IS NULL AND e.error_type IN ('empty_transcript', 'input_too_large')
  )
ORDER BY a.row_number`,
    { execution_id: executionId, vertex_job: vertexJob, ...where.params },
    { execution_id: 'STRING', vertex_job: 'STRING', ...where.types },
  );
}

/** The planner's `executions` row of a run: its start, version and size. */
export function reportPlan(t: TableName, executionId: string): Statement {
  return stmt(
    'report_plan',
    `SELECT analysis_version, records_total, skipped_dedup, batch_count, event_time
FROM ${t(TABLE_NAMES.executions)}
WHERE execution_id = @execution_id AND status = 'planned'
ORDER BY event_time
LIMIT 1`,
    { execution_id: executionId },
    { execution_id: 'STRING' },
  );
}

/** Per batch: whether it ever succeeded, whether it ever failed. */
export function reportBatches(t: TableName, executionId: string): Statement {
  return stmt(
    'report_batches',
    `SELECT batch_id,
  MAX(CASE WHEN status = 'succeeded' OR status = 'empty' THEN 1 ELSE 0 END) AS succeeded,
  MAX(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS ever_failed
FROM ${t(TABLE_NAMES.batchEvents)}
WHERE execution_id = @execution_id
GROUP BY batch_id
ORDER BY batch_id`,
    { execution_id: executionId },
    { execution_id: 'STRING' },
  );
}

/** Records analysed by the run and their tokens. */
export function reportResults(t: TableName, executionId: string, analysisVersion: string): Statement {
  return stmt(
    'report_results',
    `SELECT COUNT(DISTINCT record_id) AS records_succeeded,
  COALESCE(SUM(prompt_tokens), 0) AS tokens_in,
  COALESCE(SUM(output_tokens), 0) AS tokens_out,
  MIN(model) AS model
FROM ${t(TABLE_NAMES.results)}
WHERE execution_id = @execution_id AND analysis_version = @analysis_version`,
    { execution_id: executionId, analysis_version: analysisVersion },
    { execution_id: 'STRING', analysis_version: 'STRING' },
  );
}

/** Records in error by type, for the run. */
export function reportErrors(t: TableName, executionId: string): Statement {
  return stmt(
    'report_errors',
    `SELECT error_type, COUNT(DISTINCT record_id) AS records
FROM ${t(TABLE_NAMES.errorTracking)}
WHERE execution_id = @execution_id
GROUP BY error_type
ORDER BY error_type`,
    { execution_id: executionId },
    { execution_id: 'STRING' },
  );
}

/** Records of the run that ended in an error and never got a result in it. */
export function reportFailedRecords(t: TableName, executionId: string, analysisVersion: string): Statement {
  return stmt(
    'report_failed_records',
    `SELECT COUNT(DISTINCT e.record_id) AS records_failed
FROM ${t(TABLE_NAMES.errorTracking)} e
LEFT JOIN (
  SELECT DISTINCT record_id FROM ${t(TABLE_NAMES.results)}
  WHERE execution_id = @execution_id AND analysis_version = @analysis_version
) r ON r.record_id = e.record_id
WHERE e.execution_id = @execution_id AND r.record_id IS NULL`,
    { execution_id: executionId, analysis_version: analysisVersion },
    { execution_id: 'STRING', analysis_version: 'STRING' },
  );
}
