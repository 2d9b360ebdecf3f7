/** The batch size `auto` chooses from what is planned (`batchSize: 'auto'`, the default). */
import { AUTO_BATCH_SIZE, LIMITS } from '../contract';

export interface PlannedVolume {
  /** Records the plan takes. */
  readonly records: number;
  /** Bytes of their text, as stored (UTF-8). */
  readonly textBytes: number;
  /** Bytes of one request with an empty text: the prompt, the schema, the labels. */
  readonly requestOverheadBytes: number;
  /** Batches the run keeps in flight at once. */
  readonly maxConcurrentBatches: number;
}

/**
 * Records per batch under `auto` (see `AUTO_BATCH_SIZE`): 1,000,000 records with 8 batches at once
 * run as about 8 jobs of 125,000, not 1,000 of 1,000. Always at least 1.
 */
export function autoBatchSize(v: PlannedVolume): number {
  if (v.records <= 0) return 1;
  const lanes = Math.ceil(v.records / Math.max(1, v.maxConcurrentBatches));
  const requestBytes = v.textBytes / v.records + v.requestOverheadBytes;
  const byInput = Math.floor((LIMITS.maxBatchInputBytes * AUTO_BATCH_SIZE.inputBytesShare) / Math.max(1, requestBytes));
  return Math.max(1, Math.min(lanes, LIMITS.maxBatchSize, byInput));
}
