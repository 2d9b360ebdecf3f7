/**
 * Opens the pipeline a command works on: the deployed one (BigQuery, Workflows, Vertex AI) or a
 * laptop work folder (DuckDB and a folder), behind the same queries.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LOCAL_LAYOUT } from '../contract';
import { openLocalWorkspace, type LocalWorkspace } from '../adapters/local';
import { GcpPipeline } from './gcp';
import { OperatorError } from './errors';
import { ExecutionRecord, OpsQueries } from './queries';
import { isRunningHere } from '../local/runs';
import { UnknownExecutionError } from './report';
import type { Target } from './config';

export interface OpenTarget {
  readonly target: Target;
  readonly queries: OpsQueries;
  /** For messages: `dataset P.D` or `work folder DIR`. */
  readonly where: string;
  readonly cloud?: GcpPipeline;
  readonly local?: LocalWorkspace;
  close(): Promise<void>;
}

/** A laptop work folder that another process has open (DuckDB lets one at a time): a running pipeline. */
export class WorkFolderInUseError extends OperatorError {
  constructor(dir: string, holder: string | undefined) {
    super(
      `the work folder ${dir} is in use by another process${holder ? ` (${holder})` : ''}, probably a running laptop pipeline`,
      'DuckDB lets one process open it at a time: wait for that run to finish (it prints its own progress), then run this command again',
    );
    this.name = 'WorkFolderInUseError';
  }
}

export async function openTarget(target: Target, env: NodeJS.ProcessEnv): Promise<OpenTarget> {
  if (target.kind === 'local') {
    if (!fs.existsSync(path.join(target.dir, LOCAL_LAYOUT.database))) {
      throw new OperatorError(
        `no pipeline work folder at ${target.dir} (no ${LOCAL_LAYOUT.database} there)`,
        `run the laptop pipeline first (tapctl local run --local ${target.dir}), or give the folder it used`,
      );
    }
    let local: LocalWorkspace;
    try {
      local = await openLocalWorkspace(target.dir);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // DuckDB lets one process at a time open a database file for writing.
      const holder = /Could not set lock on file[\s\S]*?held in (.*?)\(PID (\d+)\)/.exec(message);
      if (holder || /Could not set lock/.test(message)) {
        throw new WorkFolderInUseError(target.dir, holder ? `${holder[1]!.trim()}, PID ${holder[2]}` : undefined);
      }
      throw error;
    }
    return {
      target,
      queries: new OpsQueries(local.warehouse),
      where: `work folder ${target.dir}`,
      local,
      close: () => local.close(),
    };
  }
  const cloud = new GcpPipeline(target.config, env);
  return {
    target,
    queries: new OpsQueries(cloud.warehouse(), { results: target.config.resultsTable }),
    where: `dataset ${target.config.projectId}.${target.config.dataset}`,
    cloud,
    close: () => cloud.close(),
  };
}

/** The execution named by `--execution`, or the latest one; throws when there is none. */
export async function chooseExecution(open: OpenTarget, given: string | undefined): Promise<string> {
  if (given) return given;
  const [latest] = await open.queries.recentExecutions(1);
  if (!latest) {
    throw new OperatorError(
      `no execution in ${open.where} yet`,
      'start one with `tapctl run`, or check that you point at the right pipeline',
    );
  }
  return latest.executionId;
}

/**
 * The execution as the tables tell it; throws `UnknownExecutionError` when they know nothing of it.
 * On a laptop, a run without a final row that no process is running any more is `interrupted`.
 */
export async function requireExecution(open: OpenTarget, executionId: string): Promise<ExecutionRecord> {
  const execution = await open.queries.execution(executionId);
  if (!execution) {
    const recent = await open.queries.recentExecutions();
    throw new UnknownExecutionError(
      executionId,
      recent.map((e) => e.executionId),
      open.where,
    );
  }
  if (open.local && execution.status === 'running' && !isRunningHere(open.local.dir, executionId)) {
    return { ...execution, status: INTERRUPTED };
  }
  return execution;
}

/** The status of a laptop run whose process ended before the run did. */
export const INTERRUPTED = 'interrupted';

/** Runs `body` with the target open, closing it afterwards. */
export async function withTarget<T>(target: Target, env: NodeJS.ProcessEnv, body: (open: OpenTarget) => Promise<T>): Promise<T> {
  const open = await openTarget(target, env);
  try {
    return await body(open);
  } finally {
    await open.close();
  }
}
