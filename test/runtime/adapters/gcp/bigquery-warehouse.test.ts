import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

// The BigQuery client cannot run inside jest's sandbox (see test/fakes/bigquery-client-checks.ts),
// so its checks run in a child process; each becomes a test here.
const root = path.resolve(__dirname, '../../../..');
let results: Map<string, { ok: boolean; error?: string }>;

beforeAll(() => {
  const out = execFileSync(process.execPath, ['bin/run-ts.js', 'test/fakes/bigquery-client-checks.ts'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  results = new Map(
    out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { name: string; ok: boolean; error?: string })
      .map((r) => [r.name, r]),
  );
});

const names = [
  'quotes table names and refuses invalid ones',
  'runs DML and queries with typed parameters, nulls and timestamps through jobs.query',
  'the operator commands query through the same adapter, so a TIMESTAMP parameter arrives',
  'streams a result over several pages with getQueryResults',
  'reads REPEATED columns as arrays',
  'a load with a given job id loads once through jobs.insert; the same id again is already done',
  'a load that BigQuery rejects is an error; the same load again tries the next id of its series',
  'a load replayed by another process (a new client) under the same job id loads nothing twice',
  'a failed load is made again under the next id, and a new process finds that one done',
  'the processor, cut short after each of its loads and run again by a new process, commits every record once',
  'a query error carries the message of the server',
  'queries also run as query jobs (jobs.insert, then getQueryResults) when the fast path is off',
];

describe('BigQueryWarehouse through @google-cloud/bigquery and the fake REST server', () => {
  test('every check ran', () => {
    expect([...results.keys()].sort()).toEqual([...names].sort());
  });
  test.each(names)('%s', (name) => {
    expect(results.get(name)).toEqual({ name, ok: true });
  });
});
