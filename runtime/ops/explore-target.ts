/**
 * The results explorer over whichever pipeline a command points at: a laptop work folder's DuckDB,
 * or a deployment's BigQuery dataset, read through the operator commands' BigQuery adapter.
 *
 * A work folder keeps the analysis's declaration with each version; a deployment's tables do not,
 * so there the declaration comes from a file the caller read (`readAnalysisFile`), or there is none
 * and every field is charted by its column type.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AnalysisSpec, analysisTables, checkAnalysis, describeProblem, PRIMARY_ANALYSIS } from '../contract';
import { UsageError } from './errors';
import { columnKind, ExploreWarehouse, Explorer, openExplorer, openWorkspaceExplorer } from './explore';
import type { OpsWarehouse } from './queries';
import type { OpenTarget } from './target';

/**
 * A deployment's dataset as the explorer reads it: queries through `w` (named parameters), and a
 * table's columns from the dataset's `INFORMATION_SCHEMA.COLUMNS` view, one row per column with
 * `table_name`, `column_name`, `ordinal_position` and `data_type` (`STRING`, `INT64`, `FLOAT64`,
 * `BOOL`, `TIMESTAMP`, `ARRAY<STRING>`, `STRUCT<...>`, ...). A table that does not exist has no rows.
 *
 * @see https://cloud.google.com/bigquery/docs/information-schema-columns
 */
export function bigQueryExploreWarehouse(w: OpsWarehouse, projectId: string, dataset: string): ExploreWarehouse {
  // The dataset-qualified form of the view: it lists that dataset's tables and views only.
  const view = `\`${projectId}.${dataset}.INFORMATION_SCHEMA.COLUMNS\``;
  return {
    dialect: 'bigquery',
    table: (id) => w.table(id),
    query: (s) => w.query(s),
    async columns(tableId) {
      const rows = await w.query<Record<string, unknown>>({
        sql: `SELECT column_name AS column_name, data_type AS data_type FROM ${view} WHERE table_name = @name ORDER BY ordinal_position`,
        params: { name: tableId },
        types: { name: 'STRING' },
      });
      return rows.map((r) => ({ name: String(r.column_name), kind: columnKind(String(r.data_type)) }));
    },
  };
}

/**
 * Reads an analysis declaration (an `AnalysisSpec` as JSON) for the explorer, checked by the
 * analysis checker; `option` is the flag that named the file, for the messages. The prompt's
 * placeholders are not checked against a source table: a deployment's source may be its own table.
 */
export function readAnalysisFile(file: string, cwd: string, option: string): AnalysisSpec {
  const full = path.resolve(cwd, file);
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch {
    throw new UsageError(`${option}: cannot read ${full}: give the analysis declaration (JSON) the pipeline was deployed with`);
  }
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${option} ${file}: not valid JSON (${(error as Error).message})`);
  }
  const problems = checkAnalysis(spec);
  if (problems.length > 0) {
    throw new UsageError(`${option} ${file}:\n${problems.map((p) => `  ${describeProblem(p, 'analysis')}`).join('\n')}`);
  }
  return spec as AnalysisSpec;
}

export interface TargetExplorerOptions {
  /** @default PRIMARY_ANALYSIS */
  readonly analysis?: string;
  readonly since?: string;
  /**
   * The analysis's declaration.
   * @default - a work folder's saved one; on a deployment none: fields are charted by column type
   */
  readonly spec?: AnalysisSpec;
}

/**
 * The explorer over an open target. On a deployment, pass1's results table is the one the target
 * names (`--results-table`), as for the operator queries; another analysis's is `<name>_results`.
 */
export async function openTargetExplorer(open: OpenTarget, options: TargetExplorerOptions): Promise<Explorer> {
  if (open.local) return openWorkspaceExplorer(open.local, options);
  if (!open.cloud || open.target.kind !== 'cloud') throw new Error('the target is neither a work folder nor a deployment');
  const { config } = open.target;
  const tables = analysisTables(options.analysis);
  const named = tables.analysis === PRIMARY_ANALYSIS ? { ...tables, results: config.resultsTable } : tables;
  const w = bigQueryExploreWarehouse(open.cloud.warehouse(), config.projectId, config.dataset);
  return openExplorer(w, { tables: named, spec: options.spec, since: options.since });
}
