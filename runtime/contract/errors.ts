/** The per-record error taxonomy (`error_tracking.error_type`) and which errors are worth retrying. */

export const ERROR_TYPES = {
  /** The model's text is not JSON. */
  json_parse_error: { retryable: true },
  /** A required field is absent (the seed design's name, after its required `summary`). */
  missing_summary: { retryable: true },
  /** JSON of the wrong shape: a wrong type, a value outside its enum. */
  schema_violation: { retryable: true },
  /** The output line's `status` carries an error from Vertex AI or the model. */
  vertex_ai_error: { retryable: true },
  /** The answer was blocked by safety filters; the same input would be blocked again. */
  safety_blocked: { retryable: false },
  /** `finishReason` MAX_TOKENS: the JSON was cut off. */
  truncated: { retryable: true },
  /** No output line for a record the batch sent. */
  missing_result: { retryable: true },
  /** Nothing to analyse. */
  empty_transcript: { retryable: false },
  /** Longer than the model or the request size limit allows. */
  input_too_large: { retryable: false },
} as const;

export type ErrorType = keyof typeof ERROR_TYPES;

export const ERROR_TYPE_NAMES = Object.keys(ERROR_TYPES) as ErrorType[];

export function isRetryable(type: ErrorType): boolean {
  return ERROR_TYPES[type].retryable;
}
