import fc from 'fast-check';
import { AUTO_BATCH_SIZE, LIMITS } from '../../../runtime/contract';
import {
  autoBatchLayout,
  autoBatchSize,
  batchCount,
  batchOfRow,
  batchRows,
  batchSizes,
  describeLayout,
  layoutOfPlan,
  layoutOfShape,
  uniformLayout,
  type BatchLayout,
} from '../../../runtime/core/batch-size';

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

const layouts: fc.Arbitrary<BatchLayout> = fc
  .record({
    batchSize: fc.integer({ min: 1, max: 12 }),
    tailFirstBatch: fc.integer({ min: 0, max: 6 }),
    tailBatchSize: fc.integer({ min: 1, max: 12 }),
    tailRows: fc.integer({ min: 0, max: 40 }),
  })
  .map((p) => ({
    records: Math.max(1, p.tailFirstBatch * p.batchSize + p.tailRows),
    batchSize: p.batchSize,
    tailFirstBatch: p.tailFirstBatch,
    tailBatchSize: Math.min(p.batchSize, p.tailBatchSize),
  }));

describe('batch layouts', () => {
  test('every row is in exactly one batch, the batches in row order and none empty', () => {
    fc.assert(
      fc.property(layouts, (l) => {
        const sizes = batchSizes(l);
        expect(sizes.length).toBe(batchCount(l));
        expect(sizes.every((n) => n > 0)).toBe(true);
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(l.records);
        let row = 1;
        for (let b = 0; b < sizes.length; b++) {
          expect(batchRows(l, b)).toEqual({ first: row, last: row + sizes[b]! - 1 });
          for (let r = row; r < row + sizes[b]!; r++) expect(batchOfRow(l, r)).toBe(b);
          row += sizes[b]!;
        }
      }),
      { seed: 5 },
    );
  });

  test('the batch sizes read back from a written plan give the same batches', () => {
    fc.assert(
      fc.property(layouts, (l) => {
        const sizes = batchSizes(l);
        const smaller = sizes.findIndex((n) => n < sizes[0]!);
        const read = layoutOfShape({
          records: l.records,
          batchCount: sizes.length,
          firstBatchRecords: sizes[0]!,
          firstSmallerBatch: smaller < 0 ? null : smaller,
          firstSmallerBatchRecords: smaller < 0 ? null : sizes[smaller]!,
        });
        expect(batchSizes(read)).toEqual(sizes);
      }),
      { seed: 6 },
    );
  });

  test('sizes that plan_assign never writes are refused', () => {
    expect(() =>
      layoutOfShape({ records: 20, batchCount: 9, firstBatchRecords: 5, firstSmallerBatch: 3, firstSmallerBatchRecords: 2 }),
    ).toThrow(/not of the shape plan_assign writes/);
  });

  test('a plan.json from before plans had a tail reads as one size', () => {
    expect(layoutOfPlan({ records: 250, batch_size: 100, batch_count: 3 })).toEqual(uniformLayout(250, 100));
    expect(batchSizes(uniformLayout(250, 100))).toEqual([100, 100, 50]);
  });

  test('auto ends 1M transcripts in half-size batches: its last third, at most two waves', () => {
    const l = autoBatchLayout({ ...volume, textBytes: volume.records * 6000 });
    expect(l).toEqual({ records: 1_000_000, batchSize: 31_250, tailFirstBatch: 21, tailBatchSize: 15_625 });
    expect(describeLayout(l)).toBe('21 x 31250 + 22 x 15625');
    const tailRows = l.records - l.tailFirstBatch * l.batchSize;
    expect(tailRows).toBeGreaterThanOrEqual(l.records * AUTO_BATCH_SIZE.tailShare);
    expect(tailRows).toBeLessThan(l.records * AUTO_BATCH_SIZE.tailShare + l.batchSize);
    // 100M: the tail is two waves of the lanes, not a third of the run.
    const huge = autoBatchLayout({ ...volume, records: 100_000_000, textBytes: 100_000_000 * 6000 });
    const hugeTail = huge.records - huge.tailFirstBatch * huge.batchSize;
    expect(hugeTail).toBeGreaterThanOrEqual(8 * huge.batchSize * AUTO_BATCH_SIZE.tailWaves);
    expect(hugeTail).toBeLessThan(8 * huge.batchSize * AUTO_BATCH_SIZE.tailWaves + huge.batchSize);
    expect(huge.tailBatchSize).toBe(Math.ceil(huge.batchSize / AUTO_BATCH_SIZE.tailDivisor));
  });

  test('auto never cuts a batch under minRecords: a plan of batches that small has one size', () => {
    for (const records of [20, 100_000, 160_000, 200_000]) {
      const l = autoBatchLayout({ ...volume, records, textBytes: records * 600 });
      expect(Math.min(...batchSizes(l).slice(0, -1), l.batchSize)).toBeGreaterThanOrEqual(Math.min(records, AUTO_BATCH_SIZE.minRecords));
    }
    expect(autoBatchLayout({ ...volume, records: 100_000, textBytes: 100_000 * 600 })).toEqual(
      uniformLayout(100_000, AUTO_BATCH_SIZE.minRecords),
    );
  });
});
