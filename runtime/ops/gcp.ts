/**
 * The deployed pipeline, through Google's official clients: Workflows executions (start a run, re-run
 * a batch, read an execution), BigQuery (the tables, through the `OpsWarehouse` shape) and Vertex AI
 * (the live state of a batch prediction job).
 *
 * Transport: the Workflows and Vertex AI clients are gRPC clients with a REST fallback
 * (`fallback: true`, google-gax's HTTP/1.1 + JSON transport to the same `v1` REST paths). tapctl
 * uses the REST transport everywhere: it is the one its tests exercise against in-process fakes, it
 * passes through HTTP proxies, and it spares a short-lived command gRPC's start-up.
 *
 * Endpoints can be redirected with `TAPCTL_WORKFLOWS_ENDPOINT`, `TAPCTL_AIPLATFORM_ENDPOINT`,
 * `TAPCTL_BIGQUERY_ENDPOINT` and `TAPCTL_STORAGE_ENDPOINT` (`http(s)://host:port`), for private
 * endpoints and for tests.
 * Credentials are Application Default Credentials, or `GOOGLE_OAUTH_ACCESS_TOKEN` when set (a token
 * from `gcloud auth print-access-token`); the Cloud Storage client (`tapctl compare`) always finds
 * Application Default Credentials itself.
 */
import type { BigQueryWarehouse } from '../adapters/gcp/bigquery-warehouse';
import { qualifiedTable } from '../adapters/gcp/bigquery-names';
import type { ExecutionsClient } from '@google-cloud/workflows';
import { GoogleAuth, OAuth2Client } from 'google-auth-library';
import type { Statement } from '../core/ports';
import type { CloudConfig } from './config';
import type { OpsWarehouse } from './queries';
import { OperatorError } from './errors';

const SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];

type AuthClient = GoogleAuth | OAuth2Client;

/** The credentials of the commands: a given access token, or Application Default Credentials. */
export async function credentials(env: NodeJS.ProcessEnv): Promise<AuthClient> {
  const token = env.GOOGLE_OAUTH_ACCESS_TOKEN;
  if (token) {
    const client = new OAuth2Client();
    client.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
    return client;
  }
  const auth = new GoogleAuth({ scopes: SCOPES });
  try {
    await auth.getClient();
  } catch (error) {
    throw new OperatorError(
      `no Google Cloud credentials found (${firstLine(error)})`,
      'run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service ' +
        'account key file, or GOOGLE_OAUTH_ACCESS_TOKEN to a token from `gcloud auth print-access-token`',
    );
  }
  return auth;
}

function firstLine(error: unknown): string {
  let text = error instanceof Error ? error.message : String(error);
  // The REST transport may carry Google's JSON error body as the message.
  try {
    const body = JSON.parse(text) as { error?: { message?: string } };
    if (body.error?.message) text = body.error.message;
  } catch {
    // not JSON: the message as it is
  }
  return text.split('\n')[0]!;
}

/** `http://host:port` → gax options for that endpoint. */
export function gaxEndpoint(url: string | undefined, fallbackHost: string): { apiEndpoint: string; port?: number; protocol?: string } {
  if (!url) return { apiEndpoint: fallbackHost };
  const u = new URL(url);
  return { apiEndpoint: u.hostname, port: u.port ? Number(u.port) : undefined, protocol: u.protocol.replace(':', '') };
}

/** The last segment of a resource name, or the name itself. */
export function shortName(name: string): string {
  return name.split('/').pop() ?? name;
}

export interface WorkflowExecution {
  readonly name: string;
  readonly id: string;
  /** ACTIVE, SUCCEEDED, FAILED, CANCELLED, QUEUED, UNAVAILABLE. */
  readonly state: string;
  readonly error: string | null;
  readonly result: string | null;
  readonly startTime: string | null;
  readonly endTime: string | null;
}

export interface VertexJobState {
  readonly name: string;
  readonly state: string;
  readonly successful: number | null;
  readonly failed: number | null;
  readonly incomplete: number | null;
  readonly error: string | null;
}

interface Ctx {
  readonly what: string;
  readonly config: CloudConfig;
}

/** Turns a client error into what a tired operator needs: which resource, which project, what to do. */
export function explain(error: unknown, ctx: Ctx): Error {
  if (error instanceof OperatorError) return error;
  const e = error as {
    code?: number | string;
    status?: string;
    message?: string;
    errors?: { reason?: string }[];
    reason?: string;
    details?: string;
  };
  const message = firstLine(error);
  const reason = e.errors?.[0]?.reason ?? e.reason ?? '';
  const code = e.code;
  const where = `project ${ctx.config.projectId}, region ${ctx.config.region}`;
  const text = `${message} ${e.details ?? ''}`;
  if (code === 16 || code === 401 || /invalid_grant|UNAUTHENTICATED|Request had invalid authentication/i.test(text)) {
    return new OperatorError(
      `${ctx.what}: the credentials were refused (${message})`,
      'they may have expired: run `gcloud auth application-default login` again (or refresh GOOGLE_OAUTH_ACCESS_TOKEN)',
    );
  }
  if (/SERVICE_DISABLED|accessNotConfigured|has not been used in project|is disabled/i.test(text) || reason === 'accessNotConfigured') {
    return new OperatorError(
      `${ctx.what}: the API is not enabled in ${where} (${message})`,
      `is ${ctx.config.projectId} the project the pipeline was deployed to? Check --project or tapctl.json; ` +
        'the construct enables every API it needs in its own project',
    );
  }
  if (code === 7 || code === 403 || reason === 'accessDenied' || /PERMISSION_DENIED|Permission denied|Access Denied/i.test(text)) {
    return new OperatorError(
      `${ctx.what}: permission denied in ${where} (${message})`,
      'ask for roles/workflows.invoker (run, recover) or roles/workflows.viewer (status) on the project, ' +
        `roles/bigquery.dataViewer on dataset ${ctx.config.dataset} (dataEditor for clear-history) with roles/bigquery.jobUser ` +
        'on the project, and roles/aiplatform.viewer for the Vertex AI job state; or check that --project is right',
    );
  }
  if (code === 5 || code === 404 || reason === 'notFound' || /NOT_FOUND|Not found/i.test(text)) {
    return new OperatorError(
      `${ctx.what}: not found in ${where} (${message})`,
      `check --project, --region and --dataset (or tapctl.json, written from the stack's outputs); the workflows are ` +
        `${ctx.config.masterWorkflow} and ${ctx.config.batchWorkflow}, and --prefix adds the construct's name prefix`,
    );
  }
  if (code === 3 || code === 400)
    return new OperatorError(`${ctx.what}: rejected (${message})`, 'check the values given on the command line');
  return error instanceof Error ? error : new Error(String(error));
}

function tsOf(t: unknown): string | null {
  if (!t) return null;
  if (typeof t === 'string') return t;
  const { seconds, nanos } = t as { seconds?: number | string | { toString(): string }; nanos?: number };
  if (seconds === undefined || seconds === null) return null;
  return new Date(Number(String(seconds)) * 1000 + Math.floor((nanos ?? 0) / 1e6)).toISOString();
}

function count(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = Number(String(v));
  return Number.isFinite(n) && n >= 0 ? n : null;
}

/** The deployed pipeline of one environment. */
export class GcpPipeline {
  private auth?: Promise<AuthClient>;
  private executionsClient?: ExecutionsClient;
  private bigquery?: BigQueryWarehouse;

  constructor(
    readonly config: CloudConfig,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  private credentials(): Promise<AuthClient> {
    this.auth ??= credentials(this.env);
    return this.auth;
  }

  private async executions(): Promise<ExecutionsClient> {
    if (!this.executionsClient) {
      const auth = await this.credentials();
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { ExecutionsClient: Client } = require('@google-cloud/workflows') as typeof import('@google-cloud/workflows');
      this.executionsClient = new Client({
        fallback: true,
        ...gaxEndpoint(this.env.TAPCTL_WORKFLOWS_ENDPOINT, 'workflowexecutions.googleapis.com'),
        auth: auth as never,
      });
    }
    return this.executionsClient;
  }

  workflowName(workflow: string): string {
    if (workflow.startsWith('projects/')) return workflow;
    return `projects/${this.config.projectId}/locations/${this.config.region}/workflows/${workflow}`;
  }

  /** Starts an execution of a workflow with an argument; the execution as created. */
  async start(workflow: string, argument: Record<string, unknown>): Promise<WorkflowExecution> {
    const parent = this.workflowName(workflow);
    try {
      const client = await this.executions();
      // POST https://workflowexecutions.googleapis.com/v1/{parent=projects/*/locations/*/workflows/*}/executions
      // body: Execution {argument: "<JSON text>"}; answers the Execution (name, state ACTIVE, startTime).
      const [execution] = await client.createExecution({ parent, execution: { argument: JSON.stringify(argument) } });
      return toExecution(execution);
    } catch (error) {
      throw explain(error, { what: `starting workflow ${shortName(parent)}`, config: this.config });
    }
  }

  /** One execution of a workflow, or undefined when there is none of that id. */
  async execution(workflow: string, id: string): Promise<WorkflowExecution | undefined> {
    const name = `${this.workflowName(workflow)}/executions/${id}`;
    try {
      const client = await this.executions();
      // GET https://workflowexecutions.googleapis.com/v1/{name=projects/*/locations/*/workflows/*/executions/*}
      const [execution] = await client.getExecution({ name });
      return toExecution(execution);
    } catch (error) {
      const code = (error as { code?: number }).code;
      if (code === 5 || code === 404) return undefined;
      throw explain(error, { what: `reading execution ${id}`, config: this.config });
    }
  }

  /** The live state of a Vertex AI batch prediction job. */
  async vertexJob(name: string): Promise<VertexJobState> {
    const location = /\/locations\/([^/]+)\//.exec(name)?.[1] ?? this.config.vertexRegion ?? this.config.region;
    try {
      const auth = await this.credentials();
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { v1 } = require('@google-cloud/aiplatform') as typeof import('@google-cloud/aiplatform');
      const host = location === 'global' ? 'aiplatform.googleapis.com' : `${location}-aiplatform.googleapis.com`;
      const client = new v1.JobServiceClient({
        fallback: true,
        ...gaxEndpoint(this.env.TAPCTL_AIPLATFORM_ENDPOINT, host),
        auth: auth as never,
      });
      try {
        // GET https://{location}-aiplatform.googleapis.com/v1/{name=projects/*/locations/*/batchPredictionJobs/*}
        const [job] = await client.getBatchPredictionJob({ name });
        const stats = job.completionStats ?? {};
        return {
          name,
          state: String(job.state ?? 'JOB_STATE_UNSPECIFIED'),
          successful: count(stats.successfulCount),
          failed: count(stats.failedCount),
          incomplete: count(stats.incompleteCount),
          error: job.error?.message ?? null,
        };
      } finally {
        await client.close();
      }
    } catch (error) {
      throw explain(error, { what: `reading Vertex AI job ${shortName(name)}`, config: this.config });
    }
  }

  /** The dataset's tables, as the operator queries need them: the jobs' BigQuery adapter, queries only. */
  warehouse(): OpsWarehouse {
    const { projectId, dataset, location } = this.config;
    const config = this.config;
    const get = async (): Promise<BigQueryWarehouse> => {
      if (!this.bigquery) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const adapter = require('../adapters/gcp/bigquery-warehouse') as typeof import('../adapters/gcp/bigquery-warehouse');
        const endpoint = this.env.TAPCTL_BIGQUERY_ENDPOINT;
        this.bigquery = new adapter.BigQueryWarehouse({
          projectId,
          dataset,
          location,
          apiEndpoint: endpoint,
          authClient: await this.credentials(),
        });
      }
      return this.bigquery;
    };
    return {
      table: (id: string) => qualifiedTable(projectId, dataset, id),
      async query<T>(statement: Statement): Promise<T[]> {
        try {
          return await (await get()).query<T>(statement);
        } catch (error) {
          throw explain(error, { what: `querying dataset ${dataset}`, config });
        }
      },
    };
  }

  async close(): Promise<void> {
    await this.executionsClient?.close();
  }
}

function toExecution(e: {
  name?: string | null;
  state?: unknown;
  error?: { payload?: string | null; context?: string | null } | null;
  result?: string | null;
  startTime?: unknown;
  endTime?: unknown;
}): WorkflowExecution {
  const name = e.name ?? '';
  return {
    name,
    id: shortName(name),
    state: String(e.state ?? 'STATE_UNSPECIFIED'),
    error: e.error?.payload || e.error?.context || null,
    result: e.result || null,
    startTime: tsOf(e.startTime),
    endTime: tsOf(e.endTime),
  };
}

/** Workflow execution states that will not change any more. */
export const FINISHED_STATES: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'UNAVAILABLE']);

/**
 * Polls executions of a workflow until each has finished; resolves to their last reads, in order.
 * `onChange` sees every state change (for progress lines).
 */
export async function waitForExecutions(
  pipeline: GcpPipeline,
  workflow: string,
  ids: readonly string[],
  intervalSeconds: number,
  onChange?: (execution: WorkflowExecution) => void,
): Promise<WorkflowExecution[]> {
  const last = new Map<string, WorkflowExecution>();
  for (;;) {
    for (const id of ids) {
      if (last.has(id) && FINISHED_STATES.has(last.get(id)!.state)) continue;
      const read = await pipeline.execution(workflow, id);
      if (!read)
        throw new OperatorError(
          `execution ${id} of workflow ${workflow} disappeared`,
          'check it with gcloud workflows executions describe',
        );
      if (last.get(id)?.state !== read.state) onChange?.(read);
      last.set(id, read);
    }
    if (ids.every((id) => FINISHED_STATES.has(last.get(id)!.state))) return ids.map((id) => last.get(id)!);
    await new Promise((resolve) => setTimeout(resolve, intervalSeconds * 1000));
  }
}
