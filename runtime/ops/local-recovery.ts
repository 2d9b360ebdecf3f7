/**
 * Recovery on a laptop work folder: the batch workflow run to the end on the local engine, with the
 * same local connectors, jobs and analyzer as the laptop pipeline. Loaded only by `--local` commands
 * (it brings DuckDB, the jobs and the NLP model).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AnalysisSpec, DEFAULT_ANALYSIS, DEFAULT_WORKFLOW_NAMES, JOB_KINDS, JobKind, LOCAL_LAYOUT } from '../contract';
import type { JobPorts, JobRun, Logger } from '../core/ports';
import type { LocalWorkspace } from '../adapters/local';
import { analyzeLine } from '../adapters/local/analyzer';
import { run as planner } from '../jobs/planner';
import { run as generator } from '../jobs/generator';
import { run as processor } from '../jobs/processor';
import { run as reporter } from '../jobs/reporter';
import { LocalCloudRun } from '../local/cloud-run';
import { localConnectors } from '../local/connectors';
import { runWorkflow, VirtualClock } from '../local/engine';
import { DEFAULT_LOCAL_SETTINGS, LOCAL_JOB_NAMES, LocalSettings, localJobEnv, localWorkflowEnv } from '../local/environment';
import { Faults, NO_FAULTS } from '../local/faults';
import { pipelineWorkflows } from '../local/pipeline';
import { LocalVertexAi } from '../local/vertex';

const JOBS: Readonly<Record<JobKind, JobRun>> = { planner, generator, processor, reporter };

export interface LocalRecoveryOutcome {
  readonly argument: Record<string, unknown>;
  /** `succeeded`, `empty` or `failed`. */
  readonly status: string;
  readonly error?: string;
}

/** A job logger appending JSON lines to the work folder's log of the recovery. */
function fileLogger(stream: fs.WriteStream, job: string): Logger {
  return {
    log(severity, message, fields) {
      stream.write(JSON.stringify({ time: new Date().toISOString(), severity, message, job, ...fields }) + '\n');
    },
  };
}

function errorText(error: unknown): string {
  if (error && typeof error === 'object' && 'message' in error) return String((error as { message: unknown }).message);
  return JSON.stringify(error);
}

/**
 * Runs batch workflow executions to the end on the laptop: the same `workflows/batch.yaml` on the
 * local engine with the local connectors, as `tapctl local run` runs it for each batch.
 */
export async function runLocalRecovery(
  workspace: LocalWorkspace,
  executionId: string,
  args: readonly Record<string, unknown>[],
  options: { readonly analysis?: AnalysisSpec; readonly faults?: Faults } = {},
): Promise<LocalRecoveryOutcome[]> {
  const analysis = options.analysis ?? DEFAULT_ANALYSIS;
  const settings: LocalSettings = { ...DEFAULT_LOCAL_SETTINGS, analysis };
  const faults = options.faults ?? NO_FAULTS;
  const logDir = path.join(workspace.dir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const logStream = fs.createWriteStream(path.join(logDir, `${executionId}.jsonl`), { flags: 'a' });
  try {
    const clock = new VirtualClock(Math.floor(Date.now() / 1000));
    const now = () => new Date(clock.now() * 1000);
    const ports = (kind: JobKind): JobPorts => ({ warehouse: workspace.warehouse, store: workspace.store, log: fileLogger(logStream, kind), now });
    const jobEnv = localJobEnv(settings);
    const cloudRun = new LocalCloudRun({
      project: LOCAL_LAYOUT.projectId,
      region: LOCAL_LAYOUT.region,
      jobs: Object.fromEntries(JOB_KINDS.map((kind) => [LOCAL_JOB_NAMES[kind], { kind, run: JOBS[kind], env: jobEnv }])),
      ports,
      faults,
    });
    const vertex = new LocalVertexAi({
      store: workspace.store,
      analyze: (line) => analyzeLine(line, { now }) as unknown as Record<string, unknown>,
      project: LOCAL_LAYOUT.projectId,
      region: LOCAL_LAYOUT.region,
      faults,
    });
    const { batch } = pipelineWorkflows();
    const handlers = localConnectors({
      store: workspace.store,
      warehouse: workspace.warehouse,
      cloudRun,
      vertex,
      workflows: { [DEFAULT_WORKFLOW_NAMES.batch]: batch },
    });
    const outcomes: LocalRecoveryOutcome[] = [];
    for (const [i, argument] of args.entries()) {
      const outcome = await runWorkflow(batch, {
        argument,
        env: localWorkflowEnv(settings),
        handlers,
        clock,
        executionId: `recover-${executionId}-${Date.now()}-${i}`,
        workflowId: DEFAULT_WORKFLOW_NAMES.batch,
        onLog: (entry) =>
          logStream.write(JSON.stringify({ time: new Date(entry.time * 1000).toISOString(), severity: entry.severity, workflow_execution: entry.executionId, ...(entry.payload as object) }) + '\n'),
      });
      if (outcome.state === 'SUCCEEDED') {
        const result = outcome.result as { status?: string } | null;
        outcomes.push({ argument, status: String(result?.status ?? 'succeeded') });
      } else {
        outcomes.push({ argument, status: 'failed', error: errorText(outcome.error) });
      }
    }
    return outcomes;
  } finally {
    await new Promise<void>((resolve) => logStream.end(resolve));
  }
}
