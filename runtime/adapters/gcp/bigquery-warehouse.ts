/**
 * The `Warehouse` port on BigQuery, through `@google-cloud/bigquery`: queries with named
 * parameters (jobs.query, then getQueryResults pages), and load jobs from the work bucket with
 * caller-chosen job ids, where BigQuery's 409 "already exists" means the load was already made.
 */
import { BigQuery } from '@google-cloud/bigquery';
import type { SqlParamTypes, Statement, Warehouse } from '../../core/ports';

const TABLE_ID = /^[A-Za-z0-9_-]{1,1024}$/;
const QUALIFIED = /^([a-z][a-z0-9.:-]{0,127})\.([A-Za-z0-9_]{1,1024})\.([A-Za-z0-9_-]{1,1024})$/;

export interface BigQueryWarehouseOptions {
  readonly projectId: string;
  readonly dataset: string;
  /** Bucket the load jobs read staged files from. */
  readonly bucket: string;
  /** Location of the dataset's jobs; BigQuery infers it for queries, but jobs.get needs it. */
  readonly location?: string;
  /** Another endpoint, e.g. a local fake: `http://127.0.0.1:9050`. */
  readonly apiEndpoint?: string;
  /** Delay between polls of a running load job. @default 1000 */
  readonly pollMillis?: number;
}

type ClientType = string | string[];

function clientTypes(types: SqlParamTypes | undefined): Record<string, ClientType> | undefined {
  if (!types) return undefined;
  const out: Record<string, ClientType> = {};
  for (const [name, type] of Object.entries(types)) out[name] = type === 'ARRAY<STRING>' ? ['STRING'] : type;
  return out;
}

/** BigQuery's row values as plain JSON values: numbers, ISO timestamps, strings, arrays. */
function plain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    const v = (value as { value?: unknown }).value;
    const name = (value as object).constructor?.name;
    if (name === 'BigQueryTimestamp' && typeof v === 'string') return new Date(v).toISOString();
    if (name === 'BigQueryInt' && typeof v === 'string') return Number(v);
    if (v !== undefined && Object.keys(value as object).length === 1) return v;
    return value;
  }
  return value;
}

function plainRow<T>(row: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = plain(v);
  return out as T;
}

export class BigQueryWarehouse implements Warehouse {
  readonly client: BigQuery;
  private readonly pollMillis: number;

  constructor(private readonly options: BigQueryWarehouseOptions) {
    this.client = new BigQuery({ projectId: options.projectId, apiEndpoint: options.apiEndpoint, location: options.location });
    this.pollMillis = options.pollMillis ?? 1000;
  }

  table(tableId: string): string {
    if (QUALIFIED.test(tableId)) return `\`${tableId}\``;
    if (!TABLE_ID.test(tableId)) throw new Error(`invalid table id "${tableId}"`);
    return `\`${this.options.projectId}.${this.options.dataset}.${tableId}\``;
  }

  private request(statement: Statement) {
    return {
      query: statement.sql,
      params: (statement.params ?? {}) as Record<string, unknown>,
      types: clientTypes(statement.types),
      location: this.options.location,
      useLegacySql: false,
    };
  }

  async query<T = Record<string, unknown>>(statement: Statement): Promise<T[]> {
    const [rows] = await this.client.query(this.request(statement));
    return (rows as Record<string, unknown>[]).map((r) => plainRow<T>(r));
  }

  async *stream<T = Record<string, unknown>>(statement: Statement): AsyncIterable<T> {
    for await (const row of this.client.createQueryStream(this.request(statement))) {
      yield plainRow<T>(row as Record<string, unknown>);
    }
  }

  async load(tableId: string, objectPath: string, jobId: string): Promise<'loaded' | 'already_done'> {
    if (!TABLE_ID.test(tableId)) throw new Error(`invalid table id "${tableId}"`);
    let outcome: 'loaded' | 'already_done' = 'loaded';
    try {
      await this.client.createJob({
        jobId,
        location: this.options.location,
        configuration: {
          load: {
            sourceUris: [`gs://${this.options.bucket}/${objectPath}`],
            sourceFormat: 'NEWLINE_DELIMITED_JSON',
            destinationTable: { projectId: this.options.projectId, datasetId: this.options.dataset, tableId },
            writeDisposition: 'WRITE_APPEND',
            createDisposition: 'CREATE_NEVER',
          },
        },
      });
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw e;
      outcome = 'already_done';
    }
    // Running or finished, the job with this id is the one load: wait for it and check it succeeded.
    const job = this.client.job(jobId, { location: this.options.location });
    for (;;) {
      const [meta] = await job.getMetadata();
      const status = (meta as { status?: { state?: string; errorResult?: { message?: string } } }).status;
      if (status?.state === 'DONE') {
        if (status.errorResult) throw new Error(`load job ${jobId} into ${tableId} failed: ${status.errorResult.message ?? 'unknown error'}`);
        return outcome;
      }
      await new Promise((r) => setTimeout(r, this.pollMillis));
    }
  }

  async close(): Promise<void> {}
}
