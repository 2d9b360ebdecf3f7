import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AnalysisSpec, checkAnalysis, DEFAULT_ANALYSIS, describeProblem, LIMITS, LOCAL_LAYOUT, SOURCE_TABLE, SummaryDocument } from '../../contract';
import { Command, CommandIo, UsageError } from '../command';
import { parseArgs } from '../args';
import { FAULT_HELP, parseFaults } from '../../local/faults';
import { LocalProgress, runLocalPipeline } from '../../local/pipeline';
import { ProcessDeath } from '../../local/mortal';
import { DEFAULT_LOCAL_SETTINGS } from '../../local/environment';
import { recoverCommand } from '../../ops/config';

const usage = `usage: tapctl local run [options]

Runs the whole pipeline on this machine: loads the transcripts into the local source table (by
transcript_id: a changed transcript replaces the old one), runs workflows/master-orchestrator.yaml
on the local Workflows engine with the job code in-process, DuckDB and a folder for BigQuery and
Cloud Storage, and the local analyzer for Gemini; then prints the report.

Options:
  --transcripts FILE      .jsonl or .csv with transcript_id and transcript columns (optional:
                          without it, the run analyses what the source table already holds)
  --workdir DIR           work folder: database, bucket folder, logs (default ${LOCAL_LAYOUT.defaultWorkdir})
  --batch-size N          records per batch (default ${DEFAULT_LOCAL_SETTINGS.batchSize})
  --max-concurrent N      batches at once, 1-${LIMITS.maxConcurrentBatches} (default ${DEFAULT_LOCAL_SETTINGS.maxConcurrentBatches})
  --max-attempts N        attempts per batch, failed ones re-run by the master (default ${DEFAULT_LOCAL_SETTINGS.maxBatchAttempts})
  --max-record-attempts N sends of one record before it is left as exhausted (default ${DEFAULT_LOCAL_SETTINGS.maxRecordAttempts})
  --limit N               plan at most N records
  --dry-run               plan only, and print the plan
  --analysis FILE         the analysis declaration as JSON (prompt, model, fields; default: the
                          package's call-transcript analysis); a change analyses everything again
  --faults LIST           comma-separated faults to rehearse recovery:
                          ${FAULT_HELP.join(', ')}
  --seed N                seed of the faults (default 1)
  --model-endpoint URL    send the requests to a real model instead of the local analyzer: the
                          Gemini API's version root or an OpenAI-compatible server's /v1 root;
                          the key, if any, is read from TAP_MODEL_API_KEY
  --execution-id ID       the run's id (default: a new UUID)
  --json                  print the report as one JSON object

Exit status: 0 when every batch ended done, 3 when batches are left failed (see tapctl recover
--local DIR), 1 when the run failed, 2 for a usage mistake.`;

const FLAGS = {
  transcripts: 'string',
  workdir: 'string',
  'batch-size': 'number',
  'max-concurrent': 'number',
  'max-attempts': 'number',
  'max-record-attempts': 'number',
  limit: 'number',
  'dry-run': 'boolean',
  analysis: 'string',
  faults: 'string',
  seed: 'number',
  'execution-id': 'string',
  'model-endpoint': 'string',
  json: 'boolean',
} as const;

function wholeNumber(flags: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const value = flags[name] as number | undefined;
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function readAnalysis(file: string, cwd: string): AnalysisSpec {
  const full = path.resolve(cwd, file);
  if (!fs.existsSync(full)) throw new UsageError(`--analysis: file not found: ${full}`);
  let spec: unknown;
  try {
    spec = JSON.parse(fs.readFileSync(full, 'utf8'));
  } catch (error) {
    throw new UsageError(`--analysis ${file}: not valid JSON (${(error as Error).message})`);
  }
  // The laptop's source table has known columns: the prompt's placeholders are checked against them.
  const problems = checkAnalysis(spec, { sourceColumns: SOURCE_TABLE.columns.map((c) => c.name) });
  if (problems.length > 0) {
    throw new UsageError(`--analysis ${file}:\n${problems.map((p) => `  ${describeProblem(p, 'analysis')}`).join('\n')}`);
  }
  return spec as AnalysisSpec;
}

/** A one-line progress bar for a terminal. */
function progressLine(p: LocalProgress): string {
  const width = 30;
  const done = p.batchesTotal > 0 ? Math.min(1, p.batchesDone / p.batchesTotal) : 0;
  const filled = Math.round(done * width);
  const rate = p.elapsedSeconds > 0 ? p.records / p.elapsedSeconds : 0;
  const failed = p.batchesFailed > 0 ? `, ${p.batchesFailed} failed (retrying)` : '';
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.batchesDone}/${p.batchesTotal} batches${failed}, ${p.records} records, ${rate.toFixed(0)} records/s`;
}

/** The report as an aligned table. */
export function renderSummary(summary: SummaryDocument, elapsedSeconds: number): string {
  const rows: [string, string][] = [
    ['execution', summary.execution_id],
    ['analysis version', summary.analysis_version],
    ['status', summary.status],
    ['records planned', String(summary.records_total)],
    ['skipped (already analysed)', String(summary.skipped_dedup)],
    ['batches', String(summary.batches)],
    ['  succeeded', String(summary.batches_succeeded)],
    ['  recovered after a failure', String(summary.batches_recovered)],
    ['  failed', String(summary.batches_failed) + (summary.failed_batches.length ? ` (${summary.failed_batches.join(', ')})` : '')],
    ...(summary.batches_unfinished > 0 ? [['  unfinished', String(summary.batches_unfinished)] as [string, string]] : []),
    ['records analysed', String(summary.records_succeeded)],
    ['records in error (settled)', String(summary.records_failed)],
    ['records open (next run)', String(summary.records_open)],
    ...(Object.keys(summary.errors_by_type).length > 0 ? [['error rows by type (records)', ''] as [string, string]] : []),
    ...Object.entries(summary.errors_by_type)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([type, n]): [string, string] => [`  ${type}`, String(n)]),
    ['tokens in / out', `${summary.tokens_in} / ${summary.tokens_out}`],
    ['estimated cost (batch price)', `$${summary.estimated_cost_usd.toFixed(4)}`],
    ['duration (pipeline clock)', `${summary.duration_seconds.toFixed(0)} s`],
    ['wall time on this machine', `${elapsedSeconds.toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}

async function runCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, FLAGS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  let faults;
  try {
    faults = parseFaults(flags.faults as string | undefined, wholeNumber(flags, 'seed', 0, 2 ** 31) ?? 1);
  } catch (error) {
    throw new UsageError(`--faults: ${(error as Error).message}`);
  }
  const transcripts = flags.transcripts ? path.resolve(io.cwd, flags.transcripts as string) : undefined;
  if (transcripts && !fs.existsSync(transcripts)) throw new UsageError(`--transcripts: file not found: ${transcripts}`);
  const analysis = flags.analysis ? readAnalysis(flags.analysis as string, io.cwd) : DEFAULT_ANALYSIS;
  const json = flags.json === true;
  const endpoint = flags['model-endpoint'] as string | undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(endpoint)) {
    throw new UsageError(`--model-endpoint must be an http(s) URL, got "${endpoint}"`);
  }
  const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  let lastLine = '';

  const workdir = path.resolve(io.cwd, (flags.workdir as string | undefined) ?? LOCAL_LAYOUT.defaultWorkdir);
  const executionId = (flags['execution-id'] as string | undefined) ?? randomUUID();
  const died = () =>
    io.stderr.write(
      `the process of execution ${executionId} died after ${faults.crashAfterWrites ?? faults.crashAfterCommits} ${faults.crashAfterWrites ? 'writes' : 'commits'}, as the fault asked: the work folder is left as a killed process leaves it.\n` +
        `See what it left with tapctl status --local ${path.relative(io.cwd, workdir) || '.'} --execution ${executionId}, and finish it with ${recoverCommand({ kind: 'local', dir: workdir }, executionId, io.cwd)}\n`,
    );
  let result;
  try {
    result = await runLocalPipeline({
    workdir,
    transcripts,
    analysis,
    batchSize: wholeNumber(flags, 'batch-size', 1, LIMITS.maxBatchSize),
    maxConcurrentBatches: wholeNumber(flags, 'max-concurrent', 1, LIMITS.maxConcurrentBatches),
    maxBatchAttempts: wholeNumber(flags, 'max-attempts', 1, LIMITS.maxBatchAttempts),
    maxRecordAttempts: wholeNumber(flags, 'max-record-attempts', 1, LIMITS.maxRecordAttempts),
    limit: wholeNumber(flags, 'limit', 1, Number.MAX_SAFE_INTEGER),
    dryRun: flags['dry-run'] === true,
    faults,
    executionId,
    modelEndpoint: endpoint ? { url: endpoint, apiKey: io.env.TAP_MODEL_API_KEY || undefined } : undefined,
    onInputProblem: (p) => io.stderr.write(`${path.relative(io.cwd, transcripts ?? '') || transcripts}:${p.line}: ${p.message}\n`),
    onProgress: (p) => {
      const line = progressLine(p);
      if (line === lastLine) return;
      lastLine = line;
      if (tty) io.stderr.write(`\r${line}\x1b[K`);
    },
    });
  } catch (error) {
    if (!(error instanceof ProcessDeath)) throw error;
    if (tty && lastLine) io.stderr.write('\n');
    died();
    return 1;
  }
  if (tty && lastLine) io.stderr.write('\n');
  else if (lastLine && !json) io.stderr.write(`${lastLine}\n`);

  if (result.input && !json) {
    const problems = result.input.problems.length;
    io.stderr.write(`loaded ${result.input.rows} transcripts${problems ? `; ${problems} input line(s) skipped, listed above` : ''}\n`);
  }
  if (result.state === 'FAILED' && (faults.crashAfterWrites !== null || faults.crashAfterCommits !== null)) {
    died();
    return 1;
  }
  if (result.state === 'FAILED') {
    const error = result.error as { message?: string } | string;
    io.stderr.write(`the run failed: ${typeof error === 'string' ? error : (error?.message ?? JSON.stringify(error))}\n`);
    io.stderr.write(`logs: ${path.join(result.workdir, 'logs', `${result.executionId}.jsonl`)}\n`);
    if (json) io.stdout.write(JSON.stringify({ execution_id: result.executionId, state: 'FAILED', error: result.error }) + '\n');
    return 1;
  }
  if (result.plan) {
    io.stdout.write(json ? JSON.stringify(result.plan) + '\n' : `dry run: ${JSON.stringify(result.plan, null, 2)}\n`);
    return 0;
  }
  const summary = result.summary!;
  io.stdout.write(json ? JSON.stringify(summary) + '\n' : renderSummary(summary, result.elapsedSeconds));
  if (summary.batches_failed > 0) {
    io.stderr.write(
      `${summary.batches_failed} batch(es) left failed: ${recoverCommand({ kind: 'local', dir: result.workdir }, summary.execution_id, io.cwd)}\n`,
    );
    return 3;
  }
  return 0;
}

export const command: Command = {
  name: 'local',
  summary: 'Run the whole pipeline on this machine (tapctl local run).',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub !== 'run') throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'missing subcommand: run');
    return runCommand(rest, io);
  },
};
