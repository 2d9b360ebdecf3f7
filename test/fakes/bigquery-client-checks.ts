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
import { GcsStore } from '../../runtime/adapters/gcp/gcs-store';
import { GcpPipeline } from '../../runtime/ops/gcp';
import { analysisVersion, DEFAULT_ANALYSIS } from '../../runtime/contract';
import * as processor from '../../runtime/jobs/processor';
import { jobEnv } from './harness';
import { outputLine } from './vertex';
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

  'the operator commands query through the same adapter, so a TIMESTAMP parameter arrives': async ({ bq }) => {
    const config = {
      projectId: 'p',
      region: 'europe-west4',
      dataset: 'tap',
      masterWorkflow: 'm',
      batchWorkflow: 'b',
      resultsTable: 'results',
      location: 'europe-west4',
    };
    const ops = new GcpPipeline(config, { TAPCTL_BIGQUERY_ENDPOINT: bq.url, GOOGLE_OAUTH_ACCESS_TOKEN: 'token' }).warehouse();
    assert.equal(ops.table('executions'), '`p.tap.executions`');
    const rows = await ops.query({
      sql: 'SELECT @t AS t, @t IS NULL AS missing',
      params: { t: '2026-11-28T10:00:00.000Z' },
      types: { t: 'TIMESTAMP' },
    });
    assert.deepEqual(rows, [{ t: '2026-11-28T10:00:00.000Z', missing: false }]);
  },

  'streams a result over several pages with getQueryResults': async ({ warehouse, bq }) => {
    await bq.engine.insert(
      'batch_assignments',
      Array.from({ length: 5 }, (_, i) => ({
        execution_id: 'e',
        batch_id: 0,
        row_number: i + 1,
        record_id: `r${i}`,
        analysis_version: 'v',
        record_attempt: 1,
        planned_at: '2026-11-28T10:00:00Z',
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
    assert.deepEqual(seen, [
      ['r0', 1],
      ['r1', 2],
      ['r2', 3],
      ['r3', 4],
      ['r4', 5],
    ]);
    assert.ok(bq.calls.filter((c) => /^GET \/bigquery\/v2\/projects\/p\/queries\/job_/.test(c)).length >= 2, bq.calls.join('\n'));
  },

  'reads REPEATED columns as arrays': async ({ warehouse, bq }) => {
    await bq.engine.insert('transcription_analyzed_transcripts', [
      {
        record_id: 'a',
        analysis_version: 'v',
        summary: 's',
        topics: ['x', 'y'],
        model: 'm',
        execution_id: 'e',
        batch_id: 0,
        processed_at: '2026-11-28T10:00:00Z',
      },
    ]);
    const rows = await warehouse.query({
      sql: `SELECT topics, action_items FROM ${warehouse.table('transcription_analyzed_transcripts')}`,
    });
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

  'a load that BigQuery rejects is an error; the same load again tries the next id of its series': async ({ warehouse, gcs, bq }) => {
    gcs.put(BUCKET, 'stage/bad.jsonl', JSON.stringify({ execution_id: 'B', no_such_column: 1 }));
    await assert.rejects(
      warehouse.load('batch_events', 'stage/bad.jsonl', 'tap_test_bad'),
      /tap_test_bad into batch_events failed: No such field/,
    );
    await assert.rejects(warehouse.load('batch_events', 'stage/bad.jsonl', 'tap_test_bad'), /tap_test_bad_r1 into batch_events failed/);
    assert.ok(bq.calls.includes('GET /bigquery/v2/projects/p/jobs/tap_test_bad'));
  },

  'a load replayed by another process (a new client) under the same job id loads nothing twice': async ({ gcs, bq }) => {
    gcs.put(
      BUCKET,
      'stage/replay.jsonl',
      ['A', 'B']
        .map((e) => JSON.stringify({ execution_id: e, batch_id: 0, attempt: 1, status: 'planned', event_time: '2026-11-28T10:00:00Z' }))
        .join('\n'),
    );
    const first = new BigQueryWarehouse({
      projectId: 'p',
      dataset: 'tap',
      bucket: BUCKET,
      location: 'europe-west4',
      apiEndpoint: bq.url,
      pollMillis: 5,
    });
    assert.equal(await first.load('batch_events', 'stage/replay.jsonl', 'tap_test_replay'), 'loaded');
    const second = new BigQueryWarehouse({
      projectId: 'p',
      dataset: 'tap',
      bucket: BUCKET,
      location: 'europe-west4',
      apiEndpoint: bq.url,
      pollMillis: 5,
    });
    assert.equal(await second.load('batch_events', 'stage/replay.jsonl', 'tap_test_replay'), 'already_done');
    const rows = await bq.engine.dump('batch_events');
    assert.equal(rows.filter((r) => r.execution_id === 'A' || r.execution_id === 'B').length, 2);
  },

  'a failed load is made again under the next id, and a new process finds that one done': async ({ gcs, bq }) => {
    const client = () =>
      new BigQueryWarehouse({
        projectId: 'p',
        dataset: 'tap',
        bucket: BUCKET,
        location: 'europe-west4',
        apiEndpoint: bq.url,
        pollMillis: 5,
      });
    gcs.put(BUCKET, 'stage/flaky.jsonl', JSON.stringify({ execution_id: 'F', oops: 1 }));
    await assert.rejects(client().load('batch_events', 'stage/flaky.jsonl', 'tap_test_flaky'), /failed/);
    gcs.put(
      BUCKET,
      'stage/flaky.jsonl',
      JSON.stringify({ execution_id: 'F', batch_id: 0, attempt: 1, status: 'planned', event_time: '2026-11-28T10:00:00Z' }),
    );
    assert.equal(await client().load('batch_events', 'stage/flaky.jsonl', 'tap_test_flaky'), 'loaded');
    assert.equal(await client().load('batch_events', 'stage/flaky.jsonl', 'tap_test_flaky'), 'already_done');
    assert.equal((await bq.engine.dump('batch_events')).filter((r) => r.execution_id === 'F').length, 1);
  },

  'the processor, cut short after each of its loads and run again by a new process, commits every record once': async ({ gcs, bq }) => {
    const version = analysisVersion(DEFAULT_ANALYSIS);
    const ids = ['c0', 'c1', 'c2', 'c3'];
    await bq.engine.insert(
      'batch_assignments',
      ids.map((id, i) => ({
        execution_id: 'cx',
        batch_id: 0,
        row_number: i + 1,
        record_id: id,
        analysis_version: version,
        record_attempt: 1,
        planned_at: '2026-11-28T10:00:00Z',
      })),
    );
    gcs.put(
      BUCKET,
      'runs/cx/out/predictions.jsonl',
      ids
        .flatMap((id) =>
          outputLine(
            { contents: [{ role: 'user', parts: [{ text: id }] }], labels: { taprecord: id } },
            id === 'c3' ? { kind: 'text', text: 'not json' } : { kind: 'ok' },
          ),
        )
        .join('\n'),
    );
    const env = {
      ...jobEnv(),
      TAP_EXECUTION_ID: 'cx',
      TAP_BATCH_ID: '0',
      TAP_ATTEMPT: '1',
      TAP_VERTEX_JOB: 'projects/p/locations/europe-west4/batchPredictionJobs/77',
      TAP_VERTEX_STATE: 'JOB_STATE_SUCCEEDED',
      TAP_VERTEX_OUTPUT_DIR: `gs://${BUCKET}/runs/cx/out`,
    };
    // A new process each time: new clients for BigQuery and Cloud Storage, nothing kept in memory.
    const processPorts = (crashAfter?: string) => ({
      warehouse: new BigQueryWarehouse({
        projectId: 'p',
        dataset: 'tap',
        bucket: BUCKET,
        location: 'europe-west4',
        apiEndpoint: bq.url,
        pollMillis: 5,
      }),
      store: new GcsStore({ projectId: 'p', bucket: BUCKET, apiEndpoint: gcs.url }),
      log: { log: () => undefined },
      checkpoint: (point: string) => {
        if (point === crashAfter) throw new Error(`killed after ${point}`);
      },
    });
    for (const point of ['staged', 'results', 'errors', 'processed', 'event']) {
      await assert.rejects(processor.run({ ...env, TAP_ATTEMPT: String(1) }, processPorts(point)), /killed/);
    }
    await processor.run(env, processPorts());
    const mine = (rows: Record<string, unknown>[], column = 'execution_id') => rows.filter((r) => r[column] === 'cx');
    const results = mine(await bq.engine.dump('transcription_analyzed_transcripts'));
    const processed = mine(await bq.engine.dump('processed_records'), 'first_processed_execution_id');
    const errors = mine(await bq.engine.dump('error_tracking'));
    const events = mine(await bq.engine.dump('batch_events'));
    assert.deepEqual(results.map((r) => r.record_id).sort(), ['c0', 'c1', 'c2']);
    assert.deepEqual(processed.map((r) => r.record_id).sort(), ['c0', 'c1', 'c2']);
    assert.deepEqual(
      errors.map((r) => [r.record_id, r.error_type]),
      [['c3', 'json_parse_error']],
    );
    assert.deepEqual(
      events.map((e) => [e.status, e.succeeded, e.failed, e.tokens_in]),
      [['succeeded', 3, 1, 400]],
    );
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
  const warehouse = new BigQueryWarehouse({
    projectId: 'p',
    dataset: 'tap',
    bucket: BUCKET,
    location: 'europe-west4',
    apiEndpoint: bq.url,
    pollMillis: 5,
  });
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
