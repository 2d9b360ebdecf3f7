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
 * Records per batch under `auto` (see `AUTO_BATCH_SIZE`): 1,000,000 transcripts of 6,000
 * characters with 8 batches at once run as 32 jobs of 31,250 (four waves), not 1,000 of 1,000;
 * 100,000,000 as 904 jobs of about 110,000, each within Vertex AI's limits. Always at least 1.
 */
export function autoBatchSize(v: PlannedVolume): number {
  if (v.records <= 0) return 1;
  const lanes = Math.max(1, v.maxConcurrentBatches);
  const requestBytes = v.textBytes / v.records + v.requestOverheadBytes;
  const byInput = Math.floor((LIMITS.maxBatchInputBytes * AUTO_BATCH_SIZE.inputBytesShare) / Math.max(1, requestBytes));
  const largest = Math.max(1, Math.min(LIMITS.maxBatchSize, byInput));
  const waves = Math.max(AUTO_BATCH_SIZE.batchesPerLane, Math.ceil(v.records / (lanes * largest)));
  const even = Math.ceil(v.records / (lanes * waves));
  return Math.min(largest, Math.max(even, AUTO_BATCH_SIZE.minRecords));
}
