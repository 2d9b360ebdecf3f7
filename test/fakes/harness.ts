/** Runs the jobs in-process against the DuckDB test engine and the in-memory store. */
import { AnalysisSpec, DEFAULT_ANALYSIS, JOB_ENV, layout, ManifestDocument, PlanDocument, RUN_ENV } from '../../runtime/contract';
import { MemoryLogger } from '../../runtime/core/log';
import type { JobEnv, JobPorts, Redactor } from '../../runtime/core/ports';
import * as generator from '../../runtime/jobs/generator';
import * as planner from '../../runtime/jobs/planner';
import * as processor from '../../runtime/jobs/processor';
import * as reporter from '../../runtime/jobs/reporter';
import { DuckEngine } from './duck-engine';
import { EngineWarehouse } from './engine-warehouse';
import { MemoryStore } from './memory-store';
import { runVertex, VertexOptions } from './vertex';

export const PROJECT = 'test-project';
export const DATASET = 'tap';
export const BUCKET = 'work-bucket';

export function jobEnv(spec: AnalysisSpec = DEFAULT_ANALYSIS, extra: JobEnv = {}): JobEnv {
  return {
    [JOB_ENV.projectId]: PROJECT,
    [JOB_ENV.region]: 'europe-west4',
    [JOB_ENV.dataset]: DATASET,
    [JOB_ENV.workBucket]: BUCKET,
    [JOB_ENV.sourceTable]: `${PROJECT}.${DATASET}.transcription_pass_2`,
    [JOB_ENV.analysis]: JSON.stringify(spec),
    [JOB_ENV.maxRecordAttempts]: '3',
    ...extra,
  };
}

export class Harness {
  readonly log = new MemoryLogger();
  spec: AnalysisSpec = DEFAULT_ANALYSIS;
  clock = new Date('2026-11-28T10:00:00.000Z');
  checkpoint?: (point: string) => void | Promise<void>;
  redactor?: Redactor;

  private constructor(
    readonly engine: DuckEngine,
    readonly store: MemoryStore,
    readonly warehouse: EngineWarehouse,
  ) {}

  static async create(spec: AnalysisSpec = DEFAULT_ANALYSIS): Promise<Harness> {
    const store = new MemoryStore(BUCKET);
    const engine = await DuckEngine.create(spec);
    const h = new Harness(engine, store, new EngineWarehouse(engine, store, PROJECT, DATASET));
    h.spec = spec;
    return h;
  }

  get ports(): JobPorts {
    return {
      warehouse: this.warehouse,
      store: this.store,
      log: this.log,
      now: () => this.clock,
      checkpoint: this.checkpoint,
      redactor: this.redactor,
    };
  }

  env(extra: JobEnv = {}): JobEnv {
    return jobEnv(this.spec, extra);
  }

  async addTranscripts(rows: ReadonlyArray<{ id: string; text: string | null }>): Promise<void> {
    await this.engine.insert(
      'transcription_pass_2',
      rows.map((r) => ({ transcript_id: r.id, transcript: r.text, ingested_at: this.clock.toISOString() })),
    );
  }

  /**
   * Plans as the master workflow `master-<executionId>` would: planning again continues the plan.
   * Batches of 1,000 unless `extra` says otherwise, so that a small test plan is one batch.
   */
  plan(executionId: string, extra: JobEnv = {}): Promise<PlanDocument> {
    return planner.run(
      this.env({
        [RUN_ENV.executionId]: executionId,
        [RUN_ENV.masterExecution]: `master-${executionId}`,
        [RUN_ENV.batchSize]: '1000',
        ...extra,
      }),
      this.ports,
    );
  }

  generate(executionId: string, batchId: number, attempt = 1, extra: JobEnv = {}): Promise<ManifestDocument> {
    return generator.run(
      this.env({ [RUN_ENV.executionId]: executionId, [RUN_ENV.batchId]: String(batchId), [RUN_ENV.attempt]: String(attempt), ...extra }),
      this.ports,
    );
  }

  processorEnv(executionId: string, batchId: number, attempt: number, outputDir: string): JobEnv {
    return this.env({
      [RUN_ENV.executionId]: executionId,
      [RUN_ENV.batchId]: String(batchId),
      [RUN_ENV.attempt]: String(attempt),
      [RUN_ENV.vertexJob]: `projects/p/locations/europe-west4/batchPredictionJobs/${executionId}-${batchId}-${attempt}`,
      [RUN_ENV.vertexState]: 'JOB_STATE_SUCCEEDED',
      [RUN_ENV.vertexOutputDir]: outputDir,
    });
  }

  process(executionId: string, batchId: number, attempt: number, outputDir: string) {
    return processor.run(this.processorEnv(executionId, batchId, attempt, outputDir), this.ports);
  }

  /**
   * What the batch workflow does for one batch: generator, Vertex AI job (the fake), processor
   * (which records the attempt's outcome event), or an `empty` event when there was nothing to send.
   */
  async batch(executionId: string, batchId: number, attempt = 1, vertex: VertexOptions = {}) {
    const manifest = await this.generate(executionId, batchId, attempt);
    if (manifest.requests === 0) {
      await this.recordEvent({ execution_id: executionId, batch_id: batchId, attempt, status: 'empty' });
      return { manifest, outputDir: '', result: undefined };
    }
    const outputDir = await runVertex(this.store, manifest, vertex);
    const result = await this.process(executionId, batchId, attempt, outputDir);
    return { manifest, outputDir, result };
  }

  /** Appends a batch event, as the batch workflow does with tabledata.insertAll. */
  recordEvent(row: Record<string, unknown>): Promise<void> {
    return this.engine.insert('batch_events', [{ ...row, event_time: this.clock.toISOString() }]);
  }

  /** Plans and runs every batch of a run. */
  async runAll(executionId: string, vertex: VertexOptions = {}, extra: JobEnv = {}) {
    const plan = await this.plan(executionId, extra);
    for (let b = 0; b < plan.batch_count; b++) await this.batch(executionId, b, 1, vertex);
    return plan;
  }

  report(executionId: string) {
    return reporter.run(this.env({ [RUN_ENV.executionId]: executionId }), this.ports);
  }

  plan_json(executionId: string): PlanDocument {
    return this.store.json<PlanDocument>(layout.plan(executionId));
  }

  async rows(table: string): Promise<Record<string, unknown>[]> {
    return this.engine.dump(table);
  }

  /** Every pipeline table (not the source), for comparing whole states. */
  async state(): Promise<Record<string, Record<string, unknown>[]>> {
    const out: Record<string, Record<string, unknown>[]> = {};
    for (const t of [
      'batch_assignments',
      'batch_inputs',
      'transcription_analyzed_transcripts',
      'processed_records',
      'error_tracking',
      'batch_events',
      'executions',
    ]) {
      out[t] = await this.rows(t);
    }
    return out;
  }
}
