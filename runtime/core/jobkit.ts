/** Small pieces the four jobs share: writing JSONL objects, loading them once, reading row values. */
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { PRIMARY_ANALYSIS, type BatchRef } from '../contract';
import { CommonConfig, forVersion } from './config';
import type { JobPorts, ObjectStore, Warehouse } from './ports';
import { batchSpan, BatchSpan, reportPlan } from './sql';

/**
 * Buffers lines into large chunks and respects back-pressure. A failed upload surfaces at the next
 * write or at `close`, never as an unhandled stream error.
 */
export class LineWriter {
  private chunk: string[] = [];
  private size = 0;
  private failure: Error | undefined;
  lines = 0;
  bytes = 0;

  constructor(
    private readonly out: Writable,
    private readonly chunkBytes = 256 * 1024,
  ) {
    out.on('error', (error: Error) => {
      this.failure ??= error;
    });
  }

  async write(line: string): Promise<void> {
    if (this.failure) throw this.failure;
    this.chunk.push(line, '\n');
    this.size += line.length + 1;
    this.lines++;
    if (this.size >= this.chunkBytes) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.chunk.length === 0) return;
    const data = Buffer.from(this.chunk.join(''), 'utf8');
    this.chunk = [];
    this.size = 0;
    this.bytes += data.length;
    if (!this.out.write(data)) await this.drained();
    if (this.failure) throw this.failure;
  }

  /** Until the stream takes more, fails, or closes (a destroyed upload), with no listener left behind. */
  private drained(): Promise<void> {
    const out = this.out;
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        out.off('drain', onDrain);
        out.off('error', onError);
        out.off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => settle();
      const onError = (error: Error) => settle(error);
      const onClose = () => settle(this.failure ?? new Error('the upload stream closed before it took all the data'));
      out.on('drain', onDrain);
      out.on('error', onError);
      out.on('close', onClose);
    });
  }

  /** Flushes and waits until the object is whole. */
  async close(): Promise<void> {
    await this.flush();
    this.out.end();
    await finished(this.out);
    if (this.failure) throw this.failure;
  }
}

/** Writes rows as newline-delimited JSON to an object; resolves to the number of rows. */
export async function writeJsonl(store: ObjectStore, path: string, rows: Iterable<unknown>): Promise<number> {
  const writer = new LineWriter(store.openWrite(path));
  for (const row of rows) await writer.write(JSON.stringify(row));
  await writer.close();
  return writer.lines;
}

/**
 * Loads a staged file into a table with a deterministic job id, then reports the checkpoint. An
 * empty file is not loaded (a load is a table operation, and tables allow 1,500 a day).
 */
export async function loadStaged(
  ports: JobPorts,
  table: string,
  path: string,
  rows: number,
  jobId: string,
  checkpoint: string,
): Promise<'loaded' | 'already_done' | 'empty'> {
  const outcome = rows === 0 ? 'empty' : await ports.warehouse.load(table, path, jobId);
  ports.log.log('DEBUG', `load ${table}: ${outcome}`, { table, rows, load_job: jobId, outcome });
  await ports.checkpoint?.(checkpoint);
  return outcome;
}

/** One load of a commit: a staged file, its table and its job id. */
export interface StagedLoad {
  readonly table: string;
  readonly path: string;
  readonly rows: number;
  readonly jobId: string;
  /** The checkpoint reported once the load is done. */
  readonly checkpoint: string;
}

/** What a job commits: its staged loads, in order, and what it reports once they are in. */
export interface CommitPlan<T> {
  readonly loads: readonly StagedLoad[];
  readonly outcome: T;
}

/**
 * Commits once, whatever crashes: the first run decides what to write (`prepare` stages the files
 * and returns the plan), writes the plan to `planPath` (a write-ahead record), then loads. A run
 * that finds the plan there replays it instead of deciding again: the same files under the same
 * job ids, so the loads already done answer "already done" and the tables end as after one run,
 * and the outcome reported is the first run's, decided against the ledger as it was before.
 */
export async function commitOnce<T>(ports: JobPorts, planPath: string, prepare: () => Promise<CommitPlan<T>>): Promise<T> {
  let plan: CommitPlan<T>;
  if (await ports.store.exists(planPath)) {
    plan = JSON.parse(await ports.store.readText(planPath)) as CommitPlan<T>;
    ports.log.log('INFO', 'replaying the commit an earlier run of this job decided', { commit_plan: planPath });
  } else {
    plan = await prepare();
    await ports.store.writeText(planPath, JSON.stringify(plan) + '\n');
    await ports.checkpoint?.('staged');
  }
  for (const load of plan.loads) await loadStaged(ports, load.table, load.path, load.rows, load.jobId, load.checkpoint);
  return plan.outcome;
}

/** A numeric column value (number, bigint or numeric string) as a number; null stays null. */
export function num(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  if (typeof value === 'object' && 'value' in (value as object)) return num((value as { value: unknown }).value);
  throw new Error(`not a number: ${String(value)}`);
}

/** A timestamp column value (ISO string, Date, or an object with `value`) as an ISO string. */
export function iso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return new Date(value).toISOString();
  if (typeof value === 'object' && 'value' in (value as object)) return iso((value as { value: unknown }).value);
  throw new Error(`not a timestamp: ${String(value)}`);
}

export function nowOf(ports: JobPorts): Date {
  return ports.now ? ports.now() : new Date();
}

/**
 * The span of a batch attempt's plan rows (see `BatchSpan`), or null when it has none. A plan
 * holds one analysis version; two mean the plan table was written by hand.
 */
export async function readBatchSpan(wh: Warehouse, executionId: string, ref: BatchRef): Promise<BatchSpan | null> {
  const [row] = await wh.query(batchSpan((id) => wh.table(id), executionId, ref));
  if (!row || (num(row.records) ?? 0) === 0) return null;
  if (row.analysis_version !== row.last_version) {
    throw new Error(
      `the plan of execution ${executionId} batch ${ref.batchId} holds two analysis versions (${String(row.analysis_version)}, ${String(row.last_version)})`,
    );
  }
  return { analysisVersion: String(row.analysis_version), firstRecord: String(row.first_record), lastRecord: String(row.last_record) };
}

/**
 * The configuration for the analysis a batch's plan was made for: the analysis whose current
 * version is the plan's. When none is (the declarations changed since the plan), the plan's own
 * record of its analysis decides: a plan of `cfg`'s analysis goes on under the current declaration,
 * as it always has; a plan of another analysis is refused, since its declaration is gone.
 */
export async function configForPlan<C extends CommonConfig>(wh: Warehouse, cfg: C, span: BatchSpan | null): Promise<C> {
  if (!span) return cfg;
  const found = forVersion(cfg, span.analysisVersion);
  if (found.analysisVersion === span.analysisVersion || found !== cfg) return found;
  const [plan] = await wh.query(reportPlan((id) => wh.table(id), cfg.executionId));
  let analysis = PRIMARY_ANALYSIS;
  try {
    const params = typeof plan?.params === 'string' ? (JSON.parse(plan.params) as { analysis?: unknown }) : {};
    if (typeof params.analysis === 'string') analysis = params.analysis;
  } catch {
    // Unreadable params: a plan from before several analyses, of pass1.
  }
  if (analysis === cfg.analysisName) return cfg;
  throw new Error(
    `execution ${cfg.executionId} was planned for the analysis ${analysis} at version ${span.analysisVersion}, which this deployment no longer has ` +
      `(its analyses now: ${cfg.analyses.map((a) => `${a.name} ${a.version}`).join(', ')}): its open records are planned again by a new run`,
  );
}
