/**
 * The views of DESIGN §5, as one SQL text each for both warehouses (BigQuery, and DuckDB after its
 * adapter rewrites backtick names). `t` turns a table id into the warehouse's qualified name.
 */
import { BATCH_STATUS_RANK, TABLE_NAMES } from './tables';

export type TableResolver = (tableId: string) => string;

export const VIEW_NAMES = {
  batchStatus: 'batch_status',
  errorAnalysisLastHour: 'error_analysis_last_hour',
  pipelineMetrics: 'pipeline_metrics',
} as const;

export type ViewKey = keyof typeof VIEW_NAMES;

/**
 * The ORDER BY of "current event first" within a batch: the latest attempt, then the furthest
 * status within it (`BATCH_STATUS_RANK`). Clocks only break what is left: they differ between
 * writers, and a laptop's virtual clock runs ahead of the wall clock.
 */
export function batchEventOrder(): string {
  const ranks = Object.entries(BATCH_STATUS_RANK)
    .map(([status, rank]) => `WHEN '${status}' THEN ${rank}`)
    .join(' ');
  return `attempt DESC, CASE status ${ranks} ELSE -1 END DESC, event_time DESC`;
}

/**
 * Every batch's current status: the current event of its attempts over the whole batch. Attempts
 * over some of its rows (row-range recovery, `start_row` set) are history, not its status.
 */
function batchStatus(t: TableResolver): string {
  return `SELECT execution_id, batch_id, attempt, status, vertex_job, vertex_state, records, succeeded, failed, open, tokens_in, tokens_out, message, event_time
FROM ${t(TABLE_NAMES.batchEvents)}
WHERE start_row IS NULL
QUALIFY ROW_NUMBER() OVER (PARTITION BY execution_id, batch_id ORDER BY ${batchEventOrder()}) = 1`;
}

/** Errors of the last hour by type (the seed design's monitoring query). */
function errorAnalysisLastHour(t: TableResolver): string {
  return `SELECT error_type, COUNT(*) AS error_count, COUNT(DISTINCT record_id) AS records_affected, MAX(created_at) AS last_seen
FROM ${t(TABLE_NAMES.errorTracking)}
WHERE created_at >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 1 HOUR)
GROUP BY error_type`;
}

/**
 * The five key success metrics, per execution, with the run summary's definitions
 * (`runtime/core/summary.ts`): a batch succeeded when its current status is `succeeded` or `empty`;
 * a record is in error when it is settled by an error (failed or exhausted) and has no result.
 */
function pipelineMetrics(t: TableResolver): string {
  return `WITH current_status AS (
  SELECT execution_id, batch_id, status
  FROM ${t(TABLE_NAMES.batchEvents)}
  WHERE start_row IS NULL
  QUALIFY ROW_NUMBER() OVER (PARTITION BY execution_id, batch_id ORDER BY ${batchEventOrder()}) = 1
),
history AS (
  SELECT execution_id, batch_id,
    MIN(CASE WHEN status = 'failed' THEN event_time END) AS first_failure,
    MIN(CASE WHEN status = 'succeeded' OR status = 'empty' THEN event_time END) AS first_success,
    MIN(event_time) AS first_event,
    MAX(event_time) AS last_event
  FROM ${t(TABLE_NAMES.batchEvents)}
  GROUP BY execution_id, batch_id
),
per_run AS (
  SELECT h.execution_id,
    COUNT(*) AS batches,
    SUM(CASE WHEN c.status = 'succeeded' OR c.status = 'empty' THEN 1 ELSE 0 END) AS batches_succeeded,
    MIN(h.first_event) AS started_at,
    MAX(h.last_event) AS finished_at,
    AVG(CASE WHEN h.first_failure IS NOT NULL AND h.first_success > h.first_failure
      THEN TIMESTAMP_DIFF(h.first_success, h.first_failure, SECOND) END) AS recovery_seconds
  FROM history h
  JOIN current_status c ON c.execution_id = h.execution_id AND c.batch_id = h.batch_id
  GROUP BY h.execution_id
),
planned AS (
  SELECT execution_id, MAX(records_total) AS records_total, MAX(skipped_dedup) AS skipped_dedup
  FROM ${t(TABLE_NAMES.executions)}
  GROUP BY execution_id
),
plan_records AS (
  SELECT DISTINCT execution_id, record_id, analysis_version
  FROM ${t(TABLE_NAMES.batchAssignments)}
),
analysed AS (
  SELECT DISTINCT record_id, analysis_version
  FROM ${t(TABLE_NAMES.results)}
),
settled_by_error AS (
  SELECT DISTINCT record_id, analysis_version
  FROM ${t(TABLE_NAMES.processedRecords)}
  WHERE status <> 'succeeded'
),
errors AS (
  SELECT a.execution_id, COUNT(*) AS records_failed
  FROM plan_records a
  JOIN settled_by_error f ON f.record_id = a.record_id AND f.analysis_version = a.analysis_version
  LEFT JOIN analysed n ON n.record_id = a.record_id AND n.analysis_version = a.analysis_version
  WHERE n.record_id IS NULL
  GROUP BY a.execution_id
)
SELECT r.execution_id, r.batches, r.batches_succeeded,
  r.batches_succeeded / NULLIF(r.batches, 0) AS batch_success_rate,
  r.batches / NULLIF(TIMESTAMP_DIFF(r.finished_at, r.started_at, SECOND) / 3600.0, 0) AS batches_per_hour,
  COALESCE(e.records_failed, 0) / NULLIF(p.records_total, 0) AS record_error_rate,
  p.skipped_dedup / NULLIF(p.records_total + p.skipped_dedup, 0) AS deduplication_rate,
  r.recovery_seconds,
  r.started_at, r.finished_at
FROM per_run r
LEFT JOIN planned p ON p.execution_id = r.execution_id
LEFT JOIN errors e ON e.execution_id = r.execution_id`;
}

const BUILDERS: Readonly<Record<ViewKey, (t: TableResolver) => string>> = {
  batchStatus,
  errorAnalysisLastHour,
  pipelineMetrics,
};

/** The SQL of a view, with table names resolved by `t`. */
export function viewSql(view: ViewKey, t: TableResolver): string {
  return BUILDERS[view](t);
}

export const VIEW_KEYS = Object.keys(VIEW_NAMES) as ViewKey[];
