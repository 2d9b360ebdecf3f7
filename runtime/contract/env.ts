/**
 * Environment variable names shared by the construct (which sets them) and the runtime (which reads
 * them). Job variables are set on the Cloud Run jobs or passed as per-execution overrides by the
 * workflows; workflow variables are the workflows' `user_env_vars`, read with `sys.get_env`.
 */

/** Variables every job reads. Set on the Cloud Run job by the construct. */
export const JOB_ENV = {
  projectId: 'TAP_PROJECT_ID',
  region: 'TAP_REGION',
  dataset: 'TAP_DATASET',
  workBucket: 'TAP_WORK_BUCKET',
  /** Fully qualified source table, `project.dataset.table`. */
  sourceTable: 'TAP_SOURCE_TABLE',
  sourceIdColumn: 'TAP_SOURCE_ID_COLUMN',
  sourceTextColumn: 'TAP_SOURCE_TEXT_COLUMN',
  /**
   * The source's column saying when each row was written (the pipeline's own source table's
   * `ingested_at`), if it has one: a forgotten record is planned again only when its row was
   * written after the erasure. Without it, a forgotten record is never planned again.
   */
  sourceIngestedColumn: 'TAP_SOURCE_INGESTED_COLUMN',
  /** The analysis declaration as JSON (`AnalysisSpec`). */
  analysis: 'TAP_ANALYSIS',
  /** The pipeline's other analyses as JSON, `{name: AnalysisSpec}` (`pass1` is `TAP_ANALYSIS`); absent when there are none. */
  analyses: 'TAP_ANALYSES',
  maxRecordAttempts: 'TAP_MAX_RECORD_ATTEMPTS',
  maxTranscriptChars: 'TAP_MAX_TRANSCRIPT_CHARS',
  maxRequestBytes: 'TAP_MAX_REQUEST_BYTES',
  /** Price table override for the reporter's cost estimate, JSON (`ModelPrice`). */
  price: 'TAP_PRICE',
} as const;

/**
 * Variables the construct does not set, read by the jobs when present: other endpoints, for
 * private or regional ones and for tests (as the clients' own `*_EMULATOR_HOST`).
 */
export const OVERRIDE_ENV = {
  /**
   * Sensitive Data Protection's endpoint for the generator's redaction, `http(s)://host[:port]`; a
   * plain-http one is an emulator and gets no credentials.
   * @default - the global endpoint, dlp.googleapis.com
   */
  dlpEndpoint: 'TAP_DLP_ENDPOINT',
} as const;

/** Per-execution variables, passed by the workflows as Cloud Run `containerOverrides.env`. */
export const RUN_ENV = {
  executionId: 'TAP_EXECUTION_ID',
  batchId: 'TAP_BATCH_ID',
  startRow: 'TAP_START_ROW',
  endRow: 'TAP_END_ROW',
  attempt: 'TAP_ATTEMPT',
  /** Records per batch, or `auto` (planner). */
  batchSize: 'TAP_BATCH_SIZE',
  /** Batches the run keeps in flight, which `auto` sizes the batches for (planner). */
  maxConcurrentBatches: 'TAP_MAX_CONCURRENT_BATCHES',
  limit: 'TAP_LIMIT',
  dryRun: 'TAP_DRY_RUN',
  /** Resource name of the Vertex AI batch prediction job (processor). */
  vertexJob: 'TAP_VERTEX_JOB',
  /** `outputInfo.gcsOutputDirectory` of the Vertex AI job, a `gs://` URI (processor). */
  vertexOutputDir: 'TAP_VERTEX_OUTPUT_DIR',
  /** Terminal state of the Vertex AI job, `JOB_STATE_…` (processor). */
  vertexState: 'TAP_VERTEX_STATE',
  /**
   * The master workflow execution that runs the planner. A planner retried by the same execution
   * continues its plan; another execution reusing the execution id is refused.
   */
  masterExecution: 'TAP_MASTER_EXECUTION',
  /** The analysis the planner plans and the reporter reports (`pass1` when unset). */
  analysisName: 'TAP_ANALYSIS_NAME',
} as const;

/** The workflows' user environment variables (never starting with GOOGLE_ or WORKFLOWS_). */
export const WORKFLOW_ENV = {
  projectId: 'TAP_PROJECT_ID',
  region: 'TAP_REGION',
  dataset: 'TAP_DATASET',
  workBucket: 'TAP_WORK_BUCKET',
  plannerJob: 'TAP_PLANNER_JOB',
  generatorJob: 'TAP_GENERATOR_JOB',
  processorJob: 'TAP_PROCESSOR_JOB',
  reporterJob: 'TAP_REPORTER_JOB',
  /** Short name (workflow id) of the batch workflow. */
  batchWorkflow: 'TAP_BATCH_WORKFLOW',
  /** Vertex AI model resource, `publishers/google/models/…`. */
  model: 'TAP_MODEL',
  /** Region of the Vertex AI batch jobs. */
  vertexRegion: 'TAP_VERTEX_REGION',
  batchSize: 'TAP_BATCH_SIZE',
  maxConcurrentBatches: 'TAP_MAX_CONCURRENT_BATCHES',
  maxBatchAttempts: 'TAP_MAX_BATCH_ATTEMPTS',
  pollIntervalSeconds: 'TAP_POLL_INTERVAL_SECONDS',
  jobTimeoutSeconds: 'TAP_JOB_TIMEOUT_SECONDS',
  /** The analyses a run runs, in order, JSON (`AnalysisRun[]`). */
  analysisRuns: 'TAP_ANALYSIS_RUNS',
  /** Labels for the Vertex AI jobs, JSON object. */
  labels: 'TAP_LABELS',
} as const;

export type JobEnvName = (typeof JOB_ENV)[keyof typeof JOB_ENV];
export type RunEnvName = (typeof RUN_ENV)[keyof typeof RUN_ENV];
export type WorkflowEnvName = (typeof WORKFLOW_ENV)[keyof typeof WORKFLOW_ENV];
