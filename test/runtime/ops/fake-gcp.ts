/**
 * An in-process fake of the three Google APIs tapctl calls, speaking their documented REST shapes:
 *
 * - Workflows Executions API v1 (https://cloud.google.com/workflows/docs/reference/executions/rest):
 *   `POST /v1/{parent=projects/*\/locations/*\/workflows/*}/executions` with an `Execution` body whose
 *   `argument` is "the JSON-encoded argument of the execution" as a string; answers the `Execution`
 *   (`name`, `state` ACTIVE, `startTime`, `argument`). `GET /v1/{name=…/executions/*}` answers the
 *   `Execution` with `state` one of ACTIVE, SUCCEEDED, FAILED, CANCELLED, `error.payload` once FAILED,
 *   and `result` ("Output of the execution represented as a JSON string") once SUCCEEDED.
 * - Vertex AI API v1 (https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.batchPredictionJobs/get):
 *   `GET /v1/{name=projects/*\/locations/*\/batchPredictionJobs/*}` answers a `BatchPredictionJob`
 *   with `state` (`JOB_STATE_…`) and `completionStats` {successfulCount, failedCount,
 *   incompleteCount} (int64, hence strings in JSON).
 * - BigQuery API v2 jobs.query (https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/query):
 *   `POST /bigquery/v2/projects/{projectId}/queries` with a `QueryRequest` (`query`, `useLegacySql`,
 *   `parameterMode` NAMED, `queryParameters[]` of {name, parameterType{type, arrayType},
 *   parameterValue{value, arrayValues}}, `formatOptions.useInt64Timestamp`); answers a
 *   `QueryResponse`: `jobComplete`, `jobReference`, `schema.fields[]`, `rows[].f[].v` (every value
 *   a string; TIMESTAMP as int64 microseconds when useInt64Timestamp), `numDmlAffectedRows`.
 *   The fake runs the SQL on a DuckDB warehouse (the laptop adapter, which takes BigQuery's dialect);
 *   the schema of an answer is inferred from its values, ISO timestamps being TIMESTAMP.
 * - The dataset's `INFORMATION_SCHEMA.COLUMNS` view
 *   (https://cloud.google.com/bigquery/docs/information-schema-columns), named
 *   `` `PROJECT.DATASET.INFORMATION_SCHEMA.COLUMNS` ``: one row per column of each table and view of
 *   the dataset with `table_catalog`, `table_schema`, `table_name`, `column_name`, `ordinal_position`
 *   (from 1), `is_nullable` (`YES`/`NO`) and `data_type` in GoogleSQL's spelling (`STRING`, `INT64`,
 *   `FLOAT64`, `BOOL`, `TIMESTAMP`, `ARRAY<STRING>`), made from DuckDB's own catalog. Its other
 *   documented columns (`is_partitioning_column`, `collation_name`, ...) are not there.
 *
 * Errors follow Google's JSON error shape: `{"error": {"code": 404, "message": …, "status": "NOT_FOUND"}}`
 * (BigQuery adds `errors[].reason`, e.g. `notFound`, `accessDenied`). Every request must carry
 * `Authorization: Bearer <token>`.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { IDLE_CONNECTION_MS } from '../../fakes/http';
import type { SqlParams, SqlParamTypes, Warehouse } from '../../../runtime/core/ports';

export type Api = 'workflows' | 'aiplatform' | 'bigquery';

export interface RecordedCall {
  readonly api: Api;
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

export interface FakeExecution {
  name: string;
  argument: string;
  /** States returned by successive GETs; the last one stays. */
  states: string[];
  error?: string;
  /** `result` (the JSON text the workflow returned) once it has SUCCEEDED. */
  result?: string;
}

export interface FakeGcpOptions {
  readonly project: string;
  readonly region: string;
  readonly workflows: readonly string[];
  readonly dataset: string;
  readonly warehouse: Pick<Warehouse, 'query'>;
  readonly token?: string;
}

export class FakeGcp {
  readonly calls: RecordedCall[] = [];
  readonly executions = new Map<string, FakeExecution>();
  readonly vertexJobs = new Map<string, Record<string, unknown>>();
  /** States that successive GETs of a newly created execution answer; the last one stays. */
  statesOfNew: string[] = ['ACTIVE'];
  /** `error.payload` of a new execution once it has FAILED. */
  errorOfNew?: string;
  /** `result` of a new execution once it has SUCCEEDED. */
  resultOfNew?: string;
  /** APIs that answer 403 PERMISSION_DENIED. */
  readonly denied = new Set<Api>();
  private server?: http.Server;
  private counter = 0;

  constructor(readonly options: FakeGcpOptions) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        this.handle(req, text)
          .then(([status, body]) => {
            res.writeHead(status, { 'content-type': 'application/json' });
            res.end(JSON.stringify(body));
          })
          .catch((error: Error) => {
            res.writeHead(500, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ error: { code: 500, message: error.message, status: 'INTERNAL' } }));
          });
      });
    });
    // Node closes a kept-alive connection after 5 s idle, and a client that sends its next request
    // on it as it closes sees "socket hang up": on a busy machine the CLI's requests can be that far
    // apart. Google's front ends keep idle connections far longer; so does the fake.
    this.server.keepAliveTimeout = IDLE_CONNECTION_MS;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Adds an execution of a workflow, as if started earlier. */
  addExecution(workflow: string, id: string, states: string[], error?: string): void {
    const name = `projects/${this.options.project}/locations/${this.options.region}/workflows/${workflow}/executions/${id}`;
    this.executions.set(name, { name, argument: '{}', states, error });
  }

  callsTo(api: Api): RecordedCall[] {
    return this.calls.filter((c) => c.api === api);
  }

  private async handle(req: http.IncomingMessage, text: string): Promise<[number, unknown]> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const api: Api = path.startsWith('/bigquery/') ? 'bigquery' : path.includes('/batchPredictionJobs/') ? 'aiplatform' : 'workflows';
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    this.calls.push({ api, method, path, body });
    const token = this.options.token ?? 'test-token';
    if (req.headers.authorization !== `Bearer ${token}`) {
      return googleError(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token.', 'UNAUTHENTICATED');
    }
    if (this.denied.has(api)) {
      return googleError(403, `Permission denied on resource ${path} (or it may not exist).`, 'PERMISSION_DENIED', 'accessDenied');
    }
    if (api === 'bigquery') return this.bigquery(path, body as Record<string, unknown>);
    if (api === 'aiplatform') return this.vertex(path);
    return this.workflow(method, path, body as Record<string, unknown> | undefined);
  }

  private workflow(method: string, path: string, body: Record<string, unknown> | undefined): [number, unknown] {
    const { project, region, workflows } = this.options;
    const create = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/workflows\/([^/]+)\/executions$/.exec(path);
    if (create && method === 'POST') {
      const [, p, l, w] = create;
      if (p !== project || l !== region || !workflows.includes(w!)) {
        return googleError(404, `Resource 'projects/${p}/locations/${l}/workflows/${w}' was not found`, 'NOT_FOUND');
      }
      const argument = (body as { argument?: unknown } | undefined)?.argument;
      if (typeof argument !== 'string') return googleError(400, 'argument must be a JSON string', 'INVALID_ARGUMENT');
      JSON.parse(argument);
      const id = `0000000${++this.counter}-fake-execution`;
      const name = `projects/${p}/locations/${l}/workflows/${w}/executions/${id}`;
      this.executions.set(name, { name, argument, states: [...this.statesOfNew], error: this.errorOfNew, result: this.resultOfNew });
      return [200, { name, state: 'ACTIVE', argument, startTime: '2026-11-28T12:00:00.000000Z', workflowRevisionId: '000001-abc' }];
    }
    const get = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/workflows\/[^/]+\/executions\/[^/]+)$/.exec(path);
    if (get && method === 'GET') {
      const e = this.executions.get(get[1]!);
      if (!e) return googleError(404, `Resource '${get[1]}' was not found`, 'NOT_FOUND');
      const state = e.states.length > 1 ? e.states.shift()! : e.states[0]!;
      return [
        200,
        {
          name: e.name,
          state,
          argument: e.argument,
          startTime: '2026-11-28T08:00:00Z',
          ...(e.error && state === 'FAILED' ? { error: { payload: e.error, context: '' } } : {}),
          ...(e.result !== undefined && state === 'SUCCEEDED' ? { result: e.result } : {}),
        },
      ];
    }
    return googleError(404, `no route ${method} ${path}`, 'NOT_FOUND');
  }

  private vertex(path: string): [number, unknown] {
    const name = path.replace(/^\/v1\//, '');
    const job = this.vertexJobs.get(name);
    if (!job) return googleError(404, `The BatchPredictionJob does not exist.`, 'NOT_FOUND');
    return [200, { name, ...job }];
  }

  private async bigquery(path: string, body: Record<string, unknown>): Promise<[number, unknown]> {
    const m = /^\/bigquery\/v2\/projects\/([^/]+)\/queries$/.exec(path);
    if (!m) return googleError(404, `no route ${path}`, 'NOT_FOUND', 'notFound');
    const project = m[1]!;
    const sql = String(body.query);
    if (body.useLegacySql !== false) return googleError(400, 'expected useLegacySql false', 'INVALID_ARGUMENT', 'invalid');
    for (const ref of sql.matchAll(/`([^`.]+)\.([^`.]+)\.[^`]+`/g)) {
      if (ref[1] !== this.options.project || ref[2] !== this.options.dataset) {
        return googleError(404, `Not found: Dataset ${ref[1]}:${ref[2]} was not found in location US`, 'NOT_FOUND', 'notFound');
      }
    }
    if (project !== this.options.project) return googleError(404, `Not found: Project ${project}`, 'NOT_FOUND', 'notFound');
    const params: Record<string, unknown> = {};
    const types: Record<string, string> = {};
    for (const p of (body.queryParameters ?? []) as {
      name: string;
      parameterType: { type: string; arrayType?: { type: string } };
      parameterValue?: { value?: string; arrayValues?: { value: string }[] };
    }[]) {
      const t = p.parameterType.type;
      types[p.name] = t === 'ARRAY' ? 'ARRAY<STRING>' : t;
      const v = p.parameterValue;
      if (t === 'ARRAY') params[p.name] = (v?.arrayValues ?? []).map((a) => a.value);
      else if (v?.value === undefined || v.value === null) params[p.name] = null;
      else if (t === 'INT64' || t === 'FLOAT64' || t === 'NUMERIC') params[p.name] = Number(v.value);
      else if (t === 'BOOL') params[p.name] = v.value === 'true';
      else params[p.name] = v.value;
    }
    let rows: Record<string, unknown>[];
    try {
      rows = await this.options.warehouse.query<Record<string, unknown>>({
        sql: sql.replace(new RegExp(`\`${this.options.project}\\.${this.options.dataset}\\.INFORMATION_SCHEMA\\.COLUMNS\``, 'gi'), () =>
          columnsView(this.options.project, this.options.dataset),
        ),
        params: params as SqlParams,
        types: types as SqlParamTypes,
      });
    } catch (error) {
      // BigQuery answers a query naming a table the dataset lacks with 404 "Not found: Table".
      const missing = /Table with name "?([A-Za-z0-9_]+)"? does not exist/.exec((error as Error).message);
      if (missing) {
        return googleError(
          404,
          `Not found: Table ${project}:${this.options.dataset}.${missing[1]} was not found in location US`,
          'NOT_FOUND',
          'notFound',
        );
      }
      return googleError(400, (error as Error).message, 'INVALID_ARGUMENT', 'invalidQuery');
    }
    const jobReference = { projectId: project, jobId: `job_${++this.counter}`, location: 'US' };
    if (/^\s*(DELETE|INSERT|UPDATE|MERGE)/i.test(sql))
      return [200, { kind: 'bigquery#queryResponse', jobReference, jobComplete: true, numDmlAffectedRows: '0' }];
    const names = rows.length > 0 ? Object.keys(rows[0]!) : [];
    const fields = names.map((name) => ({ name, ...fieldType(rows.map((r) => r[name])) }));
    return [
      200,
      {
        kind: 'bigquery#queryResponse',
        jobReference,
        jobComplete: true,
        totalRows: String(rows.length),
        schema: { fields },
        rows: rows.map((r) => ({ f: fields.map((f) => ({ v: cell(r[f.name], f.type, f.mode) })) })),
      },
    ];
  }
}

/** GoogleSQL's names of the DuckDB types the laptop warehouse makes the contract's columns with. */
const GOOGLE_SQL_TYPES: Readonly<Record<string, string>> = {
  VARCHAR: 'STRING',
  BIGINT: 'INT64',
  DOUBLE: 'FLOAT64',
  BOOLEAN: 'BOOL',
  TIMESTAMP: 'TIMESTAMP',
  'TIMESTAMP WITH TIME ZONE': 'TIMESTAMP',
  DATE: 'DATE',
};

/** The dataset's `INFORMATION_SCHEMA.COLUMNS`, as a derived table over DuckDB's catalog (one schema: `main`). */
function columnsView(project: string, dataset: string): string {
  const googleSql = (expr: string) =>
    `CASE ${expr} ${Object.entries(GOOGLE_SQL_TYPES)
      .map(([duck, google]) => `WHEN '${duck}' THEN '${google}'`)
      .join(' ')} ELSE ${expr} END`;
  const element = 'SUBSTR(data_type, 1, LENGTH(data_type) - 2)';
  return `(SELECT '${project}' AS table_catalog, '${dataset}' AS table_schema, table_name, column_name, ordinal_position, is_nullable,
CASE WHEN data_type LIKE '%[]' THEN CONCAT('ARRAY<', ${googleSql(element)}, '>') ELSE ${googleSql('data_type')} END AS data_type
FROM information_schema.columns WHERE table_schema = 'main')`;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

function fieldType(values: unknown[]): { type: string; mode: string } {
  const v = values.find((x) => x !== null && x !== undefined);
  if (Array.isArray(v)) return { type: 'STRING', mode: 'REPEATED' };
  if (typeof v === 'number')
    return { type: values.every((x) => x === null || Number.isInteger(x)) ? 'INTEGER' : 'FLOAT', mode: 'NULLABLE' };
  if (typeof v === 'boolean') return { type: 'BOOLEAN', mode: 'NULLABLE' };
  if (typeof v === 'string' && ISO.test(v)) return { type: 'TIMESTAMP', mode: 'NULLABLE' };
  return { type: 'STRING', mode: 'NULLABLE' };
}

function cell(v: unknown, type: string, mode: string): unknown {
  if (v === null || v === undefined) return null;
  if (mode === 'REPEATED') return (v as unknown[]).map((x) => ({ v: String(x) }));
  if (type === 'TIMESTAMP') return String(Date.parse(String(v)) * 1000);
  return String(v);
}

function googleError(code: number, message: string, status: string, reason?: string): [number, unknown] {
  return [code, { error: { code, message, status, ...(reason ? { errors: [{ reason, message, domain: 'global' }] } : {}) } }];
}
