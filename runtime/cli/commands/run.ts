import { Command, UsageError } from '../command';
import { parseArgs } from '../args';
import { resolveTarget, TARGET_FLAGS, TARGET_USAGE } from '../../ops/config';
import { withTarget } from '../../ops/target';
import { OperatorError } from '../../ops/gcp';

const usage = `usage: tapctl run [--batch-size N] [--max-concurrent-batches N] [--max-batch-attempts N]
                   [--limit N] [--dry-run] [--execution-id ID] [where]

Starts a master orchestrator execution with these parameters (the deployment's defaults otherwise)
and prints its id, which is the run's execution id. Follow it with \`tapctl status --watch\`.
On a laptop, \`tapctl local run\` runs the whole pipeline in the foreground instead.

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
  positive('batch-size', 'batch_size', 200_000);
  positive('max-concurrent-batches', 'max_concurrent_batches', 20);
  positive('max-batch-attempts', 'max_batch_attempts');
  positive('limit', 'limit');
  if (flags['dry-run']) argument.dry_run = true;
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
  summary: 'Start a run of the deployed pipeline and print its execution id.',
  usage,
  async run(argv, io) {
    const args = parseArgs(argv, {
      ...TARGET_FLAGS,
      'batch-size': 'number',
      'max-concurrent-batches': 'number',
      'max-batch-attempts': 'number',
      limit: 'number',
      'dry-run': 'boolean',
      'execution-id': 'string',
    });
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const argument = runArgument(args.flags);
    const target = resolveTarget(args, io.env, io.cwd);
    if (target.kind === 'local') {
      throw new OperatorError(
        'tapctl run starts the deployed pipeline',
        `on a laptop, run the whole pipeline with \`tapctl local run --workdir ${target.dir}\``,
      );
    }
    return withTarget(target, io.env, async (open) => {
      const execution = await open.cloud!.start(target.config.masterWorkflow, argument);
      const id = typeof argument.execution_id === 'string' ? argument.execution_id : execution.id;
      io.stderr.write(`started ${execution.name} with ${JSON.stringify(argument)}\n`);
      io.stdout.write(`${id}\n`);
      return 0;
    });
  },
};
