/**
 * The master orchestrator's step budget at the largest plan it takes (LIMITS.maxBatchesPerRun): a
 * Workflows execution runs at most 100,000 steps, connector polls included. The batches stand in
 * for the batch workflow (each waits its virtual time, then succeeds or fails), so that the master
 * alone is measured. Kept apart from the other workflow tests: each runs 25,000 child executions.
 */
import { LIMITS } from '../../runtime/contract';
import { ScriptedCloud } from './scripted-cloud';

describe('the master orchestrator at the largest plan', () => {
  test('the largest plan (25,000 batches) of two-hour batches, 1% failing once, stays within the step and memory limits with polls counted', async () => {
    const seen = new Set<number>();
    const cloud: ScriptedCloud = new ScriptedCloud({
      batchCount: LIMITS.maxBatchesPerRun,
      childSeconds: 2 * 3600,
      childShortcut: (argument) => {
        const id = argument.batch_id as number;
        const attempt = argument.attempt as number;
        const failsNow = id % 100 === 7 && !seen.has(id);
        if (failsNow) seen.add(id);
        cloud.events.push({ execution_id: argument.execution_id, batch_id: id, attempt, status: failsNow ? 'failed' : 'succeeded' });
        if (failsNow) throw { message: 'failed once', tags: ['BatchIncomplete'] };
        return { status: 'succeeded', records: 100 };
      },
    });
    const outcome = await cloud.run(cloud.master, { execution_id: 'big', max_concurrent_batches: 20 });
    expect(outcome.state).toBe('SUCCEEDED');
    expect(seen.size).toBe(LIMITS.maxBatchesPerRun / 100);
    // 1,250 two-hour waves: at least 104 days on the virtual clock, inside an execution's year.
    expect((outcome.stats.endTime - outcome.stats.startTime) / 86400).toBeGreaterThan(104);
    expect((outcome.stats.endTime - outcome.stats.startTime) / 86400).toBeLessThan(365);
    expect(outcome.stats.steps).toBeLessThan(100_000);
    expect(outcome.stats.peakMemoryBytes).toBeLessThan(512 * 1024);
    expect(cloud.logged('run_finished')[0]).toMatchObject({
      batches: LIMITS.maxBatchesPerRun,
      batches_succeeded: LIMITS.maxBatchesPerRun,
      batches_recovered: LIMITS.maxBatchesPerRun / 100,
      batches_failed: 0,
      attempts_used: 2,
    });
  }, 600_000);

  test('when every batch of the largest plan fails, no retry round starts that might not fit in the step limit: the run reports', async () => {
    const cloud: ScriptedCloud = new ScriptedCloud({
      batchCount: LIMITS.maxBatchesPerRun,
      childShortcut: (argument) => {
        cloud.events.push({
          execution_id: argument.execution_id,
          batch_id: argument.batch_id,
          attempt: argument.attempt,
          status: 'failed',
        });
        throw { message: 'Vertex AI is down', tags: ['BatchIncomplete'] };
      },
    });
    const outcome = await cloud.run(cloud.master, { execution_id: 'down', max_concurrent_batches: 20, max_batch_attempts: 3 });
    expect(outcome.state).toBe('SUCCEEDED');
    expect(outcome.stats.steps).toBeLessThan(100_000);
    // The list of 25,000 failed batches, the largest variable there is, stays within the 512 KB of all variables.
    expect(outcome.stats.peakMemoryBytes).toBeLessThan(512 * 1024);
    expect(cloud.logged('retries_stopped')).toEqual([expect.objectContaining({ batches: LIMITS.maxBatchesPerRun })]);
    expect(cloud.logged('run_finished')[0]).toMatchObject({ batches_failed: LIMITS.maxBatchesPerRun, attempts_used: 1 });
  }, 600_000);
});
