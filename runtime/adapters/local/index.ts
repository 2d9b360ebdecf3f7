/**
 * The local adapters: a work folder holding a DuckDB warehouse and a folder standing in for the
 * work bucket (layout in `LOCAL_LAYOUT`), and the local analyzer standing in for Gemini.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ANALYSIS, LOCAL_LAYOUT, type AnalysisSpec } from '../../contract';
import { DuckDbWarehouse } from './duckdb-warehouse';
import { FolderStore } from './folder-store';

export { DuckDbWarehouse, duckStatements, LOAD_JOBS_TABLE, plainRow } from './duckdb-warehouse';
export type { DuckDbWarehouseOptions, DuckStatement, ObjectFiles } from './duckdb-warehouse';
export { FolderStore } from './folder-store';
export { DUCKDB_MACROS, SqlTranslationError, translateSql } from './sql-translate';
export * from './analyzer';
export * from './model-endpoint';

/** An open work folder. */
export interface LocalWorkspace {
  /** Absolute path of the work folder. */
  readonly dir: string;
  readonly warehouse: DuckDbWarehouse;
  readonly store: FolderStore;
  /** Closes this workspace's warehouse handle (the database closes with its last handle). */
  close(): Promise<void>;
}

/**
 * Opens a work folder, creating on first use the folder, the database, the contract's tables (the
 * results table for `analysis`) and views, and the bucket folder. Opening the same folder twice in
 * one process shares one database.
 *
 * @param dir the work folder. @default - `LOCAL_LAYOUT.defaultWorkdir` in the current directory
 * @param analysis the analysis whose results table to create. @default DEFAULT_ANALYSIS
 * @param more the pipeline's other analyses by name, each with its results table. @default - none
 */
export async function openLocalWorkspace(
  dir: string = LOCAL_LAYOUT.defaultWorkdir,
  analysis: AnalysisSpec = DEFAULT_ANALYSIS,
  more: Readonly<Record<string, AnalysisSpec>> = {},
): Promise<LocalWorkspace> {
  const root = path.resolve(dir);
  const store = new FolderStore(path.join(root, LOCAL_LAYOUT.bucket), LOCAL_LAYOUT.bucketName);
  await fs.mkdir(store.root, { recursive: true });
  const warehouse = await DuckDbWarehouse.open({ file: path.join(root, LOCAL_LAYOUT.database), store });
  try {
    await warehouse.ensureSchema(analysis, more);
  } catch (e) {
    await warehouse.close();
    throw e;
  }
  return { dir: root, warehouse, store, close: () => warehouse.close() };
}
