import { Command } from '../command';
import { OperatorError, UsageError } from '../../ops/errors';
import { integer, options, parseOptions, text, toggle, usageText, Values } from '../options';
import { TARGET_OPTIONS, TARGET_TITLE } from '../target-options';
import { WAIT_OPTIONS } from '../run-options';
import { resolveTarget, targetArgs } from '../../ops/config';
import { requireExecution, withTarget } from '../../ops/target';
import { GcpPipeline, waitForExecutions } from '../../ops/gcp';
import { analysisVersion, DEFAULT_ANALYSIS } from '../../contract';
import { recoveryPlan, RecoverySelection, RunActivity } from '../../ops/recover';

const RECOVER_OPTIONS = options({
  execution: text({ value: 'ID', required: true, help: 'the execution to recover (tapctl status shows the latest)' }),
  batch: integer({ value: 'N', min: 0, help: 'one batch, by its number' }),
  'start-row': integer({ value: 'A', min: 1, help: "the first row of a range of the run's plan (from 1)" }),
  'end-row': integer({ value: 'B', min: 1, help: 'the last row of the range (inclusive)' }),
  'all-failed': toggle('every batch whose latest attempt failed or never ended'),
  force: toggle('re-run a batch that succeeded too'),
});

const usage = usageText(
  'usage: tapctl recover --execution ID (--batch N | --start-row A --end-row B | --all-failed)\n' +
    '                      [--force] [--wait [--interval SECONDS]] [which pipeline]',
  `Runs the batch workflow again for one batch, a row range of the run's plan, or every batch whose
latest attempt failed or never ended. Whatever it runs, only records the ledger holds open for the
run's analysis version are sent to the model again: a record is never analysed twice. A row range
runs one attempt for each batch that holds some of its rows, over those rows only.
In the cloud it starts the batch workflow executions and prints their ids (follow them with
tapctl status --watch, or --wait here: the exit status is then 1 if any failed); with --local it
runs them to the end on this machine. A run that is still going is not recovered (it retries its
own failed batches).`,
  [
    ['Options', RECOVER_OPTIONS],
    ['Waiting (in the cloud)', WAIT_OPTIONS],
    [TARGET_TITLE, TARGET_OPTIONS],
  ],
);

function selection(values: Values<typeof RECOVER_OPTIONS>): RecoverySelection {
  const chosen = [values.batch !== undefined, values['start-row'] !== undefined, values['all-failed']].filter(Boolean).length;
  if (values['end-row'] !== undefined && values['start-row'] === undefined) throw new UsageError('--end-row needs --start-row');
  if (chosen !== 1) throw new UsageError('give one of --batch N, --start-row A --end-row B, or --all-failed');
  if (values['all-failed']) return { kind: 'all-failed' };
  if (values.batch !== undefined) return { kind: 'batch', batchId: values.batch };
  const a = values['start-row']!;
  const b = values['end-row'];
  if (b === undefined) throw new UsageError('--start-row needs --end-row');
  if (b < a) throw new UsageError(`--end-row must not come before --start-row, got ${a} and ${b}`);
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
    const { values } = parseOptions(argv, { ...RECOVER_OPTIONS, ...WAIT_OPTIONS, ...TARGET_OPTIONS });
    const executionId = values.execution;
    const chosen = selection(values);
    const target = resolveTarget(values, io.env, io.cwd);
    return withTarget(target, io.env, async (open) => {
      const execution = await requireExecution(open, executionId);
      const batches = await open.queries.batches(executionId);
      const activity = open.cloud ? await masterActivity(open.cloud, executionId) : { local: true };
      const plan = recoveryPlan(execution, batches, chosen, values.force, activity, targetArgs(target, io.cwd));
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
        if (!values.wait) {
          io.stderr.write(
            `started ${plan.arguments.length} batch workflow execution(s); follow them with tapctl status ${targetArgs(target, io.cwd)} --execution ${executionId} --watch\n`,
          );
          return 0;
        }
        const finished = await waitForExecutions(cloud, cloud.config.batchWorkflow, ids, values.interval, (e) =>
          io.stderr.write(`${e.id}: ${e.state}\n`),
        );
        let failed = 0;
        finished.forEach((e, i) => {
          io.stdout.write(
            `${JSON.stringify(plan.arguments[i])}: ${e.state === 'SUCCEEDED' ? 'succeeded' : e.state.toLowerCase()}${e.error ? ` (${e.error.split('\n')[0]})` : ''}\n`,
          );
          if (e.state !== 'SUCCEEDED') failed++;
        });
        return failed > 0 ? 1 : 0;
      }
      if (!open.local) throw new OperatorError('no pipeline to recover', 'give --local DIR or the deployment');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { savedPipeline } = require('../../local/deployment') as typeof import('../../local/deployment');
      const saved = execution.analysisVersion ? await savedPipeline(open.local.store, execution.analysisVersion) : undefined;
      const analysis = saved?.analysis;
      if (!analysis && execution.analysisVersion && execution.analysisVersion !== analysisVersion(DEFAULT_ANALYSIS)) {
        throw new OperatorError(
          `execution ${executionId} was planned for analysis version ${execution.analysisVersion}, and this work folder does not hold that analysis`,
          'recover it with the work folder that ran it, or start a new run',
        );
      }
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { runLocalRecovery } = require('../../local/recovery') as typeof import('../../local/recovery');
      const maxRecordAttempts = Number(execution.params.max_record_attempts);
      const outcomes = await runLocalRecovery(open.local, executionId, plan.arguments, {
        analysis,
        analyses: saved?.analyses,
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
