/**
 * Where an analysis's results are read by the people who use them: its results table, its
 * `<analysis>_latest` view (the latest result per record with the source's descriptive columns), the
 * source columns the explorer charts against, and the explorer's bounds.
 */
import { AnalysisSpec, resultsTable } from './analysis';
import { ANALYSIS_NAME } from './analysis-check';
import { PRIMARY_ANALYSIS, resultsTableName } from './analyses';
import { SOURCE_TABLE, TABLE_NAMES } from './tables';

/** The tables and views of one analysis. */
export interface AnalysisTables {
  /** The analysis's name. */
  readonly analysis: string;
  /** Its results table id. */
  readonly results: string;
  /** Its view of the latest result per record, for BI tools and the explorer. */
  readonly latest: string;
}

import type { TableResolver } from './views';

/**
 * The table and view ids of an analysis: its results table (`resultsTableName`) and its view
 * `<name>_latest`.
 */
export function analysisTables(analysis: string = PRIMARY_ANALYSIS): AnalysisTables {
  if (!ANALYSIS_NAME.pattern.test(analysis))
    throw new Error(`analysis name must be ${ANALYSIS_NAME.says}, got ${JSON.stringify(analysis)}`);
  return { analysis, results: resultsTableName(analysis), latest: `${analysis}_latest` };
}

/** What some source columns mean to the people reading the results (columns of `SOURCE_TABLE`). */
export const SOURCE_ROLES = {
  /** The record id the results' `record_id` holds. */
  id: 'transcript_id',
  /** The transcript: shown in one call's view, never in aggregates or the BI view. */
  text: 'transcript',
  /** When the call took place: the trend over time and `--since`. */
  callTime: 'call_started_at',
  /** Columns the results are broken down by, when the source has them. */
  breakdowns: ['agent_id', 'channel'],
} as const satisfies Record<string, string | readonly string[]>;

/** The source columns the latest view carries: all but the transcript and the load time. */
export const SOURCE_DESCRIPTIVE_COLUMNS: readonly string[] = SOURCE_TABLE.columns
  .map((c) => c.name)
  .filter((name) => name !== SOURCE_ROLES.text && name !== SOURCE_TABLE.partitionColumn);

/** Bounds of the results explorer (`tapctl explore`, `tapctl serve`). */
export const EXPLORER_LIMITS = {
  /** Calls a page carries with their transcripts, by default; the charts count every call. */
  sampleRows: 200,
  /** The most a page may carry (`--sample`): a page this size still opens in a browser at once. */
  maxSampleRows: 5000,
  /** Values of a category shown in a chart; the rest are summed as "other". */
  categories: 12,
  /** Keywords shown for a free-text or list field. */
  keywords: 15,
  /** Bars of a number field's histogram. */
  histogramBins: 10,
  /** Agents or channels shown in a breakdown, the busiest first. */
  breakdownKeys: 15,
  /** Calls one query of `tapctl serve` answers with. */
  servePageRows: 100,
} as const;

/** Words too common to be a call's keyword (English), left out of the free-text keyword counts. */
export const KEYWORD_STOPWORDS: readonly string[] = (
  'about above after again against all also and any are because been before being below between both but can could did ' +
  'does doing down during each few for from further had has have having her here hers herself him himself his how into ' +
  'its itself just let more most not now off once only other our ours out over own same she should some such than that ' +
  'the their theirs them then there these they this those through too under until very was were what when where which ' +
  'while who whom why will with would you your yours yourself customer agent call called caller said says'
).split(' ');

/** What the latest view joins: the source table and the columns it takes from it. */
export interface LatestSource {
  /** Source table id (or `project.dataset.table`). */
  readonly table: string;
  /** Its record id column. */
  readonly idColumn: string;
  /**
   * The descriptive columns to carry (never the transcript), as columns of their own; or, for a
   * source whose columns are not known in advance, the text column to leave out of a `source`
   * STRUCT that carries every other column (BigQuery only).
   */
  readonly columns: readonly string[] | { readonly allBut: string };
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,299}$/;

/**
 * The latest view's SQL, one text for BigQuery and DuckDB: per record, the result of the most
 * recently committed analysis version (`analysis_version` tells which), with the source's
 * descriptive columns. A source column named like a result column is carried as `source_<name>`.
 */
export function latestResultsSql(t: TableResolver, tables: AnalysisTables, resultColumns: readonly string[], source: LatestSource): string {
  const named = Array.isArray(source.columns) ? (source.columns as readonly string[]) : [];
  const allBut = Array.isArray(source.columns) ? undefined : (source.columns as { readonly allBut: string }).allBut;
  for (const name of [...resultColumns, ...named, source.idColumn, ...(allBut === undefined ? [] : [allBut])]) {
    if (!IDENTIFIER.test(name)) throw new Error(`invalid column name ${JSON.stringify(name)} for the latest view`);
  }
  const taken = new Set(resultColumns);
  const sourceSelect =
    allBut === undefined
      ? named.filter((c) => c !== source.idColumn).map((c) => (taken.has(c) ? `s.${c} AS source_${c}` : `s.${c}`))
      : [`(SELECT AS STRUCT * EXCEPT (${allBut}) FROM UNNEST([s])) AS source`];
  return `SELECT ${[...resultColumns.map((c) => `r.${c}`), ...sourceSelect].join(', ')}
FROM (
  SELECT * FROM ${t(tables.results)}
  WHERE TRUE
  QUALIFY ROW_NUMBER() OVER (PARTITION BY record_id ORDER BY processed_at DESC, analysis_version DESC) = 1
) AS r
LEFT JOIN ${t(source.table)} AS s ON s.${source.idColumn} = r.record_id`;
}

/** The source the construct creates and the laptop loads: its descriptive columns, flat. */
export const CONTRACT_SOURCE: LatestSource = { table: TABLE_NAMES.source, idColumn: SOURCE_ROLES.id, columns: SOURCE_DESCRIPTIVE_COLUMNS };

/** The `<analysis>_latest` view of an analysis declared by `spec`, over `source`. */
export function latestViewSql(
  t: TableResolver,
  spec: AnalysisSpec,
  tables: AnalysisTables = analysisTables(),
  source: LatestSource = CONTRACT_SOURCE,
): string {
  const columns = resultsTable(spec, tables.results).columns.map((c) => c.name);
  return latestResultsSql(t, tables, columns, source);
}
