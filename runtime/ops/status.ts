/** What `tapctl status` shows: the execution, a progress bar and one line per batch. */
import { BatchState, ExecutionRecord } from './queries';
import type { VertexJobState, WorkflowExecution } from './gcp';
import { integer, progressBar, table } from './format';

export interface StatusView {
  readonly execution: ExecutionRecord;
  readonly batches: readonly BatchState[];
  /** The master workflow's execution, when the pipeline is deployed and the ids match. */
  readonly workflow?: WorkflowExecution;
  /** Live Vertex AI states of the batches waiting on a job, by job name. */
  readonly vertex: ReadonlyMap<string, VertexJobState | Error>;
  /** What could not be read, for the operator. */
  readonly notes?: readonly string[];
  /** The command that recovers the execution, ready to copy (`recoverCommand`). */
  readonly recover: string;
}

const SETTLED = new Set(['succeeded', 'empty']);

/** Whether batches are left for `tapctl recover`: failed, or never finished. */
export function leftToRecover(view: StatusView): boolean {
  return view.batches.some((b) => !SETTLED.has(b.status));
}

/** Whether there is nothing more to wait for. */
export function isFinished(view: StatusView): boolean {
  if (view.workflow) return view.workflow.state !== 'ACTIVE' && view.workflow.state !== 'QUEUED';
  return view.execution.status !== 'running';
}

function vertexCell(b: BatchState, vertex: StatusView['vertex']): string {
  if (!b.vertexJob) return '-';
  const live = b.status === 'submitted' ? vertex.get(b.vertexJob) : undefined;
  if (live instanceof Error) return `${(b.vertexState ?? '?').replace('JOB_STATE_', '')} (live state unavailable)`;
  if (live) {
    const done = (live.successful ?? 0) + (live.failed ?? 0);
    const total = done + (live.incomplete ?? 0);
    return `${live.state.replace('JOB_STATE_', '')}${total > 0 ? ` ${done}/${total}` : ''}`;
  }
  return (b.vertexState ?? '-').replace('JOB_STATE_', '');
}

/** Why live Vertex AI states could not be read: each distinct reason once, with its jobs. */
function unreadableJobs(vertex: StatusView['vertex']): string[] {
  const jobsByReason = new Map<string, string[]>();
  for (const [job, live] of vertex) {
    if (!(live instanceof Error)) continue;
    const reason = live.message.split('\n')[0]!;
    jobsByReason.set(reason, [...(jobsByReason.get(reason) ?? []), job]);
  }
  return [...jobsByReason].map(([reason, jobs]) => {
    const named = jobs.length === 1 ? `Vertex AI job ${jobs[0]}` : `${jobs.length} Vertex AI jobs (first ${jobs[0]})`;
    return `could not read the live state of ${named}: ${reason}`;
  });
}

export function renderStatus(view: StatusView): string {
  const { execution: e, batches } = view;
  const total = Math.max(e.batchCount, batches.length);
  const settled = batches.filter((b) => SETTLED.has(b.status)).length;
  const failed = batches.filter((b) => b.status === 'failed').length;
  const recovered = batches.filter((b) => SETTLED.has(b.status) && b.failures > 0).length;
  const state = view.workflow ? `${e.status} (workflow ${view.workflow.state})` : e.status;
  const lines = [
    `Execution ${e.executionId}: ${state}`,
    `  ${integer(e.recordsTotal)} records in ${integer(total)} batches, ${integer(e.skippedDedup)} skipped as already analysed` +
      (e.plannedAt ? `, planned ${e.plannedAt}` : ''),
    `  ${progressBar(settled, total)} settled` +
      (failed > 0 ? `, ${failed} failed` : '') +
      (recovered > 0 ? `, ${recovered} recovered` : ''),
  ];
  if (view.workflow?.error) lines.push(`  workflow error: ${view.workflow.error.split('\n')[0]}`);
  for (const note of view.notes ?? []) lines.push(`  note: ${note}`);
  for (const note of unreadableJobs(view.vertex)) lines.push(`  note: ${note}`);
  lines.push('');
  if (batches.length > 0) {
    lines.push(
      table(
        ['batch', 'status', 'attempts', 'records', 'analysed', 'errors', 'vertex job', 'updated'],
        batches.map((b) => [
          String(b.batchId),
          b.status === 'succeeded' && b.failures > 0 ? 'recovered' : b.status,
          b.failures > 0 ? `${b.attempts} (${b.failures} failed)` : String(b.attempts),
          b.records === null ? '-' : integer(b.records),
          b.succeeded === null ? '-' : integer(b.succeeded),
          b.failed === null ? '-' : integer(b.failed),
          vertexCell(b, view.vertex),
          b.eventTime.replace('T', ' ').replace(/\.\d+Z$|Z$/, ''),
        ]),
      ),
    );
    const reasons = batches.filter((b) => b.status === 'failed' && b.message);
    if (reasons.length > 0) {
      lines.push('Why the failed batches failed (their latest attempt):');
      for (const b of reasons) lines.push(`  batch ${b.batchId}, attempt ${b.attempt}: ${b.message!.split('\n')[0]}`);
      lines.push('');
    }
  } else {
    lines.push('No batch events yet.', '');
  }
  const unfinished = batches.filter((b) => !SETTLED.has(b.status) && b.status !== 'failed').length;
  if ((failed > 0 || unfinished > 0) && isFinished(view)) {
    const what =
      failed > 0 && unfinished > 0 ? 'the failed and unfinished batches' : failed > 0 ? 'the failed batches' : 'the unfinished batches';
    lines.push(`Re-run ${what}: ${view.recover}`, '');
  }
  return lines.join('\n');
}
