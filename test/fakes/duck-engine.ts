/**
 * A tiny SQL engine for the fakes: an in-memory DuckDB database with the pipeline's tables made
 * from the contract's schemas, running the BigQuery-dialect texts of `runtime/core/sql.ts` through
 * the local warehouse's own translation (`duckStatements`), and answering with column types as the
 * fake BigQuery server needs them. Loads are recorded by job id, as BigQuery keeps job ids.
 *
 * Why DuckDB rather than matching statements by their id: the exactly-once, deduplication and
 * snapshot tests are only worth something if the real SQL texts are executed.
 */
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { AnalysisSpec, Column, DEFAULT_ANALYSIS, FIXED_TABLES, resultsTable, SOURCE_TABLE, TableSpec } from '../../runtime/contract';
import type { Statement } from '../../runtime/core/ports';
import { DUCKDB_MACROS, duckStatements, plainRow } from '../../runtime/adapters/local';

const DUCK: Record<Column['type'], string> = {
  STRING: 'VARCHAR',
  INTEGER: 'BIGINT',
  FLOAT: 'DOUBLE',
  BOOLEAN: 'BOOLEAN',
  TIMESTAMP: 'TIMESTAMP',
};

function duckType(c: Column): string {
  return c.mode === 'REPEATED' ? `${DUCK[c.type]}[]` : DUCK[c.type];
}

export interface EngineRows {
  readonly rows: Record<string, unknown>[];
  readonly columns: { name: string; type: string }[];
}

export class DuckEngine {
  readonly tables = new Map<string, TableSpec>();
  /** Load job ids already run, with their destination table. */
  readonly loadJobs = new Map<string, string>();
  /** Every statement run, by its `-- tap:` id (or the first words). */
  readonly statements: string[] = [];

  private constructor(private readonly connection: DuckDBConnection) {}

  static async create(spec: AnalysisSpec = DEFAULT_ANALYSIS, extraSourceColumns: readonly Column[] = []): Promise<DuckEngine> {
    const instance = await DuckDBInstance.create(':memory:');
    const engine = new DuckEngine(await instance.connect());
    for (const macro of DUCKDB_MACROS) await engine.connection.run(macro);
    const source: TableSpec = { ...SOURCE_TABLE, columns: [...SOURCE_TABLE.columns, ...extraSourceColumns] };
    for (const table of [source, ...FIXED_TABLES, resultsTable(spec)]) await engine.createTable(table);
    return engine;
  }

  /** Creates a table from its spec (another analysis's results table, say). */
  async createTable(table: TableSpec): Promise<void> {
    this.tables.set(table.name, table);
    const columns = table.columns.map((c) => `"${c.name}" ${duckType(c)}${c.mode === 'REQUIRED' ? ' NOT NULL' : ''}`);
    await this.connection.run(`CREATE TABLE "${table.name}" (${columns.join(', ')})`);
  }

  async run(statement: Statement): Promise<EngineRows> {
    this.statements.push(/^-- tap:([a-z_]+)/.exec(statement.sql)?.[1] ?? statement.sql.slice(0, 40));
    let result: EngineRows = { rows: [], columns: [] };
    for (const s of duckStatements(statement)) {
      const reader = await this.connection.runAndReadAll(s.sql, s.values, s.types);
      const types = reader.columnTypes().map(String);
      result = {
        rows: reader.getRowObjectsJS().map((r) => plainRow(r)),
        columns: reader.columnNames().map((name, i) => ({ name, type: types[i]! })),
      };
    }
    return result;
  }

  /** Appends JSON rows to a table, checking them against its schema as a load job would. */
  async insert(tableId: string, rows: readonly Record<string, unknown>[]): Promise<void> {
    const table = this.tables.get(tableId);
    if (!table) throw new Error(`Not found: Table ${tableId}`);
    const known = new Set(table.columns.map((c) => c.name));
    // A load job is atomic: all its rows or none.
    await this.connection.run('BEGIN TRANSACTION');
    try {
      await this.insertRows(tableId, table, known, rows);
      await this.connection.run('COMMIT');
    } catch (e) {
      await this.connection.run('ROLLBACK');
      throw e;
    }
  }

  private async insertRows(tableId: string, table: TableSpec, known: Set<string>, rows: readonly Record<string, unknown>[]): Promise<void> {
    for (const row of rows) {
      for (const key of Object.keys(row)) if (!known.has(key)) throw new Error(`No such field: ${key} (table ${tableId})`);
      const params: Record<string, unknown> = {};
      const values = table.columns.map((c, i) => {
        const v = row[c.name];
        if (c.mode === 'REQUIRED' && (v === null || v === undefined)) throw new Error(`Missing required field: ${c.name}`);
        params[`p${i}`] = c.mode === 'REPEATED' ? (v == null ? null : JSON.stringify(v)) : (v ?? null);
        return c.mode === 'REPEATED' ? `from_json($p${i}, '["VARCHAR"]')` : `CAST($p${i} AS ${DUCK[c.type]})`;
      });
      await this.connection.run(
        `INSERT INTO "${tableId}" (${table.columns.map((c) => `"${c.name}"`).join(', ')}) SELECT ${values.join(', ')}`,
        params as never,
      );
    }
  }

  /** All rows of a table, ordered by every column, for comparing states. */
  async dump(tableId: string): Promise<Record<string, unknown>[]> {
    const table = this.tables.get(tableId)!;
    const order = table.columns.map((c) => `\`${c.name}\``).join(', ');
    return (await this.run({ sql: `SELECT * FROM \`${tableId}\` ORDER BY ${order}` })).rows;
  }
}
