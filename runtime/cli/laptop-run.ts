/**
 * A run on this machine, as `tapctl local run` and `tapctl run --local DIR` start it: the options
 * read into the local pipeline's settings, its progress on the terminal, and what a failure or a
 * rehearsed crash leaves the operator to do.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  AnalysesError,
  AnalysisSpec,
  checkAnalysis,
  DEFAULT_ANALYSIS,
  describeProblem,
  LAUNCHER_EXIT,
  planAnalyses,
  PRIMARY_ANALYSIS,
  resolveRedaction,
  SOURCE_TABLE,
  SummaryDocument,
} from '../contract';
import { checkLocalInfoTypes } from '../redaction/local-redactor';
import { Faults, parseFaults } from '../local/faults';
import { ProcessDeath } from '../local/mortal';
import { LocalProgress, LocalRunResult, runLocalPipeline } from '../local/pipeline';
import { recoverCommand, targetArgs } from '../ops/config';
import { UsageError } from '../ops/errors';
import type { CommandIo } from './command';
import type { Values } from './options';
import { analysisChoice, LAPTOP_OPTIONS, RUN_OPTIONS } from './run-options';

/** Reads and checks an analysis declaration file given with `--analysis`; `name` when it declares another analysis than pass1. */
export function readAnalysis(file: string, cwd: string, name?: string): AnalysisSpec {
  const full = path.resolve(cwd, file);
  if (!fs.existsSync(full)) throw new UsageError(`--analysis: file not found: ${full}`);
  let spec: unknown;
  try {
    spec = JSON.parse(fs.readFileSync(full, 'utf8'));
  } catch (error) {
    throw new UsageError(`--analysis ${file}: not valid JSON (${(error as Error).message})`);
  }
  // The laptop's source table has known columns: the prompt's placeholders are checked against them.
  // A chained analysis's upstream fields are checked with the others (planAnalyses).
  const problems = checkAnalysis(spec, { sourceColumns: SOURCE_TABLE.columns.map((c) => c.name) });
  if (name === undefined && (spec as { after?: unknown })?.after !== undefined) {
    throw new UsageError(
      `--analysis ${file}: ${PRIMARY_ANALYSIS} reads the transcripts and has no after; give a chained analysis as NAME=FILE`,
    );
  }
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

/** What a laptop run ended with: its outcome, or the exit status already explained on stderr. */
export type LaptopOutcome = { readonly result: LocalRunResult } | { readonly code: number };

/**
 * Runs the pipeline in the work folder `dir`. Mistakes in the options are `UsageError`s raised
 * before anything is written; a failed run or a rehearsed crash is explained on stderr, with the
 * commands that show and finish what it left.
 */
export async function runOnLaptop(
  dir: string,
  run: Values<typeof RUN_OPTIONS>,
  laptop: Values<typeof LAPTOP_OPTIONS>,
  io: CommandIo,
  quiet: boolean,
): Promise<LaptopOutcome> {
  let faults: Faults;
  try {
    faults = parseFaults(laptop.faults, laptop.seed);
  } catch (error) {
    throw new UsageError(`--faults: ${(error as Error).message}`);
  }
  const transcripts = laptop.transcripts === undefined ? undefined : path.resolve(io.cwd, laptop.transcripts);
  if (transcripts && !fs.existsSync(transcripts)) throw new UsageError(`--transcripts: file not found: ${transcripts}`);
  const choice = analysisChoice(run.analysis);
  // --redact redacts for every analysis that does not declare its own redaction.
  const redacted = (declared: AnalysisSpec, what: string): AnalysisSpec => {
    const redaction = declared.redaction ?? (laptop.redact ? {} : undefined);
    if (!redaction) return declared;
    const spec: AnalysisSpec = { ...declared, redaction: resolveRedaction(redaction) };
    try {
      checkLocalInfoTypes(spec.redaction!.infoTypes);
    } catch (error) {
      throw new UsageError(`${declared.redaction ? what : '--redact'}: ${(error as Error).message}`);
    }
    return spec;
  };
  const analysis = redacted(
    choice.pass1File === undefined ? DEFAULT_ANALYSIS : readAnalysis(choice.pass1File, io.cwd),
    `--analysis ${choice.pass1File ?? PRIMARY_ANALYSIS}`,
  );
  const analyses: Record<string, AnalysisSpec> = {};
  for (const [name, file] of Object.entries(choice.files)) {
    if (name !== PRIMARY_ANALYSIS) analyses[name] = redacted(readAnalysis(file, io.cwd, name), `--analysis ${name}=${file}`);
  }
  try {
    planAnalyses(
      { ...analyses, [PRIMARY_ANALYSIS]: analysis },
      SOURCE_TABLE.columns.map((c) => c.name),
    );
  } catch (error) {
    if (error instanceof AnalysesError) throw new UsageError(`--analysis:\n${error.message.replace(/^/gm, '  ')}`);
    throw error;
  }
  const endpoint = laptop['model-endpoint'];
  const workdir = path.resolve(io.cwd, dir);
  const executionId = run['execution-id'] ?? randomUUID();
  const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  let lastLine = '';
  const endProgress = () => {
    if (tty && lastLine) io.stderr.write('\n');
    else if (lastLine && !quiet) io.stderr.write(`${lastLine}\n`);
  };
  const died = () => {
    const target = { kind: 'local', dir: workdir } as const;
    io.stderr.write(
      `the process of execution ${executionId} died after ${faults.crashAfterWrites ?? faults.crashAfterCommits} ${faults.crashAfterWrites ? 'writes' : 'commits'}, as the fault asked: the work folder is left as a killed process leaves it.\n` +
        `See what it left with tapctl status ${targetArgs(target, io.cwd)} --execution ${executionId}, and finish it with ${recoverCommand(target, executionId, io.cwd)}\n`,
    );
    return { code: 1 };
  };
  let result: LocalRunResult;
  try {
    result = await runLocalPipeline({
      workdir,
      transcripts,
      analysis,
      analyses,
      only: choice.only,
      batchSize: run['batch-size'],
      maxConcurrentBatches: run['max-concurrent-batches'],
      maxBatchAttempts: run['max-batch-attempts'],
      maxRecordAttempts: laptop['max-record-attempts'],
      limit: run.limit,
      dryRun: run['dry-run'],
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
    endProgress();
    return died();
  }
  endProgress();
  if (result.input && !quiet) {
    const problems = result.input.problems.length;
    io.stderr.write(`loaded ${result.input.rows} transcripts${problems ? `; ${problems} input line(s) skipped, listed above` : ''}\n`);
  }
  if (result.state === 'FAILED' && (faults.crashAfterWrites !== null || faults.crashAfterCommits !== null)) return died();
  if (result.state === 'FAILED') {
    const error = result.error as { message?: string } | string;
    io.stderr.write(`the run failed: ${typeof error === 'string' ? error : (error?.message ?? JSON.stringify(error))}\n`);
    io.stderr.write(`logs: ${path.join(result.workdir, 'logs', `${result.executionId}.jsonl`)}\n`);
    if (quiet) io.stdout.write(JSON.stringify({ execution_id: result.executionId, state: 'FAILED', error: result.error }) + '\n');
    return { code: 1 };
  }
  return { result };
}

/** What is left to recover after a run that ended, or nothing: the command to paste, and exit 3. */
export function leftFailed(summary: SummaryDocument, workdir: string, io: CommandIo): number {
  const left = summary.batches_failed + summary.batches_unfinished;
  if (left === 0) return LAUNCHER_EXIT.succeeded;
  io.stderr.write(
    `${left} batch(es) left failed or unfinished: ${recoverCommand({ kind: 'local', dir: workdir }, summary.execution_id, io.cwd)}\n`,
  );
  return LAUNCHER_EXIT.batchesLeft;
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

/** What the redactor took out of the requests of a run, counted by info type. */
export function renderRedacted(redacted: Readonly<Record<string, number>>): string {
  const entries = Object.entries(redacted).sort(([a], [b]) => (a < b ? -1 : 1));
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  const width = 30;
  return [
    `${'redacted before sending'.padEnd(width)}${total} findings`,
    ...entries.map(([type, n]) => `  ${type.padEnd(width - 2)}${n}`),
    '',
  ].join('\n');
}
