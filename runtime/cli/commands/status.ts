import { Command } from '../command';
import { UsageError } from '../../ops/errors';
import { options, parseOptions, text, toggle, usageText } from '../options';
import { TARGET_OPTIONS, TARGET_TITLE } from '../target-options';
import { WAIT_OPTIONS } from '../run-options';
import { recoverCommand, resolveTarget } from '../../ops/config';
import { chooseExecution, INTERRUPTED, requireExecution, withTarget, OpenTarget, WorkFolderInUseError } from '../../ops/target';
import { StatusView, isFinished, leftToRecover, renderStatus } from '../../ops/status';
import type { VertexJobState, WorkflowExecution } from '../../ops/gcp';
import { UnknownExecutionError } from '../../ops/report';
import type { ExecutionRecord } from '../../ops/queries';

function notPlannedYet(executionId: string, workflow: WorkflowExecution): ExecutionRecord {
  return {
    executionId,
    analysisVersion: '',
    params: {},
    recordsTotal: 0,
    skippedDedup: 0,
    batchCount: 0,
    plannedAt: null,
    status: workflow.state === 'ACTIVE' || workflow.state === 'QUEUED' ? 'planning' : 'not planned',
    finishedAt: null,
    summary: null,
  };
}

const STATUS_OPTIONS = options({
  execution: text({ value: 'ID', help: 'the execution (default: the latest one)' }),
  watch: toggle('show it again every --interval seconds until the execution has finished'),
  interval: WAIT_OPTIONS.interval,
  json: toggle('print the view as JSON'),
});

const usage = usageText(
  'usage: tapctl status [--execution ID] [--watch [--interval SECONDS]] [--json] [which pipeline]',
  `Shows an execution: each batch's state, attempts and counts, the live state of its Vertex AI job,
the failure reasons in full, and a progress bar.
Exit status 3 when the execution has ended with batches failed or left unfinished (the command
that recovers them is printed).`,
  [
    ['Options', STATUS_OPTIONS],
    [TARGET_TITLE, TARGET_OPTIONS],
  ],
);

async function snapshot(open: OpenTarget, executionId: string, cwd: string): Promise<StatusView> {
  let workflow: WorkflowExecution | undefined;
  let workflowNote: string | undefined;
  if (open.cloud) {
    // The workflow's state adds to the tables' story; without permission to read it, go on without.
    try {
      workflow = await open.cloud.execution(open.cloud.config.masterWorkflow, executionId);
    } catch (error) {
      workflowNote = `workflow state unavailable: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`;
    }
  }
  let execution;
  try {
    execution = await requireExecution(open, executionId);
  } catch (error) {
    // Started (tapctl run) but not planned yet: the planner has not written its row.
    if (!(error instanceof UnknownExecutionError) || !workflow) throw error;
    execution = notPlannedYet(executionId, workflow);
  }
  // A master that ended without the reporter's row was cut short (cancelled, or failed before it).
  if (workflow && execution.status === 'running' && workflow.state !== 'ACTIVE' && workflow.state !== 'QUEUED') {
    execution = { ...execution, status: INTERRUPTED };
  }
  const batches = await open.queries.batches(executionId);
  const vertex = new Map<string, VertexJobState | Error>();
  if (open.cloud) {
    const waiting = batches.filter((b) => b.status === 'submitted' && b.vertexJob);
    await Promise.all(
      waiting.map(async (b) => {
        try {
          vertex.set(b.vertexJob!, await open.cloud!.vertexJob(b.vertexJob!));
        } catch (error) {
          vertex.set(b.vertexJob!, error instanceof Error ? error : new Error(String(error)));
        }
      }),
    );
  }
  return {
    execution,
    batches,
    workflow,
    vertex,
    notes: workflowNote ? [workflowNote] : [],
    recover: recoverCommand(open.target, executionId, cwd),
  };
}

export const command: Command = {
  name: 'status',
  summary: "Show an execution's batches, attempts, counts and Vertex AI jobs.",
  usage,
  async run(argv, io) {
    const { values } = parseOptions(argv, { ...STATUS_OPTIONS, ...TARGET_OPTIONS });
    const interval = values.interval;
    if (values.json && values.watch) throw new UsageError('--json and --watch do not go together');
    const target = resolveTarget(values, io.env, io.cwd);
    const tty = (io.stdout as { isTTY?: boolean }).isTTY === true;
    const show = (view: StatusView, round: number): number | undefined => {
      if (values.json) {
        const vertex = Object.fromEntries([...view.vertex].map(([k, v]) => [k, v instanceof Error ? { error: v.message } : v]));
        io.stdout.write(JSON.stringify({ ...view, vertex, finished: isFinished(view) }, null, 2) + '\n');
        return 0;
      }
      if (round > 0) io.stdout.write(tty ? '\x1b[2J\x1b[H' : '\n');
      io.stdout.write(renderStatus(view));
      if (!values.watch || isFinished(view)) return isFinished(view) && leftToRecover(view) ? 3 : 0;
      return undefined;
    };
    let executionId = values.execution;
    for (let round = 0; ; round++) {
      // A laptop work folder is opened afresh each round: between rounds it stays free for a run.
      let view: StatusView | undefined;
      try {
        view = await withTarget(target, io.env, async (open) => {
          executionId ??= await chooseExecution(open, undefined);
          return snapshot(open, executionId, io.cwd);
        });
      } catch (error) {
        if (!(values.watch && error instanceof WorkFolderInUseError)) throw error;
        io.stderr.write(`${error.message.split('\n')[0]}; waiting\n`);
      }
      const code = view ? show(view, round) : undefined;
      if (code !== undefined) return code;
      await new Promise((resolve) => setTimeout(resolve, interval * 1000));
    }
  },
};
