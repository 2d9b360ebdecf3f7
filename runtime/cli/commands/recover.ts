import { Command, UsageError } from '../command';
import { parseArgs } from '../args';
import { resolveTarget, TARGET_FLAGS, TARGET_USAGE } from '../../ops/config';
import { requireExecution, withTarget } from '../../ops/target';
import { GcpPipeline, OperatorError, waitForExecutions } from '../../ops/gcp';
import { analysisVersion, DEFAULT_ANALYSIS } from '../../contract';
import { recoveryPlan, RecoverySelection, RunActivity } from '../../ops/recover';

const usage = `usage: tapctl recover --execution ID (--batch N | --start-row A --end-row B | --all-failed)
                       [--force] [--wait [--interval SECONDS]] [where]

Runs the batch workflow again for one batch, a row range of the run's plan (rows A to B, inclusive,
from 1), or every batch whose latest attempt failed or never ended: the seed design's recovery
command. Whatever it runs, only records without a result for the run's analysis version are sent to
the model again; a record is never analysed twice. A row range runs one attempt for each batch that
holds some of its rows, over those rows only.
In the cloud it starts the batch workflow executions and prints their ids (follow them with
\`tapctl status --watch\`); with --local it runs them to the end on the laptop. A run that is still
going is not recovered (it retries its own failed batches). A batch that succeeded is re-run only
with --force. --wait waits in the cloud too, polling the executions every --interval seconds
(default 30); the exit status is then 1 if any failed.

${TARGET_USAGE}`;

function selection(flags: Readonly<Record<string, unknown>>): RecoverySelection {
  const given = ['batch', 'start-row', 'all-failed'].filter((k) => flags[k] !== undefined);
  if (flags['end-row'] !== undefined && flags['start-row'] === undefined) throw new UsageError('--end-row needs --start-row');
  if (given.length !== 1) throw new UsageError('give one of --batch N, --start-row A --end-row B, or --all-failed');
  if (flags['all-failed']) return { kind: 'all-failed' };
  if (flags.batch !== undefined) {
    const n = flags.batch as number;
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--batch must be a batch number (0 or more), got ${n}`);
    return { kind: 'batch', batchId: n };
  }
  const a = flags['start-row'] as number;
  const b = flags['end-row'] as number | undefined;
  if (b === undefined) throw new UsageError('--start-row needs --end-row');
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < 1 || b < a) {
    throw new UsageError(`--start-row and --end-row must be rows of the plan with 1 <= A <= B, got ${a} and ${b}`);
  }
  return { kind: 'rows', startRow: a, endRow: b };
}

/** The master workflow's state for the execution, when it can be read (the ids match when `tapctl run` started it). */
async function masterActivity(cloud: GcpPipeline, executionId: string): Promise<RunActivity> {
  try {
    const workflow = await cloud.execution(cloud.config.masterWorkflow, executionId);
    return workflow ? { workflowState: workflow.state } : {};
  } catch {
    return {};
  }
}

export const command: Command = {
  name: 'recover',
  summary: 'Re-run a batch, a row range or every failed batch of an execution.',
  usage,
  async run(argv, io) {
    const args = parseArgs(argv, {
      ...TARGET_FLAGS,
      execution: 'string',
      batch: 'number',
      'start-row': 'number',
      'end-row': 'number',
      'all-failed': 'boolean',
      force: 'boolean',
      wait: 'boolean',
      interval: 'number',
    });
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const executionId = args.flags.execution as string | undefined;
    if (!executionId) throw new UsageError('--execution is required (see `tapctl status` for the latest one)');
    const chosen = selection(args.flags);
    const target = resolveTarget(args, io.env, io.cwd);
    return withTarget(target, io.env, async (open) => {
      const execution = await requireExecution(open, executionId);
      const batches = await open.queries.batches(executionId);
      const activity = open.cloud ? await masterActivity(open.cloud, executionId) : { local: true };
      const plan = recoveryPlan(execution, batches, chosen, args.flags.force === true, activity);
      for (const note of plan.notes) io.stderr.write(`${note}\n`);
      if (plan.arguments.length === 0) {
        io.stdout.write('Nothing to recover.\n');
        return 0;
      }
      if (open.cloud) {
        const cloud = open.cloud;
        const ids: string[] = [];
        for (const argument of plan.arguments) {
          const started = await cloud.start(cloud.config.batchWorkflow, argument);
          ids.push(started.id);
          io.stdout.write(`${started.id}  ${JSON.stringify(argument)}\n`);
        }
        if (!args.flags.wait) {
          io.stderr.write(`started ${plan.arguments.length} batch workflow execution(s); follow them with tapctl status --execution ${executionId} --watch\n`);
          return 0;
        }
        const interval = (args.flags.interval as number | undefined) ?? 30;
        if (interval < 0) throw new UsageError(`--interval must be 0 or more seconds, got ${interval}`);
        const finished = await waitForExecutions(cloud, cloud.config.batchWorkflow, ids, interval, (e) =>
          io.stderr.write(`${e.id}: ${e.state}\n`),
        );
        let failed = 0;
        finished.forEach((e, i) => {
          io.stdout.write(`${JSON.stringify(plan.arguments[i])}: ${e.state === 'SUCCEEDED' ? 'succeeded' : e.state.toLowerCase()}${e.error ? ` (${e.error.split('\n')[0]})` : ''}\n`);
          if (e.state !== 'SUCCEEDED') failed++;
        });
        return failed > 0 ? 1 : 0;
      }
      if (!open.local) throw new OperatorError('no pipeline to recover', 'give --local DIR or the deployment');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { savedAnalysis } = require('../../local/deployment') as typeof import('../../local/deployment');
      const analysis = execution.analysisVersion ? await savedAnalysis(open.local.store, execution.analysisVersion) : undefined;
      if (!analysis && execution.analysisVersion && execution.analysisVersion !== analysisVersion(DEFAULT_ANALYSIS)) {
        throw new OperatorError(
          `execution ${executionId} was planned for analysis version ${execution.analysisVersion}, and this work folder does not hold that analysis`,
          'recover it with the work folder that ran it, or start a new run',
        );
      }
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { runLocalRecovery } = require('../../ops/local-recovery') as typeof import('../../ops/local-recovery');
      const maxRecordAttempts = Number(execution.params.max_record_attempts);
      const outcomes = await runLocalRecovery(open.local, executionId, plan.arguments, {
        analysis,
        settings: Number.isInteger(maxRecordAttempts) && maxRecordAttempts > 0 ? { maxRecordAttempts } : {},
      });
      let failed = 0;
      for (const o of outcomes) {
        io.stdout.write(`${JSON.stringify(o.argument)}: ${o.status}${o.error ? ` (${o.error})` : ''}\n`);
        if (o.status === 'failed') failed++;
      }
      return failed > 0 ? 1 : 0;
    });
  },
};
