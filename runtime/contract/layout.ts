/**
 * The work bucket's layout (DESIGN §5) and the small JSON documents the jobs leave there for the
 * workflows to read. Record data never passes through workflow variables: only these.
 */
import type { ErrorType } from './errors';

/**
 * What one batch attempt works on: a batch of the plan, whole or only the plan rows `rows` of it
 * (inclusive, from 1), as the seed's row-range recovery form asks.
 */
export interface BatchRef {
  readonly batchId: number;
  readonly rows?: { readonly startRow: number; readonly endRow: number };
}

/** Path segment of a batch: its number (an attempt over some of its rows is still an attempt of the batch). */
export function batchKey(ref: BatchRef): string {
  return String(ref.batchId);
}

export const layout = {
  run: (executionId: string) => `runs/${executionId}`,
  plan: (executionId: string) => `runs/${executionId}/plan.json`,
  summary: (executionId: string) => `runs/${executionId}/summary.json`,
  attempt: (executionId: string, batch: string, attempt: number) => `runs/${executionId}/batches/${batch}/attempt-${attempt}`,
  input: (executionId: string, batch: string, attempt: number) => `runs/${executionId}/batches/${batch}/attempt-${attempt}/input.jsonl`,
  manifest: (executionId: string, batch: string, attempt: number) =>
    `runs/${executionId}/batches/${batch}/attempt-${attempt}/manifest.json`,
  /** The `outputUriPrefix` handed to Vertex AI; it writes a `prediction-model-…/` folder below. */
  output: (executionId: string, batch: string, attempt: number) => `runs/${executionId}/batches/${batch}/attempt-${attempt}/output`,
  result: (executionId: string, batch: string, attempt: number) => `runs/${executionId}/batches/${batch}/attempt-${attempt}/result.json`,
  /**
   * Created once, with a "does not exist yet" precondition, by the batch workflow that takes the
   * attempt: the attempt number belongs to the one execution whose create succeeded.
   */
  claim: (executionId: string, batch: string, attempt: number) => `runs/${executionId}/batches/${batch}/attempt-${attempt}/claim.json`,
  /**
   * What the generator redacted from each record it sent, one `{record_id, counts}` line each (counts
   * by info type, never values), for the processor's results rows. Only when redaction is on.
   */
  redactionCounts: (executionId: string, batch: string, attempt: number) =>
    `runs/${executionId}/batches/${batch}/attempt-${attempt}/redaction.jsonl`,
  /** Staging files of the processor's load jobs, one per table. */
  staging: (executionId: string, batch: string, attempt: number, table: string) =>
    `runs/${executionId}/batches/${batch}/attempt-${attempt}/commit/${table}.jsonl`,
  /** The candidate's requests of one `tapctl compare` in the cloud: the input of its one Vertex AI job. */
  comparisonInput: (comparisonId: string) => `comparisons/${comparisonId}/input.jsonl`,
  /** The `outputUriPrefix` of a comparison's Vertex AI job. */
  comparisonOutput: (comparisonId: string) => `comparisons/${comparisonId}/output`,
  /** A comparison's rows of `analysis_comparisons`, staged for their load job. */
  comparisonAnswers: (comparisonId: string) => `comparisons/${comparisonId}/answers.jsonl`,
} as const;

/**
 * The work bucket's folders whose files name records: the runs' (requests, predictions, staged
 * commits) and the comparisons' (`tapctl compare`). `tapctl forget` rewrites their lines.
 */
export const RECORD_FILE_FOLDERS = ['runs', 'comparisons'] as const;

/** `gs://bucket/path` */
export function gsUri(bucket: string, path: string): string {
  return `gs://${bucket}/${path}`;
}

/** Splits `gs://bucket/path` into its parts, or throws. */
export function parseGsUri(uri: string): { bucket: string; path: string } {
  const match = /^gs:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`not a gs:// URI: ${uri}`);
  return { bucket: match[1]!, path: match[2]! };
}

/** `plan.json`, written by the planner. Small at any scale: batches are numbered 0..batch_count-1. */
export interface PlanDocument {
  readonly execution_id: string;
  /** Name of the analysis planned (`pass1` unless the run has several). */
  readonly analysis: string;
  readonly analysis_version: string;
  /** Rows of each batch before `tail_first_batch`. */
  readonly batch_size: number;
  readonly batch_count: number;
  /**
   * The first batch of the plan's tail, whose batches hold `tail_batch_size` rows (see `BatchLayout`
   * in runtime/core/batch-size.ts). Plans of one size have `batch_count` and `batch_size`; plans
   * written before plans had a tail lack both fields.
   */
  readonly tail_first_batch?: number;
  readonly tail_batch_size?: number;
  /** Records planned. */
  readonly records: number;
  /** Source records skipped because they are already settled for this version. */
  readonly skipped_dedup: number;
  /** Source records skipped because they ran out of attempts earlier. */
  readonly skipped_exhausted: number;
  readonly dry_run: boolean;
  readonly created_at: string;
}

/** `manifest.json`, written by the generator last. */
export interface ManifestDocument {
  readonly execution_id: string;
  readonly batch: string;
  readonly attempt: number;
  /** Requests written to input.jsonl. */
  readonly requests: number;
  /** Records that became error_tracking rows instead of requests. */
  readonly skipped: number;
  /** Records left out because an earlier attempt or run settled or analysed them already. */
  readonly already_settled: number;
  readonly bytes: number;
  /** `gs://` URI of input.jsonl, empty when there are no requests. */
  readonly input_uri: string;
  /** `gs://` URI to give Vertex AI as `outputUriPrefix`. */
  readonly output_uri_prefix: string;
  /** Vertex AI model resource of the batch's analysis, which the batch workflow gives the job. */
  readonly model: string;
  /** Name of the batch's analysis. */
  readonly analysis: string;
  readonly created_at: string;
  /** Findings of personal data redacted from the requests, by info type (counts only); absent without redaction. */
  readonly redacted?: Readonly<Record<string, number>>;
}

/** `result.json`, written by the processor after its commit. */
export interface BatchResultDocument {
  readonly execution_id: string;
  readonly batch: string;
  readonly attempt: number;
  readonly vertex_job: string;
  /**
   * `succeeded` when every record the attempt sent got an answer; `failed` when the Vertex AI job
   * ended without answering some (they stay open and the batch is run again).
   */
  readonly status: 'succeeded' | 'failed';
  /** Records the attempt covered. */
  readonly records: number;
  /** Records analysed by this attempt, or found analysed already. */
  readonly succeeded: number;
  /** Records that got an error row. */
  readonly failed: number;
  /** Records sent that got no answer from a job that did not succeed: open for the next attempt. */
  readonly unanswered: number;
  readonly errors_by_type: Partial<Record<ErrorType, number>>;
  /** Tokens of every answer in the job's output, valid or not: what Vertex AI bills. */
  readonly tokens_in: number;
  readonly tokens_out: number;
}

/** `summary.json` and `executions.summary`: the run's report. */
export interface SummaryDocument {
  readonly execution_id: string;
  /** Name of the analysis the run analysed (`pass1` unless the pipeline has several). */
  readonly analysis: string;
  readonly analysis_version: string;
  readonly status: 'succeeded' | 'failed';
  readonly records_total: number;
  readonly skipped_dedup: number;
  readonly batches: number;
  readonly batches_succeeded: number;
  readonly batches_failed: number;
  /** Batches whose latest attempt has not ended: still running, or cut short by a run that died. */
  readonly batches_unfinished: number;
  /** Batches that failed at least once and then succeeded. */
  readonly batches_recovered: number;
  /** Planned records that have a result for the version. */
  readonly records_succeeded: number;
  /** Planned records settled by an error: permanent, or out of attempts. */
  readonly records_failed: number;
  /** Planned records neither analysed nor settled: the next run takes them. */
  readonly records_open: number;
  /** Error rows of the run by type, as distinct records. */
  readonly errors_by_type: Partial<Record<ErrorType, number>>;
  readonly tokens_in: number;
  readonly tokens_out: number;
  readonly estimated_cost_usd: number;
  readonly duration_seconds: number;
  /** Batches whose latest attempt failed, for `tapctl recover`. */
  readonly failed_batches: readonly number[];
}
