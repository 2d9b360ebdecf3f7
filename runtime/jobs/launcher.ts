/**
 * The launcher job: starts the master workflow with the run's settings from its environment,
 * follows the execution to its end writing progress lines, and exits with the run's outcome
 * (`LAUNCHER_EXIT`): 0 succeeded, 3 batches left failed or unfinished, 1 failed.
 *
 * Unlike the other jobs it is not retried by Cloud Run on failure (a retry would start a second
 * run): the construct gives it no task retries.
 */
import { LAUNCHER, LAUNCHER_ENV, LAUNCHER_EXIT, LAUNCHER_POLL_SECONDS, LIMITS, LOG_EVENTS } from '../contract';
import { ConfigError, optionalBool, optionalInt, requireIdentifier, requireString } from '../core/config';
import { errorFields, jsonLogger } from '../core/log';
import type { JobEnv, Logger } from '../core/ports';

export interface LauncherConfig {
  /** `projects/P/locations/R/workflows/W` of the master workflow. */
  readonly workflow: string;
  /** The master workflow's argument: only the settings given. */
  readonly argument: Readonly<Record<string, unknown>>;
  readonly pollSeconds: number;
  /** Another Executions API root, e.g. `http://127.0.0.1:8080`. */
  readonly endpoint?: string;
}

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** Reads and checks the launcher's environment; a bad value names its variable. */
export function config(env: JobEnv): LauncherConfig {
  const projectId = requireString(env, LAUNCHER_ENV.projectId);
  const region = requireString(env, LAUNCHER_ENV.region);
  const workflow = requireString(env, LAUNCHER_ENV.masterWorkflow);
  for (const [variable, value] of [
    [LAUNCHER_ENV.region, region],
    [LAUNCHER_ENV.masterWorkflow, workflow],
  ] as const) {
    if (!NAME.test(value)) throw new ConfigError(variable, `must be lowercase letters, digits and -, got "${value}"`);
  }
  const argument: Record<string, unknown> = {};
  const batchSize = env[LAUNCHER_ENV.batchSize]?.trim();
  if (batchSize === 'auto') argument.batch_size = 'auto';
  else if (batchSize) argument.batch_size = optionalInt(env, LAUNCHER_ENV.batchSize, 1, LIMITS.maxBatchSize);
  const concurrent = optionalInt(env, LAUNCHER_ENV.maxConcurrentBatches, 1, LIMITS.maxConcurrentBatches);
  if (concurrent !== undefined) argument.max_concurrent_batches = concurrent;
  const limit = optionalInt(env, LAUNCHER_ENV.limit, 1, Number.MAX_SAFE_INTEGER);
  if (limit !== undefined) argument.limit = limit;
  if (optionalBool(env, LAUNCHER_ENV.dryRun)) argument.dry_run = true;
  if (optionalBool(env, LAUNCHER_ENV.skipIfBusy)) argument.skip_if_busy = true;
  const analysis = env[LAUNCHER_ENV.analysis]?.trim();
  if (analysis) {
    const analyses = (env[LAUNCHER_ENV.analyses] ?? '')
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
    requireIdentifier(LAUNCHER_ENV.analysis, analysis);
    if (!analyses.includes(analysis)) {
      throw new ConfigError(
        LAUNCHER_ENV.analysis,
        `"${analysis}" is not an analysis of this pipeline (${analyses.join(', ') || 'none listed'})`,
      );
    }
    argument.analysis = analysis;
  }
  const pollSeconds =
    optionalInt(env, LAUNCHER_ENV.pollSeconds, LAUNCHER_POLL_SECONDS.min, LAUNCHER_POLL_SECONDS.max) ?? LAUNCHER_POLL_SECONDS.default;
  const endpoint = env[LAUNCHER_ENV.workflowsEndpoint]?.trim() || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(endpoint)) {
    throw new ConfigError(LAUNCHER_ENV.workflowsEndpoint, `must be an http(s) root such as http://127.0.0.1:8080, got "${endpoint}"`);
  }
  return { workflow: `projects/${projectId}/locations/${region}/workflows/${workflow}`, argument, pollSeconds, endpoint };
}

/** What the launcher needs of the Workflows Executions API. */
export interface WorkflowExecutions {
  /** `executions.create`: the new execution's name. */
  create(workflow: string, argument: string): Promise<string>;
  /** `executions.get`: its state, and its result (JSON text) or error once it has ended. */
  get(name: string): Promise<{ readonly state: string; readonly result?: string; readonly error?: string }>;
}

/** Execution states that do not change any more (Executions API `State`). */
const ENDED = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'UNAVAILABLE']);

/** The exit code and the last line for an ended execution. */
export function outcome(state: string, result: string | undefined, error: string | undefined): { code: number; message: string } {
  if (state !== 'SUCCEEDED') {
    return { code: LAUNCHER_EXIT.failed, message: `the run ${state.toLowerCase()}${error ? `: ${error.split('\n')[0]}` : ''}` };
  }
  let value: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(result ?? '{}') as unknown;
    if (parsed && typeof parsed === 'object') value = parsed as Record<string, unknown>;
  } catch {
    // A result that is not JSON carries no batch counts: the run itself succeeded.
  }
  if (value.skipped === true)
    return { code: LAUNCHER_EXIT.succeeded, message: 'the run was skipped: another run of the pipeline is active' };
  if (value.dry_run === true) return { code: LAUNCHER_EXIT.succeeded, message: 'the dry run planned the run' };
  // A run of several analyses returns {execution_id, analyses: [summary, ...]}; of one, its summary.
  const summaries = Array.isArray(value.analyses) ? (value.analyses as Record<string, unknown>[]) : [value];
  const leftOf = (s: Record<string, unknown>) => Number(s.batches_failed ?? 0) + Number(s.batches_unfinished ?? 0);
  const unfinished = summaries.filter((s) => leftOf(s) > 0);
  if (unfinished.length > 0) {
    const left = unfinished.reduce((t, s) => t + leftOf(s), 0);
    const each = unfinished.map(
      (s) => `tapctl recover --execution ${String(s.execution_id)} --all-failed (${JSON.stringify(s.failed_batches ?? [])})`,
    );
    return {
      code: LAUNCHER_EXIT.batchesLeft,
      message: `the run ended with ${left} batch(es) left failed or unfinished: recover them with ${each.join('; ')}`,
    };
  }
  return { code: LAUNCHER_EXIT.succeeded, message: 'the run succeeded' };
}

/** Starts the run and follows it; resolves to the exit code. Never throws. */
export async function launch(
  cfg: LauncherConfig,
  executions: WorkflowExecutions,
  log: Logger,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<number> {
  let name: string;
  try {
    name = await executions.create(cfg.workflow, JSON.stringify(cfg.argument));
  } catch (error) {
    log.log('ERROR', `could not start ${cfg.workflow}: ${(error as Error)?.message ?? String(error)}`, {
      event: LOG_EVENTS.jobFailed,
      ...errorFields(error),
    });
    return LAUNCHER_EXIT.failed;
  }
  const id = name.split('/').pop();
  log.log('INFO', `started ${name} with ${JSON.stringify(cfg.argument)}`, { event: LOG_EVENTS.jobStarted, workflow_execution: id });
  const started = Date.now();
  let last = '';
  let failures = 0;
  for (let looks = 1; ; looks++) {
    let read: Awaited<ReturnType<WorkflowExecutions['get']>>;
    try {
      read = await executions.get(name);
      failures = 0;
    } catch (error) {
      // A look that fails is tried again; the run goes on whatever the launcher sees.
      if (++failures >= 5) {
        log.log('ERROR', `lost track of ${name}: ${(error as Error)?.message ?? String(error)}`, {
          event: LOG_EVENTS.jobFailed,
          ...errorFields(error),
        });
        return LAUNCHER_EXIT.failed;
      }
      log.log('WARNING', `could not read ${name}, trying again: ${(error as Error)?.message ?? String(error)}`);
      await sleep(cfg.pollSeconds * 1000);
      continue;
    }
    const elapsed = Math.round((Date.now() - started) / 1000);
    if (read.state !== last || looks % 20 === 0) {
      log.log('INFO', `${id}: ${read.state} after ${elapsed} s`, {
        event: 'run_progress',
        workflow_execution: id,
        state: read.state,
        elapsed_seconds: elapsed,
      });
      last = read.state;
    }
    if (ENDED.has(read.state)) {
      const { code, message } = outcome(read.state, read.result, read.error);
      log.log(code === LAUNCHER_EXIT.succeeded ? 'INFO' : 'ERROR', message, {
        event: LOG_EVENTS.jobFinished,
        workflow_execution: id,
        state: read.state,
        exit_code: code,
        ...(read.result ? { result: read.result } : {}),
      });
      return code;
    }
    await sleep(cfg.pollSeconds * 1000);
  }
}

/** The Executions API through Google's client (its REST transport), at `endpoint` when given. */
async function clientExecutions(cfg: LauncherConfig, env: JobEnv): Promise<WorkflowExecutions & { close(): Promise<void> }> {
  const { ExecutionsClient } = await import('@google-cloud/workflows');
  const options: Record<string, unknown> = { fallback: true };
  if (cfg.endpoint) {
    const url = new URL(cfg.endpoint);
    Object.assign(options, {
      apiEndpoint: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      protocol: url.protocol.replace(':', ''),
    });
  }
  const token = env.GOOGLE_OAUTH_ACCESS_TOKEN;
  if (token) {
    const { OAuth2Client } = await import('google-auth-library');
    const auth = new OAuth2Client();
    auth.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
    options.auth = auth;
  }
  const client = new ExecutionsClient(options as never);
  return {
    async create(workflow, argument) {
      // POST https://workflowexecutions.googleapis.com/v1/{parent=projects/*/locations/*/workflows/*}/executions
      // with Execution {argument: "<JSON text>"} (https://cloud.google.com/workflows/docs/reference/executions/rest/v1/projects.locations.workflows.executions/create)
      const [execution] = await client.createExecution({ parent: workflow, execution: { argument } });
      return String(execution.name);
    },
    async get(name) {
      // GET https://workflowexecutions.googleapis.com/v1/{name=projects/*/locations/*/workflows/*/executions/*}:
      // state, result (JSON text) when SUCCEEDED, error.payload when FAILED.
      const [execution] = await client.getExecution({ name });
      return {
        state: String(execution.state ?? 'STATE_UNSPECIFIED'),
        result: execution.result || undefined,
        error: execution.error?.payload || execution.error?.context || undefined,
      };
    },
    close: () => client.close(),
  };
}

/** Runs the launcher as a process: resolves to its exit code. */
export async function main(env: JobEnv = process.env): Promise<number> {
  const log = jsonLogger({ job: LAUNCHER.kind }, (line) => process.stdout.write(line));
  let cfg: LauncherConfig;
  try {
    cfg = config(env);
  } catch (error) {
    log.log('ERROR', `launcher failed: ${(error as Error).message}`, { event: LOG_EVENTS.jobFailed, ...errorFields(error) });
    return LAUNCHER_EXIT.failed;
  }
  const executions = await clientExecutions(cfg, env);
  try {
    return await launch(cfg, executions, log);
  } finally {
    await executions.close().catch(() => undefined);
  }
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
