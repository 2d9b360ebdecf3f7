import { Command, CommandIo } from '../command';
import { UsageError } from '../../ops/errors';
import { parseOptions, toggle, options, usageText } from '../options';
import { LAPTOP_OPTIONS, RUN_OPTIONS, WORK_FOLDER_OPTION } from '../run-options';
import { leftFailed, renderRedacted, renderSummary, runOnLaptop } from '../laptop-run';

const OUTPUT_OPTIONS = options({ json: toggle('print the report (or the plan) as one JSON object') });

const usage = usageText(
  'usage: tapctl local run [options]',
  `Runs the whole pipeline on this machine: loads the transcripts into the local source table, runs
workflows/master-orchestrator.yaml on the local Workflows engine with the job code in-process,
DuckDB and a folder for BigQuery and Cloud Storage, and the local analyzer for Gemini; then prints
the report. The same as tapctl run --local DIR, which prints the execution id instead.`,
  [
    ['Work folder', WORK_FOLDER_OPTION],
    ['Run settings', RUN_OPTIONS],
    ['On this machine', LAPTOP_OPTIONS],
    ['Output', OUTPUT_OPTIONS],
  ],
  `Exit status: 0 when every batch ended done, 3 when batches are left failed or unfinished (the
command that recovers them is printed), 1 when the run failed, 2 for a usage mistake.`,
);

async function localRun(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseOptions(argv, { ...WORK_FOLDER_OPTION, ...RUN_OPTIONS, ...LAPTOP_OPTIONS, ...OUTPUT_OPTIONS });
  const outcome = await runOnLaptop(values.local, values, values, io, values.json);
  if ('code' in outcome) return outcome.code;
  const { result } = outcome;
  if (result.plan) {
    io.stdout.write(values.json ? JSON.stringify(result.plan) + '\n' : `dry run: ${JSON.stringify(result.plan, null, 2)}\n`);
    return 0;
  }
  const summaries = result.summaries!;
  if (summaries.length === 1) {
    io.stdout.write(values.json ? JSON.stringify(summaries[0]) + '\n' : renderSummary(summaries[0]!, result.elapsedSeconds));
    if (result.redacted && !values.json) io.stdout.write(renderRedacted(result.redacted));
    return leftFailed(summaries[0]!, result.workdir, io);
  }
  // Several analyses: the master workflow's own shape, and one report per analysis.
  io.stdout.write(
    values.json
      ? JSON.stringify({ execution_id: result.executionId, analyses: summaries }) + '\n'
      : summaries.map((s) => `analysis ${s.analysis}\n${renderSummary(s, result.elapsedSeconds)}`).join('\n'),
  );
  if (result.redacted && !values.json) io.stdout.write(renderRedacted(result.redacted));
  return Math.max(...summaries.map((s) => leftFailed(s, result.workdir, io)));
}

export const command: Command = {
  name: 'local',
  summary: 'Run the whole pipeline on this machine and print its report (tapctl local run).',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub !== 'run') throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'missing subcommand: run');
    return localRun(rest, io);
  },
};
