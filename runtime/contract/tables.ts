/**
 * The warehouse data model (DESIGN §5): every table, its columns, partitioning and clustering.
 * BigQuery tables are created from these schemas by the construct; the DuckDB warehouse creates the
 * same tables from them; every SQL statement names columns from here.
 */

/** BigQuery column types used by the pipeline (legacy names, as the tables API returns them). */
export type ColumnType = 'STRING' | 'INTEGER' | 'FLOAT' | 'BOOLEAN' | 'TIMESTAMP';

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
  readonly mode: 'REQUIRED' | 'NULLABLE' | 'REPEATED';
  readonly description: string;
}

export interface TableSpec {
  /** Table id inside the dataset. */
  readonly name: string;
  readonly description: string;
  readonly columns: readonly Column[];
  /** TIMESTAMP column the table is partitioned on, by day. */
  readonly partitionColumn: string;
  /** Up to four columns, in order. */
  readonly clusterColumns: readonly string[];
  /**
   * Whether partitions expire with the run files in the work bucket, after `workRetentionDays`
   * (BigQuery's partition expiration, `timePartitioning.expirationMs`).
   *
   * @default false - rows are kept until someone deletes them
   * @see https://cloud.google.com/bigquery/docs/managing-partitioned-tables
   */
  readonly expiresWithRunFiles?: boolean;
}

/**
 * Whole days a table that expires with the run files keeps a run's rows for sure: a partition
 * expires its expiration after its partition time ("the storage in a partition will have an
 * expiration time of its partition time plus this value", `TimePartitioning.expirationMs`), and a
 * day's partition time is the start of that day (UTC), so rows written late on a day are kept a
 * day less than `workRetentionDays`.
 */
export function stagedInputsDays(workRetentionDays: number): number {
  return workRetentionDays - 1;
}

const req = (name: string, type: ColumnType, description: string): Column => ({ name, type, mode: 'REQUIRED', description });
const opt = (name: string, type: ColumnType, description: string): Column => ({ name, type, mode: 'NULLABLE', description });

/** Logical table keys, used everywhere instead of the (configurable) table ids. */
export type TableKey =
  | 'source'
  | 'batchAssignments'
  | 'batchInputs'
  | 'results'
  | 'processedRecords'
  | 'errorTracking'
  | 'batchEvents'
  | 'executions'
  | 'forgotten';

/** Default table ids, the seed design's names. */
export const TABLE_NAMES: Readonly<Record<TableKey, string>> = {
  source: 'transcription_pass_2',
  batchAssignments: 'batch_assignments',
  batchInputs: 'batch_inputs',
  results: 'transcription_analyzed_transcripts',
  processedRecords: 'processed_records',
  errorTracking: 'error_tracking',
  batchEvents: 'batch_events',
  executions: 'executions',
  forgotten: 'forgotten',
};

export const SOURCE_TABLE: TableSpec = {
  name: TABLE_NAMES.source,
  description: 'Call transcripts waiting to be analysed. Written by the user.',
  columns: [
    req('transcript_id', 'STRING', 'Unique id of the transcript.'),
    opt('transcript', 'STRING', 'Full text of the call.'),
    opt('call_started_at', 'TIMESTAMP', 'When the call started.'),
    opt('duration_seconds', 'INTEGER', 'Length of the call.'),
    opt('channel', 'STRING', 'Where the call came from (phone, chat, ...).'),
    opt('language', 'STRING', 'BCP-47 language tag, when known.'),
    opt('agent_id', 'STRING', 'Agent who took the call.'),
    opt('customer_id', 'STRING', 'Customer on the call.'),
    req('ingested_at', 'TIMESTAMP', 'When the row was written.'),
  ],
  partitionColumn: 'ingested_at',
  clusterColumns: ['transcript_id'],
};

export const BATCH_ASSIGNMENTS_TABLE: TableSpec = {
  name: TABLE_NAMES.batchAssignments,
  description: 'The plan snapshot: which record each batch of an execution analyses.',
  columns: [
    req('execution_id', 'STRING', 'Run that planned the record.'),
    req('batch_id', 'INTEGER', 'Batch number, from 0.'),
    req('row_number', 'INTEGER', 'Position of the record in the plan, from 1.'),
    req('record_id', 'STRING', 'Source transcript id.'),
    req('analysis_version', 'STRING', 'Version of the analysis the record is planned for.'),
    req('record_attempt', 'INTEGER', 'How many times the record has been sent, this time included.'),
    req('planned_at', 'TIMESTAMP', 'When the plan was made.'),
  ],
  partitionColumn: 'planned_at',
  clusterColumns: ['execution_id', 'batch_id'],
};

/**
 * What the generators read instead of the source table: the text (and the columns the prompt
 * template names) of every planned record, copied once by the planner. A batch's generator then
 * reads only its own rows, which the clustering on (execution_id, batch_id) finds without scanning
 * the rest; before this table each batch joined the whole source table and was billed for its id
 * and text columns again (1M transcripts in 1,000 batches: the source read 1,000 times).
 *
 * A table of its own rather than columns of `batch_assignments`, because its rows hold copies of
 * the transcripts and expire with the run files (`expiresWithRunFiles`), while the plan snapshot
 * stays, small, for reports and the history of every run.
 */
export const BATCH_INPUTS_TABLE: TableSpec = {
  name: TABLE_NAMES.batchInputs,
  description: 'Transcripts of the planned records, staged by the planner for the generators; expires with the run files.',
  columns: [
    req('execution_id', 'STRING', 'Run that planned the record.'),
    req('batch_id', 'INTEGER', 'Batch number, from 0.'),
    req('row_number', 'INTEGER', 'Position of the record in the plan, from 1 (the plan row it copies).'),
    req('record_id', 'STRING', 'Source transcript id.'),
    opt('transcript', 'STRING', 'Text of the transcript as the source held it when planned; null when the source had none.'),
    opt(
      'prompt_columns',
      'STRING',
      'The source columns the prompt template names, as a JSON object of strings (null values kept); null when it names none.',
    ),
    req('planned_at', 'TIMESTAMP', 'When the plan was made (the partition, which expires).'),
  ],
  partitionColumn: 'planned_at',
  clusterColumns: ['execution_id', 'batch_id'],
  expiresWithRunFiles: true,
};

/** Columns of the results table before the analysis fields. */
export const RESULT_KEY_COLUMNS: readonly Column[] = [
  req('record_id', 'STRING', 'Source transcript id.'),
  req('analysis_version', 'STRING', 'Version of the analysis that produced the row.'),
];

/** Columns of the results table after the analysis fields. */
export const RESULT_TRAILING_COLUMNS: readonly Column[] = [
  req('model', 'STRING', 'Model that answered.'),
  opt('prompt_tokens', 'INTEGER', 'usageMetadata.promptTokenCount.'),
  opt('output_tokens', 'INTEGER', 'usageMetadata.candidatesTokenCount.'),
  opt('total_tokens', 'INTEGER', 'usageMetadata.totalTokenCount.'),
  opt('finish_reason', 'STRING', 'finishReason of the candidate.'),
  req('execution_id', 'STRING', 'Run that committed the row.'),
  req('batch_id', 'INTEGER', 'Batch that committed the row.'),
  opt('vertex_job', 'STRING', 'Vertex AI batch prediction job resource name.'),
  req('processed_at', 'TIMESTAMP', 'When the row was committed.'),
  opt(
    'redaction_counts',
    'STRING',
    'Personal data redacted from the transcript before it was sent, as a JSON object of counts by info type (never values); null when redaction is off.',
  ),
];

export const PROCESSED_RECORDS_TABLE: TableSpec = {
  name: TABLE_NAMES.processedRecords,
  description: 'One row per record and analysis version that needs no further run (deduplication).',
  columns: [
    req('record_id', 'STRING', 'Source transcript id.'),
    req('analysis_version', 'STRING', 'Version of the analysis.'),
    req('status', 'STRING', 'succeeded, failed (permanent error) or exhausted (out of attempts).'),
    req('attempts', 'INTEGER', 'How many times the record was sent.'),
    req('first_processed_execution_id', 'STRING', 'Run that settled the record.'),
    req('batch_id', 'INTEGER', 'Batch that settled the record.'),
    req('processed_at', 'TIMESTAMP', 'When the row was committed.'),
  ],
  partitionColumn: 'processed_at',
  clusterColumns: ['analysis_version', 'record_id'],
};

export const ERROR_TRACKING_TABLE: TableSpec = {
  name: TABLE_NAMES.errorTracking,
  description: 'One row per record that failed in a batch attempt, with its error type.',
  columns: [
    req('error_id', 'STRING', 'Deterministic id: the same failure written twice has the same id.'),
    req('execution_id', 'STRING', 'Run.'),
    req('batch_id', 'INTEGER', 'Batch.'),
    req('attempt', 'INTEGER', 'Batch attempt.'),
    req('record_id', 'STRING', 'Source transcript id.'),
    req('analysis_version', 'STRING', 'Version of the analysis.'),
    req('error_type', 'STRING', 'One of the error types (see ERROR_TYPES).'),
    req('retryable', 'BOOLEAN', 'Whether the record stays eligible for a later run.'),
    req('record_attempt', 'INTEGER', 'How many times the record had been sent, this time included.'),
    opt('message', 'STRING', 'What went wrong, for a person.'),
    opt('vertex_job', 'STRING', 'Vertex AI job, when the error came from its output.'),
    req('created_at', 'TIMESTAMP', 'When the row was committed.'),
    opt(
      'counts_attempt',
      'BOOLEAN',
      "Whether the error uses up one of the record's attempts (the record's own answer); null in rows written before this column: counted.",
    ),
    opt('analysis', 'STRING', 'Name of the analysis the record was sent for; null in rows written before this column: pass1.'),
  ],
  partitionColumn: 'created_at',
  clusterColumns: ['execution_id', 'error_type', 'record_id'],
};

export const BATCH_EVENTS_TABLE: TableSpec = {
  name: TABLE_NAMES.batchEvents,
  description: 'Append-only history of every batch; the latest event is its status.',
  columns: [
    req('execution_id', 'STRING', 'Run.'),
    req('batch_id', 'INTEGER', 'Batch.'),
    req('attempt', 'INTEGER', 'Batch attempt, from 1 (0 for planned).'),
    req('status', 'STRING', 'One of BATCH_STATUSES.'),
    opt('vertex_job', 'STRING', 'Vertex AI batch prediction job resource name.'),
    opt('vertex_state', 'STRING', 'Last state seen of the Vertex AI job.'),
    opt('records', 'INTEGER', 'Records in the batch.'),
    opt('succeeded', 'INTEGER', 'Records analysed.'),
    opt('failed', 'INTEGER', 'Records in error_tracking.'),
    opt('message', 'STRING', 'Why, for failures.'),
    req('event_time', 'TIMESTAMP', 'When it happened.'),
    opt('start_row', 'INTEGER', 'First plan row of an attempt over part of the batch (row-range recovery); null for the whole batch.'),
    opt('end_row', 'INTEGER', 'Last plan row of an attempt over part of the batch; null for the whole batch.'),
    opt('open', 'INTEGER', 'Records the attempt sent that got no answer (its Vertex AI job ended early): still open.'),
    opt('tokens_in', 'INTEGER', 'Prompt tokens of every answer in the job output, valid or not (what Vertex AI bills).'),
    opt('tokens_out', 'INTEGER', 'Output tokens of every answer in the job output, valid or not.'),
  ],
  partitionColumn: 'event_time',
  clusterColumns: ['execution_id', 'batch_id'],
};

export const EXECUTIONS_TABLE: TableSpec = {
  name: TABLE_NAMES.executions,
  description: 'Append-only history of runs: planned, then finished with their summary.',
  columns: [
    req('execution_id', 'STRING', 'Run.'),
    req('status', 'STRING', 'planned, succeeded or failed.'),
    req('analysis_version', 'STRING', 'Version of the analysis.'),
    opt('params', 'STRING', 'Run parameters, JSON.'),
    opt('records_total', 'INTEGER', 'Records planned.'),
    opt('skipped_dedup', 'INTEGER', 'Source records skipped as already settled.'),
    opt('batch_count', 'INTEGER', 'Batches planned.'),
    opt('summary', 'STRING', 'The summary report, JSON (see Summary).'),
    req('event_time', 'TIMESTAMP', 'When the row was written.'),
  ],
  partitionColumn: 'event_time',
  clusterColumns: ['execution_id'],
};

/**
 * What `tapctl compare` writes: a candidate analysis's answers on a sample of records, beside the
 * results tables and never into them. The pipeline's jobs never read it.
 */
export const COMPARISONS_TABLE: TableSpec = {
  name: 'analysis_comparisons',
  description: "A candidate analysis's answers on a sample of records (tapctl compare); never read by the pipeline.",
  columns: [
    req('comparison_id', 'STRING', 'One comparison: its candidate, baseline, sample and seed.'),
    req('record_id', 'STRING', 'Source transcript id.'),
    req('baseline_analysis', 'STRING', 'Name of the analysis compared against.'),
    req('baseline_version', 'STRING', 'Version of the results compared against.'),
    req('candidate_version', 'STRING', 'Version the candidate declaration would have.'),
    opt('answer', 'STRING', "The candidate's answer, JSON; null when it failed."),
    opt('error_type', 'STRING', 'Why the candidate has no answer (see ERROR_TYPES).'),
    opt('message', 'STRING', 'What went wrong, for a person.'),
    opt('prompt_tokens', 'INTEGER', 'usageMetadata.promptTokenCount.'),
    opt('output_tokens', 'INTEGER', 'usageMetadata.candidatesTokenCount.'),
    req('compared_at', 'TIMESTAMP', 'When the answer was written.'),
  ],
  partitionColumn: 'compared_at',
  clusterColumns: ['comparison_id', 'record_id'],
};

/** Erasures by `tapctl forget`: which records were forgotten and when, never their ids. */
export const FORGOTTEN_TABLE: TableSpec = {
  name: TABLE_NAMES.forgotten,
  description: 'Erasures made by tapctl forget: a hash of each record id and when, never the id.',
  columns: [
    req('record_hash', 'STRING', 'Hex SHA-256 of the record id.'),
    req('forgotten_at', 'TIMESTAMP', 'When its rows and run file lines were deleted.'),
    req('rows_deleted', 'INTEGER', 'Table rows deleted for it (all tables, all versions).'),
    req('source_deleted', 'BOOLEAN', 'Whether its source row was deleted too (--source).'),
  ],
  partitionColumn: 'forgotten_at',
  clusterColumns: ['record_hash'],
};

/** The pipeline's own tables, except the results table whose columns depend on the analysis. */
export const FIXED_TABLES: readonly TableSpec[] = [
  BATCH_ASSIGNMENTS_TABLE,
  PROCESSED_RECORDS_TABLE,
  ERROR_TRACKING_TABLE,
  BATCH_EVENTS_TABLE,
  EXECUTIONS_TABLE,
  BATCH_INPUTS_TABLE,
  FORGOTTEN_TABLE,
];

/**
 * Statuses a batch event can carry, in the order an attempt goes through them: within one attempt
 * the later status is the current one (`BATCH_STATUS_RANK`), whatever the events' clocks say.
 */
export const BATCH_STATUSES = ['planned', 'generated', 'submitted', 'failed', 'empty', 'succeeded'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/**
 * How far along an attempt a status is. A committed outcome (`succeeded`, `empty`) outranks a
 * `failed` of the same attempt: once the processor has committed, a later bookkeeping failure does
 * not undo it.
 */
export const BATCH_STATUS_RANK: Readonly<Record<BatchStatus, number>> = {
  planned: 0,
  generated: 1,
  submitted: 2,
  failed: 3,
  empty: 4,
  succeeded: 4,
};

/** Statuses that end an attempt. */
export const TERMINAL_BATCH_STATUSES: readonly BatchStatus[] = ['failed', 'empty', 'succeeded'];

/** Statuses of processed_records. */
export const RECORD_STATUSES = ['succeeded', 'failed', 'exhausted'] as const;
export type RecordStatus = (typeof RECORD_STATUSES)[number];
