import { AUTO_BATCH_SIZE, LIMITS } from '../../../runtime/contract';
import { autoBatchSize } from '../../../runtime/core/batch-size';

const volume = { records: 1_000_000, textBytes: 1_000_000 * 600, requestOverheadBytes: 1400, maxConcurrentBatches: 8 };

describe('autoBatchSize', () => {
  test('1M short transcripts with 8 lanes run as four waves of 8 jobs, not 1,000 jobs', () => {
    const size = autoBatchSize(volume);
    expect(size).toBe(31_250);
    expect(Math.ceil(volume.records / size)).toBe(8 * AUTO_BATCH_SIZE.batchesPerLane);
  });

  test('never more requests per job than Vertex AI takes', () => {
    const size = autoBatchSize({ ...volume, records: 10_000_000, textBytes: 10_000_000, requestOverheadBytes: 10 });
    expect(size).toBeLessThanOrEqual(LIMITS.maxBatchSize);
    // 10M records need seven waves of 8 jobs to stay within 200,000 requests a job.
    expect(Math.ceil(10_000_000 / size)).toBe(56);
  });

  test('never more estimated input per job than its share of the 1 GB file limit', () => {
    // 6 KB transcripts: 1M of them are 7.4 GB of requests, more than 8 files of 1 GB.
    const big = { ...volume, textBytes: 1_000_000 * 6000 };
    const size = autoBatchSize(big);
    const perRequest = 6000 + 1400;
    expect(size * perRequest).toBeLessThanOrEqual(LIMITS.maxBatchInputBytes * AUTO_BATCH_SIZE.inputBytesShare);
    // 100M of them need more than four waves: as many as the input limit asks, a whole number of them.
    const huge = { ...big, records: 100_000_000, textBytes: 100_000_000 * 6000 };
    const hugeSize = autoBatchSize(huge);
    expect(hugeSize * perRequest).toBeLessThanOrEqual(LIMITS.maxBatchInputBytes * AUTO_BATCH_SIZE.inputBytesShare);
    const batches = Math.ceil(huge.records / hugeSize);
    const largest = Math.floor((LIMITS.maxBatchInputBytes * AUTO_BATCH_SIZE.inputBytesShare) / perRequest);
    expect(batches).toBe(8 * Math.ceil(huge.records / (8 * largest)));
    expect(batches % 8).toBe(0);
  });

  test('a small plan runs as few jobs of at least minRecords, since a smaller job would wait longer than it runs', () => {
    expect(autoBatchSize({ ...volume, records: 20, textBytes: 2000 })).toBe(AUTO_BATCH_SIZE.minRecords);
    expect(autoBatchSize({ ...volume, records: 100_000, textBytes: 100_000 * 600 })).toBe(AUTO_BATCH_SIZE.minRecords);
    expect(autoBatchSize({ ...volume, records: 200_000, textBytes: 200_000 * 600 })).toBe(6250);
    expect(autoBatchSize({ ...volume, records: 0, textBytes: 0 })).toBe(1);
  });
});
