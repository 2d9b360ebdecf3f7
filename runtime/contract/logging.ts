/**
 * The structured log lines the jobs and workflows write (one JSON object per line on stdout, which
 * Cloud Logging turns into `jsonPayload`). The construct's log-based metrics filter on these names.
 */

/** `event` values of log lines that metrics and alerts depend on. */
export const LOG_EVENTS = {
  jobStarted: 'job_started',
  jobFinished: 'job_finished',
  /** A job failed; the line carries `error`. */
  jobFailed: 'job_failed',
  /** One line per error type a batch produced: `error_type`, `count`. */
  recordErrors: 'record_errors',
  /** A batch attempt failed (written by the batch workflow with `sys.log`). */
  batchFailed: 'batch_failed',
  /** A batch attempt succeeded (written by the batch workflow). */
  batchSucceeded: 'batch_succeeded',
  /** The generator redacted personal data from a batch's requests: `findings`, `by_type` (counts, never values). */
  redacted: 'redacted',
} as const;

export type LogEvent = (typeof LOG_EVENTS)[keyof typeof LOG_EVENTS];

export type Severity = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL';

/** Fields every job log line carries, besides `severity` and `message`. */
export interface LogContext {
  readonly job?: string;
  readonly execution_id?: string;
  readonly batch?: string;
  readonly attempt?: number;
}
