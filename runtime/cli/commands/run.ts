import { Command, UsageError } from '../command';
import { LIMITS } from '../../contract';
import { parseArgs } from '../args';
import { resolveTarget, TARGET_FLAGS, TARGET_USAGE } from '../../ops/config';
import { withTarget } from '../../ops/target';
import { waitForExecutions } from '../../ops/gcp';
import * as path from 'node:path';
import { FAULT_HELP, parseFaults } from '../../local/faults';

const usage = `usage: tapctl run [--batch-size N] [--max-concurrent-batches N] [--max-batch-attempts N]
                   [--limit N] [--dry-run] [--execution-id ID] [--allow-concurrent]
                   [--wait [--interval SECONDS]] [where]
       tapctl run --local DIR [--transcripts FILE] [--faults LIST] [same parameters]

Starts a master orchestrator execution with these parameters (the deployment's defaults otherwise)
and prints its id, which is the run's execution id. Follow it with \`tapctl status --watch\`, or
--wait for it here (polling every --interval seconds, default 30; exit status 1 if it failed).
A run refuses to start while another run of the pipeline is active (both would analyse the same
records); --allow-concurrent starts it anyway.
With --local, runs the laptop pipeline in DIR to the end (loading --transcripts first, with named
--faults switched on if asked: ${FAULT_HELP.join(', ')}), then prints the id.

${TARGET_USAGE}`;

/** The master workflow's argument (workflows/master-orchestrator.yaml): only what was given. */
export function runArgument(flags: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const argument: Record<string, unknown> = {};
  const positive = (flag: string, key: string, max?: number) => {
    const v = flags[flag];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || (max !== undefined && v > max)) {
      throw new UsageError(`--${flag} must be an integer from 1${max ? ` to ${max}` : ''}, got ${String(v)}`);
    }
    argument[key] = v;
  };
  positive('batch-size', 'batch_size', LIMITS.maxBatchSize);
  positive('max-concurrent-batches', 'max_concurrent_batches', LIMITS.maxConcurrentBatches);
  positive('max-batch-attempts', 'max_batch_attempts', LIMITS.maxBatchAttempts);
  positive('limit', 'limit');
  if (flags['dry-run']) argument.dry_run = true;
  if (flags['allow-concurrent']) argument.allow_concurrent = true;
  const id = flags['execution-id'];
  if (id !== undefined) {
    if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,62}$/.test(id)) {
      throw new UsageError(`--execution-id must be 1-63 lowercase letters, digits, _ or -, starting with a letter or digit, got "${String(id)}"`);
    }
    argument.execution_id = id;
  }
  return argument;
}

export const command: Command = {
  name: 'run',
  summary: 'Start a run (deployed, or --local DIR on this machine) and print its execution id.',
  usage,
  async run(argv, io) {
    const args = parseArgs(argv, {
      ...TARGET_FLAGS,
      'batch-size': 'number',
      'max-concurrent-batches': 'number',
      'max-batch-attempts': 'number',
      limit: 'number',
      'dry-run': 'boolean',
      'allow-concurrent': 'boolean',
      'execution-id': 'string',
      transcripts: 'string',
      faults: 'string',
      wait: 'boolean',
      interval: 'number',
    });
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const argument = runArgument(args.flags);
    const target = resolveTarget(args, io.env, io.cwd);
    if (target.kind === 'local') {
      let faults;
      try {
        faults = parseFaults(args.flags.faults as string | undefined);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { runLocalPipeline } = require('../../local/pipeline') as typeof import('../../local/pipeline');
      const result = await runLocalPipeline({
        workdir: target.dir,
        transcripts: args.flags.transcripts === undefined ? undefined : path.resolve(io.cwd, String(args.flags.transcripts)),
        batchSize: argument.batch_size as number | undefined,
        maxConcurrentBatches: argument.max_concurrent_batches as number | undefined,
        maxBatchAttempts: argument.max_batch_attempts as number | undefined,
        limit: argument.limit as number | undefined,
        dryRun: argument.dry_run === true,
        executionId: argument.execution_id as string | undefined,
        faults,
      });
      io.stderr.write(
        `execution ${result.executionId} ${result.state}` +
          (result.summary ? `: ${result.summary.records_succeeded} records analysed, ${result.summary.failed_batches.length} batches failed` : '') +
          (result.error ? `: ${JSON.stringify(result.error).slice(0, 300)}` : '') +
          '\n',
      );
      io.stdout.write(`${result.executionId}\n`);
      return result.state === 'SUCCEEDED' ? 0 : 1;
    }
    for (const flag of ['transcripts', 'faults']) {
      if (args.flags[flag] !== undefined) throw new UsageError(`--${flag} works only with --local`);
    }
    return withTarget(target, io.env, async (open) => {
      const execution = await open.cloud!.start(target.config.masterWorkflow, argument);
      const id = typeof argument.execution_id === 'string' ? argument.execution_id : execution.id;
      io.stderr.write(`started ${execution.name} with ${JSON.stringify(argument)}\n`);
      io.stdout.write(`${id}\n`);
      if (!args.flags.wait) return 0;
      const interval = (args.flags.interval as number | undefined) ?? 30;
      if (interval < 0) throw new UsageError(`--interval must be 0 or more seconds, got ${interval}`);
      const [finished] = await waitForExecutions(open.cloud!, target.config.masterWorkflow, [execution.id], interval, (e) =>
        io.stderr.write(`${e.id}: ${e.state}\n`),
      );
      if (finished!.state !== 'SUCCEEDED') {
        io.stderr.write(`the run ${finished!.state.toLowerCase()}${finished!.error ? `: ${finished!.error.split('\n')[0]}` : ''}; see tapctl status --execution ${id}\n`);
        return 1;
      }
      io.stderr.write(`the run succeeded; see tapctl report --execution ${id}\n`);
      return 0;
    });
  },
};
