/**
 * Recovery on a laptop work folder: the batch workflow run to the end on the local engine, with the
 * same local connectors, jobs and analyzer as the laptop pipeline. Loaded only by `--local` commands
 * (it brings DuckDB, the jobs and the NLP model).
 */
import { AnalysisSpec, DEFAULT_ANALYSIS, DEFAULT_WORKFLOW_NAMES } from '../contract';
import type { LocalWorkspace } from '../adapters/local';
import { localClockStart, localDeployment, RunLog } from '../local/deployment';
import type { LineAnalyzer } from '../local/vertex';
import { runStorage, type StorageWrapper } from '../local/pipeline';
import { runWorkflow } from '../local/engine';
import { DEFAULT_LOCAL_SETTINGS, LocalSettings } from '../local/environment';
import type { Faults } from '../local/faults';

export interface LocalRecoveryOutcome {
  readonly argument: Record<string, unknown>;
  /** `succeeded`, `empty` or `failed`. */
  readonly status: string;
  readonly error?: string;
}

function errorText(error: unknown): string {
  if (error && typeof error === 'object' && 'message' in error) return String((error as { message: unknown }).message);
  return JSON.stringify(error);
}

export interface LocalRecoveryOptions {
  /** The analysis the run was planned with. @default DEFAULT_ANALYSIS */
  readonly analysis?: AnalysisSpec;
  /** The run's settings (its record attempts, above all). @default DEFAULT_LOCAL_SETTINGS */
  readonly settings?: Partial<LocalSettings>;
  readonly faults?: Faults;
  /** Answers Vertex AI requests. @default - the local analyzer */
  readonly analyze?: LineAnalyzer;
  readonly modelEndpoint?: { readonly url: string; readonly apiKey?: string };
  /** Wraps the work folder's warehouse and store before the recovery uses them. */
  readonly wrapStorage?: StorageWrapper;
}

/**
 * Runs batch workflow executions to the end on the laptop: the same `workflows/batch.yaml` on the
 * local engine with the local connectors, as `tapctl local run` runs it for each batch.
 */
export async function runLocalRecovery(
  workspace: LocalWorkspace,
  executionId: string,
  args: readonly Record<string, unknown>[],
  options: LocalRecoveryOptions = {},
): Promise<LocalRecoveryOutcome[]> {
  const analysis = options.analysis ?? DEFAULT_ANALYSIS;
  const settings: LocalSettings = { ...DEFAULT_LOCAL_SETTINGS, ...options.settings, analysis };
  const log = new RunLog(workspace.dir, executionId);
  try {
    const { warehouse, store } = runStorage(workspace, options.faults, options.wrapStorage);
    const { clock, handlers, workflows, workflowEnv } = localDeployment({
      warehouse,
      store,
      settings,
      log,
      faults: options.faults,
      analyze: options.analyze,
      modelEndpoint: options.modelEndpoint,
      clockStart: await localClockStart(warehouse),
    });
    const outcomes: LocalRecoveryOutcome[] = [];
    for (const [i, argument] of args.entries()) {
      const outcome = await runWorkflow(workflows.batch, {
        argument,
        env: workflowEnv,
        handlers,
        clock,
        executionId: `recover-${executionId}-${Date.now()}-${i}`,
        workflowId: DEFAULT_WORKFLOW_NAMES.batch,
        onLog: (entry) => log.workflow(entry),
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
    await log.close();
  }
}
