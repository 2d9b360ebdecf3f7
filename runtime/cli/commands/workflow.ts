/**
 * `tapctl workflow run FILE.yaml [--data JSON] [--env NAME=VALUE]...` and
 * `tapctl workflow lint FILE.yaml...`: the local Workflows engine from the command line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from '../command';
import { UsageError } from '../../ops/errors';
import { list, options, optionsHelp, parseOptions, text } from '../options';
import { LintFinding, MAX_USER_ENV_VARS, WorkflowDefinitionError, lintSource, parseWorkflow, runWorkflow } from '../../local/engine';

const RUN_WORKFLOW_OPTIONS = options({
  data: text({ value: 'JSON', help: 'the execution argument (a JSON object)' }),
  env: list(`a user environment variable for sys.get_env (at most ${MAX_USER_ENV_VARS})`, 'NAME=VALUE'),
});

const USAGE = `usage: tapctl workflow run FILE.yaml [--data JSON] [--env NAME=VALUE]...
       tapctl workflow lint FILE.yaml...

run   Runs the workflow on the local engine (virtual clock: sleeps take no real time) and prints
      {"state":"SUCCEEDED","result":...} or {"state":"FAILED","error":{...}} as one JSON line,
      then the steps used out of the limit on stderr.
      Nothing reaches the network: a connector or http.* call fails with an error naming it.
      Exit 0 when it succeeded, 1 when it failed, 2 when the definition is invalid.
${optionsHelp(RUN_WORKFLOW_OPTIONS)}
lint  Checks every definition given: structure, next targets, functions Google does not document,
      blocking calls inside expressions, call arguments, undefined variables, writes to
      non-shared variables in parallel steps, text with \${ inside a longer string.
      Prints one line per finding, every finding of every file; exit 0 when there is none, 1
      otherwise.`;

function formatFinding(f: LintFinding): string {
  const where = `${f.file}${f.line ? `:${f.line}` : ''}`;
  const step = f.step ? ` (step ${f.step})` : f.subworkflow ? ` (subworkflow ${f.subworkflow})` : '';
  return `${where}: ${f.severity}: ${f.message}${step} [${f.rule}]`;
}

function readFile(file: string, cwd: string): string {
  const full = path.resolve(cwd, file);
  try {
    return fs.readFileSync(full, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

async function run(argv: readonly string[], io: Parameters<Command['run']>[1]): Promise<number> {
  const { values, positionals } = parseOptions(argv, RUN_WORKFLOW_OPTIONS, {
    min: 1,
    max: 1,
    says: 'workflow run takes exactly one FILE.yaml',
  });
  const file = positionals[0]!;
  let argument: unknown;
  if (values.data !== undefined) {
    try {
      argument = JSON.parse(values.data);
    } catch (err) {
      throw new UsageError(`--data is not valid JSON: ${(err as Error).message}`);
    }
  }
  const env: Record<string, string> = {};
  for (const pair of values.env) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env takes NAME=VALUE, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const source = readFile(file, io.cwd);
  const findings = lintSource(source, file);
  const blocking = findings.filter((f) => f.blocksDeployment);
  for (const f of findings.filter((x) => !x.blocksDeployment)) io.stderr.write(`${formatFinding(f)}\n`);
  if (blocking.length > 0) {
    for (const f of blocking) io.stderr.write(`${formatFinding(f)}\n`);
    return 2;
  }
  try {
    const outcome = await runWorkflow(parseWorkflow(source, file), { argument, env });
    for (const entry of outcome.logs)
      io.stderr.write(`${JSON.stringify({ severity: entry.severity, time: entry.time, payload: entry.payload })}\n`);
    const printed =
      outcome.state === 'SUCCEEDED' ? { state: outcome.state, result: outcome.result } : { state: outcome.state, error: outcome.error };
    io.stdout.write(`${JSON.stringify(printed)}\n`);
    const { steps, pollSteps, stepLimit } = outcome.stats;
    io.stderr.write(`steps: ${steps} of ${stepLimit}${pollSteps > 0 ? ` (${pollSteps} of them connector polls)` : ''}\n`);
    return outcome.state === 'SUCCEEDED' ? 0 : 1;
  } catch (err) {
    if (err instanceof WorkflowDefinitionError) {
      io.stderr.write(`${err.file ? '' : `${file}: `}${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

function lint(argv: readonly string[], io: Parameters<Command['run']>[1]): number {
  const { positionals } = parseOptions(argv, {}, { min: 1, max: Infinity, says: 'workflow lint takes at least one FILE.yaml' });
  let findings = 0;
  let unreadable = 0;
  for (const file of positionals) {
    let source: string;
    try {
      source = readFile(file, io.cwd);
    } catch (err) {
      // One unreadable file does not stop the others from being checked.
      if (!(err instanceof UsageError)) throw err;
      io.stderr.write(`${err.message}\n`);
      unreadable++;
      continue;
    }
    const found = lintSource(source, file);
    for (const f of found) io.stdout.write(`${formatFinding(f)}\n`);
    findings += found.length;
  }
  const checked = positionals.length - unreadable;
  io.stderr.write(
    `${checked} definition${checked === 1 ? '' : 's'} checked, ${findings === 0 ? 'no findings' : `${findings} finding${findings === 1 ? '' : 's'}`}${unreadable > 0 ? `, ${unreadable} unreadable` : ''}\n`,
  );
  return findings === 0 && unreadable === 0 ? 0 : 1;
}

export const command: Command = {
  name: 'workflow',
  summary: 'Run or lint a Workflows definition on the local engine.',
  usage: USAGE,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'run') return run(rest, io);
    if (sub === 'lint') return lint(rest, io);
    throw new UsageError(sub ? `unknown subcommand "${sub}" (run or lint)` : 'workflow needs a subcommand: run or lint');
  },
};
