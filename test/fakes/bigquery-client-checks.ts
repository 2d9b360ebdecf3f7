/**
 * Checks of `BigQueryWarehouse` through `@google-cloud/bigquery` against the fake BigQuery server,
 * run as a child process by `test/runtime/adapters/gcp/bigquery-warehouse.test.ts`: the client's
 * HTTP layer (teeny-request 10) loads node-fetch with a dynamic `import()`, which jest's module
 * sandbox refuses without `--experimental-vm-modules`. Prints one JSON line per check.
 *
 * Usage: node bin/run-ts.js test/fakes/bigquery-client-checks.ts
 */
import assert from 'node:assert/strict';
import { BigQueryWarehouse } from '../../runtime/adapters/gcp/bigquery-warehouse';
import { FakeBigQuery, startFakeBigQuery } from './bigquery-server';
import { DuckEngine } from './duck-engine';
import { FakeGcs, startFakeGcs } from './gcs-server';

const BUCKET = 'work-bucket';

type Check = (ctx: { bq: FakeBigQuery; gcs: FakeGcs; warehouse: BigQueryWarehouse }) => Promise<void>;

export const CHECKS: Record<string, Check> = {
  'quotes table names and refuses invalid ones': async ({ warehouse }) => {
    assert.equal(warehouse.table('processed_records'), '`p.tap.processed_records`');
    assert.equal(warehouse.table('other-project.ds.t'), '`other-project.ds.t`');
    assert.throws(() => warehouse.table('x`; DROP'), /invalid table id/);
  },

  'runs DML and queries with typed parameters, nulls and timestamps through jobs.query': async ({ warehouse, bq }) => {
    await warehouse.query({
      sql: `INSERT INTO ${warehouse.table('executions')} (execution_id, status, analysis_version, params, records_total, event_time)
SELECT @e, @s, @v, @p, @n, @t FROM (SELECT 1 AS one) AS single_row`,
      params: { e: 'run-1', s: 'planned', v: 'v-1', p: null, n: 42, t: '2026-11-28T10:00:00.000Z' },
      types: { e: 'STRING', s: 'STRING', v: 'STRING', p: 'STRING', n: 'INT64', t: 'TIMESTAMP' },
    });
    const rows = await warehouse.query({
      sql: `SELECT execution_id, records_total, params, event_time, records_total > 40 AS big FROM ${warehouse.table('executions')} WHERE records_total > @min`,
      params: { min: 1 },
      types: { min: 'INT64' },
    });
    assert.deepEqual(rows, [{ execution_id: 'run-1', records_total: 42, params: null, event_time: '2026-11-28T10:00:00.000Z', big: true }]);
    assert.ok(bq.calls.includes('POST /bigquery/v2/projects/p/queries'));
  },

  'streams a result over several pages with getQueryResults': async ({ warehouse, bq }) => {
    await bq.engine.insert(
      'batch_assignments',
      Array.from({ length: 5 }, (_, i) => ({
        execution_id: 'e', batch_id: 0, row_number: i + 1, record_id: `r${i}`, analysis_version: 'v', record_attempt: 1, planned_at: '2026-11-28T10:00:00Z',
      })),
    );
    const seen: unknown[] = [];
    for await (const row of warehouse.stream<{ record_id: string; row_number: number }>({
      sql: `SELECT record_id, row_number FROM ${warehouse.table('batch_assignments')} WHERE execution_id = @e ORDER BY row_number`,
      params: { e: 'e' },
      types: { e: 'STRING' },
    })) {
      seen.push([row.record_id, row.row_number]);
    }
    assert.deepEqual(seen, [['r0', 1], ['r1', 2], ['r2', 3], ['r3', 4], ['r4', 5]]);
    assert.ok(bq.calls.filter((c) => /^GET \/bigquery\/v2\/projects\/p\/queries\/job_/.test(c)).length >= 2, bq.calls.join('\n'));
  },

  'reads REPEATED columns as arrays': async ({ warehouse, bq }) => {
    await bq.engine.insert('transcription_analyzed_transcripts', [
      { record_id: 'a', analysis_version: 'v', summary: 's', topics: ['x', 'y'], model: 'm', execution_id: 'e', batch_id: 0, processed_at: '2026-11-28T10:00:00Z' },
    ]);
    const rows = await warehouse.query({ sql: `SELECT topics, action_items FROM ${warehouse.table('transcription_analyzed_transcripts')}` });
    assert.deepEqual(rows, [{ topics: ['x', 'y'], action_items: [] }]);
  },

  'a load with a given job id loads once through jobs.insert; the same id again is already done': async ({ warehouse, bq, gcs }) => {
    gcs.put(
      BUCKET,
      'stage/events.jsonl',
      [
        JSON.stringify({ execution_id: 'L', batch_id: 0, attempt: 1, status: 'succeeded', event_time: '2026-11-28T10:00:00Z' }),
        JSON.stringify({ execution_id: 'L', batch_id: 1, attempt: 1, status: 'failed', message: 'x', event_time: '2026-11-28T10:00:00Z' }),
      ].join('\n'),
    );
    assert.equal(await warehouse.load('batch_events', 'stage/events.jsonl', 'tap_test_load_1'), 'loaded');
    assert.equal(await warehouse.load('batch_events', 'stage/events.jsonl', 'tap_test_load_1'), 'already_done');
    const count = await warehouse.query({ sql: `SELECT COUNT(*) AS n FROM ${warehouse.table('batch_events')} WHERE execution_id = 'L'` });
    assert.deepEqual(count, [{ n: 2 }]);
    assert.ok(bq.calls.includes('POST /bigquery/v2/projects/p/jobs'));
    assert.ok(bq.calls.includes('GET /bigquery/v2/projects/p/jobs/tap_test_load_1'));
  },

  'a load that BigQuery rejects is an error, also when its id is met again': async ({ warehouse, gcs }) => {
    gcs.put(BUCKET, 'stage/bad.jsonl', JSON.stringify({ execution_id: 'B', no_such_column: 1 }));
    await assert.rejects(warehouse.load('batch_events', 'stage/bad.jsonl', 'tap_test_bad'), /tap_test_bad into batch_events failed: No such field/);
    await assert.rejects(warehouse.load('batch_events', 'stage/bad.jsonl', 'tap_test_bad'), /failed/);
  },

  'a query error carries the message of the server': async ({ warehouse }) => {
    await assert.rejects(warehouse.query({ sql: `SELECT no_such_column FROM ${warehouse.table('executions')}` }), /no_such_column/);
  },

  'queries also run as query jobs (jobs.insert, then getQueryResults) when the fast path is off': async ({ warehouse, bq }) => {
    process.env.FAST_QUERY_PATH = 'DISABLED';
    try {
      const rows = await warehouse.query({ sql: 'SELECT @x AS x', params: { x: 'hello' }, types: { x: 'STRING' } });
      assert.deepEqual(rows, [{ x: 'hello' }]);
    } finally {
      delete process.env.FAST_QUERY_PATH;
    }
    assert.ok(bq.calls.filter((c) => c === 'POST /bigquery/v2/projects/p/jobs').length >= 2);
  },
};

async function main(): Promise<void> {
  const gcs = await startFakeGcs();
  const bq = await startFakeBigQuery(await DuckEngine.create(), gcs, { pageSize: 2 });
  const warehouse = new BigQueryWarehouse({ projectId: 'p', dataset: 'tap', bucket: BUCKET, location: 'europe-west4', apiEndpoint: bq.url, pollMillis: 5 });
  for (const [name, check] of Object.entries(CHECKS)) {
    try {
      await check({ bq, gcs, warehouse });
      process.stdout.write(JSON.stringify({ name, ok: true }) + '\n');
    } catch (e) {
      process.stdout.write(JSON.stringify({ name, ok: false, error: (e as Error).message }) + '\n');
    }
  }
  await gcs.close();
  await bq.close();
}

void main();
