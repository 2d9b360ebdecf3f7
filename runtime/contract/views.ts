/**
 * The views of DESIGN §5, as one SQL text each for both warehouses (BigQuery, and DuckDB after its
 * adapter rewrites backtick names). `t` turns a table id into the warehouse's qualified name.
 */
import { TABLE_NAMES } from './tables';

export type TableResolver = (tableId: string) => string;

export const VIEW_NAMES = {
  batchStatus: 'batch_status',
  errorAnalysisLastHour: 'error_analysis_last_hour',
  pipelineMetrics: 'pipeline_metrics',
} as const;

export type ViewKey = keyof typeof VIEW_NAMES;

/**
 * The ORDER BY of "latest event first" within a batch. Events written in the same instant (a fast
 * local run, a coarse clock) are ordered by attempt, then by how far along the status is.
 */
export function batchStatusOrder(): string {
  return `event_time DESC, attempt DESC, CASE status WHEN 'succeeded' THEN 4 WHEN 'failed' THEN 4 WHEN 'empty' THEN 4 WHEN 'submitted' THEN 3 WHEN 'generated' THEN 2 ELSE 1 END DESC`;
}

/** Latest event of every batch: its current status. */
function batchStatus(t: TableResolver): string {
  return `SELECT execution_id, batch_id, attempt, status, vertex_job, vertex_state, records, succeeded, failed, message, event_time
FROM ${t(TABLE_NAMES.batchEvents)}
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY execution_id, batch_id ORDER BY ${batchStatusOrder()}) = 1`;
}

/** Errors of the last hour by type (the seed design's monitoring query). */
function errorAnalysisLastHour(t: TableResolver): string {
  return `SELECT error_type, COUNT(*) AS error_count, COUNT(DISTINCT record_id) AS records_affected, MAX(created_at) AS last_seen
FROM ${t(TABLE_NAMES.errorTracking)}
WHERE created_at >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 1 HOUR)
GROUP BY error_type`;
}

/** The five key success metrics, per execution. */
function pipelineMetrics(t: TableResolver): string {
  return `WITH batches AS (
  SELECT execution_id, batch_id,
    MAX(CASE WHEN status = 'succeeded' OR status = 'empty' THEN 1 ELSE 0 END) AS ever_succeeded,
    MIN(CASE WHEN status = 'failed' THEN event_time END) AS first_failure,
    MIN(CASE WHEN status = 'succeeded' THEN event_time END) AS first_success,
    MIN(event_time) AS first_event,
    MAX(event_time) AS last_event
  FROM ${t(TABLE_NAMES.batchEvents)}
  GROUP BY execution_id, batch_id
),
per_run AS (
  SELECT execution_id,
    COUNT(*) AS batches,
    SUM(ever_succeeded) AS batches_succeeded,
    MIN(first_event) AS started_at,
    MAX(last_event) AS finished_at,
    AVG(CASE WHEN first_failure IS NOT NULL AND first_success > first_failure
      THEN TIMESTAMP_DIFF(first_success, first_failure, SECOND) END) AS recovery_seconds
  FROM batches
  GROUP BY execution_id
),
planned AS (
  SELECT execution_id, MAX(records_total) AS records_total, MAX(skipped_dedup) AS skipped_dedup
  FROM ${t(TABLE_NAMES.executions)}
  GROUP BY execution_id
),
analysed AS (
  SELECT DISTINCT execution_id, record_id
  FROM ${t(TABLE_NAMES.results)}
),
errors AS (
  -- A record that failed in one attempt and was analysed in a later one of the same run is not an error.
  SELECT e.execution_id, COUNT(DISTINCT e.record_id) AS records_failed
  FROM ${t(TABLE_NAMES.errorTracking)} e
  LEFT JOIN analysed a ON a.execution_id = e.execution_id AND a.record_id = e.record_id
  WHERE a.record_id IS NULL
  GROUP BY e.execution_id
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
