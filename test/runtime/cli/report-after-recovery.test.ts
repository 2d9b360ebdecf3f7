/**
 * `tapctl report` against the deployed pipeline (the fake BigQuery REST server over the jobs' tables)
 * says, after a recovery, what the reporter job says when it runs again: one computation, read
 * through two paths (the operator's BigQuery client and the job's warehouse).
 */
import { SummaryDocument } from '../../../runtime/contract';
import { FakeBigQuery, startFakeBigQuery } from '../../fakes/bigquery-server';
import { FakeGcs, startFakeGcs } from '../../fakes/gcs-server';
import { DATASET, Harness, PROJECT } from '../../fakes/harness';
import { tapctl } from './run-cli';

let h: Harness;
let gcs: FakeGcs;
let bq: FakeBigQuery;

beforeAll(async () => {
  h = await Harness.create();
  gcs = await startFakeGcs();
  bq = await startFakeBigQuery(h.engine, gcs);
});
afterAll(async () => {
  await bq.close();
  await gcs.close();
});

const report = async (executionId: string) => {
  const r = await tapctl(
    ['report', '--project', PROJECT, '--region', 'europe-west4', '--dataset', DATASET, '--execution', executionId, '--json'],
    {
      env: { TAPCTL_BIGQUERY_ENDPOINT: bq.url, GOOGLE_OAUTH_ACCESS_TOKEN: 'test-token' },
    },
  );
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as SummaryDocument;
};

test('after a recovery, tapctl report equals a fresh reporter run', async () => {
  await h.addTranscripts(Array.from({ length: 7 }, (_, i) => ({ id: `c${i}`, text: `call ${i} about a bill` })));
  await h.plan('run-1', { TAP_BATCH_SIZE: '3' });
  // Batch 0 is answered, one record blocked by safety; batch 1's Vertex AI job fails; batch 2 is answered.
  await h.batch('run-1', 0, 1, { behave: (id) => (id === 'c1' ? { kind: 'safety' } : { kind: 'ok' }) });
  await h.generate('run-1', 1, 1);
  await h.recordEvent({
    execution_id: 'run-1',
    batch_id: 1,
    attempt: 1,
    status: 'failed',
    message: 'Vertex AI batch job ended JOB_STATE_FAILED',
  });
  await h.batch('run-1', 2);
  h.clock = new Date('2026-11-28T10:10:00Z');
  const atTheEnd = await h.report('run-1');
  expect(atTheEnd).toMatchObject({ batches_failed: 1, failed_batches: [1], records_open: 3 });

  // The recovery: batch 1 again, after the run's own summary.
  h.clock = new Date('2026-11-28T11:00:00Z');
  await h.batch('run-1', 1, 2);
  const before = await report('run-1');
  expect(before).not.toEqual(atTheEnd);
  h.clock = new Date('2026-11-28T11:05:00Z');
  const fresh = await h.report('run-1');
  expect(fresh).toMatchObject({ batches_failed: 0, batches_recovered: 1, records_succeeded: 6, records_failed: 1, records_open: 0 });
  expect(before).toEqual(fresh);
  expect(await report('run-1')).toEqual(fresh);
});
