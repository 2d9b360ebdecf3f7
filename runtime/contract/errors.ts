/**
 * The per-record error taxonomy (`error_tracking.error_type`): which errors are worth retrying, and
 * which of them use up one of the record's attempts. Only the record's own answer does: an outage of
 * the model or a job that ended early says nothing about the record.
 */

export const ERROR_TYPES = {
  /** The model's text is not JSON. */
  json_parse_error: { retryable: true, countsAttempt: true },
  /** A required field is absent (the seed design's name, after its required `summary`). */
  missing_summary: { retryable: true, countsAttempt: true },
  /** JSON of the wrong shape: a wrong type, a value outside its enum. */
  schema_violation: { retryable: true, countsAttempt: true },
  /** The output line's `status` carries an error about this request from Vertex AI or the model. */
  vertex_ai_error: { retryable: true, countsAttempt: true },
  /**
   * The model could not be reached or was overloaded (unavailable, out of quota, internal error,
   * timeout, HTTP 429 or 5xx): the record is tried again without using up an attempt.
   */
  model_unavailable: { retryable: true, countsAttempt: false },
  /** The answer was blocked by safety filters; the same input would be blocked again. */
  safety_blocked: { retryable: false, countsAttempt: true },
  /** `finishReason` MAX_TOKENS: the JSON was cut off. */
  truncated: { retryable: true, countsAttempt: true },
  /** No output line for a record that a job which SUCCEEDED was sent. */
  missing_result: { retryable: true, countsAttempt: true },
  /** Nothing to analyse. */
  empty_transcript: { retryable: false, countsAttempt: true },
  /** Longer than the model or the request size limit allows. */
  input_too_large: { retryable: false, countsAttempt: true },
} as const;

export type ErrorType = keyof typeof ERROR_TYPES;

export const ERROR_TYPE_NAMES = Object.keys(ERROR_TYPES) as ErrorType[];

export function isRetryable(type: ErrorType): boolean {
  return ERROR_TYPES[type].retryable;
}

/** Whether an error of this type uses up one of the record's `maxRecordAttempts`. */
export function countsAttempt(type: ErrorType): boolean {
  return ERROR_TYPES[type].countsAttempt;
}

/** Error types that do not use up an attempt, for SQL (`error_type NOT IN (...)`). */
export const FREE_ERROR_TYPES: readonly ErrorType[] = ERROR_TYPE_NAMES.filter((t) => !countsAttempt(t));
