/**
 * List prices of the Google Cloud services a run uses besides the model, and the assumptions the
 * cost and time model (`runtime/ops/pipeline-cost.ts`) makes where Google publishes no figure.
 *
 * The model's own price lives in `prices.ts` (`BATCH_PRICES`), characters per token and the
 * settings' defaults in `limits.ts`: this file holds neither. Prices are USD list prices of a Tier 1
 * region (us-central1, europe-west1 and the like), without free tiers or committed-use discounts:
 * the monthly free allowances are shared with everything else on the billing account, so a run
 * cannot count on them. Prices change: every figure here can be overridden by the caller
 * (`tapctl estimate --set NAME=VALUE`).
 */

/** The day the prices below were read from Google's pricing pages. */
export const CLOUD_PRICES_AS_OF = '2026-11-30';

export interface CloudPrices {
  /** USD per TiB (2^40 bytes) billed by an on-demand query. */
  readonly bigqueryOnDemandPerTiB: number;
  /** Bytes an on-demand query is billed at least, for each table it references. */
  readonly bigqueryMinBytesPerTable: number;
  /** USD per GiB ingested by the BigQuery Storage Write API. */
  readonly bigqueryStorageWritePerGiB: number;
  /** USD per 200 MB (200 x 10^6 bytes) of legacy streaming inserts (`tabledata.insertAll`). */
  readonly bigqueryStreamingInsertPer200MB: number;
  /** Bytes each streamed row is billed at least. */
  readonly bigqueryStreamingMinRowBytes: number;
  /** USD per batch load job: loads from Cloud Storage run on the shared slot pool, free. */
  readonly bigqueryLoadJob: number;
  /** USD per vCPU-second of a Cloud Run job. */
  readonly cloudRunVcpuSecond: number;
  /** USD per GiB-second of a Cloud Run job's memory. */
  readonly cloudRunGibSecond: number;
  /** USD per 1,000 internal Workflows steps (everything, including calls to *.googleapis.com). */
  readonly workflowsInternalPerThousandSteps: number;
  /** USD per 1,000 external Workflows steps (HTTP calls outside Google Cloud, callbacks). */
  readonly workflowsExternalPerThousandSteps: number;
  /** USD per 1,000 Cloud Storage Class A operations (object writes, listings), Standard class. */
  readonly storageClassAPerThousand: number;
  /** USD per 1,000 Cloud Storage Class B operations (object reads, metadata gets), Standard class. */
  readonly storageClassBPerThousand: number;
  /** USD per GB-month of Standard storage in a region. */
  readonly storageGbMonth: number;
}

/**
 * Sources, each read on `CLOUD_PRICES_AS_OF`:
 * - BigQuery: "BigQuery pricing", https://cloud.google.com/bigquery/pricing — on-demand compute
 *   $6.25 per TiB (the first TiB a month free), billed for the columns a query reads, at least
 *   10 MB per table it references and 10 MB per query (also in "Estimate and control costs",
 *   https://cloud.google.com/bigquery/docs/best-practices-costs); batch loading is free; legacy
 *   streaming inserts $0.01 per 200 MB with a 1 KB minimum per row; Storage Write API $0.025 per
 *   GiB, the first 2 TiB a month free.
 * - Cloud Run: "Cloud Run pricing", https://cloud.google.com/run/pricing — jobs (billed like
 *   instance-based services), Tier 1: $0.000018 per vCPU-second and $0.000002 per GiB-second,
 *   rounded up to the nearest 100 ms.
 * - Workflows: "Workflows pricing", https://cloud.google.com/workflows/pricing — $0.01 per 1,000
 *   internal steps and $0.025 per 1,000 external steps (5,000 and 2,000 free a month). Internal
 *   steps include requests to *.googleapis.com, assignments, conditions, subworkflow and connector
 *   calls, and every polling attempt a connector makes for a long-running operation; a `sys.sleep`
 *   is one step however long it waits.
 * - Cloud Storage: "Cloud Storage pricing", https://cloud.google.com/storage/pricing, and its
 *   "Pricing examples" page — Standard storage $0.020 per GB-month in us-central1 (some regions
 *   charge $0.023), Class A $0.005 and Class B $0.0004 per 1,000 operations.
 */
export const CLOUD_PRICES: CloudPrices = {
  bigqueryOnDemandPerTiB: 6.25,
  bigqueryMinBytesPerTable: 10 * 1024 * 1024,
  bigqueryStorageWritePerGiB: 0.025,
  bigqueryStreamingInsertPer200MB: 0.01,
  bigqueryStreamingMinRowBytes: 1024,
  bigqueryLoadJob: 0,
  cloudRunVcpuSecond: 0.000018,
  cloudRunGibSecond: 0.000002,
  workflowsInternalPerThousandSteps: 0.01,
  workflowsExternalPerThousandSteps: 0.025,
  storageClassAPerThousand: 0.005,
  storageClassBPerThousand: 0.0004,
  storageGbMonth: 0.02,
};

/**
 * How a connector polls a long-running operation it waits for (`run.v2...jobs.run`): the first
 * poll after 1 s, each delay 1.25 times the last, at most 60 s ("Understand connectors",
 * https://cloud.google.com/workflows/docs/connectors). Each poll is a billable step.
 */
export const CONNECTOR_POLLING = { initialDelaySeconds: 1, multiplier: 1.25, maxDelaySeconds: 60 } as const;

/**
 * What the model assumes where Google publishes no figure: latencies, throughputs and sizes. Each
 * is a guess stated here so that it can be argued with and overridden, not a measurement.
 */
export interface RunAssumptions {
  /**
   * Seconds a Vertex AI batch prediction job waits before it runs. Google publishes no figure
   * ("Batch prediction for Gemini": jobs run on a shared pool, may queue up to 72 h, most finish
   * within 24 h of starting).
   */
  readonly vertexQueueSeconds: number;
  /** Seconds a running Vertex AI job spends per request, all of its requests in one job together. */
  readonly vertexSecondsPerRecord: number;
  /**
   * How many times longer than the others a slow Vertex AI job takes, queued and running: the tail
   * `tapctl rehearse --vertex-latency slow-share=P` gives a share P of the jobs.
   */
  readonly vertexSlowFactor: number;
  /** Seconds from a Cloud Run job execution's start to the container's first line (billed). */
  readonly jobStartSeconds: number;
  /** Seconds a job waits for one BigQuery query (submitted, run, first rows back). */
  readonly querySeconds: number;
  /** Seconds a job waits for one BigQuery load job. */
  readonly loadJobSeconds: number;
  /** Bytes per second a job streams through its parsing, matching and writing (one vCPU). */
  readonly jobBytesPerSecond: number;
  /** Characters of a record id (a UUID: 36). */
  readonly recordIdChars: number;
  /** Characters of an execution id. */
  readonly executionIdChars: number;
  /** Bytes of a result row as a staged JSON line (the analysis's fields, tokens, ids). */
  readonly resultRowBytes: number;
  /** Bytes an `error_tracking` row's columns the ledger lookups read take. */
  readonly errorRowBytes: number;
  /** Share of the records that leave an `error_tracking` row. */
  readonly errorFraction: number;
  /** Bytes of a Vertex AI output line besides the echoed request and the answer's text. */
  readonly outputLineOverheadBytes: number;
  /** Bytes a JSON request line takes per character of text (escapes, multi-byte characters). */
  readonly requestBytesPerChar: number;
}

export const RUN_ASSUMPTIONS: RunAssumptions = {
  vertexQueueSeconds: 900,
  vertexSecondsPerRecord: 0.1,
  vertexSlowFactor: 4,
  jobStartSeconds: 10,
  querySeconds: 3,
  loadJobSeconds: 3,
  jobBytesPerSecond: 10 * 1000 * 1000,
  recordIdChars: 36,
  executionIdChars: 36,
  resultRowBytes: 600,
  errorRowBytes: 200,
  errorFraction: 0.01,
  outputLineOverheadBytes: 400,
  requestBytesPerChar: 1.05,
};
