import { AUTO_BATCH_SIZE, LIMITS } from '../../../runtime/contract';
import { autoBatchSize } from '../../../runtime/core/batch-size';

const volume = { records: 1_000_000, textBytes: 1_000_000 * 600, requestOverheadBytes: 1400, maxConcurrentBatches: 8 };

describe('autoBatchSize', () => {
  test('1M short transcripts with 8 lanes run as 8 jobs, not 1,000', () => {
    const size = autoBatchSize(volume);
    expect(size).toBe(125_000);
    expect(Math.ceil(volume.records / size)).toBe(8);
  });

  test('never more requests per job than Vertex AI takes', () => {
    expect(autoBatchSize({ ...volume, records: 10_000_000, textBytes: 10_000_000, requestOverheadBytes: 10 })).toBe(LIMITS.maxBatchSize);
  });

  test('never more estimated input per job than its share of the 1 GB file limit', () => {
    // 6 KB transcripts: 1M of them are 7.4 GB of requests, more than 8 files of 1 GB.
    const big = { ...volume, textBytes: 1_000_000 * 6000 };
    const size = autoBatchSize(big);
    const perRequest = 6000 + 1400;
    expect(size).toBe(Math.floor((LIMITS.maxBatchInputBytes * AUTO_BATCH_SIZE.inputBytesShare) / perRequest));
    expect(size * perRequest).toBeLessThanOrEqual(LIMITS.maxBatchInputBytes);
    expect(Math.ceil(big.records / size)).toBeGreaterThan(8);
  });

  test('a small plan is spread over the lanes, one record at least per batch', () => {
    expect(autoBatchSize({ ...volume, records: 20, textBytes: 2000 })).toBe(3);
    expect(autoBatchSize({ ...volume, records: 3, textBytes: 300 })).toBe(1);
    expect(autoBatchSize({ ...volume, records: 0, textBytes: 0 })).toBe(1);
  });
});
