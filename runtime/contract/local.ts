/** The laptop pipeline's work folder: what `tapctl local run --local DIR` creates. */
export const LOCAL_LAYOUT = {
  /** Default work folder, relative to the current directory. */
  defaultWorkdir: '.tap',
  /** The DuckDB database file. */
  database: 'warehouse.duckdb',
  /** The folder standing in for the work bucket. */
  bucket: 'bucket',
  /** Local name of the work bucket in `gs://` URIs. */
  bucketName: 'local-work-bucket',
  /** Local project id. */
  projectId: 'local-project',
  /** Local region. */
  region: 'local',
  /** Local dataset name. */
  dataset: 'transcript_analysis',
} as const;
