/**
 * Recovery: which batch workflow executions to start, with which arguments. The batch workflow
 * (workflows/batch.yaml) takes `{execution_id, batch_id, attempt}` or the seed's row-range form
 * `{execution_id, start_row, end_row}`; the attempt number given is one past the batch's highest,
 * so a recovery never writes over an earlier attempt's files.
 */
import { OperatorError } from './gcp';
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

export function recoveryPlan(
  execution: ExecutionRecord,
  batches: readonly BatchState[],
  selection: RecoverySelection,
  force: boolean,
): RecoveryPlan {
  const id = execution.executionId;
  const notes: string[] = [];
  const byId = new Map(batches.map((b) => [b.batchId, b]));
  const argumentFor = (b: BatchState | undefined, batchId: number) => ({ execution_id: id, batch_id: batchId, attempt: (b?.attempts ?? 0) + 1 });
  if (execution.status === 'running') {
    notes.push(`note: execution ${id} is still running; its master workflow may retry failed batches itself`);
  }
  switch (selection.kind) {
    case 'all-failed': {
      const failed = batches.filter((b) => b.status === 'failed');
      return { arguments: failed.map((b) => argumentFor(b, b.batchId)), notes };
    }
    case 'batch': {
      const { batchId } = selection;
      if (batchId >= Math.max(execution.batchCount, batches.length)) {
        throw new OperatorError(
          `execution ${id} has no batch ${batchId}: it planned ${execution.batchCount} batches (0 to ${execution.batchCount - 1})`,
          `see its batches with tapctl status --execution ${id}`,
        );
      }
      const b = byId.get(batchId);
      if (b && b.status !== 'failed' && !force) {
        throw new OperatorError(
          `batch ${batchId} of execution ${id} is ${b.status}, not failed`,
          'wait for it, or add --force to run it again anyway (records already analysed are not analysed twice)',
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
