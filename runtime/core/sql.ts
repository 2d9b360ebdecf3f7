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
import { batchEventOrder, BatchRef, FREE_ERROR_TYPES, TABLE_NAMES } from '../contract';
import { isIdentifier } from './config';
import type { SqlParamTypes, SqlParams, Statement } from './ports';

/** Resolves a table id (or `project.dataset.table`) to the warehouse's quoted name. */
export type TableName = (tableId: string) => string;

/** Ids of every statement, as written in their first-line comment. */
export const STATEMENT_IDS = [
  'plan_assign',
  'plan_stage',
  'plan_counts',
  'plan_skipped',
  'plan_preview',
  'plan_measure',
  'plan_events',
  'plan_execution',
  'batch_span',
  'batch_records',
  'batch_planned',
  'report_plan',
  'report_records',
  'report_batches',
  'report_errors',
  'report_usage',
  'report_execution',
  'clock_latest',
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
  /** The column saying when each source row was written, if the source has one (see `notForgotten`). */
  readonly ingestedColumn?: string;
  /**
   * For a chained analysis: the upstream's results table and current version. Only source records
   * with a result there under that version are planned.
   */
  readonly upstream?: UpstreamRef;
}

export interface UpstreamRef {
  /** Results table id of the upstream analysis. */
  readonly table: string;
  readonly version: string;
}

/** An upstream field a chained prompt names: `{pass1.summary}` is key `pass1.summary`, column `summary`. */
export interface UpstreamField {
  readonly key: string;
  readonly column: string;
  /** A REPEATED column (`string_array`), staged as its values joined by ", ". */
  readonly repeated: boolean;
}

export interface PlanParams {
  readonly executionId: string;
  readonly analysisVersion: string;
  /** Rows of each batch before the tail (see `BatchLayout`). */
  readonly batchSize: number;
  /** Where the plan's tail of smaller batches starts, and their size; none: one size throughout. */
  readonly tail?: { readonly firstBatch: number; readonly batchSize: number };
  /** At most this many records, or all. */
  readonly limit: number | null;
  readonly plannedAt: string;
}

/**
 * SQL truth value of "this error row uses up one of the record's attempts": the record's own answer
 * failed. Rows written before `counts_attempt` existed count, unless their type never does.
 */
function countsAttempt(typeColumn: string, flagColumn: string): string {
  const free = FREE_ERROR_TYPES.map((t) => `'${t}'`).join(', ');
  return `COALESCE(${flagColumn}, ${typeColumn} NOT IN (${free}))`;
}

/**
 * The records a plan would take, shared by `plan_assign` and `plan_preview`: every source id with
 * no `processed_records` row for the version, numbered in a stable order (by record id).
 * `processed_records` is the one record of what is settled: a record whose result, permanent error
 * or last allowed failure is in but whose `processed_records` row is not (a commit cut short) is
 * planned again, and its generator writes that row without sending it (see `ledgerState`).
 */
function eligibleCte(t: TableName, source: SourceRef): string {
  return `${sourceIdsCte(t, source)},
settled AS (
  SELECT DISTINCT record_id FROM ${t(TABLE_NAMES.processedRecords)} WHERE analysis_version = @analysis_version
),
retried AS (
  SELECT record_id, COUNT(DISTINCT error_id) AS failed_attempts
  FROM ${t(TABLE_NAMES.errorTracking)}
  WHERE analysis_version = @analysis_version AND retryable AND ${countsAttempt('error_type', 'counts_attempt')}
  GROUP BY record_id
),
eligible AS (
  SELECT s.record_id, COALESCE(r.failed_attempts, 0) + 1 AS record_attempt
  FROM source_ids s
  LEFT JOIN settled d ON d.record_id = s.record_id
  LEFT JOIN retried r ON r.record_id = s.record_id
  WHERE d.record_id IS NULL
),
numbered AS (
  SELECT record_id, record_attempt, ROW_NUMBER() OVER (ORDER BY record_id) AS row_number
  FROM eligible
)`;
}

/**
 * The records an analysis may plan: every source id, or for a chained analysis those with a result
 * of the upstream under its current version (`@upstream_version`).
 */
function sourceIdsCte(t: TableName, source: SourceRef): string {
  if (!source.upstream) {
    return `source_ids AS (
  SELECT DISTINCT CAST(s.${col(source.idColumn)} AS STRING) AS record_id
  FROM ${t(source.table)} s
  WHERE s.${col(source.idColumn)} IS NOT NULL
    AND ${notForgotten(t, source)}
)`;
  }
  return `source_ids AS (
  SELECT DISTINCT CAST(s.${col(source.idColumn)} AS STRING) AS record_id
  FROM ${t(source.table)} s
  JOIN ${t(source.upstream.table)} u ON u.record_id = CAST(s.${col(source.idColumn)} AS STRING) AND u.analysis_version = @upstream_version
  WHERE s.${col(source.idColumn)} IS NOT NULL
    AND ${notForgotten(t, source)}
)`;
}

/**
 * SQL truth value of "source row `s` is not of a forgotten record" (`tapctl forget`, which keeps
 * only the SHA-256 of each id): a forgotten record is planned again only when its row was written
 * after the erasure (it came back in the source); a source without a column saying when rows were
 * written never plans it again.
 */
function notForgotten(t: TableName, source: SourceRef): string {
  const cameBack = source.ingestedColumn ? ` AND f.forgotten_at >= s.${col(source.ingestedColumn)}` : '';
  return `NOT EXISTS (
      SELECT 1 FROM ${t(TABLE_NAMES.forgotten)} f
      WHERE f.record_hash = LOWER(TO_HEX(SHA256(CAST(s.${col(source.idColumn)} AS STRING))))${cameBack}
    )`;
}

function upstreamParams(source: SourceRef): { params: SqlParams; types: SqlParamTypes } {
  return source.upstream
    ? { params: { upstream_version: source.upstream.version }, types: { upstream_version: 'STRING' } }
    : { params: {}, types: {} };
}

const PLAN_TYPES: SqlParamTypes = {
  execution_id: 'STRING',
  analysis_version: 'STRING',
  batch_size: 'INT64',
  max_records: 'INT64',
  planned_at: 'TIMESTAMP',
};

function planParams(p: PlanParams): SqlParams {
  return {
    execution_id: p.executionId,
    analysis_version: p.analysisVersion,
    batch_size: p.batchSize,
    max_records: p.limit,
    planned_at: p.plannedAt,
  };
}

/**
 * Writes the plan snapshot in one statement: row `r` (from 1) goes to batch `(r - 1) / batch_size`
 * while `r` is within the first `tail_first_batch` batches, and after them to `tail_first_batch +
 * (r - 1 - head_rows) / tail_batch_size` (`BatchLayout`, runtime/core/batch-size.ts). It does
 * nothing when the execution already has a plan, so a retried planner cannot plan twice.
 */
export function planAssign(t: TableName, source: SourceRef, p: PlanParams): Statement {
  // A plan of one size is all tail, from batch 0.
  const tail = p.tail ?? { firstBatch: 0, batchSize: p.batchSize };
  return stmt(
    'plan_assign',
    `INSERT INTO ${t(TABLE_NAMES.batchAssignments)} (execution_id, batch_id, row_number, record_id, analysis_version, record_attempt, planned_at)
WITH ${eligibleCte(t, source)}
SELECT @execution_id,
  CASE WHEN row_number <= @tail_first_batch * @batch_size THEN CAST(FLOOR((row_number - 1) / @batch_size) AS INT64)
    ELSE @tail_first_batch + CAST(FLOOR((row_number - 1 - @tail_first_batch * @batch_size) / @tail_batch_size) AS INT64) END,
  row_number, record_id, @analysis_version, record_attempt, @planned_at
FROM numbered
WHERE (@max_records IS NULL OR row_number <= @max_records)
  AND NOT EXISTS (SELECT 1 FROM ${t(TABLE_NAMES.batchAssignments)} WHERE execution_id = @execution_id)`,
    { ...planParams(p), tail_first_batch: tail.firstBatch, tail_batch_size: tail.batchSize, ...upstreamParams(source).params },
    { ...PLAN_TYPES, tail_first_batch: 'INT64', tail_batch_size: 'INT64', ...upstreamParams(source).types },
  );
}

/**
 * Copies the text of every record of an execution's plan, and the source columns the prompt
 * template names, from the source into `batch_inputs`: the one read of the source's text columns
 * in a run. It does nothing when the execution already has staged rows, so with `plan_assign`
 * before it a retried planner writes both once: a planner stopped between the two stages the plan
 * when it runs again, and a generator refuses a batch whose plan rows have no staged rows.
 *
 * Two statements, not one transaction: a BigQuery transaction that mutates a table cancels the
 * other transactions mutating it (two runs planning at once), where plain DML waits its turn
 * ("Multi-statement transactions", https://cloud.google.com/bigquery/docs/transactions).
 *
 * Every plan row gets one staged row per source row of its id (none in the source: one, with a
 * null text, which the generator records as a missing transcript); a row is never left out.
 */
export function planStage(
  t: TableName,
  source: SourceRef,
  executionId: string,
  extraColumns: readonly string[],
  upstreamFields: readonly UpstreamField[] = [],
): Statement {
  const values = [
    ...extraColumns.map((c) => `'${c}', CAST(s.${col(c)} AS STRING)`),
    ...upstreamFields.map((f) => {
      if (!/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/.test(f.key)) throw new Error(`invalid upstream field "${f.key}"`);
      return `'${f.key}', ${f.repeated ? `ARRAY_TO_STRING(u.${col(f.column)}, ', ')` : `CAST(u.${col(f.column)} AS STRING)`}`;
    }),
  ];
  const columns = values.length ? `TO_JSON_STRING(JSON_OBJECT(${values.join(', ')}))` : 'CAST(NULL AS STRING)';
  const upstream =
    source.upstream && upstreamFields.length > 0
      ? `\nLEFT JOIN ${t(source.upstream.table)} u ON u.record_id = a.record_id AND u.analysis_version = @upstream_version`
      : '';
  const up = upstream ? upstreamParams(source) : { params: {}, types: {} };
  return stmt(
    'plan_stage',
    `INSERT INTO ${t(TABLE_NAMES.batchInputs)} (execution_id, batch_id, row_number, record_id, transcript, prompt_columns, planned_at)
SELECT a.execution_id, a.batch_id, a.row_number, a.record_id, CAST(s.${col(source.textColumn)} AS STRING), ${columns}, a.planned_at
FROM ${t(TABLE_NAMES.batchAssignments)} a
LEFT JOIN ${t(source.table)} s ON CAST(s.${col(source.idColumn)} AS STRING) = a.record_id${upstream}
WHERE a.execution_id = @execution_id
  AND NOT EXISTS (SELECT 1 FROM ${t(TABLE_NAMES.batchInputs)} WHERE execution_id = @execution_id)`,
    { execution_id: executionId, ...up.params },
    { execution_id: 'STRING', ...up.types },
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
    { ...params, ...upstreamParams(source).params },
    { ...types, ...upstreamParams(source).types },
  );
}

/**
 * What a plan would take and how large it is: its records and the bytes of their text (a source id
 * present twice counts twice), for choosing the batch size before planning (`batchSize: 'auto'`).
 * It reads the source's text column once more than planning does.
 */
export function planMeasure(t: TableName, source: SourceRef, p: PlanParams): Statement {
  const { execution_id: _e, planned_at: _p, batch_size: _b, ...params } = planParams(p);
  const { execution_id: _te, planned_at: _tp, batch_size: _tb, ...types } = PLAN_TYPES;
  return stmt(
    'plan_measure',
    `WITH ${eligibleCte(t, source)},
texts AS (
  SELECT CAST(${col(source.idColumn)} AS STRING) AS record_id, SUM(COALESCE(BYTE_LENGTH(CAST(${col(source.textColumn)} AS STRING)), 0)) AS text_bytes
  FROM ${t(source.table)}
  WHERE ${col(source.idColumn)} IS NOT NULL
  GROUP BY 1
)
SELECT COUNT(*) AS records, COALESCE(SUM(x.text_bytes), 0) AS text_bytes
FROM numbered n
LEFT JOIN texts x ON x.record_id = n.record_id
WHERE (@max_records IS NULL OR n.row_number <= @max_records)`,
    { ...params, ...upstreamParams(source).params },
    { ...types, ...upstreamParams(source).types },
  );
}

/**
 * Size and shape of an execution's plan: its rows and batches, the rows of batch 0, and the first
 * batch with fewer rows than batch 0 and its rows, from which `layoutOfShape` reads the layout
 * written (runtime/core/batch-size.ts).
 */
export function planCounts(t: TableName, executionId: string): Statement {
  return stmt(
    'plan_counts',
    `WITH sizes AS (
  SELECT batch_id, COUNT(*) AS n, MIN(analysis_version) AS analysis_version, MIN(planned_at) AS planned_at
  FROM ${t(TABLE_NAMES.batchAssignments)}
  WHERE execution_id = @execution_id
  GROUP BY batch_id
),
first_batch AS (SELECT MAX(n) AS n FROM sizes WHERE batch_id = 0),
first_smaller AS (SELECT MIN(batch_id) AS batch_id FROM sizes WHERE n < (SELECT n FROM first_batch))
SELECT COALESCE(SUM(n), 0) AS records, COALESCE(MAX(batch_id) + 1, 0) AS batch_count,
  MIN(analysis_version) AS analysis_version, MIN(planned_at) AS planned_at,
  COALESCE((SELECT n FROM first_batch), 0) AS first_batch_records,
  (SELECT batch_id FROM first_smaller) AS first_smaller_batch,
  (SELECT s.n FROM sizes s JOIN first_smaller f ON s.batch_id = f.batch_id) AS first_smaller_batch_records
FROM sizes`,
    { execution_id: executionId },
    { execution_id: 'STRING' },
  );
}

/** Source records left out of a plan because they are settled for the version. */
export function planSkipped(t: TableName, source: SourceRef, analysisVersion: string): Statement {
  return stmt(
    'plan_skipped',
    `WITH ${sourceIdsCte(t, source)},
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
    { analysis_version: analysisVersion, ...upstreamParams(source).params },
    { analysis_version: 'STRING', ...upstreamParams(source).types },
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

/** The plan rows of one batch attempt: the batch, or the rows of it a row-range recovery names. */
function plannedCte(t: TableName, executionId: string, ref: BatchRef): { sql: string; params: SqlParams; types: SqlParamTypes } {
  const rows = ref.rows ? '\n    AND a.row_number BETWEEN @start_row AND @end_row' : '';
  return {
    sql: `planned AS (
  SELECT a.row_number, a.batch_id, a.record_id, a.analysis_version
  FROM ${t(TABLE_NAMES.batchAssignments)} a
  WHERE a.execution_id = @execution_id AND a.batch_id = @batch_id${rows}
)`,
    params: {
      execution_id: executionId,
      batch_id: ref.batchId,
      ...(ref.rows ? { start_row: ref.rows.startRow, end_row: ref.rows.endRow } : {}),
    },
    types: { execution_id: 'STRING', batch_id: 'INT64', ...(ref.rows ? { start_row: 'INT64', end_row: 'INT64' } : {}) },
  };
}

/**
 * The plan rows of a batch attempt, summed up: how many, their version and the first and last
 * record id. A plan numbers its records in record id order, so a batch's records lie between its
 * first and last id; the ledger reads filter on that range and the version as constants, which
 * lets BigQuery skip the blocks of `processed_records` and the results (clustered by version and
 * record id) that hold other records, instead of reading the whole ledger for every batch
 * ("Querying clustered tables", https://cloud.google.com/bigquery/docs/querying-clustered-tables).
 */
export interface BatchSpan {
  readonly analysisVersion: string;
  readonly firstRecord: string;
  readonly lastRecord: string;
}

/** The `BatchSpan` of a batch attempt's plan rows, with their count (no rows: nulls and 0). */
export function batchSpan(t: TableName, executionId: string, ref: BatchRef): Statement {
  const planned = plannedCte(t, executionId, ref);
  return stmt(
    'batch_span',
    `WITH ${planned.sql}
SELECT COUNT(*) AS records, MIN(analysis_version) AS analysis_version, MAX(analysis_version) AS last_version,
  MIN(record_id) AS first_record, MAX(record_id) AS last_record
FROM planned`,
    planned.params,
    planned.types,
  );
}

function spanParams(span: BatchSpan): { params: SqlParams; types: SqlParamTypes } {
  return {
    params: { analysis_version: span.analysisVersion, first_record: span.firstRecord, last_record: span.lastRecord },
    types: { analysis_version: 'STRING', first_record: 'STRING', last_record: 'STRING' },
  };
}

const IN_SPAN = (alias: string) =>
  `${alias}.analysis_version = @analysis_version AND ${alias}.record_id BETWEEN @first_record AND @last_record`;

/**
 * A CTE of the planned records (the CTE `planned`) that have a row in `table` for their version,
 * optionally only rows matching `where` (on alias `t`).
 */
function ofPlanned(name: string, table: string, where?: string): string {
  return `${name} AS (
  SELECT DISTINCT t.record_id
  FROM ${table} t
  JOIN planned a ON t.record_id = a.record_id AND t.analysis_version = a.analysis_version${where ? `\n  WHERE ${where}` : ''}
)`;
}

/**
 * Where each planned record of an attempt stands in the ledger, read just before the attempt
 * writes: `settled` (it has a `processed_records` row: nothing more to do), `committed` (it has a
 * result, so it is never sent again), `final_error` (a permanent error: never sent again), and
 * `failed_attempts` (its own failed answers so far, in attempts other than this one: a re-run of
 * the same attempt after a crash counts alike). `error_tracking` is clustered by execution first
 * (what the reports read), and a record's failures come from every run, so its read is filtered on
 * the span too but prunes less.
 */
function ledgerCtes(t: TableName, resultsTable: string): string {
  return `${ofPlanned('settled', t(TABLE_NAMES.processedRecords), IN_SPAN('t'))},
${ofPlanned('committed', t(resultsTable), IN_SPAN('t'))},
attempts AS (
  SELECT e.record_id,
    COUNT(DISTINCT CASE WHEN e.retryable AND ${countsAttempt('e.error_type', 'e.counts_attempt')} THEN e.error_id END) AS failed_attempts,
    MAX(CASE WHEN e.retryable THEN 0 ELSE 1 END) AS final_error
  FROM ${t(TABLE_NAMES.errorTracking)} e
  JOIN planned a ON e.record_id = a.record_id AND e.analysis_version = a.analysis_version
  WHERE ${IN_SPAN('e')}
    AND NOT (e.execution_id = @execution_id AND e.batch_id = @batch_id AND e.attempt = @attempt)
  GROUP BY e.record_id
)`;
}

const LEDGER_COLUMNS = `d.record_id IS NOT NULL AS settled, c.record_id IS NOT NULL AS committed,
  COALESCE(n.final_error, 0) = 1 AS final_error, COALESCE(n.failed_attempts, 0) AS failed_attempts`;
const LEDGER_JOINS = `LEFT JOIN settled d ON d.record_id = a.record_id
LEFT JOIN committed c ON c.record_id = a.record_id
LEFT JOIN attempts n ON n.record_id = a.record_id`;

/**
 * The rows a generator reads: the attempt's planned records with their ledger state (see
 * `ledgerCtes`) and their staged text (`plan_stage`), in plan order. It reads no source table:
 * the batch's rows of `batch_inputs` only. `staged` is false for a plan row whose staged rows are
 * gone (their partition expired). A source id present twice gives two adjacent rows; the generator
 * keeps the first.
 */
export function batchRecords(
  t: TableName,
  executionId: string,
  ref: BatchRef,
  attempt: number,
  span: BatchSpan,
  resultsTable: string = TABLE_NAMES.results,
): Statement {
  const planned = plannedCte(t, executionId, ref);
  const inSpan = spanParams(span);
  const rows = ref.rows ? '\n    AND i.row_number BETWEEN @start_row AND @end_row' : '';
  return stmt(
    'batch_records',
    `WITH ${planned.sql},
staged AS (
  SELECT i.row_number, i.transcript, i.prompt_columns
  FROM ${t(TABLE_NAMES.batchInputs)} i
  WHERE i.execution_id = @execution_id AND i.batch_id = @batch_id${rows}
),
${ledgerCtes(t, resultsTable)}
SELECT a.row_number, a.batch_id, a.record_id, ${LEDGER_COLUMNS},
  i.row_number IS NOT NULL AS staged, i.transcript, i.prompt_columns
FROM planned a
${LEDGER_JOINS}
LEFT JOIN staged i ON i.row_number = a.row_number
ORDER BY a.row_number`,
    { ...planned.params, ...inSpan.params, attempt },
    { ...planned.types, ...inSpan.types, attempt: 'INT64' },
  );
}

/** The records a processor settles: the attempt's planned records with their ledger state, in plan order. */
export function batchPlanned(
  t: TableName,
  executionId: string,
  ref: BatchRef,
  attempt: number,
  span: BatchSpan,
  resultsTable: string = TABLE_NAMES.results,
): Statement {
  const planned = plannedCte(t, executionId, ref);
  const inSpan = spanParams(span);
  return stmt(
    'batch_planned',
    `WITH ${planned.sql},
${ledgerCtes(t, resultsTable)}
SELECT a.row_number, a.batch_id, a.record_id, ${LEDGER_COLUMNS}
FROM planned a
${LEDGER_JOINS}
ORDER BY a.row_number`,
    { ...planned.params, ...inSpan.params, attempt },
    { ...planned.types, ...inSpan.types, attempt: 'INT64' },
  );
}

/** The planner's `executions` row of a run: its start, version, size and parameters. */
export function reportPlan(t: TableName, executionId: string): Statement {
  return stmt(
    'report_plan',
    `SELECT analysis_version, records_total, skipped_dedup, batch_count, params, event_time
FROM ${t(TABLE_NAMES.executions)}
WHERE execution_id = @execution_id AND status = 'planned'
ORDER BY event_time
LIMIT 1`,
    { execution_id: executionId },
    { execution_id: 'STRING' },
  );
}

/**
 * Where the run's planned records stand now: analysed (a result for the version), settled by an
 * error (failed or exhausted), or neither (open). The three add up to the plan.
 */
export function reportRecords(t: TableName, executionId: string, resultsTable: string = TABLE_NAMES.results): Statement {
  return stmt(
    'report_records',
    `WITH planned AS (
  SELECT DISTINCT record_id, analysis_version
  FROM ${t(TABLE_NAMES.batchAssignments)}
  WHERE execution_id = @execution_id
),
${ofPlanned('analysed', t(resultsTable))},
${ofPlanned('settled_by_error', t(TABLE_NAMES.processedRecords), "t.status <> 'succeeded'")}
SELECT COUNT(*) AS records_total,
  COALESCE(SUM(CASE WHEN n.record_id IS NOT NULL THEN 1 ELSE 0 END), 0) AS records_succeeded,
  COALESCE(SUM(CASE WHEN n.record_id IS NULL AND f.record_id IS NOT NULL THEN 1 ELSE 0 END), 0) AS records_failed
FROM planned a
LEFT JOIN analysed n ON n.record_id = a.record_id
LEFT JOIN settled_by_error f ON f.record_id = a.record_id`,
    { execution_id: executionId },
    { execution_id: 'STRING' },
  );
}

/**
 * Each batch's current status (its latest attempt over the whole batch; attempts over some rows of
 * it, from a row-range recovery, do not change it), and whether any attempt of it failed.
 */
export function reportBatches(t: TableName, executionId: string): Statement {
  return stmt(
    'report_batches',
    `SELECT batch_id, status, attempt, ever_failed
FROM (
  SELECT batch_id, status, attempt,
    MAX(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) OVER (PARTITION BY batch_id) AS ever_failed,
    ROW_NUMBER() OVER (PARTITION BY batch_id ORDER BY ${batchEventOrder()}) AS position
  FROM ${t(TABLE_NAMES.batchEvents)}
  WHERE execution_id = @execution_id AND start_row IS NULL
) AS ranked
WHERE position = 1
ORDER BY batch_id`,
    { execution_id: executionId },
    { execution_id: 'STRING' },
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

/**
 * Tokens of every answer the run's Vertex AI jobs returned (the processors' events carry them, one
 * per attempt), and the time of the run's latest batch event.
 */
export function reportUsage(t: TableName, executionId: string): Statement {
  return stmt(
    'report_usage',
    `SELECT COALESCE(SUM(tokens_in), 0) AS tokens_in, COALESCE(SUM(tokens_out), 0) AS tokens_out, MAX(last_event) AS last_event
FROM (
  SELECT batch_id, attempt, MAX(tokens_in) AS tokens_in, MAX(tokens_out) AS tokens_out, MAX(event_time) AS last_event
  FROM ${t(TABLE_NAMES.batchEvents)}
  WHERE execution_id = @execution_id
  GROUP BY batch_id, attempt
) AS per_attempt`,
    { execution_id: executionId },
    { execution_id: 'STRING' },
  );
}

/** The latest time any run wrote (the laptop's virtual clock starts after it). */
export function clockLatest(t: TableName): Statement {
  return stmt(
    'clock_latest',
    `SELECT MAX(latest) AS latest
FROM (
  SELECT MAX(event_time) AS latest FROM ${t(TABLE_NAMES.batchEvents)}
  UNION ALL SELECT MAX(event_time) FROM ${t(TABLE_NAMES.executions)}
  UNION ALL SELECT MAX(created_at) FROM ${t(TABLE_NAMES.errorTracking)}
  UNION ALL SELECT MAX(processed_at) FROM ${t(TABLE_NAMES.processedRecords)}
) AS times`,
    {},
    {},
  );
}
