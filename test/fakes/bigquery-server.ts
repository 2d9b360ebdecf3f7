/**
 * A fake BigQuery REST API (v2) backed by the DuckDB test engine, enough for `@google-cloud/bigquery`:
 * - `POST /projects/{p}/queries` (jobs.query): a `QueryRequest` with `query`, `parameterMode: NAMED`,
 *   `queryParameters: [{name, parameterType: {type, arrayType}, parameterValue: {value | arrayValues}}]`;
 *   answers a `QueryResponse`: `{kind: bigquery#queryResponse, schema: {fields}, jobReference,
 *   totalRows (string), rows: [{f: [{v}]}], pageToken, jobComplete: true, numDmlAffectedRows}`.
 * - `GET /projects/{p}/queries/{jobId}` (jobs.getQueryResults): the next page, by `pageToken`.
 * - `POST /projects/{p}/jobs` (jobs.insert): a `Job` with `jobReference.jobId` chosen by the client
 *   and `configuration.query` or `configuration.load` (`sourceUris` gs:// in the fake Cloud Storage,
 *   `NEWLINE_DELIMITED_JSON`, `destinationTable`); an id that exists answers 409 ALREADY_EXISTS
 *   (reason `duplicate`), as BigQuery does. A load job is first `RUNNING`, then `DONE`.
 * - `GET /projects/{p}/jobs/{jobId}` (jobs.get): the `Job` with `status.state` and `errorResult`.
 * - `POST /projects/{p}/datasets/{d}/tables` (tables.insert): a `Table` with `tableReference` and
 *   `schema.fields[]` {name, type, mode, description}; answers the table, or 409 ALREADY_EXISTS
 *   (reason `duplicate`) when it exists
 *   (https://cloud.google.com/bigquery/docs/reference/rest/v2/tables/insert).
 * Cell values are strings, as in the REST API; TIMESTAMP cells are microseconds since the epoch when
 * `formatOptions.useInt64Timestamp` is set, else seconds; REPEATED cells are `[{v}]`. The client
 * sends requests under `/bigquery/v2` (apiEndpoint) or at the root (BIGQUERY_EMULATOR_HOST).
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Column } from '../../runtime/contract';
import type { SqlParamTypes, SqlParams, SqlValue } from '../../runtime/core/ports';
import { DuckEngine, EngineRows } from './duck-engine';
import type { FakeGcs } from './gcs-server';
import { FakeServer, Request, sendError, sendJson, startServer } from './http';

interface Field {
  name: string;
  type: string;
  mode: string;
}

interface StoredResult {
  readonly fields: Field[];
  readonly rows: Record<string, unknown>[];
}

interface JobRecord {
  resource: Record<string, unknown>;
  polls: number;
}

export interface FakeBigQuery extends FakeServer {
  readonly engine: DuckEngine;
  readonly jobs: Map<string, JobRecord>;
}

const ROOT = '(?:/bigquery/v2)?/projects/([^/]+)';

function bqType(duck: string): { type: string; mode: string } {
  const repeated = duck.endsWith('[]');
  const base = repeated ? duck.slice(0, -2) : duck;
  const type =
    base === 'VARCHAR'
      ? 'STRING'
      : ['BIGINT', 'INTEGER', 'HUGEINT', 'SMALLINT', 'UBIGINT'].includes(base)
        ? 'INTEGER'
        : ['DOUBLE', 'FLOAT'].includes(base) || base.startsWith('DECIMAL')
          ? 'FLOAT'
          : base === 'BOOLEAN'
            ? 'BOOLEAN'
            : base.startsWith('TIMESTAMP')
              ? 'TIMESTAMP'
              : 'STRING';
  return { type, mode: repeated ? 'REPEATED' : 'NULLABLE' };
}

function cell(value: unknown, field: Field, int64Timestamps: boolean): unknown {
  // BigQuery has no NULL arrays: an empty REPEATED cell is [].
  if (field.mode === 'REPEATED' && (value === null || value === undefined)) return [];
  if (value === null || value === undefined) return null;
  if (field.mode === 'REPEATED') return (value as unknown[]).map((v) => ({ v: cell(v, { ...field, mode: 'NULLABLE' }, int64Timestamps) }));
  if (field.type === 'TIMESTAMP') {
    const ms = Date.parse(String(value));
    return int64Timestamps ? String(ms * 1000) : String(ms / 1000);
  }
  return String(value);
}

/** `queryParameters` of the REST API back into named values and types. */
function parameters(list: unknown): { params: SqlParams; types: SqlParamTypes } {
  const params: Record<string, SqlValue> = {};
  const types: Record<string, string> = {};
  for (const p of (list ?? []) as Array<{
    name: string;
    parameterType: { type: string; arrayType?: { type: string } };
    parameterValue?: { value?: string; arrayValues?: { value: string }[] };
  }>) {
    const type = p.parameterType.type;
    if (type === 'ARRAY') {
      types[p.name] = `ARRAY<${p.parameterType.arrayType!.type}>`;
      params[p.name] = (p.parameterValue?.arrayValues ?? []).map((v) => v.value);
      continue;
    }
    types[p.name] = type;
    const raw = p.parameterValue?.value;
    params[p.name] =
      raw === undefined || raw === null
        ? null
        : type === 'INT64' || type === 'FLOAT64'
          ? Number(raw)
          : type === 'BOOL'
            ? raw === 'true'
            : raw;
  }
  return { params, types: types as SqlParamTypes };
}

export async function startFakeBigQuery(engine: DuckEngine, gcs: FakeGcs, options: { pageSize?: number } = {}): Promise<FakeBigQuery> {
  const results = new Map<string, StoredResult>();
  const jobs = new Map<string, JobRecord>();
  const pageSize = options.pageSize ?? 10_000;

  const runQuery = async (projectId: string, query: string, queryParameters: unknown) => {
    const { params, types } = parameters(queryParameters);
    const out: EngineRows = await engine.run({ sql: query, params, types });
    const isDml = /^\s*(--[^\n]*\n\s*)*(INSERT|UPDATE|DELETE|MERGE)\b/i.test(query);
    const fields = isDml ? [] : out.columns.map((c) => ({ name: c.name, ...bqType(c.type) }));
    const affected = isDml ? Number(out.rows[0]?.[out.columns[0]!.name] ?? 0) : undefined;
    return { fields, rows: isDml ? [] : out.rows, affected, projectId };
  };

  const page = (jobId: string, token: string | null, max: number, int64: boolean) => {
    const stored = results.get(jobId)!;
    const from = Number(token ?? 0);
    const size = Math.min(max, pageSize);
    const slice = stored.rows.slice(from, from + size);
    const next = from + size < stored.rows.length ? String(from + size) : undefined;
    return {
      schema: { fields: stored.fields },
      totalRows: String(stored.rows.length),
      rows: slice.map((r) => ({ f: stored.fields.map((f) => ({ v: cell(r[f.name], f, int64) })) })),
      ...(next ? { pageToken: next } : {}),
      jobComplete: true,
    };
  };

  const invalid = (res: ServerResponse, e: unknown) => sendError(res, 400, 'INVALID_ARGUMENT', 'invalidQuery', (e as Error).message);

  const jobsQuery = async (req: Request, res: ServerResponse) => {
    const projectId = req.match[1]!;
    const body = JSON.parse(req.body.toString('utf8'));
    if (body.useLegacySql !== false)
      return sendError(res, 400, 'INVALID_ARGUMENT', 'invalid', 'this fake speaks GoogleSQL only: set useLegacySql false');
    let out;
    try {
      out = await runQuery(projectId, body.query, body.queryParameters);
    } catch (e) {
      return invalid(res, e);
    }
    const jobId = `job_${randomUUID().replace(/-/g, '')}`;
    const location = body.location ?? 'US';
    results.set(jobId, { fields: out.fields, rows: out.rows });
    jobs.set(jobId, { resource: doneJob(projectId, jobId, location, { query: { query: body.query } }), polls: 0 });
    sendJson(res, 200, {
      kind: 'bigquery#queryResponse',
      jobReference: { projectId, jobId, location },
      ...page(jobId, null, body.maxResults ?? pageSize, body.formatOptions?.useInt64Timestamp === true),
      ...(out.affected !== undefined ? { numDmlAffectedRows: String(out.affected) } : {}),
    });
  };

  const doneJob = (projectId: string, jobId: string, location: string, configuration: unknown, errorResult?: unknown) => ({
    kind: 'bigquery#job',
    id: `${projectId}:${location}.${jobId}`,
    jobReference: { projectId, jobId, location },
    configuration,
    status: { state: 'DONE', ...(errorResult ? { errorResult, errors: [errorResult] } : {}) },
    statistics: { creationTime: String(Date.now()), startTime: String(Date.now()), endTime: String(Date.now()) },
  });

  const loadRows = async (load: { sourceUris: string[]; sourceFormat: string; destinationTable: { tableId: string } }) => {
    if (load.sourceFormat !== 'NEWLINE_DELIMITED_JSON') throw new Error(`sourceFormat ${load.sourceFormat} is not supported by this fake`);
    const rows: Record<string, unknown>[] = [];
    for (const uri of load.sourceUris) {
      const m = /^gs:\/\/([^/]+)\/(.+)$/.exec(uri);
      const text = m ? gcs.text(m[1]!, m[2]!) : undefined;
      if (text === undefined) throw new Error(`Not found: URI ${uri}`);
      for (const line of text.split('\n')) if (line.trim() !== '') rows.push(JSON.parse(line));
    }
    await engine.insert(load.destinationTable.tableId, rows);
    return rows.length;
  };

  const jobsInsert = async (req: Request, res: ServerResponse) => {
    const projectId = req.match[1]!;
    const body = JSON.parse(req.body.toString('utf8'));
    const jobId: string = body.jobReference?.jobId ?? `job_${randomUUID()}`;
    const location: string = body.jobReference?.location ?? 'US';
    if (jobs.has(jobId)) {
      return sendError(res, 409, 'ALREADY_EXISTS', 'duplicate', `Already Exists: Job ${projectId}:${location}.${jobId}`);
    }
    const configuration = body.configuration ?? {};
    if (configuration.load) {
      let errorResult: unknown;
      let outputRows = 0;
      try {
        outputRows = await loadRows(configuration.load);
      } catch (e) {
        errorResult = { reason: 'invalid', message: (e as Error).message };
      }
      const resource = doneJob(projectId, jobId, location, configuration, errorResult);
      (resource.statistics as Record<string, unknown>).load = { outputRows: String(outputRows) };
      jobs.set(jobId, { resource, polls: 0 });
      return sendJson(res, 200, { ...resource, status: { state: 'RUNNING' } });
    }
    if (configuration.query) {
      let errorResult: unknown;
      try {
        const out = await runQuery(projectId, configuration.query.query, configuration.query.queryParameters);
        results.set(jobId, { fields: out.fields, rows: out.rows });
      } catch (e) {
        errorResult = { reason: 'invalidQuery', message: (e as Error).message };
      }
      const resource = doneJob(projectId, jobId, location, configuration, errorResult);
      jobs.set(jobId, { resource, polls: 0 });
      return sendJson(res, 200, resource);
    }
    return sendError(res, 400, 'INVALID_ARGUMENT', 'invalid', 'this fake runs query and load jobs only');
  };

  const server = await startServer([
    { method: 'POST', pattern: new RegExp(`^${ROOT}/queries$`), handler: jobsQuery },
    {
      method: 'GET',
      pattern: new RegExp(`^${ROOT}/queries/([^/]+)$`),
      handler: (req, res) => {
        const jobId = req.match[2]!;
        const job = jobs.get(jobId);
        if (!job) return sendError(res, 404, 'NOT_FOUND', 'notFound', `Not found: Job ${req.match[1]}:${jobId}`);
        const error = (job.resource.status as { errorResult?: { message: string } }).errorResult;
        if (error) return sendError(res, 400, 'INVALID_ARGUMENT', 'invalidQuery', error.message);
        sendJson(res, 200, {
          kind: 'bigquery#getQueryResultsResponse',
          jobReference: job.resource.jobReference,
          ...page(
            jobId,
            req.query.get('pageToken'),
            Number(req.query.get('maxResults') ?? pageSize),
            req.query.get('formatOptions.useInt64Timestamp') === 'true',
          ),
        });
      },
    },
    { method: 'POST', pattern: new RegExp(`^${ROOT}/jobs$`), handler: jobsInsert },
    {
      method: 'POST',
      pattern: new RegExp(`^${ROOT}/datasets/([^/]+)/tables$`),
      handler: async (req, res) => {
        const body = JSON.parse(req.body.toString('utf8')) as {
          tableReference: { tableId: string };
          description?: string;
          schema?: { fields?: { name: string; type: string; mode?: string; description?: string }[] };
        };
        const tableId = body.tableReference.tableId;
        if (engine.tables.has(tableId)) {
          return sendError(res, 409, 'ALREADY_EXISTS', 'duplicate', `Already Exists: Table ${req.match[1]}:${req.match[2]}.${tableId}`);
        }
        await engine.createTable({
          name: tableId,
          description: body.description ?? '',
          columns: (body.schema?.fields ?? []).map((f) => ({
            name: f.name,
            type: f.type as Column['type'],
            mode: (f.mode ?? 'NULLABLE') as Column['mode'],
            description: f.description ?? '',
          })),
          partitionColumn: '',
          clusterColumns: [],
        });
        sendJson(res, 200, { kind: 'bigquery#table', ...body, id: `${req.match[1]}:${req.match[2]}.${tableId}` });
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${ROOT}/jobs/([^/]+)$`),
      handler: (req, res) => {
        const job = jobs.get(req.match[2]!);
        if (!job) return sendError(res, 404, 'NOT_FOUND', 'notFound', `Not found: Job ${req.match[1]}:${req.match[2]}`);
        job.polls++;
        sendJson(res, 200, job.resource);
      },
    },
  ]);
  return { ...server, engine, jobs };
}
