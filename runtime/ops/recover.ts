/**
 * Recovery: which batch workflow executions to start, with which arguments. The batch workflow
 * (workflows/batch.yaml) takes `{execution_id, batch_id, attempt}` or the seed's row-range form
 * `{execution_id, start_row, end_row}`, and takes the first attempt number still free from
 * `attempt` up, so a recovery never writes over an earlier attempt's files. Whatever is recovered,
 * only records without a result for the version are sent to the model again.
 */
import { TERMINAL_BATCH_STATUSES } from '../contract';
import { OperatorError } from './errors';
import type { BatchState, ExecutionRecord } from './queries';

export type RecoverySelection =
  | { readonly kind: 'batch'; readonly batchId: number }
  | { readonly kind: 'rows'; readonly startRow: number; readonly endRow: number }
  | { readonly kind: 'all-failed' };

export interface RecoveryPlan {
  readonly arguments: readonly Record<string, unknown>[];
  /** Warnings for the operator. */
  readonly notes: readonly string[];
}

/** What is known of whether the run is still going, beside its tables. */
export interface RunActivity {
  /** The master workflow execution's state (ACTIVE, SUCCEEDED, ...), when it could be read. */
  readonly workflowState?: string;
  /** A laptop work folder: `running` there means a live process is running it. */
  readonly local?: boolean;
}

function isActive(execution: ExecutionRecord, activity: RunActivity): boolean {
  if (activity.workflowState !== undefined) return activity.workflowState === 'ACTIVE' || activity.workflowState === 'QUEUED';
  return activity.local === true && execution.status === 'running';
}

/** A batch whose latest attempt never ended: its run died, or the run is still going. */
function unfinished(b: BatchState): boolean {
  return !(TERMINAL_BATCH_STATUSES as readonly string[]).includes(b.status);
}

export function recoveryPlan(
  execution: ExecutionRecord,
  batches: readonly BatchState[],
  selection: RecoverySelection,
  force: boolean,
  activity: RunActivity = {},
  /** The options that point `tapctl` at this pipeline (`targetArgs`), for the commands the errors suggest. */
  where = '',
): RecoveryPlan {
  const id = execution.executionId;
  const status = ['tapctl status', where, `--execution ${id}`].filter(Boolean).join(' ');
  const notes: string[] = [];
  if (isActive(execution, activity)) {
    throw new OperatorError(
      `execution ${id} is still running${activity.workflowState ? ` (its master workflow is ${activity.workflowState})` : ''}: it retries its failed batches itself, and a recovery now would race it`,
      `wait for it to end (${status} --watch), then recover what it left`,
    );
  }
  if (activity.workflowState === undefined && !activity.local && execution.status === 'running') {
    notes.push(
      `note: the state of execution ${id}'s master workflow could not be read; if it is still running, its own retries may overlap this recovery`,
    );
  }
  const byId = new Map(batches.map((b) => [b.batchId, b]));
  const argumentFor = (b: BatchState | undefined, batchId: number) => ({
    execution_id: id,
    batch_id: batchId,
    attempt: (b?.attempts ?? 0) + 1,
  });
  switch (selection.kind) {
    case 'all-failed': {
      const chosen = batches.filter((b) => b.status === 'failed' || unfinished(b));
      const cut = chosen.filter(unfinished).length;
      if (cut > 0) notes.push(`note: ${cut} batch(es) never finished their last attempt (the run ended first); they are recovered too`);
      return { arguments: chosen.map((b) => argumentFor(b, b.batchId)), notes };
    }
    case 'batch': {
      const { batchId } = selection;
      if (batchId >= Math.max(execution.batchCount, batches.length)) {
        throw new OperatorError(
          `execution ${id} has no batch ${batchId}: it planned ${execution.batchCount} batches (0 to ${execution.batchCount - 1})`,
          `see its batches with ${status}`,
        );
      }
      const b = byId.get(batchId);
      if (b && (b.status === 'succeeded' || b.status === 'empty') && !force) {
        throw new OperatorError(
          `batch ${batchId} of execution ${id} has ${b.status}, it is not failed`,
          'add --force to run it again anyway: only its records without a result are sent to the model',
        );
      }
      return { arguments: [argumentFor(b, batchId)], notes };
    }
    case 'rows': {
      const { startRow, endRow } = selection;
      if (execution.recordsTotal > 0 && endRow > execution.recordsTotal) {
        throw new OperatorError(
          `execution ${id} planned ${execution.recordsTotal} rows; rows ${startRow} to ${endRow} go beyond them`,
          `give rows between 1 and ${execution.recordsTotal}`,
        );
      }
      return { arguments: [{ execution_id: id, start_row: startRow, end_row: endRow }], notes };
    }
  }
}
