/**
 * The `Warehouse` port on BigQuery, through `@google-cloud/bigquery`: queries with named
 * parameters (jobs.query, then getQueryResults pages), and load jobs from the work bucket with
 * caller-chosen job ids, where BigQuery's 409 "already exists" means the load was already made.
 */
import { BigQuery, BigQueryInt, BigQueryTimestamp } from '@google-cloud/bigquery';
import { AuthClient, GoogleAuth, PassThroughClient } from 'google-auth-library';
import type { SqlParamTypes, Statement, Warehouse } from '../../core/ports';
import { isTableId, qualifiedTable } from './bigquery-names';

export interface BigQueryWarehouseOptions {
  readonly projectId: string;
  readonly dataset: string;
  /** Bucket the load jobs read staged files from. @default - no loads (queries only, as the operator commands need) */
  readonly bucket?: string;
  /** Location of the dataset's jobs; BigQuery infers it for queries, but jobs.get needs it. */
  readonly location?: string;
  /** Another endpoint, e.g. a local fake: `http://127.0.0.1:9050`. */
  readonly apiEndpoint?: string;
  /** The credentials to send. @default - Application Default Credentials, or none when `anonymous` */
  readonly authClient?: AuthClient | GoogleAuth;
  /**
   * Send no credentials, as the Cloud Storage client does for a custom endpoint.
   * @default - true when `apiEndpoint` is given or BIGQUERY_EMULATOR_HOST is set
   */
  readonly anonymous?: boolean;
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
  if (value instanceof BigQueryTimestamp) return new Date(value.value).toISOString();
  if (value instanceof BigQueryInt) return Number(value.value);
  if (typeof value === 'object' && 'value' in (value as object) && Object.keys(value as object).length === 1) {
    return (value as { value: unknown }).value;
  }
  return value;
}

function plainRow<T>(row: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = plain(v);
  return out as T;
}

/** Failed loads of one write tried again under new ids before giving up. */
const MAX_LOAD_RETRIES = 20;

export class BigQueryWarehouse implements Warehouse {
  readonly client: BigQuery;
  private readonly pollMillis: number;

  constructor(private readonly options: BigQueryWarehouseOptions) {
    const anonymous = options.anonymous ?? (options.apiEndpoint !== undefined || process.env.BIGQUERY_EMULATOR_HOST !== undefined);
    this.client = new BigQuery({
      projectId: options.projectId,
      apiEndpoint: options.apiEndpoint,
      location: options.location,
      ...(options.authClient ? { authClient: options.authClient as AuthClient } : anonymous ? { authClient: new PassThroughClient() } : {}),
    });
    this.pollMillis = options.pollMillis ?? 1000;
  }

  table(tableId: string): string {
    return qualifiedTable(this.options.projectId, this.options.dataset, tableId);
  }

  private request(statement: Statement) {
    // The client reads TIMESTAMP parameters from BigQueryTimestamp objects; a plain string would be sent empty.
    const params: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(statement.params ?? {})) {
      params[name] = statement.types?.[name] === 'TIMESTAMP' && typeof value === 'string' ? BigQuery.timestamp(value) : value;
    }
    return {
      query: statement.sql,
      params,
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

  /**
   * One load per `jobId`, across processes: BigQuery keeps job ids per project, so creating a job
   * whose id exists answers 409, and that job is the load (wait for it). A load job that failed
   * loaded nothing, and its id stays taken: the load is tried again under the next id of the
   * series `jobId`, `jobId_r1`, `jobId_r2`, ..., so the first that succeeded is always found again.
   */
  async load(tableId: string, objectPath: string, jobId: string): Promise<'loaded' | 'already_done'> {
    if (!isTableId(tableId)) throw new Error(`invalid table id "${tableId}"`);
    if (!this.options.bucket) throw new Error('this warehouse has no bucket to load from');
    for (let n = 0; n <= MAX_LOAD_RETRIES; n++) {
      const id = n === 0 ? jobId : `${jobId}_r${n}`;
      let created = true;
      try {
        await this.client.createJob({
          jobId: id,
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
        created = false;
      }
      const error = await this.finished(id);
      if (error === null) return created ? 'loaded' : 'already_done';
      // This process's own load failed: say so (a later call takes the next id of the series).
      if (created) throw new Error(`load job ${id} into ${tableId} failed: ${error}`);
    }
    throw new Error(`load ${jobId} into ${tableId} failed ${MAX_LOAD_RETRIES + 1} times; see the jobs ${jobId}, ${jobId}_r1, ...`);
  }

  /** Waits for a job to be DONE; resolves to its error message, or null when it succeeded. */
  private async finished(jobId: string): Promise<string | null> {
    const job = this.client.job(jobId, { location: this.options.location });
    for (;;) {
      const [meta] = await job.getMetadata();
      const status = (meta as { status?: { state?: string; errorResult?: { message?: string } } }).status;
      if (status?.state === 'DONE') return status.errorResult ? (status.errorResult.message ?? 'unknown error') : null;
      await new Promise((r) => setTimeout(r, this.pollMillis));
    }
  }

  async close(): Promise<void> {}
}
