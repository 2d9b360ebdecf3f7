import { Command } from '../command';
import { UsageError } from '../../ops/errors';
import { parseOptions, usageText } from '../options';
import { DEPLOYED_RUN_OPTIONS, LAPTOP_OPTIONS, RUN_OPTIONS, runArgument, WAIT_OPTIONS } from '../run-options';
import { TARGET_OPTIONS, TARGET_TITLE } from '../target-options';
import { leftFailed, runOnLaptop } from '../laptop-run';
import { resolveTarget, targetArgs } from '../../ops/config';
import { withTarget } from '../../ops/target';
import { waitForExecutions } from '../../ops/gcp';
import { outcome } from '../../jobs/launcher';
import { LAUNCHER_EXIT } from '../../contract';

const usage = usageText(
  'usage: tapctl run [run settings] [--wait] (--local DIR [laptop options] | [which pipeline])',
  `Starts a master orchestrator execution with these settings (the deployment's defaults otherwise)
and prints its id, which is the run's execution id. Follow it with tapctl status --watch, or
--wait for it here. A run refuses to start while another run of the pipeline is active.
With --local DIR, runs the laptop pipeline in that work folder to the end (as tapctl local run
does), then prints the id.`,
  [
    ['Run settings', RUN_OPTIONS],
    ['Waiting', WAIT_OPTIONS],
    ['With a deployment only', DEPLOYED_RUN_OPTIONS],
    ['With --local only', LAPTOP_OPTIONS],
    [TARGET_TITLE, TARGET_OPTIONS],
  ],
);

const ALL = { ...RUN_OPTIONS, ...DEPLOYED_RUN_OPTIONS, ...WAIT_OPTIONS, ...LAPTOP_OPTIONS, ...TARGET_OPTIONS };

export const command: Command = {
  name: 'run',
  summary: 'Start a run (deployed, or --local DIR on this machine) and print its execution id.',
  usage,
  async run(argv, io) {
    const { values, given } = parseOptions(argv, ALL);
    const target = resolveTarget(values, io.env, io.cwd);
    if (target.kind === 'local') {
      if (values['allow-concurrent'])
        throw new UsageError('--allow-concurrent is for a deployment: a laptop work folder runs one run at a time');
      const outcome = await runOnLaptop(target.dir, values, values, io, true);
      if ('code' in outcome) return outcome.code;
      const { result } = outcome;
      const all = result.summaries ?? [];
      const told = all.map(
        (s) =>
          `${all.length > 1 ? `${s.analysis} ` : ''}${s.records_succeeded} records analysed, ${s.failed_batches.length} batches failed`,
      );
      io.stderr.write(`execution ${result.executionId} ${result.state}${told.length ? `: ${told.join('; ')}` : ''}\n`);
      io.stdout.write(`${result.executionId}\n`);
      return Math.max(0, ...all.map((s) => leftFailed(s, result.workdir, io)));
    }
    const laptopOnly = Object.keys(LAPTOP_OPTIONS).filter((k) => given.has(k as keyof typeof ALL));
    if (laptopOnly.length > 0)
      throw new UsageError(`${laptopOnly.map((k) => `--${k}`).join(', ')} ${laptopOnly.length === 1 ? 'works' : 'work'} only with --local`);
    const argument = runArgument(values);
    return withTarget(target, io.env, async (open) => {
      const execution = await open.cloud!.start(target.config.masterWorkflow, argument);
      const id = typeof argument.execution_id === 'string' ? argument.execution_id : execution.id;
      io.stderr.write(`started ${execution.name} with ${JSON.stringify(argument)}\n`);
      io.stdout.write(`${id}\n`);
      if (!values.wait) return 0;
      const [finished] = await waitForExecutions(open.cloud!, target.config.masterWorkflow, [execution.id], values.interval, (e) =>
        io.stderr.write(`${e.id}: ${e.state}\n`),
      );
      const where = targetArgs(target, io.cwd);
      // The same exit codes as the launcher job and a laptop run: 0, 3 with batches left, 1.
      const ended = outcome(finished!.state, finished!.result ?? undefined, finished!.error ?? undefined);
      const next = ended.code === LAUNCHER_EXIT.failed ? `tapctl status ${where}` : `tapctl report ${where}`;
      io.stderr.write(`${ended.message}; see ${next} --execution ${id}\n`);
      return ended.code;
    });
  },
};
