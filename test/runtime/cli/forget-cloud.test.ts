/**
 * `tapctl forget` against a deployed pipeline's fakes, as a real process: BigQuery (the fake of
 * jobs.query over the tables of a real laptop run) and Cloud Storage (the fake JSON API holding that
 * run's files as the work bucket). Afterwards no table row and no object names the records.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLocalWorkspace, type LocalWorkspace } from '../../../runtime/adapters/local';
import { LOCAL_LAYOUT, TABLE_NAMES } from '../../../runtime/contract';
import { recordMarker } from '../../../runtime/core/requests';
import { runLocalPipeline } from '../../../runtime/local/pipeline';
import { RECORD_TABLES } from '../../../runtime/ops/forget';
import { FakeGcs, startFakeGcs } from '../../fakes/gcs-server';
import { FakeGcp } from '../ops/fake-gcp';
import { tapctl } from './run-cli';

const PROJECT = 'acme-prod';
const BUCKET = 'acme-work';
const hex = (seed: string) => createHash('sha256').update(seed).digest('hex').slice(0, 24);
const ids = Array.from({ length: 10 }, (_, i) => `call-${hex(`cloud ${i}`)}`);
const forgotten = [ids[2]!, ids[7]!];

let dir: string;
let ws: LocalWorkspace;
let gcs: FakeGcs;
let fake: FakeGcp;

const objectsNaming = (value: string) =>
  [...(gcs.buckets.get(BUCKET) ?? new Map()).entries()].filter(([, o]) => o.data.includes(value)).map(([name]) => name);

async function rowsNaming(id: string): Promise<string[]> {
  const found: string[] = [];
  for (const table of RECORD_TABLES) {
    const rows = await ws.warehouse.query({ sql: `SELECT 1 FROM ${ws.warehouse.table(table)} WHERE record_id = @id`, params: { id } });
    if (rows.length > 0) found.push(table);
  }
  const source = await ws.warehouse.query({
    sql: `SELECT 1 FROM ${ws.warehouse.table(TABLE_NAMES.source)} WHERE transcript_id = @id`,
    params: { id },
  });
  if (source.length > 0) found.push(TABLE_NAMES.source);
  return found;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-forget-cloud-'));
  const work = path.join(dir, 'work');
  const text = (i: number) => `Agent: How can I help?\nCustomer: My parcel ${hex(`p ${i}`)} is late.\nAgent: I have sent a new one.`;
  fs.writeFileSync(
    path.join(dir, 'calls.jsonl'),
    ids.map((id, i) => JSON.stringify({ transcript_id: id, transcript: text(i) })).join('\n') + '\n',
  );
  const result = await runLocalPipeline({ workdir: work, transcripts: path.join(dir, 'calls.jsonl'), batchSize: 4 });
  expect(result.summary?.records_succeeded).toBe(ids.length);
  gcs = await startFakeGcs();
  const runs = path.join(work, LOCAL_LAYOUT.bucket, 'runs');
  const walk = (d: string): string[] =>
    fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  for (const file of walk(runs))
    gcs.put(BUCKET, path.relative(path.join(work, LOCAL_LAYOUT.bucket), file).split(path.sep).join('/'), fs.readFileSync(file));
  ws = await openLocalWorkspace(work);
  fake = await new FakeGcp({
    project: PROJECT,
    region: 'europe-west4',
    dataset: LOCAL_LAYOUT.dataset,
    workflows: [],
    warehouse: ws.warehouse,
  }).start();
  fs.writeFileSync(path.join(dir, 'ids.txt'), forgotten.join('\n') + '\n');
}, 120_000);

afterAll(async () => {
  await fake?.stop();
  await gcs?.close();
  await ws?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const target = ['--project', PROJECT, '--region', 'europe-west4', '--dataset', LOCAL_LAYOUT.dataset, '--bucket', BUCKET];
const env = () => ({
  GOOGLE_OAUTH_ACCESS_TOKEN: 'test-token',
  TAPCTL_BIGQUERY_ENDPOINT: fake.url,
  STORAGE_EMULATOR_HOST: gcs.url,
  HOME: dir,
});

test('deletes the rows with BigQuery DML and the lines of the run files in the bucket, and records the erasures', async () => {
  for (const id of forgotten) {
    expect((await rowsNaming(id)).length).toBeGreaterThan(3);
    expect(objectsNaming(id).some((o) => o.endsWith('input.jsonl'))).toBe(true);
    expect(objectsNaming(recordMarker(id)).some((o) => o.includes('prediction'))).toBe(true);
  }
  const r = await tapctl(['forget', '--file', 'ids.txt', '--source', '--yes', '--json', ...target], { cwd: dir, env: env() });
  expect(r.stderr).toContain(`2 record(s) in dataset ${PROJECT}.${LOCAL_LAYOUT.dataset}`);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ records: 2, source: 2, recorded: 2 });
  for (const id of forgotten) {
    expect([id, await rowsNaming(id)]).toEqual([id, []]);
    for (const form of [id, recordMarker(id)]) expect([form, objectsNaming(form)]).toEqual([form, []]);
  }
  expect(objectsNaming('.forget-tmp')).toEqual([]);
  expect([...gcs.buckets.get(BUCKET)!.keys()].filter((k) => k.endsWith('.forget-tmp'))).toEqual([]);
  expect((await rowsNaming(ids[0]!)).length).toBeGreaterThan(3);
  expect(objectsNaming(ids[0]!).length).toBeGreaterThan(0);
  const erasures = await ws.warehouse.query<{ record_hash: string }>({
    sql: `SELECT record_hash FROM ${ws.warehouse.table(TABLE_NAMES.forgotten)}`,
  });
  const sha = (id: string) => createHash('sha256').update(id).digest('hex');
  expect(erasures.map((e) => e.record_hash).sort()).toEqual(forgotten.map(sha).sort());
}, 60_000);

test('a second run finds nothing and records nothing more', async () => {
  const r = await tapctl(['forget', '--file', 'ids.txt', '--source', '--yes', '--json', ...target], { cwd: dir, env: env() });
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ recorded: 0, files: [], source: 0 });
}, 60_000);

test('needs the work bucket', async () => {
  const r = await tapctl(['forget', '--record', 'x', '--project', PROJECT, '--region', 'europe-west4', '--dataset', LOCAL_LAYOUT.dataset], {
    cwd: dir,
    env: env(),
  });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain('forget needs the work bucket');
}, 60_000);
