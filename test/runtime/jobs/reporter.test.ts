import { layout } from '../../../runtime/contract';
import { batchSummary } from '../../../runtime/core/summary';
import { Harness } from '../../fakes/harness';

describe('reporter', () => {
  test('summarises a run from the tables and appends the outcome to executions', async () => {
    const h = await Harness.create();
    await h.addTranscripts([...Array.from({ length: 5 }, (_, i) => ({ id: `t${i}`, text: `call ${i}` })), { id: 'empty', text: '' }]);
    await h.plan('run-0', { TAP_LIMIT: '1' });
    await h.batch('run-0', 0);
    await h.plan('run-1', { TAP_BATCH_SIZE: '2' });
    await h.batch('run-1', 0, 1, { behave: (id) => (id === 't1' ? { kind: 'max_tokens' } : { kind: 'ok' }) });
    await h.batch('run-1', 1);
    // run-0 took 'empty' (the first id); in run-1, t1 is truncated (open for the next run) and batch 2
    // never ran (its record t4 is open too).
    h.clock = new Date('2026-11-28T10:30:00Z');
    const summary = await h.report('run-1');
    expect(summary).toEqual({
      execution_id: 'run-1',
      analysis: 'pass1',
      analysis_version: expect.stringMatching(/^v-/),
      status: 'failed',
      records_total: 5,
      skipped_dedup: 1,
      batches: 3,
      batches_succeeded: 2,
      batches_failed: 0,
      batches_unfinished: 1,
      batches_recovered: 0,
      records_succeeded: 3,
      records_failed: 0,
      records_open: 2,
      errors_by_type: { truncated: 1 },
      // Four answers came back, the truncated one included: Vertex AI bills all four.
      tokens_in: 400,
      tokens_out: 80,
      estimated_cost_usd: (400 * 0.15 + 80 * 1.25) / 1e6,
      // From the plan to the last batch event (both at 10:00 on this clock).
      duration_seconds: 0,
      failed_batches: [],
    });
    expect(h.store.json(layout.summary('run-1'))).toEqual(summary);
    const executions = (await h.rows('executions')).filter((e) => e.execution_id === 'run-1');
    expect(executions.map((e) => e.status).sort()).toEqual(['failed', 'planned']);
    expect(JSON.parse(String(executions.find((e) => e.status === 'failed')!.summary))).toEqual(summary);
  });

  test('fails when the execution was never planned', async () => {
    const h = await Harness.create();
    await expect(h.report('nope')).rejects.toThrow(/nope has no planned row/);
  });

  test('a batch that failed and then succeeded counts as recovered; one never finished counts as unfinished', () => {
    expect(
      batchSummary(4, [
        { batchId: 0, status: 'succeeded', everFailed: true },
        { batchId: 1, status: 'failed', everFailed: true },
        { batchId: 2, status: 'submitted', everFailed: false },
      ]),
    ).toEqual({ batches: 4, batches_succeeded: 1, batches_failed: 1, batches_unfinished: 2, batches_recovered: 1, failed_batches: [1] });
  });

  test('prices the run at the price it was planned with (TAP_PRICE)', async () => {
    const h = await Harness.create();
    await h.addTranscripts([{ id: 'a', text: 'x' }]);
    await h.runAll('run-1', {}, { TAP_PRICE: '{"inputPerMillion": 1000000, "outputPerMillion": 0}' });
    expect((await h.report('run-1')).estimated_cost_usd).toBe(100);
    await expect(h.plan('run-2', { TAP_PRICE: '{"input": 1}' })).rejects.toThrow(/^TAP_PRICE: must be/);
  });
});
