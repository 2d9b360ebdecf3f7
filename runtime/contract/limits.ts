/**
 * Every default and limit that more than one part of the package uses: the construct (its props'
 * defaults and bounds), the jobs (their variables' defaults and bounds), the workflows' settings, the
 * CLI's flags and the estimate. Where a limit is Google's, the comment says whose and where it is
 * documented (see also `gcp-facts.md` in the project's references).
 */

/** Bounds of the settings. */
export const LIMITS = {
  /** Vertex AI batch prediction takes at most 200,000 requests per job ("Batch prediction for Gemini", quotas). */
  maxBatchSize: 200_000,
  /** Vertex AI batch prediction reads an input file of at most 1 GB per job (the same page and section). */
  maxBatchInputBytes: 1_000_000_000,
  /** Workflows runs at most 20 branches and iterations of a parallel step at once (Workflows quotas). */
  maxConcurrentBatches: 20,
  /** Rounds of the master orchestrator: the first and its retries. */
  maxBatchAttempts: 10,
  /** Failed answers of its own after which a record is left exhausted. */
  maxRecordAttempts: 10,
  /** Seconds between two polls of a Vertex AI job: often enough to see it end, rarely enough to cost nothing. */
  minPollIntervalSeconds: 10,
  maxPollIntervalSeconds: 3600,
  /** Attempt numbers the batch workflow claims and the jobs take. */
  maxAttemptNumber: 10_000,
  /** The longest transcript the setting can allow. */
  maxTranscriptChars: 4_000_000,
  /** The smallest and the largest request size the setting can allow. */
  minRequestBytes: 1024,
  maxRequestBytes: 10_000_000,
  /** Gemini 2.5 models answer with at most 65,536 output tokens. */
  maxOutputTokens: 65_536,
  /** Output fields of one analysis. */
  maxAnalysisFields: 100,
  /** The analysis travels as one Cloud Run environment variable, whose value holds at most 32,768 characters. */
  maxAnalysisJsonChars: 32_768,
  /**
   * Batches of one run. A Workflows execution runs at most 100,000 steps, polls included; the master
   * spends about two per batch and six per look at its running children (test/workflows/step-budget.test.ts
   * measures a plan this size of two-hour batches at about 54,000).
   */
  maxBatchesPerRun: 25_000,
  /**
   * Load, copy and query-with-destination jobs one BigQuery table takes per day, failed ones
   * included ("Optimize load jobs"); each batch's processor loads each table it writes once.
   */
  bigqueryTableOperationsPerDay: 1500,
  /** Load jobs one project runs per day (BigQuery quotas, "Load jobs"). */
  bigqueryLoadJobsPerProjectPerDay: 100_000,
  /**
   * Hours a Vertex AI batch prediction job may wait in the queue before it expires, and run before
   * it is cancelled, keeping what it completed ("Batch prediction for Gemini", limits).
   */
  vertexQueueHours: 72,
  vertexRunHours: 24,
  /** Workflows executions active at once per project and region (Workflows quotas). */
  workflowsConcurrentExecutions: 10_000,
  /** Workflows executions created per minute per location (Workflows quotas). */
  workflowsExecutionCreatesPerMinute: 6000,
  /** Cloud Run job executions running at once per project and region (Cloud Run quotas). */
  cloudRunRunningExecutions: 1000,
} as const;

/** Defaults of the settings, for the construct, the jobs and the commands alike. */
export const DEFAULTS = {
  /**
   * Records per batch, and so per Vertex AI job: `auto` lets the planner choose from what it plans
   * (see `AUTO_BATCH_SIZE`); a number fixes it.
   */
  batchSize: 'auto' as BatchSizeSetting,
  /** Batches in flight at once. */
  maxConcurrentBatches: 8,
  /** Rounds of the master orchestrator per run. */
  maxBatchAttempts: 3,
  /** Failed answers of its own after which a record is left exhausted. */
  maxRecordAttempts: 3,
  /**
   * Longer transcripts become `input_too_large` errors instead of requests: 400,000 characters is
   * about 100,000 tokens, a call of ten hours; anything longer is almost surely a mistake upstream.
   */
  maxTranscriptChars: 400_000,
  /** Larger requests (transcript, prompt and schema, as JSON) become `input_too_large` errors. */
  maxRequestBytes: 4 * 1024 * 1024,
  /** Seconds between two polls of a Vertex AI job by the batch workflow (`sys.sleep` waits are free). */
  pollIntervalSeconds: 60,
  /** vCPUs of each Cloud Run job container. */
  jobCpu: 1,
  /** Memory of each Cloud Run job container. */
  jobMemoryMiB: 1024,
  /**
   * Days the run files are kept: the work bucket's objects (requests, predictions, plans) and the
   * partitions of `batch_inputs`, the transcripts the planner staged for the generators.
   */
  workRetentionDays: 30,
} as const;

/** A batch size setting: records per batch, or `auto` (chosen by the planner). */
export type BatchSizeSetting = number | 'auto';

/**
 * How the planner sizes batches under `auto`: batches of equal size, a whole number of waves over
 * the lanes (`maxConcurrentBatches`), at least `batchesPerLane` waves so that one slow Vertex AI job
 * holds up a quarter of a lane's work rather than all of it, and more waves only when a job would
 * otherwise exceed `LIMITS.maxBatchSize` requests or `inputBytesShare` of
 * `LIMITS.maxBatchInputBytes` of estimated input. A request's size is estimated as its staged text
 * plus the bytes of a request with no text (prompt, schema, labels); the share left over covers
 * what the estimate misses (escaped characters, the template's other columns, batches of longer
 * than average texts).
 *
 * The plan's end is cut finer (guided scheduling): its last `tailShare` of records, at most
 * `tailWaves` waves of them, go in batches of a `tailDivisor`-th of the size. A slow job started
 * near the end then holds up less, and the lanes even out on the smaller batches. Finer cuts
 * even the lanes out further but every job adds its wait in Vertex AI's queue; halving the last
 * third is what ended 1,000,000 transcripts soonest when a tenth of the jobs are four times slower
 * (`tapctl rehearse`, bench/results/rehearse.md).
 *
 * No batch is smaller than `minRecords` unless the plan is: a smaller job would spend longer in
 * Vertex AI's queue than running, so splitting a small plan further only adds queue time.
 */
export const AUTO_BATCH_SIZE = {
  inputBytesShare: 0.8,
  batchesPerLane: 4,
  tailShare: 1 / 3,
  tailWaves: 2,
  tailDivisor: 2,
  minRecords: 5000,
} as const;

/** Characters of English text per model token, for estimates before any token is counted. */
export const CHARS_PER_TOKEN = 4;

/**
 * What a run's execution id may be: it becomes a Vertex AI label value (lower-cased), which holds
 * at most 63 letters, digits, `_` or `-` ("Creating and managing labels"). Both workflows check it.
 */
export const EXECUTION_ID = { pattern: /^[A-Za-z0-9_-]{1,63}$/, says: '1 to 63 letters, digits, _ or -' } as const;
