/**
 * The results explorer's data: what the people who asked for the analysis want to see, computed in
 * SQL over one analysis's latest result per record (the `<analysis>_latest` view's SELECT) joined
 * to the source. Every chart is an aggregate over all calls; only a bounded sample of calls, or one
 * filtered page of them (`tapctl serve`), comes back as rows.
 */
import type { OpsWarehouse } from './queries';
import type { LocalWorkspace } from '../adapters/local';
import { savedPipeline } from '../local/deployment';
import type { Statement } from '../core/ports';
import {
  AnalysisField,
  AnalysisSpec,
  AnalysisTables,
  EXPLORER_LIMITS,
  KEYWORD_STOPWORDS,
  PRIMARY_ANALYSIS,
  RESULT_KEY_COLUMNS,
  RESULT_TRAILING_COLUMNS,
  SOURCE_ROLES,
  TABLE_NAMES,
  analysisTables,
  latestResultsSql,
} from '../contract';
import { UsageError } from './errors';

/** A column as the warehouse describes it, reduced to what a chart needs. */
export type ColumnKind = 'string' | 'number' | 'boolean' | 'list' | 'time' | 'other';

export interface TableColumn {
  readonly name: string;
  readonly kind: ColumnKind;
}

/** A warehouse the explorer can read: names, queries, the tables' columns and its SQL dialect. */
export interface ExploreWarehouse extends OpsWarehouse {
  /** `duckdb` names an unnested value with a column alias, BigQuery with a plain one. */
  readonly dialect: 'bigquery' | 'duckdb';
  /** The table's columns in order; empty when there is no such table. */
  columns(tableId: string): Promise<TableColumn[]>;
}

/** How a column of the results is charted. */
export type FieldKind = 'enum' | 'boolean' | 'number' | 'text' | 'list';

export interface ExplorerField {
  readonly name: string;
  readonly kind: FieldKind;
  /** The declaration's description, or where the column came from. */
  readonly description: string;
  /** Whether the analysis declares it (otherwise it is another column of the results table). */
  readonly declared: boolean;
  /** Declared enum values, in their declared order. */
  readonly values?: readonly string[];
}

export interface Count {
  /** The value; null for calls without one. */
  readonly value: string | null;
  readonly count: number;
}

export type FieldChart =
  | { readonly kind: 'categories'; readonly counts: readonly Count[]; readonly other: number }
  | { readonly kind: 'share'; readonly yes: number; readonly no: number; readonly missing: number }
  | {
      readonly kind: 'histogram';
      readonly bins: readonly { readonly from: number; readonly to: number; readonly count: number }[];
      readonly missing: number;
      readonly mean: number | null;
    }
  | { readonly kind: 'keywords'; readonly words: readonly { readonly word: string; readonly calls: number }[]; readonly withText: number };

export interface FieldSummary extends ExplorerField {
  readonly chart: FieldChart;
}

/** Calls per period, split by the values of one categorical field. */
export interface Trend {
  readonly column: string;
  readonly period: 'day' | 'month';
  readonly field: string | null;
  readonly points: readonly { readonly period: string; readonly counts: readonly Count[]; readonly total: number }[];
}

/** One categorical field's values per agent (or channel): the busiest keys. */
export interface Breakdown {
  readonly column: string;
  readonly field: string;
  readonly rows: readonly { readonly key: string; readonly total: number; readonly counts: readonly Count[] }[];
}

export interface CallError {
  readonly execution_id: string;
  readonly batch_id: number;
  readonly attempt: number;
  readonly error_type: string;
  readonly retryable: boolean;
  readonly message: string | null;
  readonly created_at: string;
}

/** One call: its result's columns, the source's descriptive ones, its transcript and its errors. */
export interface CallRow {
  readonly values: Readonly<Record<string, unknown>>;
  readonly transcript: string | null;
  readonly errors: readonly CallError[];
}

/** Which calls: equal values of categorical fields (`(none)` for no value) and a text search. */
export interface CallFilter {
  readonly equals?: Readonly<Record<string, string>>;
  readonly search?: string;
  /**
   * The order of the calls: a column of the call rows, lowest first unless `descending`.
   * @default - the most recent call first
   */
  readonly orderBy?: { readonly column: string; readonly descending?: boolean };
}

export interface CallPage {
  /** Calls matching the filter. */
  readonly matching: number;
  readonly offset: number;
  readonly rows: readonly CallRow[];
}

export interface Explorer {
  readonly analysis: string;
  readonly resultsTable: string;
  readonly since: string | null;
  /** The column `since` and the trend read: the call time, or `processed_at` without one. */
  readonly timeColumn: string;
  readonly fields: readonly ExplorerField[];
  /** Every column a call row has, in table order: results first, then the source's. */
  readonly columns: readonly TableColumn[];
  /** Categorical fields a call list can be filtered on. */
  readonly filterable: readonly string[];
  /** Fields the declaration names that the results table has no column for: not charted. */
  readonly missingDeclared: readonly string[];
  summarize(progress?: (step: string) => void): Promise<ExplorerSummary>;
  calls(filter: CallFilter, offset: number, limit: number): Promise<CallPage>;
}

export interface ExplorerSummary {
  readonly calls: number;
  readonly versions: readonly string[];
  readonly firstCall: string | null;
  readonly lastCall: string | null;
  readonly fields: readonly FieldSummary[];
  readonly trend: Trend | null;
  readonly breakdowns: readonly Breakdown[];
  /** Records of these versions with an error row, by type (a record retried and analysed counts too). */
  readonly errors: readonly { readonly type: string; readonly records: number }[];
}

/** The value a filter gives for calls without one. */
export const NO_VALUE = '(none)';

const BOOKKEEPING = new Set([...RESULT_KEY_COLUMNS, ...RESULT_TRAILING_COLUMNS].map((c) => c.name));

/** A warehouse's column type, from DuckDB's or BigQuery's `information_schema`. */
export function columnKind(dataType: string): ColumnKind {
  const t = dataType.toUpperCase();
  if (t.endsWith('[]') || t.startsWith('ARRAY')) return 'list';
  if (t === 'VARCHAR' || t === 'STRING' || t === 'TEXT') return 'string';
  if (t === 'BOOLEAN' || t === 'BOOL') return 'boolean';
  if (/^(BIGINT|INTEGER|INT64|INT|SMALLINT|TINYINT|HUGEINT|UBIGINT|DOUBLE|FLOAT|FLOAT64|REAL|DECIMAL|NUMERIC|BIGNUMERIC)/.test(t))
    return 'number';
  if (t.startsWith('TIMESTAMP') || t === 'DATE' || t === 'DATETIME') return 'time';
  return 'other';
}

function fieldKind(declared: AnalysisField | undefined, column: TableColumn): FieldKind | undefined {
  if (declared) {
    switch (declared.type) {
      case 'string':
        return declared.enum ? 'enum' : 'text';
      case 'integer':
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'string_array':
        return 'list';
    }
  }
  switch (column.kind) {
    case 'string':
      return 'text';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'list':
      return 'list';
    default:
      return undefined;
  }
}

export interface ExplorerOptions {
  readonly tables: AnalysisTables;
  /** The analysis declaration, when known: its fields' types, enums and descriptions. */
  readonly spec?: AnalysisSpec;
  /** Only calls at or after this instant (ISO), on the call time (or `processed_at`). */
  readonly since?: string;
  /** The source table id. @default TABLE_NAMES.source */
  readonly sourceTable?: string;
}

/** Opens the explorer over an analysis's results: reads the tables' columns and checks they are there. */
export async function openExplorer(w: ExploreWarehouse, options: ExplorerOptions): Promise<Explorer> {
  const { tables } = options;
  const resultColumns = await w.columns(tables.results);
  if (resultColumns.length === 0) {
    throw new UsageError(`no results table ${tables.results} for analysis ${tables.analysis}: has a run of it committed anything yet?`);
  }
  const sourceTable = options.sourceTable ?? TABLE_NAMES.source;
  const sourceColumns = (await w.columns(sourceTable)).filter((c) => c.name !== SOURCE_ROLES.text);
  const hasSource = sourceColumns.some((c) => c.name === SOURCE_ROLES.id);
  const declared = new Map((options.spec?.fields ?? []).map((f) => [f.name, f]));
  const fields: ExplorerField[] = [];
  for (const column of resultColumns) {
    if (BOOKKEEPING.has(column.name)) continue;
    const field = declared.get(column.name);
    const kind = fieldKind(field, column);
    if (!kind) continue;
    fields.push({
      name: column.name,
      kind,
      declared: field !== undefined,
      description: field?.description ?? 'a column of the results table that the analysis does not declare',
      ...(field?.enum ? { values: field.enum } : {}),
    });
  }
  const resultNames = resultColumns.map((c) => c.name);
  const taken = new Set(resultNames);
  const missingDeclared = [...declared.keys()].filter((name) => !taken.has(name));
  const carried = hasSource ? sourceColumns.filter((c) => c.name !== SOURCE_ROLES.id && c.name !== 'ingested_at') : [];
  const columns: TableColumn[] = [
    ...resultColumns,
    ...carried.map((c) => ({ name: taken.has(c.name) ? `source_${c.name}` : c.name, kind: c.kind })),
  ];
  const has = (name: string) => columns.some((c) => c.name === name);
  const timeColumn = has(SOURCE_ROLES.callTime) ? SOURCE_ROLES.callTime : 'processed_at';
  const latest = hasSource
    ? latestResultsSql((id) => w.table(id), tables, resultNames, {
        table: sourceTable,
        idColumn: SOURCE_ROLES.id,
        columns: carried.map((c) => c.name),
      })
    : `SELECT * FROM ${w.table(tables.results)} WHERE TRUE QUALIFY ROW_NUMBER() OVER (PARTITION BY record_id ORDER BY processed_at DESC, analysis_version DESC) = 1`;
  let since: string | null = null;
  if (options.since !== undefined) {
    const at = Date.parse(options.since);
    if (Number.isNaN(at))
      throw new UsageError(`--since must be a date or an instant (2026-11-01, 2026-11-01T08:00:00Z), got ${options.since}`);
    since = new Date(at).toISOString();
  }
  const q = new ExplorerQueries(w, latest, timeColumn, since, hasSource ? sourceTable : undefined);
  const filterable = fields.filter((f) => f.kind === 'enum' || f.kind === 'boolean').map((f) => f.name);
  return {
    analysis: tables.analysis,
    resultsTable: tables.results,
    since,
    timeColumn,
    fields,
    columns,
    filterable,
    missingDeclared,
    summarize: (progress) => q.summarize(fields, columns, progress ?? (() => undefined)),
    calls: (filter, offset, limit) => {
      const order = filter.orderBy;
      if (order && !columns.some((c) => c.name === order.column && c.kind !== 'list' && c.kind !== 'other')) {
        throw new UsageError(
          `cannot sort calls by ${order.column}: sort by one of ${columns
            .filter((c) => c.kind !== 'list' && c.kind !== 'other')
            .map((c) => c.name)
            .join(', ')}`,
        );
      }
      return q.calls(fields, filterable, filter, offset, limit);
    },
  };
}

type Row = Record<string, unknown>;

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

class ExplorerQueries {
  constructor(
    private readonly w: ExploreWarehouse,
    private readonly latest: string,
    private readonly timeColumn: string,
    private readonly since: string | null,
    private readonly sourceTable: string | undefined,
  ) {}

  /** `WITH calls AS (...)`: the latest result per record, from `since` on. */
  private run(body: string, params: Statement['params'] = {}, types: Statement['types'] = {}): Promise<Row[]> {
    const where = this.since === null ? '' : `\nWHERE latest.${this.timeColumn} >= @since`;
    return this.w.query<Row>({
      sql: `WITH calls AS (\nSELECT * FROM (\n${this.latest}\n) AS latest${where}\n)\n${body}`,
      params: { ...params, ...(this.since === null ? {} : { since: this.since }) },
      types: { ...types, ...(this.since === null ? {} : { since: 'TIMESTAMP' }) },
    });
  }

  private unnest(expr: string, alias: string): string {
    return this.w.dialect === 'duckdb' ? `UNNEST(${expr}) AS unnested_${alias}(${alias})` : `UNNEST(${expr}) AS ${alias}`;
  }

  async summarize(
    fields: readonly ExplorerField[],
    columns: readonly TableColumn[],
    progress: (step: string) => void,
  ): Promise<ExplorerSummary> {
    progress('counting calls');
    const [totals] = await this.run(
      `SELECT COUNT(*) AS calls, MIN(${this.timeColumn}) AS first_call, MAX(${this.timeColumn}) AS last_call FROM calls`,
    );
    const versions = (await this.run('SELECT DISTINCT analysis_version FROM calls ORDER BY analysis_version')).map((r) =>
      String(r.analysis_version),
    );
    const summaries: FieldSummary[] = [];
    for (const [i, field] of fields.entries()) {
      progress(`field ${field.name} (${i + 1}/${fields.length})`);
      summaries.push({ ...field, chart: await this.chart(field) });
    }
    const categorical = fields.filter((f) => f.kind === 'enum' || f.kind === 'boolean');
    let trend: Trend | null = null;
    if (columns.some((c) => c.name === SOURCE_ROLES.callTime)) {
      progress('trend over time');
      trend = await this.trend(totals?.first_call, totals?.last_call, categorical[0]?.name ?? null);
    }
    const breakdowns: Breakdown[] = [];
    for (const column of SOURCE_ROLES.breakdowns) {
      if (!columns.some((c) => c.name === column)) continue;
      for (const field of categorical.slice(0, 2)) {
        progress(`${field.name} by ${column}`);
        breakdowns.push(await this.breakdown(column, field.name));
      }
    }
    progress('errors');
    const errors = await this.errors(versions);
    return {
      calls: num(totals?.calls),
      versions,
      firstCall: strOrNull(totals?.first_call),
      lastCall: strOrNull(totals?.last_call),
      fields: summaries,
      trend,
      breakdowns,
      errors,
    };
  }

  private async chart(field: ExplorerField): Promise<FieldChart> {
    const c = field.name;
    switch (field.kind) {
      case 'enum': {
        const rows = await this.run(
          `SELECT CAST(${c} AS STRING) AS value, COUNT(*) AS n FROM calls GROUP BY value ORDER BY n DESC, value LIMIT @limit`,
          { limit: EXPLORER_LIMITS.categories + 1 },
          { limit: 'INT64' },
        );
        const [all] = await this.run(`SELECT COUNT(*) AS n FROM calls`);
        const counts = rows.slice(0, EXPLORER_LIMITS.categories).map((r) => ({ value: strOrNull(r.value), count: num(r.n) }));
        const shown = counts.reduce((s, x) => s + x.count, 0);
        // Declared values no call has are shown as zero: a missing bar is itself an answer.
        for (const value of field.values ?? []) {
          if (counts.length < EXPLORER_LIMITS.categories && !counts.some((x) => x.value === value)) counts.push({ value, count: 0 });
        }
        return { kind: 'categories', counts, other: num(all?.n) - shown };
      }
      case 'boolean': {
        const [r] = await this.run(
          `SELECT COUNTIF(${c}) AS yes_count, COUNTIF(NOT ${c}) AS no_count, COUNTIF(${c} IS NULL) AS missing FROM calls`,
        );
        return { kind: 'share', yes: num(r?.yes_count), no: num(r?.no_count), missing: num(r?.missing) };
      }
      case 'number': {
        const [r] = await this.run(
          `SELECT MIN(${c}) AS lo, MAX(${c}) AS hi, AVG(${c}) AS mean, COUNTIF(${c} IS NULL) AS missing FROM calls`,
        );
        const missing = num(r?.missing);
        if (r?.lo === null || r?.lo === undefined) return { kind: 'histogram', bins: [], missing, mean: null };
        const lo = Number(r.lo);
        const hi = Number(r.hi);
        const integral = Number.isInteger(lo) && Number.isInteger(hi);
        const span = hi - lo;
        let width = span === 0 ? 1 : span / EXPLORER_LIMITS.histogramBins;
        if (integral) width = Math.max(1, Math.ceil(width - 1e-9));
        const count = span === 0 ? 1 : Math.min(EXPLORER_LIMITS.histogramBins, Math.floor(span / width) + 1);
        const rows = await this.run(
          `SELECT LEAST(CAST(FLOOR((${c} - @lo) / @width) AS INT64), @last) AS bin, COUNT(*) AS n
FROM calls WHERE ${c} IS NOT NULL GROUP BY bin ORDER BY bin`,
          { lo, width, last: count - 1 },
          { lo: 'FLOAT64', width: 'FLOAT64', last: 'INT64' },
        );
        const byBin = new Map(rows.map((x) => [num(x.bin), num(x.n)]));
        const bins = Array.from({ length: count }, (_, i) => ({
          from: lo + i * width,
          to: i === count - 1 ? hi : lo + (i + 1) * width,
          count: byBin.get(i) ?? 0,
        }));
        return { kind: 'histogram', bins, missing, mean: r.mean === null ? null : Number(r.mean) };
      }
      case 'text':
      case 'list': {
        const words =
          field.kind === 'list'
            ? `SELECT LOWER(TRIM(item)) AS word, COUNT(DISTINCT record_id) AS n FROM calls CROSS JOIN ${this.unnest(c, 'item')}
WHERE TRIM(item) <> '' GROUP BY word ORDER BY n DESC, word LIMIT @limit`
            : `SELECT word, COUNT(DISTINCT record_id) AS n FROM calls CROSS JOIN ${this.unnest(`REGEXP_EXTRACT_ALL(LOWER(${c}), '[a-z][a-z]+')`, 'word')}
WHERE LENGTH(word) >= 3 AND word NOT IN UNNEST(@stopwords) GROUP BY word ORDER BY n DESC, word LIMIT @limit`;
        const rows = await this.run(
          words,
          { limit: EXPLORER_LIMITS.keywords, ...(field.kind === 'text' ? { stopwords: [...KEYWORD_STOPWORDS] } : {}) },
          { limit: 'INT64', ...(field.kind === 'text' ? { stopwords: 'ARRAY<STRING>' as const } : {}) },
        );
        const present = field.kind === 'list' ? `ARRAY_LENGTH(${c}) > 0` : `${c} IS NOT NULL AND TRIM(${c}) <> ''`;
        const [r] = await this.run(`SELECT COUNTIF(${present}) AS n FROM calls`);
        return { kind: 'keywords', words: rows.map((x) => ({ word: String(x.word), calls: num(x.n) })), withText: num(r?.n) };
      }
    }
  }

  private async trend(first: unknown, last: unknown, field: string | null): Promise<Trend> {
    const column = this.timeColumn;
    const days = first && last ? (Date.parse(String(last)) - Date.parse(String(first))) / 86_400_000 : 0;
    const period = days > 120 ? 'month' : 'day';
    const key = period === 'day' ? `CAST(CAST(${column} AS DATE) AS STRING)` : `SUBSTR(CAST(CAST(${column} AS DATE) AS STRING), 1, 7)`;
    const value = field === null ? 'CAST(NULL AS STRING)' : `CAST(${field} AS STRING)`;
    const rows = await this.run(
      `SELECT ${key} AS period, ${value} AS value, COUNT(*) AS n FROM calls WHERE ${column} IS NOT NULL GROUP BY period, value ORDER BY period, value`,
    );
    const points = new Map<string, Count[]>();
    for (const r of rows) {
      const p = String(r.period);
      if (!points.has(p)) points.set(p, []);
      points.get(p)!.push({ value: strOrNull(r.value), count: num(r.n) });
    }
    return {
      column,
      period,
      field,
      points: [...points].map(([p, counts]) => ({ period: p, counts, total: counts.reduce((s, x) => s + x.count, 0) })),
    };
  }

  private async breakdown(column: string, field: string): Promise<Breakdown> {
    const rows = await this.run(
      `SELECT k.key AS key, k.total AS total, CAST(c.${field} AS STRING) AS value, COUNT(*) AS n
FROM calls AS c
JOIN (
  SELECT ${column} AS key, COUNT(*) AS total FROM calls WHERE ${column} IS NOT NULL GROUP BY key ORDER BY total DESC, key LIMIT @keys
) AS k ON c.${column} = k.key
GROUP BY k.key, k.total, value
ORDER BY total DESC, key, value`,
      { keys: EXPLORER_LIMITS.breakdownKeys },
      { keys: 'INT64' },
    );
    const byKey = new Map<string, { key: string; total: number; counts: Count[] }>();
    for (const r of rows) {
      const key = String(r.key);
      if (!byKey.has(key)) byKey.set(key, { key, total: num(r.total), counts: [] });
      byKey.get(key)!.counts.push({ value: strOrNull(r.value), count: num(r.n) });
    }
    return { column, field, rows: [...byKey.values()] };
  }

  private async errors(versions: readonly string[]): Promise<{ type: string; records: number }[]> {
    if (versions.length === 0) return [];
    const errors = this.w.table(TABLE_NAMES.errorTracking);
    const since =
      this.since === null
        ? ''
        : this.sourceTable !== undefined && this.timeColumn === SOURCE_ROLES.callTime
          ? `AND e.record_id IN (SELECT ${SOURCE_ROLES.id} FROM ${this.w.table(this.sourceTable)} WHERE ${SOURCE_ROLES.callTime} >= @since)`
          : 'AND e.created_at >= @since';
    const rows = await this.w.query<Row>({
      sql: `SELECT e.error_type AS error_type, COUNT(DISTINCT e.record_id) AS records
FROM ${errors} AS e
WHERE e.analysis_version IN UNNEST(@versions) ${since}
GROUP BY e.error_type
ORDER BY records DESC, error_type`,
      params: { versions: [...versions], ...(this.since === null ? {} : { since: this.since }) },
      types: { versions: 'ARRAY<STRING>', ...(this.since === null ? {} : { since: 'TIMESTAMP' as const }) },
    });
    return rows.map((r) => ({ type: String(r.error_type), records: num(r.records) }));
  }

  async calls(
    fields: readonly ExplorerField[],
    filterable: readonly string[],
    filter: CallFilter,
    offset: number,
    limit: number,
  ): Promise<CallPage> {
    const conditions: string[] = [];
    const params: Record<string, string | number | string[]> = {};
    const types: Record<string, 'STRING' | 'INT64'> = {};
    for (const [i, [name, value]] of Object.entries(filter.equals ?? {}).entries()) {
      if (!filterable.includes(name)) {
        throw new UsageError(`cannot filter on ${name}: the fields calls can be filtered on are ${filterable.join(', ') || 'none'}`);
      }
      if (value === NO_VALUE) conditions.push(`c.${name} IS NULL`);
      else {
        conditions.push(`CAST(c.${name} AS STRING) = @f${i}`);
        params[`f${i}`] = value;
        types[`f${i}`] = 'STRING';
      }
    }
    const search = filter.search?.trim().toLowerCase();
    const text = this.sourceTable !== undefined ? `s.${SOURCE_ROLES.text}` : 'CAST(NULL AS STRING)';
    if (search) {
      const searched = [
        text,
        'c.record_id',
        ...fields.filter((f) => f.kind === 'text' || f.kind === 'enum').map((f) => `c.${f.name}`),
        ...fields.filter((f) => f.kind === 'list').map((f) => `ARRAY_TO_STRING(c.${f.name}, ' ')`),
      ];
      conditions.push(`(${searched.map((e) => `STRPOS(LOWER(COALESCE(${e}, '')), @search) > 0`).join(' OR ')})`);
      params.search = search;
      types.search = 'STRING';
    }
    const join =
      this.sourceTable !== undefined ? `LEFT JOIN ${this.w.table(this.sourceTable)} AS s ON s.${SOURCE_ROLES.id} = c.record_id` : '';
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const [count] = await this.run(`SELECT COUNT(*) AS n FROM calls AS c ${join} ${where}`, params, types);
    const rows = await this.run(
      `SELECT c.*, ${text} AS tap_transcript FROM calls AS c ${join} ${where}
ORDER BY ${filter.orderBy ? `c.${filter.orderBy.column} ${filter.orderBy.descending ? 'DESC' : 'ASC'} NULLS LAST` : `c.${this.timeColumn} DESC NULLS LAST`}, c.record_id LIMIT @limit OFFSET @offset`,
      { ...params, limit, offset },
      { ...types, limit: 'INT64', offset: 'INT64' },
    );
    const ids = rows.map((r) => String(r.record_id));
    const errors = new Map<string, CallError[]>();
    if (ids.length > 0) {
      const errorRows = await this.w.query<Row>({
        sql: `SELECT record_id, execution_id, batch_id, attempt, error_type, retryable, message, created_at
FROM ${this.w.table(TABLE_NAMES.errorTracking)}
WHERE record_id IN UNNEST(@ids)
ORDER BY created_at, error_id`,
        params: { ids },
        types: { ids: 'ARRAY<STRING>' },
      });
      for (const r of errorRows) {
        const id = String(r.record_id);
        if (!errors.has(id)) errors.set(id, []);
        errors.get(id)!.push({
          execution_id: String(r.execution_id),
          batch_id: num(r.batch_id),
          attempt: num(r.attempt),
          error_type: String(r.error_type),
          retryable: Boolean(r.retryable),
          message: strOrNull(r.message),
          created_at: String(r.created_at),
        });
      }
    }
    return {
      matching: num(count?.n),
      offset,
      rows: rows.map((r) => {
        const { tap_transcript: transcript, ...values } = r;
        return { values, transcript: strOrNull(transcript), errors: errors.get(String(r.record_id)) ?? [] };
      }),
    };
  }
}

/** A laptop work folder's DuckDB warehouse, described by its `information_schema`. */
export function duckExploreWarehouse(w: OpsWarehouse): ExploreWarehouse {
  return {
    dialect: 'duckdb',
    table: (id) => w.table(id),
    query: (s) => w.query(s),
    async columns(tableId) {
      const name = w.table(tableId).slice(1, -1);
      const rows = await w.query<Row>({
        sql: `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' AND table_name = @name ORDER BY ordinal_position`,
        params: { name },
      });
      return rows.map((r) => ({ name: String(r.column_name), kind: columnKind(String(r.data_type)) }));
    },
  };
}

/**
 * The explorer over a laptop work folder: the analysis's declaration is `spec` when given, else the
 * one the work folder kept for the version of its latest result (fields it no longer declares are
 * charted by type).
 */
export async function openWorkspaceExplorer(
  local: LocalWorkspace,
  options: { analysis?: string; since?: string; spec?: AnalysisSpec },
): Promise<Explorer> {
  const tables = analysisTables(options.analysis);
  const w = duckExploreWarehouse(local.warehouse);
  let spec = options.spec;
  if (spec === undefined && (await w.columns(tables.results)).length > 0) {
    const [latest] = await w.query<Row>({
      sql: `SELECT analysis_version FROM ${w.table(tables.results)} ORDER BY processed_at DESC, analysis_version DESC LIMIT 1`,
    });
    const saved = latest ? await savedPipeline(local.store, String(latest.analysis_version)) : undefined;
    spec = tables.analysis === PRIMARY_ANALYSIS ? saved?.analysis : saved?.analyses?.[tables.analysis];
  }
  return openExplorer(w, { tables, spec, since: options.since });
}
