/**
 * Forgetting records, in a laptop work folder (below) or a deployed pipeline (`forgetCloud`): their
 * rows in every table that holds record ids (the results of every version, processed_records,
 * error_tracking, batch_assignments, the staged batch_inputs), with `source` their source rows too;
 * the lines of the run files that name them (requests, predictions, staged commits, redaction
 * counts) and, on the laptop, of the logs, after which the database is rewritten, because DuckDB
 * keeps deleted rows in the file's free blocks. Each erasure is recorded in `forgotten` as a hash of
 * the id and the time, never the id.
 *
 * Safe to run again: what is gone is not found again, and an erasure is recorded again only when it
 * deleted something or none is recorded yet.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  ANALYSIS_NAME,
  COMPARISONS_TABLE,
  FIXED_TABLES,
  LOCAL_LAYOUT,
  PRIMARY_ANALYSIS,
  RECORD_FILE_FOLDERS,
  resultsTableName,
  TABLE_NAMES,
} from '../contract';
import type { Warehouse } from '../core/ports';
import { recordLabel, recordMarker, RECORD_LABEL } from '../core/requests';
import { openLocalWorkspace } from '../adapters/local';
import type { GcsStore } from '../adapters/gcp/gcs-store';

/**
 * The tables whose rows carry a `record_id`: `pass1`'s results table, the ledger's, and the
 * comparisons of `tapctl compare`. The other analyses' results tables come from the runs
 * (`recordTables`).
 */
export const RECORD_TABLES: readonly string[] = [
  TABLE_NAMES.results,
  ...FIXED_TABLES.filter((t) => t.columns.some((c) => c.name === 'record_id')).map((t) => t.name),
  COMPARISONS_TABLE.name,
];

/**
 * Every table that may hold the records: `RECORD_TABLES` with `resultsTable` for `pass1`'s, and
 * the results table of every other analysis a run of the pipeline named (the `executions` rows'
 * `params.analysis`), so that an analysis declared once and since removed is forgotten too.
 */
async function recordTables(wh: Warehouse, resultsTable: string): Promise<string[]> {
  const rows = await wh.query<{ params: unknown }>({
    sql: `SELECT DISTINCT params FROM ${wh.table(TABLE_NAMES.executions)} WHERE params IS NOT NULL`,
  });
  const others = new Set<string>();
  for (const row of rows) {
    let name: unknown;
    try {
      name = (JSON.parse(String(row.params)) as { analysis?: unknown }).analysis;
    } catch {
      continue;
    }
    if (typeof name === 'string' && name !== PRIMARY_ANALYSIS && ANALYSIS_NAME.pattern.test(name)) others.add(resultsTableName(name));
  }
  const tables = RECORD_TABLES.map((t) => (t === TABLE_NAMES.results ? resultsTable : t));
  return [...new Set([...tables, ...[...others].sort()])];
}

/** What `forget` finds for a set of records before deleting anything. */
export interface ForgetPlan {
  readonly records: number;
  /** Rows per table that name the records. */
  readonly tables: ReadonlyArray<{ readonly table: string; readonly rows: number }>;
  /** Source rows, when `--source`. */
  readonly source?: number;
  /** Run files and logs with lines that name the records, relative to the work folder. */
  readonly files: ReadonlyArray<{ readonly path: string; readonly lines: number }>;
}

export interface ForgetOutcome extends ForgetPlan {
  /** Erasures recorded in `forgotten`. */
  readonly recorded: number;
}

/** The hex SHA-256 of a record id: what `forgotten` keeps. */
export function recordHash(recordId: string): string {
  return createHash('sha256').update(recordId, 'utf8').digest('hex');
}

/** The ways a line of a run file or log names a record. */
function namings(ids: readonly string[]): string[] {
  return ids.flatMap((id) => [JSON.stringify(id), `"${RECORD_LABEL}":${JSON.stringify(recordLabel(id))}`, recordMarker(id)]);
}

async function* filesUnder(dir: string): AsyncGenerator<string> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) yield* filesUnder(full);
    else if (e.name.endsWith('.jsonl')) yield full;
  }
}

/** The run files and logs: the bucket's `RECORD_FILE_FOLDERS`, and `logs/`; with `source`, the loaded copies in `_inputs/`. */
async function* runFiles(dir: string, source: boolean): AsyncGenerator<string> {
  for (const folder of RECORD_FILE_FOLDERS) yield* filesUnder(path.join(dir, LOCAL_LAYOUT.bucket, folder));
  yield* filesUnder(path.join(dir, 'logs'));
  if (source) yield* filesUnder(path.join(dir, LOCAL_LAYOUT.bucket, '_inputs'));
}

async function countLines(file: string, needles: readonly string[]): Promise<number> {
  let n = 0;
  const reader = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of reader) if (needles.some((s) => line.includes(s))) n++;
  return n;
}

/** Rewrites a file without the lines that name the records, through a temporary file renamed over it. */
async function dropLines(file: string, needles: readonly string[]): Promise<void> {
  const temp = `${file}.forget-${process.pid}`;
  const out = createWriteStream(temp);
  const reader = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of reader) {
    if (needles.some((s) => line.includes(s))) continue;
    if (!out.write(line + '\n')) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  await fs.rename(temp, file);
}

async function existingTables(wh: Warehouse): Promise<Set<string>> {
  const rows = await wh.query<{ name: string }>({ sql: 'SELECT table_name AS name FROM information_schema.tables' });
  return new Set(rows.map((r) => r.name));
}

/** Rows naming each id in a table's column. */
async function countRows(wh: Warehouse, table: string, column: string, ids: readonly string[]): Promise<Map<string, number>> {
  const rows = await wh.query<{ id: string; n: number | bigint }>({
    sql: `SELECT ${column} AS id, COUNT(*) AS n FROM ${wh.table(table)} WHERE ${column} IN UNNEST(@ids) GROUP BY ${column}`,
    params: { ids },
  });
  return new Map(rows.map((r) => [String(r.id), Number(r.n)]));
}

const total = (counts: ReadonlyMap<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);

/** Finds what `forget` would delete in a work folder, deleting nothing. */
export async function planLocalForget(dir: string, ids: readonly string[], source: boolean): Promise<ForgetPlan> {
  const ws = await openLocalWorkspace(dir);
  try {
    const { perRecord: _, ...found } = await plan(ws.warehouse, dir, ids, source);
    return found;
  } finally {
    await ws.close();
  }
}

interface Found extends ForgetPlan {
  /** Table rows per record id. */
  readonly perRecord: ReadonlyMap<string, number>;
}

async function plan(wh: Warehouse, dir: string, ids: readonly string[], source: boolean): Promise<Found> {
  const have = await existingTables(wh);
  const tables = [];
  const perRecord = new Map<string, number>();
  for (const table of (await recordTables(wh, TABLE_NAMES.results)).filter((t) => have.has(t))) {
    const counts = await countRows(wh, table, 'record_id', ids);
    for (const [id, n] of counts) perRecord.set(id, (perRecord.get(id) ?? 0) + n);
    tables.push({ table, rows: total(counts) });
  }
  const needles = namings(ids);
  const files = [];
  for await (const file of runFiles(dir, source)) {
    const lines = await countLines(file, needles);
    if (lines > 0) files.push({ path: path.relative(dir, file), lines });
  }
  return {
    records: ids.length,
    tables,
    ...(source ? { source: total(await countRows(wh, TABLE_NAMES.source, 'transcript_id', ids)) } : {}),
    files,
    perRecord,
  };
}

/** Deletes the records everywhere in a work folder and records the erasures. */
export async function forgetLocal(dir: string, ids: readonly string[], source: boolean, now: Date = new Date()): Promise<ForgetOutcome> {
  const ws = await openLocalWorkspace(dir);
  let found: Found;
  let recorded = 0;
  try {
    const wh = ws.warehouse;
    found = await plan(wh, dir, ids, source);
    // Run files first: a crash after them leaves rows that the next forget finds and deletes.
    const needles = namings(ids);
    for (const file of found.files) await dropLines(path.join(dir, file.path), needles);
    for (const { table, rows } of found.tables) {
      if (rows > 0) await wh.query({ sql: `DELETE FROM ${wh.table(table)} WHERE record_id IN UNNEST(@ids)`, params: { ids } });
    }
    if (source) await wh.query({ sql: `DELETE FROM ${wh.table(TABLE_NAMES.source)} WHERE transcript_id IN UNNEST(@ids)`, params: { ids } });
    recorded = await recordErasures(wh, ids, found, source, now);
  } finally {
    await ws.close();
  }
  await rewriteDatabase(path.join(dir, LOCAL_LAYOUT.database));
  const { perRecord: _, ...outcome } = found;
  return { ...outcome, recorded };
}

/**
 * Copies the database into a new file and puts it in place of the old one: DuckDB leaves deleted
 * rows in the free blocks of its file, where they would outlive the erasure.
 */
async function rewriteDatabase(file: string): Promise<void> {
  const fresh = `${file}.forget-${process.pid}`;
  await fs.rm(fresh, { force: true });
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  try {
    const [[name]] = (await connection.runAndReadAll('SELECT current_database()')).getRows() as [[string]];
    await connection.run(`ATTACH '${fresh.replace(/'/g, "''")}' AS fresh`);
    await connection.run(`COPY FROM DATABASE "${name.replace(/"/g, '""')}" TO fresh`);
    await connection.run('DETACH fresh');
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  await fs.rm(`${file}.wal`, { force: true });
  await fs.rename(fresh, file);
}

/** What the cloud forget works on: the dataset's tables through BigQuery, the work bucket through Cloud Storage. */
export interface CloudForgetSite {
  readonly warehouse: Pick<Warehouse, 'table' | 'query'>;
  readonly store: GcsStore;
  /** The results table's id (the deployment may have renamed it). */
  readonly resultsTable: string;
}

/** Whether BigQuery answered that a table does not exist (the dataset has no such table). */
function tableNotFound(error: unknown): boolean {
  return /Not found: Table/i.test(error instanceof Error ? error.message : String(error));
}

async function countObjectLines(store: GcsStore, object: string, needles: readonly string[]): Promise<number> {
  let n = 0;
  const reader = createInterface({ input: store.openRead(object), crlfDelay: Infinity });
  for await (const line of reader) if (needles.some((s) => line.includes(s))) n++;
  return n;
}

/**
 * Rewrites an object without the lines that name the records: the kept lines stream to a temporary
 * object, which then streams over the original and is deleted. No step holds a whole run file in
 * memory, and the original is replaced only by a whole upload.
 */
async function dropObjectLines(store: GcsStore, object: string, needles: readonly string[]): Promise<void> {
  const temp = `${object}.forget-tmp`;
  const filter = async function* (source: AsyncIterable<Buffer | string>) {
    const reader = createInterface({ input: Readable.from(source), crlfDelay: Infinity });
    for await (const line of reader) if (!needles.some((s) => line.includes(s))) yield line + '\n';
  };
  await pipeline(store.openRead(object), filter, store.openWrite(temp));
  await pipeline(store.openRead(temp), store.openWrite(object));
  await store.client.bucket(store.bucket).file(temp).delete({ ignoreNotFound: true });
}

async function planCloud(site: CloudForgetSite, ids: readonly string[], source: boolean): Promise<Found> {
  const wh = site.warehouse as Warehouse;
  const tables = [];
  const perRecord = new Map<string, number>();
  for (const table of await recordTables(wh, site.resultsTable)) {
    let counts: Map<string, number>;
    try {
      counts = await countRows(wh, table, 'record_id', ids);
    } catch (error) {
      // A table the deployment does not have (no comparison made yet) holds nothing to forget.
      if (tableNotFound(error)) continue;
      throw error;
    }
    for (const [id, n] of counts) perRecord.set(id, (perRecord.get(id) ?? 0) + n);
    tables.push({ table, rows: total(counts) });
  }
  const needles = namings(ids);
  const files = [];
  const objects = (await Promise.all(RECORD_FILE_FOLDERS.map((folder) => site.store.list(`${folder}/`)))).flat();
  for (const object of objects) {
    if (!object.endsWith('.jsonl')) continue;
    const lines = await countObjectLines(site.store, object, needles);
    if (lines > 0) files.push({ path: `gs://${site.store.bucket}/${object}`, lines });
  }
  return {
    records: ids.length,
    tables,
    ...(source ? { source: total(await countRows(wh, TABLE_NAMES.source, 'transcript_id', ids)) } : {}),
    files,
    perRecord,
  };
}

/** Finds what `forget` would delete in a deployed pipeline, deleting nothing. */
export async function planCloudForget(site: CloudForgetSite, ids: readonly string[], source: boolean): Promise<ForgetPlan> {
  const { perRecord: _, ...found } = await planCloud(site, ids, source);
  return found;
}

/**
 * Deletes the records everywhere in a deployed pipeline and records the erasures: the run files'
 * lines first, then the rows (BigQuery DML), then `forgotten`. BigQuery keeps deleted rows for its
 * time travel window (7 days by default) and Cloud Logging keeps what it was sent; the jobs log
 * counts, not record ids.
 */
export async function forgetCloud(
  site: CloudForgetSite,
  ids: readonly string[],
  source: boolean,
  now: Date = new Date(),
): Promise<ForgetOutcome> {
  const wh = site.warehouse as Warehouse;
  const found = await planCloud(site, ids, source);
  const needles = namings(ids);
  const prefix = `gs://${site.store.bucket}/`;
  for (const file of found.files) await dropObjectLines(site.store, file.path.slice(prefix.length), needles);
  for (const { table, rows } of found.tables) {
    if (rows > 0) await wh.query({ sql: `DELETE FROM ${wh.table(table)} WHERE record_id IN UNNEST(@ids)`, params: { ids } });
  }
  if (source && (found.source ?? 0) > 0) {
    await wh.query({ sql: `DELETE FROM ${wh.table(TABLE_NAMES.source)} WHERE transcript_id IN UNNEST(@ids)`, params: { ids } });
  }
  const recorded = await recordErasures(wh, ids, found, source, now);
  const { perRecord: _, ...outcome } = found;
  return { ...outcome, recorded };
}

async function recordErasures(wh: Warehouse, ids: readonly string[], found: Found, source: boolean, now: Date): Promise<number> {
  const deletedAnything = found.tables.some((t) => t.rows > 0) || (found.source ?? 0) > 0 || found.files.length > 0;
  const hashes = ids.map(recordHash);
  const known = new Set(
    (
      await wh.query<{ record_hash: string }>({
        sql: `SELECT DISTINCT record_hash FROM ${wh.table(TABLE_NAMES.forgotten)} WHERE record_hash IN UNNEST(@hashes)`,
        params: { hashes },
      })
    ).map((r) => r.record_hash),
  );
  let recorded = 0;
  for (const [k, hash] of hashes.entries()) {
    if (!deletedAnything && known.has(hash)) continue;
    await wh.query({
      sql: `INSERT INTO ${wh.table(TABLE_NAMES.forgotten)} (record_hash, forgotten_at, rows_deleted, source_deleted) VALUES (@hash, TIMESTAMP(@at), @rows, @source)`,
      params: { hash, at: now.toISOString(), rows: found.perRecord.get(ids[k]!) ?? 0, source },
      types: { rows: 'INT64' },
    });
    recorded++;
  }
  return recorded;
}
