/**
 * Recovery on a laptop work folder: batch workflow executions run to the end on the local engine,
 * in the same session a laptop run has (storage, log, deployment), as `tapctl local run` runs each
 * batch. Loaded only by `--local` commands (it brings DuckDB, the jobs and the NLP model).
 */
import { AnalysisSpec, DEFAULT_ANALYSIS, DEFAULT_WORKFLOW_NAMES } from '../contract';
import type { LocalWorkspace } from '../adapters/local';
import { runWorkflow } from './engine';
import type { LocalSettings } from './environment';
import { localSettings } from './pipeline';
import { openSession, SessionOptions } from './session';

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

export interface LocalRecoveryOptions extends Omit<SessionOptions, 'onJobFinished'> {
  /** The `pass1` analysis of the pipeline the run was planned with. @default DEFAULT_ANALYSIS */
  readonly analysis?: AnalysisSpec;
  /** Its other analyses, by name. @default - none */
  readonly analyses?: Readonly<Record<string, AnalysisSpec>>;
  /** The run's settings (its record attempts, above all). @default - the laptop's defaults */
  readonly settings?: Partial<Omit<LocalSettings, 'analysis'>>;
}

/** Runs batch workflow executions with these arguments, one after the other, to the end. */
export async function runLocalRecovery(
  workspace: LocalWorkspace,
  executionId: string,
  args: readonly Record<string, unknown>[],
  options: LocalRecoveryOptions = {},
): Promise<LocalRecoveryOutcome[]> {
  const session = await openSession(
    workspace,
    executionId,
    localSettings(options.analysis ?? DEFAULT_ANALYSIS, options.settings ?? {}, options.analyses),
    options,
  );
  try {
    const outcomes: LocalRecoveryOutcome[] = [];
    for (const [i, argument] of args.entries()) {
      const outcome = await runWorkflow(session.workflows.batch, {
        argument,
        env: session.workflowEnv,
        handlers: session.handlers,
        clock: session.clock,
        executionId: `recover-${executionId}-${Date.now()}-${i}`,
        workflowId: DEFAULT_WORKFLOW_NAMES.batch,
        onLog: (entry) => session.log.workflow(entry),
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
    await session.log.close();
  }
}
