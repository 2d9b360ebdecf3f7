/** Deterministic ids: the same write, repeated after a crash, carries the same id. */
import { createHash } from 'node:crypto';

function digest(parts: readonly (string | number)[], length: number): string {
  return createHash('sha256').update(parts.map(String).join('\u0000')).digest('hex').slice(0, length);
}

/**
 * BigQuery job id of a load (letters, digits, `_`, `-`; at most 1024 characters) from everything
 * that identifies the write: job kind, execution, batch, attempt, Vertex AI job, table.
 */
export function loadJobId(kind: string, parts: readonly (string | number)[]): string {
  return `tap_${kind}_${digest(parts, 40)}`;
}

/** `error_tracking.error_id`: one failure of one record in one batch attempt. */
export function errorId(executionId: string, batch: string, attempt: number, recordId: string, analysisVersion: string): string {
  return `err_${digest([executionId, batch, attempt, recordId, analysisVersion], 32)}`;
}
