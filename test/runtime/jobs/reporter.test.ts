import { layout } from '../../../runtime/contract';
import { batchSummary } from '../../../runtime/jobs/reporter';
import { Harness } from '../../fakes/harness';

describe('reporter', () => {
  test('summarises a run from the tables and appends the outcome to executions', async () => {
    const h = await Harness.create();
    await h.addTranscripts([
      ...Array.from({ length: 5 }, (_, i) => ({ id: `t${i}`, text: `call ${i}` })),
      { id: 'empty', text: '' },
    ]);
    await h.plan('run-0', { TAP_LIMIT: '1' });
    await h.batch('run-0', 0);
    await h.plan('run-1', { TAP_BATCH_SIZE: '2' });
    await h.batch('run-1', 0, 1, { behave: (id) => (id === 't1' ? { kind: 'max_tokens' } : { kind: 'ok' }) });
    await h.batch('run-1', 1);
    // run-0 took 'empty' (the first id); in run-1, t1 is truncated and batch 2 never finishes.
    h.clock = new Date('2026-11-28T10:30:00Z');
    const summary = await h.report('run-1');
    expect(summary).toEqual({
      execution_id: 'run-1',
      analysis_version: expect.stringMatching(/^v-/),
      status: 'failed',
      records_total: 5,
      skipped_dedup: 1,
      batches: 3,
      batches_succeeded: 2,
      batches_failed: 1,
      batches_recovered: 0,
      records_succeeded: 3,
      records_failed: 1,
      errors_by_type: { truncated: 1 },
      tokens_in: 300,
      tokens_out: 60,
      estimated_cost_usd: (300 * 0.15 + 60 * 1.25) / 1e6,
      duration_seconds: 1800,
      failed_batches: [2],
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

  test('a batch that failed and then succeeded counts as recovered', () => {
    expect(
      batchSummary(3, [
        { batchId: 0, succeeded: true, everFailed: true },
        { batchId: 1, succeeded: false, everFailed: true },
      ]),
    ).toEqual({ batches: 3, batches_succeeded: 1, batches_failed: 2, batches_recovered: 1, failed_batches: [1, 2] });
  });

  test('uses TAP_PRICE for the cost estimate', async () => {
    const h = await Harness.create();
    await h.addTranscripts([{ id: 'a', text: 'x' }]);
    await h.runAll('run-1');
    const summary = await (await import('../../../runtime/jobs/reporter')).run(
      h.env({ TAP_EXECUTION_ID: 'run-1', TAP_PRICE: '{"inputPerMillion": 1000000, "outputPerMillion": 0}' }),
      h.ports,
    );
    expect(summary.estimated_cost_usd).toBe(100);
    await expect(
      (await import('../../../runtime/jobs/reporter')).run(h.env({ TAP_EXECUTION_ID: 'run-1', TAP_PRICE: '{"input": 1}' }), h.ports),
    ).rejects.toThrow(/^TAP_PRICE: must be/);
  });
});
