/**
 * The laptop's warehouse: a `Warehouse` on DuckDB (npm `@duckdb/node-api`), one database file in the
 * work folder, with the same tables and views as BigQuery, made from `runtime/contract`.
 *
 * SQL arrives in BigQuery's dialect and is translated (`sql-translate.ts`); BigQuery functions
 * DuckDB lacks are macros created in the database. Rows come back as plain JSON values: INT64 as
 * numbers, TIMESTAMP as ISO 8601 strings in UTC, REPEATED columns as arrays.
 *
 * One process may open the same file many times (the local twin runs several batches at once): all
 * handles share one DuckDB instance, and every write (DML, DDL, scripts, loads) runs under one lock,
 * so writers never meet DuckDB's transaction conflicts. Reads run beside them on their own
 * connections and see committed data.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  DuckDBConnection,
  DuckDBInstance,
  LIST,
  VARCHAR,
  listValue,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import {
  DEFAULT_ANALYSIS,
  PRIMARY_ANALYSIS,
  analysisTables,
  CONTRACT_SOURCE,
  latestResultsSql,
  FIXED_TABLES,
  SOURCE_TABLE,
  VIEW_KEYS,
  VIEW_NAMES,
  resultsTable,
  COMPARISONS_TABLE,
  resultsTableName,
  viewSql,
  type AnalysisSpec,
  type Column,
  type TableSpec,
} from '../../contract';
import { NotFoundError, type SqlParams, type SqlParamTypes, type SqlValue, type Statement, type Warehouse } from '../../core/ports';
import { DUCKDB_MACROS, duckIdent, duckString, translateSql, type TranslatedStatement } from './sql-translate';

/** The bookkeeping table of `load`: one row per load job id, committed with the rows it loaded. */
export const LOAD_JOBS_TABLE = '_load_jobs';

/** The fingerprint of the schema `ensureSchema` last made in the database. */
const SCHEMA_TABLE = '_schema';

/** Changes with how `ensureSchema` builds the schema, so that a database made otherwise is brought up to date. */
const SCHEMA_FORMAT = 2; // 2: the `<analysis>_latest` view

/** Files up to this size are checked from memory. */
const SMALL_FILE_BYTES = 1 << 20;

/** Statement verbs that can change a table's columns. */
const DDL_VERBS = new Set(['CREATE', 'ALTER', 'DROP']);

/** Statement verbs that only read. */
const READ_VERBS = new Set(['SELECT', 'WITH', 'VALUES', 'DESCRIBE', 'SHOW', 'EXPLAIN', 'SUMMARIZE', 'FROM', '(']);

const DUCK_TYPES: Readonly<Record<Column['type'], string>> = {
  STRING: 'VARCHAR',
  INTEGER: 'BIGINT',
  FLOAT: 'DOUBLE',
  BOOLEAN: 'BOOLEAN',
  TIMESTAMP: 'TIMESTAMP',
};

/** Where `load` finds the file of an object path. */
export interface ObjectFiles {
  filePath(objectPath: string): string;
}

/** A FIFO lock: each task starts when the previous one has settled. */
class Lock {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** One DuckDB database open in this process, shared by every handle on its file. */
class SharedDatabase {
  refs = 0;
  readonly lock = new Lock();
  /** Each table's columns, as loads need them; forgotten whenever the schema may have changed. */
  readonly columns = new Map<string, Array<{ column_name: string; data_type: string }>>();
  private readonly idle: DuckDBConnection[] = [];
  closed = false;

  constructor(
    readonly key: string,
    private readonly instance: DuckDBInstance,
    readonly writer: DuckDBConnection,
  ) {}

  async reader(): Promise<DuckDBConnection> {
    return this.idle.pop() ?? this.instance.connect();
  }

  release(connection: DuckDBConnection): void {
    if (this.closed || this.idle.length >= 4) connection.closeSync();
    else this.idle.push(connection);
  }

  close(): void {
    this.closed = true;
    for (const c of this.idle.splice(0)) c.closeSync();
    this.writer.closeSync();
    this.instance.closeSync();
  }
}

const openDatabases = new Map<string, Promise<SharedDatabase>>();

async function acquire(file: string): Promise<SharedDatabase> {
  const key = file === ':memory:' ? `:memory:${Math.random()}` : path.resolve(file);
  for (;;) {
    const db = await acquireOnce(file, key);
    // Its last handle may have closed it while this one waited: open it afresh.
    if (!db.closed) {
      db.refs++;
      return db;
    }
  }
}

async function acquireOnce(file: string, key: string): Promise<SharedDatabase> {
  let pending = openDatabases.get(key);
  if (!pending) {
    pending = (async () => {
      if (file !== ':memory:') await fs.mkdir(path.dirname(key), { recursive: true });
      const instance = await DuckDBInstance.create(
        file === ':memory:' ? ':memory:' : key,
        process.env.TAP_DUCKDB_THREADS ? { threads: process.env.TAP_DUCKDB_THREADS } : undefined,
      );
      const writer = await instance.connect();
      return new SharedDatabase(key, instance, writer);
    })();
    openDatabases.set(key, pending);
    pending.catch(() => openDatabases.delete(key));
  }
  return pending;
}

export interface DuckDbWarehouseOptions {
  /** The database file, or `:memory:`. */
  readonly file: string;
  /** Where loads read their objects. */
  readonly store: ObjectFiles;
}

export class DuckDbWarehouse implements Warehouse {
  private open = true;

  private constructor(
    private readonly db: SharedDatabase,
    private readonly store: ObjectFiles,
  ) {}

  /** Opens (or joins, when this process has it open already) the database of a file. */
  static async open(options: DuckDbWarehouseOptions): Promise<DuckDbWarehouse> {
    return new DuckDbWarehouse(await acquire(options.file), options.store);
  }

  /**
   * The quoted name of a table or view id, in BigQuery's backtick form (which the translation
   * turns into DuckDB's). A qualified `project.dataset.table` keeps its table: the local warehouse
   * has one dataset.
   */
  table(tableId: string): string {
    const name = tableId.split('.').pop() ?? '';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,1023}$/.test(name) || tableId.split('.').length > 3) {
      throw new Error(
        `invalid table id ${JSON.stringify(tableId)}: expected [project.][dataset.]table with a table name of letters, digits and _`,
      );
    }
    return `\`${name}\``;
  }

  /**
   * Creates what the pipeline needs and is missing: macros, the contract's tables (the results
   * table for `analysis` and one for each analysis in `more`, with new field columns added to an older one), the views and the load
   * bookkeeping table. Safe to run on every open.
   */
  async ensureSchema(analysis: AnalysisSpec = DEFAULT_ANALYSIS, more: Readonly<Record<string, AnalysisSpec>> = {}): Promise<void> {
    this.check();
    const others = Object.entries(more).map(([name, spec]) => resultsTable(spec, resultsTableName(name)));
    const specs = [SOURCE_TABLE, ...FIXED_TABLES, resultsTable(analysis), ...others, COMPARISONS_TABLE];
    const views: Array<readonly [string, string]> = VIEW_KEYS.map(
      (key) => [VIEW_NAMES[key], translateSql(viewSql(key, (id) => this.table(id)))[0]!.sql] as const,
    );
    const latestOf = [PRIMARY_ANALYSIS, ...Object.keys(more)].map((name) => analysisTables(name));
    // What the schema is made from: when a database already holds it, opening it again costs one read.
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([SCHEMA_FORMAT, DUCKDB_MACROS, specs, views]))
      .digest('hex');
    await this.db.lock.run(async () => {
      const w = this.db.writer;
      await w.run(`CREATE TABLE IF NOT EXISTS ${duckIdent(SCHEMA_TABLE)} (fingerprint VARCHAR NOT NULL)`);
      const held = await w.runAndReadAll(`SELECT fingerprint FROM ${duckIdent(SCHEMA_TABLE)}`);
      if ((held.getRowObjectsJS() as Array<{ fingerprint: string }>).some((r) => r.fingerprint === fingerprint)) return;
      this.db.columns.clear();
      for (const macro of DUCKDB_MACROS) await w.run(macro);
      await w.run(
        `CREATE TABLE IF NOT EXISTS ${duckIdent(LOAD_JOBS_TABLE)} (job_id VARCHAR PRIMARY KEY, table_id VARCHAR NOT NULL, object_path VARCHAR NOT NULL, row_count BIGINT NOT NULL, loaded_at TIMESTAMP NOT NULL)`,
      );
      for (const spec of specs) await createTable(w, spec);
      for (const [name, sql] of views) await w.run(`CREATE OR REPLACE VIEW ${duckIdent(name)} AS ${sql}`);
      // Each analysis's BI view of the latest result per record, as the deployed dataset has it,
      // over every column its results table has now (those of fields an older analysis declared too).
      for (const latest of latestOf) {
        const described = await w.runAndReadAll(
          `SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = $t ORDER BY ordinal_position`,
          { t: latest.results },
        );
        const resultColumns = (described.getRowObjectsJS() as Array<{ column_name: string }>).map((r) => r.column_name);
        const latestSql = translateSql(latestResultsSql((id) => this.table(id), latest, resultColumns, CONTRACT_SOURCE))[0]!.sql;
        await w.run(`CREATE OR REPLACE VIEW ${duckIdent(latest.latest)} AS ${latestSql}`);
      }
      await w.run(`DELETE FROM ${duckIdent(SCHEMA_TABLE)}`);
      await w.run(`INSERT INTO ${duckIdent(SCHEMA_TABLE)} VALUES ($f)`, { f: fingerprint });
    });
  }

  async query<T = Record<string, unknown>>(statement: Statement): Promise<T[]> {
    this.check();
    const statements = translate(statement);
    if (statements.length === 1 && READ_VERBS.has(statements[0]!.verb)) {
      const connection = await this.db.reader();
      try {
        return await runOne<T>(connection, statements[0]!, statement);
      } finally {
        this.db.release(connection);
      }
    }
    return this.db.lock.run(async () => {
      if (statements.some((s) => DDL_VERBS.has(s.verb))) this.db.columns.clear();
      let rows: T[] = [];
      try {
        for (const s of statements) rows = await runOne<T>(this.db.writer, s, statement);
      } catch (e) {
        await rollbackQuietly(this.db.writer);
        throw e;
      }
      return rows;
    });
  }

  async *stream<T = Record<string, unknown>>(statement: Statement): AsyncIterable<T> {
    this.check();
    const statements = translate(statement);
    if (statements.length !== 1 || !READ_VERBS.has(statements[0]!.verb)) {
      throw new Error(`stream takes one SELECT statement, got ${statements.map((s) => s.verb).join('; ')}`);
    }
    const connection = await this.db.reader();
    try {
      const [values, types] = bindings(statements[0]!, statement);
      const result = await connection.stream(statements[0]!.sql, values, types);
      for await (const rows of result.yieldRowObjectJs()) {
        for (const row of rows) yield plainRow(row) as T;
      }
    } finally {
      this.db.release(connection);
    }
  }

  /**
   * Appends the NDJSON rows of an object to a table in one transaction with its `_load_jobs` row.
   * Like a BigQuery load job: a bad line, an unknown field or a missing REQUIRED value fails the
   * whole load and loads nothing; the same job id twice loads once, even once the object is gone.
   */
  async load(tableId: string, objectPath: string, jobId: string): Promise<'loaded' | 'already_done'> {
    return this.loadRows(tableId, objectPath, jobId);
  }

  /**
   * Like `load`, but first removes, in the same transaction, the rows whose `keyColumn` value is one
   * of the object's: the object's rows replace them (the laptop's source table, loaded by id).
   */
  async replaceByKey(tableId: string, keyColumn: string, objectPath: string, jobId: string): Promise<'loaded' | 'already_done'> {
    return this.loadRows(tableId, objectPath, jobId, keyColumn);
  }

  private async loadRows(tableId: string, objectPath: string, jobId: string, replaceKey?: string): Promise<'loaded' | 'already_done'> {
    this.check();
    if (!jobId) throw new Error('load needs a job id');
    const file = this.store.filePath(objectPath);
    const table = this.table(tableId).slice(1, -1);
    const isDone = async (c: DuckDBConnection): Promise<boolean> =>
      (await c.runAndReadAll(`SELECT 1 FROM ${duckIdent(LOAD_JOBS_TABLE)} WHERE job_id = $id`, { id: jobId })).currentRowCount > 0;
    // A load done already answers so even once its object is gone (as a BigQuery job id does).
    const reader = await this.db.reader();
    try {
      if (await isDone(reader)) return 'already_done';
    } finally {
      this.db.release(reader);
    }
    const columns = await this.columnsOf(table);
    if (columns.length === 0) throw new Error(`load into ${tableId}: no such table`);
    if (replaceKey !== undefined && !columns.some((c) => c.column_name === replaceKey)) {
      throw new Error(`load into ${tableId}: no column ${replaceKey} to replace rows by`);
    }
    await checkRows(file, objectPath, new Set(columns.map((c) => c.column_name)), `load ${jobId} into ${tableId}`);
    // Timestamps are read with their UTC offset applied (DuckDB's TIMESTAMP parser drops it).
    const struct = columns
      .map((c) => `${duckString(c.column_name)}: ${duckString(c.data_type === 'TIMESTAMP' ? 'TIMESTAMPTZ' : c.data_type)}`)
      .join(', ');
    return this.db.lock.run(async () => {
      const w = this.db.writer;
      if (await isDone(w)) return 'already_done';
      await w.run('BEGIN TRANSACTION');
      try {
        const rows = `read_json(${duckString(file)}, format = 'newline_delimited', columns = {${struct}})`;
        if (replaceKey !== undefined) {
          await w.run(`DELETE FROM ${duckIdent(table)} WHERE ${duckIdent(replaceKey)} IN (SELECT ${duckIdent(replaceKey)} FROM ${rows})`);
        }
        const inserted = await w.run(`INSERT INTO ${duckIdent(table)} BY NAME SELECT * FROM ${rows}`);
        await w.run(
          `INSERT INTO ${duckIdent(LOAD_JOBS_TABLE)} VALUES ($id, $t, $p, $n, CAST(current_timestamp AS TIMESTAMP))`,
          { id: jobId, t: table, p: objectPath, n: BigInt(inserted.rowsChanged) },
          { n: BIGINT },
        );
        await w.run('COMMIT');
      } catch (e) {
        await rollbackQuietly(w);
        throw new Error(`load ${jobId} of ${objectPath} into ${tableId} failed: ${(e as Error).message}`);
      }
      return 'loaded';
    });
  }

  private async columnsOf(table: string): Promise<Array<{ column_name: string; data_type: string }>> {
    const known = this.db.columns.get(table);
    if (known) return known;
    const reader = await this.db.reader();
    try {
      const described = await reader.runAndReadAll(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' AND table_name = $t ORDER BY ordinal_position`,
        { t: table },
      );
      const columns = described.getRowObjectsJS() as Array<{ column_name: string; data_type: string }>;
      if (columns.length > 0) this.db.columns.set(table, columns);
      return columns;
    } finally {
      this.db.release(reader);
    }
  }

  /** Closes this handle; the database closes with its last handle. */
  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    const db = this.db;
    await db.lock.run(async () => undefined);
    if (--db.refs === 0) {
      openDatabases.delete(db.key);
      db.close();
    }
  }

  private check(): void {
    if (!this.open) throw new Error('the DuckDB warehouse is closed');
  }
}

/**
 * Reads an NDJSON file once and fails, naming the line, where a BigQuery load job would: a line
 * that is not a JSON object, or a field the table does not have (BigQuery's default
 * `ignoreUnknownValues: false`). DuckDB's reader would silently drop unknown fields.
 */
async function checkRows(file: string, objectPath: string, columns: ReadonlySet<string>, what: string): Promise<void> {
  let size: number;
  try {
    size = (await fs.stat(file)).size;
  } catch {
    throw new NotFoundError(objectPath);
  }
  // Most staged files are small: read them at once; stream the large ones.
  const lines: AsyncIterable<string> | Iterable<string> =
    size <= SMALL_FILE_BYTES
      ? (await fs.readFile(file, 'utf8')).split(/\r?\n/)
      : createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new Error(`${what}: line ${n} of ${objectPath} is not JSON: ${(e as Error).message}`);
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row))
      throw new Error(`${what}: line ${n} of ${objectPath} is not a JSON object`);
    for (const key of Object.keys(row)) {
      if (!columns.has(key)) throw new Error(`${what}: line ${n} of ${objectPath} has a field the table does not have: ${key}`);
    }
  }
}

async function createTable(w: DuckDBConnection, spec: TableSpec): Promise<void> {
  const name = duckIdent(spec.name);
  const existing = await w.runAndReadAll(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = $t`,
    { t: spec.name },
  );
  const have = new Set((existing.getRowObjectsJS() as Array<{ column_name: string }>).map((r) => r.column_name));
  if (have.size === 0) {
    const cols = spec.columns.map((c) => `${duckIdent(c.name)} ${columnType(c)}${c.mode === 'REQUIRED' ? ' NOT NULL' : ''}`);
    await w.run(`CREATE TABLE ${name} (${cols.join(', ')})`);
    await w.run(`COMMENT ON TABLE ${name} IS ${duckString(spec.description)}`);
    for (const c of spec.columns) await w.run(`COMMENT ON COLUMN ${name}.${duckIdent(c.name)} IS ${duckString(c.description)}`);
    return;
  }
  // Like a BigQuery schema update: new columns are added, nullable; nothing is dropped.
  for (const c of spec.columns) {
    if (!have.has(c.name)) await w.run(`ALTER TABLE ${name} ADD COLUMN ${duckIdent(c.name)} ${columnType(c)}`);
  }
}

function columnType(c: Column): string {
  return `${DUCK_TYPES[c.type]}${c.mode === 'REPEATED' ? '[]' : ''}`;
}

function translate(statement: Statement): TranslatedStatement[] {
  const timestampParams = new Set(
    Object.entries(statement.types ?? {})
      .filter(([, t]) => t === 'TIMESTAMP')
      .map(([n]) => n),
  );
  const statements = translateSql(statement.sql, { timestampParams });
  if (statements.length === 0) throw new Error('empty SQL statement');
  return statements;
}

/** A statement of the pipeline's SQL as DuckDB runs it: translated text, bound values and their types. */
export interface DuckStatement {
  readonly sql: string;
  readonly values: Record<string, DuckDBValue>;
  readonly types: Record<string, DuckDBType | undefined>;
  /** The statement's first keyword, upper-case. */
  readonly verb: string;
}

/**
 * Translates one of the pipeline's BigQuery statements (a script gives several) and binds its
 * parameters, for a DuckDB connection that has `DUCKDB_MACROS`.
 */
export function duckStatements(statement: Statement): DuckStatement[] {
  return translate(statement).map((s) => {
    const [values, types] = bindings(s, statement);
    return { sql: s.sql, values, types, verb: s.verb };
  });
}

async function runOne<T>(connection: DuckDBConnection, s: TranslatedStatement, statement: Statement): Promise<T[]> {
  const [values, types] = bindings(s, statement);
  const reader = await connection.runAndReadAll(s.sql, values, types);
  // BigQuery answers DML and DDL with no rows (the count is job metadata); so does this.
  if (!READ_VERBS.has(s.verb)) return [];
  return reader.getRowObjectsJS().map((r) => plainRow(r) as T);
}

function bindings(s: TranslatedStatement, statement: Statement): [Record<string, DuckDBValue>, Record<string, DuckDBType | undefined>] {
  const values: Record<string, DuckDBValue> = {};
  const types: Record<string, DuckDBType | undefined> = {};
  const params: SqlParams = statement.params ?? {};
  for (const name of s.params) {
    if (!Object.prototype.hasOwnProperty.call(params, name)) throw new Error(`no value for query parameter @${name}`);
    const [value, type] = bindValue(name, params[name]!, statement.types?.[name]);
    values[name] = value;
    types[name] = type;
  }
  return [values, types];
}

function bindValue(name: string, v: SqlValue, declared: SqlParamTypes[string] | undefined): [DuckDBValue, DuckDBType | undefined] {
  const type = declared ?? inferType(v);
  if (type === undefined) return [null, undefined];
  const bad = (): never => {
    throw new Error(`query parameter @${name}: ${JSON.stringify(v)} is not a valid ${type}`);
  };
  if (v === null) {
    return [
      null,
      type === 'ARRAY<STRING>'
        ? LIST(VARCHAR)
        : type === 'INT64'
          ? BIGINT
          : type === 'FLOAT64'
            ? DOUBLE
            : type === 'BOOL'
              ? BOOLEAN
              : VARCHAR,
    ];
  }
  switch (type) {
    case 'STRING':
    case 'TIMESTAMP':
      return typeof v === 'string' ? [v, VARCHAR] : bad();
    case 'INT64':
      if (typeof v === 'number' && Number.isInteger(v)) return [BigInt(v), BIGINT];
      return typeof v === 'string' && /^-?\d+$/.test(v) ? [BigInt(v), BIGINT] : bad();
    case 'FLOAT64':
      return typeof v === 'number' ? [v, DOUBLE] : bad();
    case 'BOOL':
      return typeof v === 'boolean' ? [v, BOOLEAN] : bad();
    case 'ARRAY<STRING>':
      return Array.isArray(v) && v.every((x) => typeof x === 'string') ? [listValue([...v]), LIST(VARCHAR)] : bad();
  }
  return bad();
}

function inferType(v: SqlValue): SqlParamTypes[string] | undefined {
  if (v === null) return undefined;
  if (typeof v === 'string') return 'STRING';
  if (typeof v === 'boolean') return 'BOOL';
  if (typeof v === 'number') return Number.isInteger(v) ? 'INT64' : 'FLOAT64';
  return 'ARRAY<STRING>';
}

/** A row as JSON values: bigint → number, Date → ISO string, nested lists and structs likewise. */
export function plainRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = plain(v);
  return out;
}

function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = plain(x);
    return out;
  }
  return v;
}

async function rollbackQuietly(connection: DuckDBConnection): Promise<void> {
  try {
    await connection.run('ROLLBACK');
  } catch {
    /* no transaction was open */
  }
}
