import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { FolderStore } from '../../../../runtime/adapters/local/folder-store';
import { NotFoundError } from '../../../../runtime/core/ports';

let dir: string;
let store: FolderStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tap-store-'));
  store = new FolderStore(dir, 'work');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const readAll = async (r: Readable): Promise<string> => {
  let s = '';
  for await (const chunk of r) s += chunk.toString();
  return s;
};

describe('FolderStore', () => {
  it('writes and reads small objects, creating folders', async () => {
    await store.writeText('runs/e1/plan.json', '{"a":1}');
    expect(await store.readText('runs/e1/plan.json')).toBe('{"a":1}');
    expect(await store.exists('runs/e1/plan.json')).toBe(true);
    expect(await store.exists('runs/e1')).toBe(false);
    expect(store.bucket).toBe('work');
  });

  it('rejects a missing object with NotFoundError, from readText and from openRead', async () => {
    await expect(store.readText('nope.json')).rejects.toBeInstanceOf(NotFoundError);
    await expect(readAll(store.openRead('nope.json'))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses paths that leave the folder', async () => {
    await expect(store.writeText('../x', 'y')).rejects.toThrow(/invalid object path/);
    await expect(store.readText('/etc/passwd')).rejects.toThrow(/invalid object path/);
  });

  it('lists objects under a string prefix, sorted, without in-progress writes', async () => {
    for (const p of ['b/2.jsonl', 'b/10.jsonl', 'a/x/1', 'b/1/deep.json', 'bb/z']) await store.writeText(p, p);
    const pending = store.openWrite('b/3.jsonl');
    pending.write('half');
    await new Promise((r) => setImmediate(r));
    expect(await store.list('b/')).toEqual(['b/1/deep.json', 'b/10.jsonl', 'b/2.jsonl']);
    expect(await store.list('b')).toEqual(['b/1/deep.json', 'b/10.jsonl', 'b/2.jsonl', 'bb/z']);
    expect(await store.list('')).toHaveLength(5);
    expect(await store.list('missing/')).toEqual([]);
    pending.destroy();
  });

  it('streams an object in and out; it appears only once the stream has finished', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `{"n":${i}}\n`);
    const w = store.openWrite('out/predictions.jsonl');
    await new Promise<void>((r) => w.write(lines[0], () => r()));
    expect(await store.exists('out/predictions.jsonl')).toBe(false);
    await pipeline(Readable.from(lines.slice(1)), w);
    expect(await readAll(store.openRead('out/predictions.jsonl'))).toBe(lines.join(''));
  });

  it('leaves no object and no temporary file when a writer fails midway', async () => {
    const w = store.openWrite('out/x.jsonl');
    const failed = new Promise((r) => w.on('error', r));
    const closed = new Promise((r) => w.on('close', r));
    w.write('partial line');
    await new Promise((r) => setTimeout(r, 10));
    w.destroy(new Error('crash'));
    expect(((await failed) as Error).message).toBe('crash');
    await closed;
    expect(await store.exists('out/x.jsonl')).toBe(false);
    expect(readdirSync(path.join(dir, 'out'))).toEqual([]);
  });

  it('fails the upload, not the process, when the file cannot be written', async () => {
    const uncaught: unknown[] = [];
    const record = (e: unknown): void => void uncaught.push(e);
    process.on('uncaughtException', record);
    try {
      // A last segment this long leaves no room for the temporary file's suffix: opening it fails.
      const name = `out/${'a'.repeat(250)}`;
      const lines = Array.from({ length: 200 }, () => 'x'.repeat(1024));
      await expect(pipeline(Readable.from(lines), store.openWrite(name))).rejects.toThrow(/ENAMETOOLONG/);
      await new Promise((r) => setTimeout(r, 20));
      expect(uncaught).toEqual([]);
      expect(readdirSync(path.join(dir, 'out'))).toEqual([]);
    } finally {
      process.off('uncaughtException', record);
    }
  });

  it('replaces an object whole: an aborted rewrite keeps the old content', async () => {
    await store.writeText('doc.json', 'old');
    const w = store.openWrite('doc.json');
    const closed = new Promise((r) => w.on('close', r));
    w.write('new but unfinished');
    w.destroy();
    await closed;
    expect(await store.readText('doc.json')).toBe('old');
  });
});
