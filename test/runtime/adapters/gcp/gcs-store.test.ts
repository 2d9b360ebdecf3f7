import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GcsStore } from '../../../../runtime/adapters/gcp/gcs-store';
import { NotFoundError } from '../../../../runtime/core/ports';
import { FakeGcs, startFakeGcs } from '../../../fakes/gcs-server';

const BUCKET = 'work-bucket';
let gcs: FakeGcs;
let store: GcsStore;

beforeAll(async () => {
  gcs = await startFakeGcs({ pageSize: 2 });
  store = new GcsStore({ projectId: 'p', bucket: BUCKET, apiEndpoint: gcs.url });
});

afterAll(async () => {
  await gcs.close();
});

describe('GcsStore through @google-cloud/storage', () => {
  test('writes, reads, checks and lists objects', async () => {
    await store.writeText('runs/r1/plan.json', '{"a":1}');
    await store.writeText('runs/r1/b/x.jsonl', 'x');
    await store.writeText('runs/r1/b/y.jsonl', 'y');
    await store.writeText('runs/r2/z.jsonl', 'z');
    expect(await store.readText('runs/r1/plan.json')).toBe('{"a":1}');
    expect(gcs.text(BUCKET, 'runs/r1/plan.json')).toBe('{"a":1}');
    expect(await store.exists('runs/r1/plan.json')).toBe(true);
    expect(await store.exists('runs/r1/nope.json')).toBe(false);
    // three objects under the prefix, two per page: the client follows nextPageToken
    expect(await store.list('runs/r1/')).toEqual(['runs/r1/b/x.jsonl', 'runs/r1/b/y.jsonl', 'runs/r1/plan.json']);
    expect(gcs.calls).toContain(`POST /upload/storage/v1/b/${BUCKET}/o`);
    expect(gcs.calls).toContain(`GET /storage/v1/b/${BUCKET}/o`);
  });

  test('a missing object is a NotFoundError', async () => {
    await expect(store.readText('runs/none.json')).rejects.toBeInstanceOf(NotFoundError);
  });

  test('streams a large object in and out, validated against its hashes', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ i, text: 'é'.repeat(20) }));
    await pipeline(Readable.from(lines.map((l) => l + '\n')), store.openWrite('big/input.jsonl'));
    const chunks: Buffer[] = [];
    for await (const chunk of store.openRead('big/input.jsonl')) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(lines.join('\n') + '\n');
    expect(gcs.calls).toContain(`GET /storage/v1/b/${BUCKET}/o/big%2Finput.jsonl`);
  });

  test('a download whose bytes do not match the hash header fails', async () => {
    gcs.put(BUCKET, 'bad.txt', 'hello');
    gcs.corrupt.add('bad.txt');
    const read = async () => {
      const chunks: Buffer[] = [];
      for await (const c of store.openRead('bad.txt')) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    };
    await expect(read()).rejects.toThrow(/did not match the data from the server/);
    gcs.corrupt.delete('bad.txt');
    await expect(read()).resolves.toBe('hello');
  });
});
