/**
 * The laptop pipeline: loads transcripts into the local source table, then runs the very same
 * `workflows/master-orchestrator.yaml` (and, per batch, `workflows/batch.yaml`) on the local
 * Workflows engine, with the job entry points running in-process on DuckDB and a folder, and the
 * local analyzer standing in for Gemini.
 */
import { createHash, randomUUID } from 'node:crypto';
import * as path from 'node:path';
import {
  AnalysisSpec,
  DEFAULT_ANALYSIS,
  DEFAULT_WORKFLOW_NAMES,
  LOCAL_LAYOUT,
  ManifestDocument,
  PlanDocument,
  planAnalyses,
  PRIMARY_ANALYSIS,
  SOURCE_TABLE,
  SummaryDocument,
  TABLE_NAMES,
  type BatchSizeSetting,
} from '../contract';
import type { ObjectStore } from '../core/ports';
import { openLocalWorkspace, type DuckDbWarehouse } from '../adapters/local';
import { savePipeline } from './deployment';
import { LocalSession, openSession, SessionOptions } from './session';
import { markRunning } from './runs';
import { ExecutionReusedError } from '../jobs/planner';
import { iso } from '../core/jobkit';
import { reportPlan } from '../core/sql';
import { runWorkflow, type LogEntry } from './engine';
import { DEFAULT_LOCAL_SETTINGS, LocalSettings } from './environment';
import { InputProblem, readTranscripts } from './transcripts';

export { pipelineWorkflows } from './deployment';

/** Progress of a run, as it happens. */
export interface LocalProgress {
  readonly batchesTotal: number;
  readonly batchesDone: number;
  readonly batchesFailed: number;
  readonly records: number;
  readonly elapsedSeconds: number;
}

export interface LocalRunOptions extends Omit<SessionOptions, 'onJobFinished'> {
  /** The work folder (database, bucket folder, logs). @default '.tap' */
  readonly workdir?: string;
  /** Transcripts to load first (`.jsonl` or `.csv`); a changed transcript replaces the old one. */
  readonly transcripts?: string;
  /** The `pass1` analysis. @default DEFAULT_ANALYSIS */
  readonly analysis?: AnalysisSpec;
  /** The pipeline's other analyses, by name (each may read another with `after`). @default - none */
  readonly analyses?: Readonly<Record<string, AnalysisSpec>>;
  /** Run only this analysis and those it reads. @default - every analysis */
  readonly only?: string;
  readonly batchSize?: BatchSizeSetting;
  readonly maxConcurrentBatches?: number;
  readonly maxBatchAttempts?: number;
  readonly maxRecordAttempts?: number;
  /** Plan at most this many records. */
  readonly limit?: number;
  readonly dryRun?: boolean;
  /** @default - a new UUID */
  readonly executionId?: string;
  readonly onProgress?: (progress: LocalProgress) => void;
  /** Called for every input problem (bad line, missing or duplicate id). */
  readonly onInputProblem?: (problem: InputProblem) => void;
}

export interface LocalRunResult {
  readonly executionId: string;
  readonly state: 'SUCCEEDED' | 'FAILED';
  /** The reporter's summary (absent for a dry run or a failed run); with several analyses, the last one's. */
  readonly summary?: SummaryDocument;
  /** Every analysis's summary, in run order (one element for a run of `pass1` alone). */
  readonly summaries?: readonly SummaryDocument[];
  /** The plan, for a dry run. */
  readonly plan?: PlanDocument;
  /** The workflow error, for a failed run. */
  readonly error?: unknown;
  readonly input?: { readonly rows: number; readonly problems: readonly InputProblem[] };
  /** Findings of personal data redacted from the requests written, by info type, when the analysis redacts. */
  readonly redacted?: Readonly<Record<string, number>>;
  /** Wall-clock seconds. */
  readonly elapsedSeconds: number;
  /** Virtual seconds the workflows took (what the run would take against the real services' timings). */
  readonly virtualSeconds: number;
  readonly workdir: string;
}

/** Loads transcripts into the source table: rows with ids already there replace them. */
async function loadTranscripts(
  file: string,
  warehouse: DuckDbWarehouse,
  store: ObjectStore,
  onProblem: ((p: InputProblem) => void) | undefined,
): Promise<{ rows: number; problems: readonly InputProblem[] }> {
  const stamp = new Date().toISOString();
  const staging = `_inputs/${stamp.replace(/[-:.]/g, '')}-${randomUUID().slice(0, 8)}.jsonl`;
  const out = store.openWrite(staging);
  const finished = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  const hash = createHash('sha256');
  let report;
  try {
    report = await readTranscripts(
      file,
      async (row) => {
        const line = JSON.stringify(row) + '\n';
        hash.update(line);
        if (!out.write(line)) await new Promise((resolve) => out.once('drain', resolve));
      },
      stamp,
    );
  } catch (error) {
    // A file refused whole leaves no staging object behind.
    out.destroy();
    throw error;
  }
  out.end();
  await finished;
  for (const problem of report.problems) onProblem?.(problem);
  if (report.rows === 0) return report;
  await warehouse.replaceByKey(TABLE_NAMES.source, 'transcript_id', staging, `source_${hash.digest('hex').slice(0, 24)}_${stamp}`);
  return report;
}

/** The laptop's settings with the ones given in place of the defaults. */
export function localSettings(
  analysis: AnalysisSpec,
  given: Partial<Omit<LocalSettings, 'analysis'>>,
  analyses?: Readonly<Record<string, AnalysisSpec>>,
): LocalSettings {
  const settings: Record<string, unknown> = { ...DEFAULT_LOCAL_SETTINGS, analysis, ...(analyses ? { analyses } : {}) };
  for (const key of Object.keys(DEFAULT_LOCAL_SETTINGS) as (keyof typeof DEFAULT_LOCAL_SETTINGS)[]) {
    if (given[key] !== undefined) settings[key] = given[key];
  }
  return settings as unknown as LocalSettings;
}

/** Runs the whole pipeline locally and returns its outcome. */
export async function runLocalPipeline(options: LocalRunOptions = {}): Promise<LocalRunResult> {
  const started = Date.now();
  const workdir = path.resolve(options.workdir ?? LOCAL_LAYOUT.defaultWorkdir);
  const analysis = options.analysis ?? DEFAULT_ANALYSIS;
  const analyses = options.analyses ?? {};
  // Refused before anything is written: a bad name, an unknown upstream, a cycle.
  const planned = planAnalyses(
    { ...analyses, [PRIMARY_ANALYSIS]: analysis },
    SOURCE_TABLE.columns.map((c) => c.name),
  );
  const workspace = await openLocalWorkspace(workdir, analysis, analyses);
  const executionId = options.executionId ?? randomUUID();
  const ended = markRunning(workdir, executionId);
  let session: LocalSession | undefined;
  let batchesTotal = 0;
  let batchesDone = 0;
  let batchesFailed = 0;
  let records = 0;
  const redacted: Record<string, number> = {};
  const report = () =>
    options.onProgress?.({ batchesTotal, batchesDone, batchesFailed, records, elapsedSeconds: (Date.now() - started) / 1000 });
  try {
    session = await openSession(workspace, executionId, localSettings(analysis, options, analyses), {
      ...options,
      onJobFinished: (kind, result) => {
        if (kind === 'planner') {
          batchesTotal = (result as PlanDocument).batch_count;
          report();
        }
        for (const [type, n] of Object.entries(kind === 'generator' ? ((result as ManifestDocument).redacted ?? {}) : {})) {
          redacted[type] = (redacted[type] ?? 0) + n;
        }
      },
    });
    const { warehouse, store, log, clock, handlers, workflows, workflowEnv } = session;
    // The planner refuses a reused execution id too; refusing here first changes nothing, not even the source.
    if (options.executionId !== undefined && !options.dryRun) {
      const [planned] = await warehouse.query(reportPlan((id) => warehouse.table(id), executionId));
      if (planned) throw new ExecutionReusedError(executionId, iso(planned.event_time) ?? 'an earlier time');
    }
    await savePipeline(store, planned);
    const input = options.transcripts ? await loadTranscripts(options.transcripts, warehouse, store, options.onInputProblem) : undefined;

    const onLog = (entry: LogEntry) => {
      log.workflow(entry);
      const payload = entry.payload as { event?: string; records?: number; batches?: number } | null;
      switch (payload?.event) {
        case 'batch_succeeded':
          batchesDone++;
          records += Number(payload.records ?? 0);
          report();
          break;
        case 'batch_attempt_failed':
          batchesFailed++;
          report();
          break;
        case 'batches_retrying':
          batchesFailed = Math.max(0, batchesFailed - Number(payload.batches ?? 0));
          report();
          break;
      }
    };

    const virtualStart = clock.now();
    const outcome = await runWorkflow(workflows.master, {
      argument: {
        execution_id: executionId,
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
        ...(options.dryRun ? { dry_run: true } : {}),
        ...(options.only !== undefined ? { analysis: options.only } : {}),
      },
      env: workflowEnv,
      handlers,
      clock,
      // Unique to this run of the master: a second run reusing the execution id is told apart.
      executionId: `master-${executionId}-${randomUUID().slice(0, 8)}`,
      workflowId: DEFAULT_WORKFLOW_NAMES.master,
      onLog,
    });
    // A master that ended early leaves its children running, as on Google; the work folder waits for them.
    await session.executions.settled();
    const common = {
      executionId,
      input,
      elapsedSeconds: (Date.now() - started) / 1000,
      virtualSeconds: clock.now() - virtualStart,
      workdir,
      ...(analysis.redaction ? { redacted } : {}),
    };
    if (outcome.state === 'FAILED') return { ...common, state: 'FAILED', error: outcome.error };
    // Several analyses come back as {execution_id, analyses: [...]}, one as its own outcome.
    const outcomes = ((outcome.result as { analyses?: unknown[] }).analyses ?? [outcome.result]) as Record<string, unknown>[];
    const last = outcomes[outcomes.length - 1]!;
    if (options.dryRun) return { ...common, state: 'SUCCEEDED', plan: (last as { plan: PlanDocument }).plan };
    const summaries = outcomes as unknown as SummaryDocument[];
    return { ...common, state: 'SUCCEEDED', summary: summaries[summaries.length - 1], summaries };
  } finally {
    ended();
    await session?.log.close();
    await workspace.close();
  }
}
