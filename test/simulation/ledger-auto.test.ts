/**
 * Exactly once when the planner sizes the batches (`batchSize: 'auto'`): plans that end in smaller
 * batches (see `autoBatchLayout`), under random histories of runs, crashes and recoveries, row-range
 * recoveries across the change of size included. `auto` never makes a batch under 5,000 records,
 * which a laptop history never reaches, so here its smallest batch is one record, and it plans two
 * waves rather than four: the lab's plans of a few records then end in smaller batches as a run of
 * millions does.
 */
import { checkHistories } from './fixed-set';

jest.mock('../../runtime/contract/limits', () => {
  const actual = jest.requireActual<typeof import('../../runtime/contract/limits')>('../../runtime/contract/limits');
  return { ...actual, AUTO_BATCH_SIZE: { ...actual.AUTO_BATCH_SIZE, batchesPerLane: 2, minRecords: 1 } };
});

test('plans of a few records end in smaller batches here', async () => {
  const { autoBatchLayout, batchSizes } = await import('../../runtime/core/batch-size');
  const l = autoBatchLayout({ records: 12, textBytes: 600, requestOverheadBytes: 100, maxConcurrentBatches: 1 });
  expect(batchSizes(l)).toEqual([6, 3, 3]);
});

checkHistories([201], { auto: true, runs: 50 });
