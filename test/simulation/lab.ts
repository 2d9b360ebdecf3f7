/**
 * The laptop pipeline under random histories: one work folder, the operations an operator has
 * (run, recover in every form, clear-history, a changed analysis, a reused execution id), each of
 * which may be cut short by the process dying after its n-th write (the `crash-after-writes`
 * fault), and the invariants of the ledger, checked against the tables after every operation.
 *
 * What must hold (the ledger's promise):
 * - I1: at most one result row and one processed_records row per (record, analysis version).
 * - I2: every planned record is in exactly one state (analysed, settled by an error, or open), and
 *   each run's summary adds up; a clean run leaves no source record open, and a clean recovery
 *   none of the plan rows it was given.
 * - I3: a record is sent to the model only while it has no committed result for the version.
 * - I4: `report` (the run summary), `status` (each batch's state) and the `batch_status` view agree
 *   with an independent reading of the raw tables; every event a command writes is stamped no
 *   earlier than the events before it.
 * - I5: only the record's own answers use up its attempts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLocalWorkspace, type LocalWorkspace } from '../../runtime/adapters/local';
import {
  AnalysisSpec,
  planAnalyses,
  resultsTableName,
  BATCH_STATUS_RANK,
  BatchStatus,
  DEFAULT_ANALYSIS,
  FREE_ERROR_TYPES,
  SummaryDocument,
  TABLE_NAMES,
  VIEW_NAMES,
} from '../../runtime/contract';
import type { Warehouse } from '../../runtime/core/ports';
import { runLocalPipeline } from '../../runtime/local/pipeline';
import type { LocalStorage } from '../../runtime/local/session';
import { NO_FAULTS, type Faults } from '../../runtime/local/faults';
import { Mortality, mortalWarehouse, ProcessDeath } from '../../runtime/local/mortal';
import { OpsQueries } from '../../runtime/ops/queries';
import { recoveryPlan, type RecoverySelection } from '../../runtime/ops/recover';
import { runLocalRecovery } from '../../runtime/local/recovery';
import { requireExecution, type OpenTarget } from '../../runtime/ops/target';
import { OperatorError } from '../../runtime/ops/errors';
import { ExecutionReusedError } from '../../runtime/jobs/planner';

/** Two analyses: the second differs in its prompt, so it has its own version. */
export const ANALYSES: readonly [AnalysisSpec, AnalysisSpec] = [
  DEFAULT_ANALYSIS,
  { ...DEFAULT_ANALYSIS, promptTemplate: `${DEFAULT_ANALYSIS.promptTemplate}\n\nBe brief.` },
];

/**
 * Analyses a lab may run beside `pass1` (`Lab.create({ several: true })`): one that reads the
 * transcripts, and one chained on pass1's summary. Their fields are pass1's, so the lab's one answer
 * fits them all; their system instructions tell the lab's model which analysis a request is for.
 */
export const MORE_ANALYSES: Readonly<Record<string, AnalysisSpec>> = {
  qa: { ...DEFAULT_ANALYSIS, systemInstruction: 'Score the call.' },
  next: { ...DEFAULT_ANALYSIS, systemInstruction: 'Read the summary.', after: 'pass1', promptTemplate: 'Summary: {pass1.summary}' },
};

/** Every results table's id in a set of analyses. */
function resultsTables(more: Readonly<Record<string, AnalysisSpec>>): string[] {
  return [TABLE_NAMES.results, ...Object.keys(more).map(resultsTableName)];
}

/** Records run out of attempts after this many failed answers of their own. */
export const MAX_RECORD_ATTEMPTS = 2;

const ANSWER = JSON.stringify({
  summary: 'The customer asked about a bill and the agent explained it.',
  sentiment: 'neutral',
  topics: ['billing'],
  resolution: 'resolved',
  action_items: [],
  customer_intent: 'understand a bill',
});

export interface RunParams {
  /** New records to add before the run (loaded with it). */
  readonly add: number;
  /** Of those, how many have an empty transcript (a permanent error). */
  readonly empties: number;
  /** Existing records whose text changes. */
  readonly change: number;
  readonly batchSize: number | 'auto';
  readonly lanes: number;
  readonly batchAttempts: number;
  readonly faults: Partial<Faults>;
  /** The process dies after this many writes (of any kind, or to the warehouse only). */
  readonly crashAfter: Crash | null;
}

/** Where a process dies: after its n-th write of any kind, or its n-th write to the warehouse. */
export interface Crash {
  readonly counting: 'writes' | 'commits';
  readonly after: number;
}

/** Whether faults inject nothing (their seed aside). */
function noFaults(faults: Partial<Faults>): boolean {
  return Object.entries(faults).every(([name, v]) => name === 'seed' || v === 0 || v === null || v === undefined);
}

function crashFaults(crash: Crash | null): Pick<Faults, 'crashAfterWrites' | 'crashAfterCommits'> {
  return {
    crashAfterWrites: crash?.counting === 'writes' ? crash.after : null,
    crashAfterCommits: crash?.counting === 'commits' ? crash.after : null,
  };
}

export type RecoverForm =
  | { readonly kind: 'batch'; readonly batch: number; readonly force: boolean }
  | { readonly kind: 'rows'; readonly start: number; readonly length: number }
  | { readonly kind: 'all-failed' };

export interface RecoverParams {
  /** Which execution, as an index into those started (modulo their number). */
  readonly execution: number;
  readonly form: RecoverForm;
  readonly faults: Partial<Faults>;
  readonly crashAfter: Crash | null;
}

/** What histories did, across a test or a soak run: to see that they reach the states that matter. */
export const STATS: Record<string, number> = {};

function count(what: string, n = 1): void {
  STATS[what] = (STATS[what] ?? 0) + n;
}

/** A broken invariant: the history fails with it. */
export class Violation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Violation';
  }
}

type Row = Record<string, unknown>;
const key = (recordId: unknown, version: unknown) => `${String(version)}\u0000${String(recordId)}`;

/** A folder in memory when the machine has one: histories write a lot of small files. */
function scratchRoot(): string {
  return fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
}

export class Lab {
  readonly dir: string;
  readonly workdir: string;
  private current = 0;
  private nextRecord = 0;
  private inputs = 0;
  /** Source records as loaded: id -> text. */
  private readonly source = new Map<string, string>();
  /** Records added or changed, loaded by the next run. */
  private pending = new Map<string, string>();
  /** Executions started, with the analysis each was started with. */
  readonly executions: { id: string; analysis: number }[] = [];
  /** (version, record) pairs with a committed result, kept current while a command runs. */
  private analysed = new Set<string>();
  /** Sends seen during the current command. */
  private readonly sends: string[] = [];
  /** Broken invariants seen while a command runs (inside the pipeline, where throwing would be caught). */
  private readonly violations: string[] = [];
  private lastEventTime = 0;
  private eventsBefore = new Set<string>();
  readonly log: string[] = [];

  /** The analyses run beside pass1 (none unless the lab was created with several). */
  readonly more: Readonly<Record<string, AnalysisSpec>>;

  private constructor(dir: string, more: Readonly<Record<string, AnalysisSpec>>) {
    this.dir = dir;
    this.workdir = path.join(dir, 'work');
    this.more = more;
  }

  /** A lab over a new work folder; with `several`, every run runs `MORE_ANALYSES` too. */
  static create(options: { readonly several?: boolean } = {}): Lab {
    return new Lab(fs.mkdtempSync(path.join(scratchRoot(), 'tap-ledger-')), options.several ? MORE_ANALYSES : {});
  }

  /** Versions of every analysis when pass1 is `ANALYSES[current]`, by system instruction (what tells requests apart). */
  private versionsBy(current: number): Map<string, string> {
    const planned = planAnalyses({ ...this.more, pass1: ANALYSES[current] });
    return new Map(planned.map((a) => [a.spec.systemInstruction, a.version]));
  }

  async dispose(): Promise<void> {
    await this.checker?.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  get executionCount(): number {
    return this.executions.length;
  }

  switchAnalysis(): void {
    this.current = 1 - this.current;
    this.log.push(`switch to analysis ${this.current}`);
  }

  /** A run, loading the records added or changed since the last one. */
  async run(p: RunParams): Promise<void> {
    for (let i = 0; i < p.add; i++) {
      const id = `r${String(this.nextRecord++).padStart(3, '0')}`;
      this.pending.set(id, i < p.empties ? '' : `Customer ${id} calls about a bill; the agent explains the charges.`);
    }
    const existing = [...this.source.keys()];
    for (let i = 0; i < Math.min(p.change, existing.length); i++) {
      const id = existing[(this.inputs * 7 + i * 3) % existing.length]!;
      this.pending.set(id, `Customer ${id} calls again, this time about a refund (${this.inputs}).`);
    }
    const file = await this.writeInputs();
    const executionId = `x${this.executions.length + 1}`;
    await this.before();
    this.executions.push({ id: executionId, analysis: this.current });
    let crashed = false;
    try {
      const result = await runLocalPipeline({
        workdir: this.workdir,
        transcripts: file,
        analysis: ANALYSES[this.current],
        analyses: this.more,
        executionId,
        batchSize: p.batchSize,
        maxConcurrentBatches: p.lanes,
        maxBatchAttempts: p.batchAttempts,
        maxRecordAttempts: MAX_RECORD_ATTEMPTS,
        faults: { ...NO_FAULTS, ...p.faults, ...crashFaults(p.crashAfter) },
        analyze: this.analyzer(this.current),
        wrapStorage: (s) => this.observe(s),
      });
      crashed = result.state === 'FAILED' && p.crashAfter !== null;
      if (result.state === 'FAILED' && !crashed)
        throw new Violation(`run ${executionId} failed without a crash: ${JSON.stringify(result.error)}`);
    } catch (error) {
      if (!(error instanceof ProcessDeath)) throw error;
      crashed = true;
    }
    if (!crashed && file) this.loaded();
    else if (file) this.pendingAfterCrash();
    count(crashed ? 'runs that crashed' : 'runs');
    this.log.push(`run ${executionId} ${JSON.stringify(p)}${crashed ? ' (crashed)' : ''}`);
    await this.after();
    const clean = !crashed && p.crashAfter === null && noFaults(p.faults);
    if (clean) await this.checkNothingOpen();
  }

  /** A run that reuses an execution id must be refused and change nothing. */
  async reuse(index: number): Promise<void> {
    if (this.executions.length === 0 || !fs.existsSync(this.workdir)) return;
    const before = await this.dump();
    const planned = [...new Set(before.executions!.map((e) => String(e.execution_id)))];
    if (planned.length === 0) return;
    const id = planned[index % planned.length]!;
    let refused = false;
    try {
      await runLocalPipeline({
        workdir: this.workdir,
        analysis: ANALYSES[this.current],
        analyses: this.more,
        executionId: id,
        analyze: this.analyzer(this.current),
      });
    } catch (error) {
      if (!(error instanceof ExecutionReusedError)) throw error;
      refused = true;
    }
    this.log.push(`reuse ${id}`);
    if (!refused) throw new Violation(`a run reusing execution id ${id} was not refused`);
    count('reused execution ids refused');
    const after = await this.dump();
    if (JSON.stringify(after) !== JSON.stringify(before)) throw new Violation(`a refused run reusing ${id} changed the tables`);
  }

  /** `tapctl recover --local` in one of its forms. */
  async recover(p: RecoverParams): Promise<void> {
    if (this.executions.length === 0) return;
    const { id, analysis } = this.executions[p.execution % this.executions.length]!;
    await this.before();
    let note = '';
    const ws = await openLocalWorkspace(this.workdir, ANALYSES[analysis], this.more);
    try {
      const open = {
        target: { kind: 'local', dir: this.workdir },
        queries: new OpsQueries(ws.warehouse),
        where: 'lab',
        local: ws,
        close: async () => {},
      } as OpenTarget;
      let execution;
      try {
        execution = await requireExecution(open, id);
      } catch {
        note = 'never planned';
      }
      if (execution) {
        const batches = await open.queries.batches(id);
        const selection: RecoverySelection =
          p.form.kind === 'batch'
            ? { kind: 'batch', batchId: execution.batchCount > 0 ? p.form.batch % execution.batchCount : p.form.batch }
            : p.form.kind === 'rows'
              ? {
                  kind: 'rows',
                  startRow: 1 + (p.form.start % Math.max(1, execution.recordsTotal)),
                  endRow: 1 + (p.form.start % Math.max(1, execution.recordsTotal)) + p.form.length,
                }
              : { kind: 'all-failed' };
        let plan;
        try {
          plan = recoveryPlan(execution, batches, selection, p.form.kind === 'batch' && p.form.force, { local: true });
        } catch (error) {
          if (!(error instanceof OperatorError)) throw error;
          note = `refused: ${error.message.split('\n')[0]}`;
        }
        if (plan && plan.arguments.length > 0) {
          const eventsBefore = await this.withWarehouse(async (w) => this.rows(w, TABLE_NAMES.batchEvents, 'event_time'));
          try {
            await runLocalRecovery(ws, id, plan.arguments, {
              analysis: ANALYSES[analysis],
              analyses: this.more,
              settings: { maxRecordAttempts: MAX_RECORD_ATTEMPTS },
              faults: { ...NO_FAULTS, ...p.faults, ...crashFaults(p.crashAfter) },
              analyze: this.analyzer(analysis),
              wrapStorage: (s) => this.observe(s),
            });
          } catch (error) {
            if (!(error instanceof ProcessDeath)) throw error;
            note = 'crashed';
          }
          const clean = note !== 'crashed' && p.crashAfter === null && noFaults(p.faults);
          if (clean) await this.checkRecovered(id, plan.arguments, eventsBefore);
          note ||= JSON.stringify(plan.arguments);
        }
      }
    } finally {
      await ws.close();
    }
    count(
      note === 'crashed'
        ? 'recoveries that crashed'
        : note.startsWith('refused') || note === 'never planned'
          ? 'recoveries refused'
          : `recoveries (${p.form.kind})`,
    );
    this.log.push(`recover ${id} ${JSON.stringify(p)} ${note}`);
    await this.after();
  }

  /** `tapctl clear-history --local` for one execution, possibly dying part way. */
  async clearHistory(index: number, crashAfter: number | null): Promise<void> {
    // clear-history writes only to the warehouse: its crashes count commits.
    if (this.executions.length === 0) return;
    const { id } = this.executions[index % this.executions.length]!;
    await this.before();
    const ws = await openLocalWorkspace(this.workdir);
    try {
      const warehouse = crashAfter === null ? ws.warehouse : mortalWarehouse(ws.warehouse, new Mortality(crashAfter, 'warehouse'));
      try {
        await new OpsQueries(warehouse).clearHistory(id);
        count('clear-history');
      } catch (error) {
        if (!(error instanceof ProcessDeath)) throw error;
        count('clear-history that crashed');
      }
    } finally {
      await ws.close();
    }
    this.log.push(`clear-history ${id} (crash after ${crashAfter})`);
    await this.after();
  }

  private async writeInputs(): Promise<string | undefined> {
    if (this.pending.size === 0) return undefined;
    const file = path.join(this.dir, `input-${++this.inputs}.jsonl`);
    fs.writeFileSync(
      file,
      [...this.pending].map(([transcript_id, transcript]) => JSON.stringify({ transcript_id, transcript })).join('\n') + '\n',
    );
    return file;
  }

  private loaded(): void {
    for (const [id, text] of this.pending) this.source.set(id, text);
    this.pending = new Map();
  }

  /**
   * A run that died may or may not have loaded its transcripts (the load is one write): the source
   * table says which, and what was not loaded stays pending for the next run.
   */
  private pendingAfterCrash(): void {
    this.checkSourceLater = true;
  }

  private checkSourceLater = false;

  /**
   * Answers as Gemini would, and checks I3 on every request: nothing analysed is sent again. The
   * request's system instruction says its analysis, so its version (pass1 being `ANALYSES[current]`).
   */
  private analyzer(current: number) {
    const versions = this.versionsBy(current);
    return (line: Record<string, unknown>): Record<string, unknown> => {
      const request = line.request as { labels?: Record<string, string>; systemInstruction?: { parts?: { text?: string }[] } };
      const recordId = request.labels?.taprecord ?? '?';
      const version = versions.get(request.systemInstruction?.parts?.[0]?.text ?? '') ?? '?';
      this.sends.push(recordId);
      count('requests sent to the model');
      if (this.analysed.has(key(recordId, version))) {
        this.violations.push(`I3: record ${recordId} was sent to the model again although it has a result for version ${version}`);
      }
      return {
        status: '',
        processed_time: '2026-01-01T00:00:00.000+00:00',
        request,
        response: {
          candidates: [{ content: { parts: [{ text: ANSWER }], role: 'model' }, finishReason: 'STOP' }],
          usageMetadata: { promptTokenCount: 40, candidatesTokenCount: 12, totalTokenCount: 52 },
        },
      };
    };
  }

  /** Keeps the set of analysed records current as results are loaded. */
  private observe(storage: LocalStorage): LocalStorage {
    const analysed = this.analysed;
    const tables = resultsTables(this.more);
    const warehouse = new Proxy(storage.warehouse, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (property !== 'load') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        const note = async (table: string, objectPath: string) => {
          if (!tables.includes(table)) return;
          for (const line of (await storage.store.readText(objectPath)).split('\n')) {
            if (!line.trim()) continue;
            const row = JSON.parse(line) as Row;
            analysed.add(key(row.record_id, row.analysis_version));
          }
        };
        return async (table: string, objectPath: string, jobId: string) => {
          let outcome;
          try {
            outcome = await target.load(table, objectPath, jobId);
          } catch (error) {
            // The load that killed the process was made: its rows are committed.
            if (error instanceof ProcessDeath && error.done) await note(table, objectPath);
            throw error;
          }
          if (outcome === 'loaded') await note(table, objectPath);
          return outcome;
        };
      },
    });
    return { warehouse, store: storage.store };
  }

  /**
   * The lab's own handle on the work folder, for its checks, opened once. The pipeline's commands
   * open the folder themselves, as a new process would: their in-memory state (jobs, Vertex AI
   * jobs, workflow executions, clocks) never outlives them; what persists is what they committed.
   */
  private checker?: LocalWorkspace;

  private async withWarehouse<T>(body: (w: Warehouse, ws: LocalWorkspace) => Promise<T>): Promise<T> {
    this.checker ??= await openLocalWorkspace(this.workdir, ANALYSES[0], this.more);
    return body(this.checker.warehouse, this.checker);
  }

  private async rows(w: Warehouse, table: string, order: string): Promise<Row[]> {
    return w.query<Row>({ sql: `SELECT * FROM ${w.table(table)} ORDER BY ${order}` });
  }

  /** The rows of every analysis's results table (their versions keep them apart), with the analysis's name. */
  private async results(w: Warehouse, order: string): Promise<Row[]> {
    const all: Row[] = [];
    for (const table of resultsTables(this.more)) {
      for (const row of await this.rows(w, table, order)) all.push({ ...row, results_table: table });
    }
    return all;
  }

  /** Every table, for "nothing changed" comparisons. */
  private dump(): Promise<Record<string, Row[]>> {
    return this.withWarehouse(async (w) => ({
      results: await this.results(w, 'record_id, analysis_version, execution_id'),
      processed: await this.rows(w, TABLE_NAMES.processedRecords, 'record_id, analysis_version'),
      errors: await this.rows(w, TABLE_NAMES.errorTracking, 'error_id'),
      events: await this.rows(w, TABLE_NAMES.batchEvents, 'execution_id, batch_id, attempt, status'),
      executions: await this.rows(w, TABLE_NAMES.executions, 'execution_id, status'),
      plans: await this.rows(w, TABLE_NAMES.batchAssignments, 'execution_id, row_number'),
    }));
  }

  /** Before a command: what is analysed, and the events so far (for I3 and the clock check). */
  private async before(): Promise<void> {
    const t0 = performance.now();
    try {
      await this.beforeChecks();
    } finally {
      count('ms checking', performance.now() - t0);
    }
  }

  private async beforeChecks(): Promise<void> {
    if (!fs.existsSync(this.workdir)) return;
    await this.withWarehouse(async (w) => {
      this.analysed = new Set((await this.results(w, 'record_id')).map((r) => key(r.record_id, r.analysis_version)));
      const events = await this.rows(w, TABLE_NAMES.batchEvents, 'event_time');
      this.eventsBefore = new Set(events.map((e) => JSON.stringify(e)));
      this.lastEventTime = Math.max(0, ...events.map((e) => Date.parse(String(e.event_time))));
    });
    this.sends.length = 0;
  }

  /** After a command: every invariant, against the tables as a new process finds them. */
  private async after(): Promise<void> {
    const t0 = performance.now();
    try {
      await this.afterChecks();
    } finally {
      count('ms checking', performance.now() - t0);
    }
  }

  private async afterChecks(): Promise<void> {
    if (this.violations.length > 0) throw new Violation(this.violations.join('; '));
    if (!fs.existsSync(this.workdir)) return;
    await this.withWarehouse(async (w, ws) => {
      const results = await this.results(w, 'record_id');
      const processed = await this.rows(w, TABLE_NAMES.processedRecords, 'record_id');
      const errors = await this.rows(w, TABLE_NAMES.errorTracking, 'error_id');
      const events = await this.rows(w, TABLE_NAMES.batchEvents, 'event_time');
      const plans = await this.rows(w, TABLE_NAMES.batchAssignments, 'row_number');
      const executions = await this.rows(w, TABLE_NAMES.executions, 'event_time');
      const sourceIds = new Set((await this.rows(w, TABLE_NAMES.source, 'transcript_id')).map((r) => String(r.transcript_id)));
      if (this.checkSourceLater) {
        // A dead run may or may not have loaded its transcripts (one write): the source table says.
        // New records not there stay pending; changed texts are dropped either way.
        for (const [id, text] of [...this.pending]) {
          if (sourceIds.has(id)) this.source.set(id, text);
          if (sourceIds.has(id) || this.source.has(id)) this.pending.delete(id);
        }
        this.checkSourceLater = false;
      }

      // I1: one result and one processed_records row per (record, version).
      const once = (rows: Row[], what: string) => {
        const seen = new Set<string>();
        for (const r of rows) {
          const k = key(r.record_id, r.analysis_version);
          if (seen.has(k))
            throw new Violation(`I1: ${what} holds record ${String(r.record_id)} twice for version ${String(r.analysis_version)}`);
          seen.add(k);
        }
        return seen;
      };
      const analysed = once(results, 'the results table');
      const settledRows = once(processed, 'processed_records');
      // States the histories should reach: answers committed without their processed row.
      count('checks of every invariant');
      count('records analysed but not yet settled, when checked', [...analysed].filter((k) => !settledRows.has(k)).length);

      // I2: one state per record.
      const settledByError = new Set<string>();
      for (const p of processed) {
        const k = key(p.record_id, p.analysis_version);
        if (p.status === 'succeeded' && !analysed.has(k))
          throw new Violation(`I2: record ${String(p.record_id)} is settled as succeeded but has no result`);
        if (p.status !== 'succeeded') {
          if (analysed.has(k)) throw new Violation(`I2: record ${String(p.record_id)} has a result and is settled as ${String(p.status)}`);
          settledByError.add(k);
        }
      }

      // I5: only the record's own answers use up its attempts.
      const counted = new Map<string, number>();
      for (const e of errors) {
        if ((FREE_ERROR_TYPES as readonly string[]).includes(String(e.error_type)) && e.counts_attempt === true) {
          throw new Violation(`I5: a ${String(e.error_type)} error of record ${String(e.record_id)} used up an attempt`);
        }
        if (e.retryable === true && e.counts_attempt !== false) {
          const k = key(e.record_id, e.analysis_version);
          counted.set(k, (counted.get(k) ?? 0) + 1);
        }
      }
      for (const p of processed) {
        if (p.status === 'exhausted' && (counted.get(key(p.record_id, p.analysis_version)) ?? 0) < MAX_RECORD_ATTEMPTS) {
          throw new Violation(
            `I5: record ${String(p.record_id)} is exhausted after ${counted.get(key(p.record_id, p.analysis_version)) ?? 0} failed answers of its own`,
          );
        }
      }

      // I4: the clock, and what report, status and the view say, against the raw tables.
      for (const e of events) {
        if (!this.eventsBefore.has(JSON.stringify(e)) && Date.parse(String(e.event_time)) < this.lastEventTime) {
          throw new Violation(
            `I4: an event of this command (${String(e.execution_id)}/${String(e.batch_id)}/${String(e.attempt)} ${String(e.status)}) is stamped before an earlier one`,
          );
        }
      }
      const queries = new OpsQueries(w);
      const view = await w.query<Row>({ sql: `SELECT execution_id, batch_id, status FROM ${w.table(VIEW_NAMES.batchStatus)}` });
      for (const row of executions.filter((e) => e.status === 'planned')) {
        const id = String(row.execution_id);
        const expected = expectedSummary(id, row, plans, results, processed, events);
        const summary = await queries.summary(id, new Date());
        for (const [field, value] of Object.entries(expected)) {
          if (JSON.stringify(summary[field as keyof SummaryDocument]) !== JSON.stringify(value)) {
            throw new Violation(
              `I4: report of ${id} says ${field} ${JSON.stringify(summary[field as keyof SummaryDocument])}, the tables ${JSON.stringify(value)}`,
            );
          }
        }
        if (summary.records_total !== summary.records_succeeded + summary.records_failed + summary.records_open) {
          throw new Violation(`I2: the summary of ${id} does not add up: ${JSON.stringify(summary)}`);
        }
        const status = new Map((await queries.batches(id)).map((b) => [b.batchId, b.status]));
        const current = currentStatuses(id, events);
        for (const [batch, st] of current) {
          if (status.get(batch) !== st)
            throw new Violation(`I4: status shows batch ${batch} of ${id} as ${status.get(batch)}, the tables ${st}`);
          const inView = view.find((v) => v.execution_id === id && v.batch_id === batch)?.status;
          if (inView !== st) throw new Violation(`I4: batch_status shows batch ${batch} of ${id} as ${String(inView)}, the tables ${st}`);
        }
      }
      void ws;
    });
  }

  /**
   * After a clean recovery: every plan row it was given is settled for the plan's version, and an
   * attempt of the recovery covered it in the row's own batch. The rows are read from the plan
   * snapshot itself (the rows of a batch, or the rows of a range), not from the layout the workflow
   * computes.
   */
  private async checkRecovered(
    executionId: string,
    args: ReadonlyArray<{ batch_id?: number; start_row?: number; end_row?: number }>,
    eventsBefore: readonly Row[],
  ): Promise<void> {
    await this.withWarehouse(async (w) => {
      const plan = (await this.rows(w, TABLE_NAMES.batchAssignments, 'row_number')).filter((r) => r.execution_id === executionId);
      const processed = new Set(
        (await this.rows(w, TABLE_NAMES.processedRecords, 'record_id')).map((r) => key(r.record_id, r.analysis_version)),
      );
      const before = new Set(eventsBefore.map((e) => JSON.stringify(e)));
      const attempts = (await this.rows(w, TABLE_NAMES.batchEvents, 'event_time')).filter(
        (e) => e.execution_id === executionId && !before.has(JSON.stringify(e)),
      );
      const attempted = (r: Row) =>
        attempts.some(
          (e) =>
            Number(e.batch_id) === Number(r.batch_id) &&
            (e.start_row === null || (Number(e.start_row) <= Number(r.row_number) && Number(r.row_number) <= Number(e.end_row))),
        );
      for (const a of args) {
        const covered = plan.filter((r) =>
          a.batch_id !== undefined
            ? Number(r.batch_id) === a.batch_id
            : Number(r.row_number) >= a.start_row! && Number(r.row_number) <= a.end_row!,
        );
        for (const r of covered) {
          const row = `plan row ${String(r.row_number)} (batch ${String(r.batch_id)}, record ${String(r.record_id)})`;
          if (!attempted(r)) throw new Violation(`I3: a clean recovery of ${executionId} ${JSON.stringify(a)} made no attempt at ${row}`);
          if (!processed.has(key(r.record_id, r.analysis_version)))
            throw new Violation(`I2: after a clean recovery of ${executionId} ${JSON.stringify(a)}, ${row} is still open`);
        }
      }
    });
  }

  /**
   * After a clean run: nothing is left open for any analysis's current version: every source record
   * (every record with a result of the upstream's version, for a chained analysis) is analysed or
   * settled by an error.
   */
  private async checkNothingOpen(): Promise<void> {
    await this.withWarehouse(async (w) => {
      const results = await this.results(w, 'record_id');
      const processed = await this.rows(w, TABLE_NAMES.processedRecords, 'record_id');
      const sources = (await this.rows(w, TABLE_NAMES.source, 'transcript_id')).map((r) => String(r.transcript_id));
      const withResult = (version: string) =>
        new Set(results.filter((r) => r.analysis_version === version).map((r) => String(r.record_id)));
      for (const a of planAnalyses({ ...this.more, pass1: ANALYSES[this.current] })) {
        const analysed = withResult(a.version);
        const settled = new Set(
          processed.filter((r) => r.analysis_version === a.version && r.status !== 'succeeded').map((r) => String(r.record_id)),
        );
        const due = a.upstream ? [...withResult(a.upstream.version)].filter((id) => sources.includes(id)) : sources;
        for (const id of due) {
          if (!analysed.has(id) && !settled.has(id))
            throw new Violation(`I2: after a clean run, record ${id} is still open for ${a.name}, version ${a.version}`);
        }
      }
    });
  }
}

/** Each batch's current status, read from the raw events: latest attempt over the whole batch, furthest status. */
export function currentStatuses(executionId: string, events: readonly Row[]): Map<number, string> {
  const best = new Map<number, Row>();
  const rank = (e: Row) => BATCH_STATUS_RANK[String(e.status) as BatchStatus] ?? -1;
  for (const e of events) {
    if (e.execution_id !== executionId || e.start_row !== null) continue;
    const batch = Number(e.batch_id);
    const held = best.get(batch);
    const later =
      !held ||
      Number(e.attempt) > Number(held.attempt) ||
      (Number(e.attempt) === Number(held.attempt) &&
        (rank(e) > rank(held) || (rank(e) === rank(held) && Date.parse(String(e.event_time)) > Date.parse(String(held.event_time)))));
    if (later) best.set(batch, e);
  }
  return new Map([...best].map(([b, e]) => [b, String(e.status)]));
}

/** The summary fields a run's report must show, computed here from the raw rows. */
function expectedSummary(
  executionId: string,
  planRow: Row,
  plans: readonly Row[],
  results: readonly Row[],
  processed: readonly Row[],
  events: readonly Row[],
): Partial<SummaryDocument> {
  const planned = new Set(plans.filter((p) => p.execution_id === executionId).map((p) => key(p.record_id, p.analysis_version)));
  const analysed = new Set(results.map((r) => key(r.record_id, r.analysis_version)));
  const settled = new Set(processed.filter((p) => p.status !== 'succeeded').map((p) => key(p.record_id, p.analysis_version)));
  let succeeded = 0;
  let failed = 0;
  for (const k of planned) {
    if (analysed.has(k)) succeeded++;
    else if (settled.has(k)) failed++;
  }
  const batchCount = Number(planRow.batch_count ?? 0);
  const current = currentStatuses(executionId, events);
  const failedBatches: number[] = [];
  let done = 0;
  let unfinished = 0;
  for (let b = 0; b < batchCount; b++) {
    const s = current.get(b);
    if (s === 'succeeded' || s === 'empty') done++;
    else if (s === 'failed') failedBatches.push(b);
    else unfinished++;
  }
  const perAttempt = new Map<string, [number, number]>();
  for (const e of events.filter((x) => x.execution_id === executionId)) {
    const k = `${String(e.batch_id)}/${String(e.attempt)}`;
    const held = perAttempt.get(k) ?? [0, 0];
    perAttempt.set(k, [Math.max(held[0], Number(e.tokens_in ?? 0)), Math.max(held[1], Number(e.tokens_out ?? 0))]);
  }
  return {
    records_total: planned.size,
    records_succeeded: succeeded,
    records_failed: failed,
    records_open: planned.size - succeeded - failed,
    batches: batchCount,
    batches_succeeded: done,
    batches_failed: failedBatches.length,
    batches_unfinished: unfinished,
    failed_batches: failedBatches,
    tokens_in: [...perAttempt.values()].reduce((n, [i]) => n + i, 0),
    tokens_out: [...perAttempt.values()].reduce((n, [, o]) => n + o, 0),
  };
}
