/**
 * Scripted connectors for running the pipeline workflows on the local engine without the jobs:
 * each Google API the YAML calls is answered from a script the test sets, in the connectors' REST
 * shapes (gcp-facts.md §2: jobs.run returns the Execution or raises; storage objects.get with
 * alt=media returns the decoded JSON, and objects.insert with ifGenerationMatch 0 answers 412 when
 * the object exists ("Setting to 0 makes the operation succeed only if there are no live versions
 * of the object", Cloud Storage JSON API); batchPredictionJobs.create returns the job at once, .get
 * its current state and .list `{batchPredictionJobs}` filtered by `display_name="..."`;
 * tabledata.insertAll returns a tableDataInsertAllResponse; the Workflow Executions API is the local
 * twin's, runtime/local/executions.ts: executions.create with skip_polling returns the Execution
 * while the child runs, executions.list filters by label and state).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analysisRuns, PRIMARY_ANALYSIS } from '../../runtime/contract';
import {
  parseWorkflow,
  runWorkflow,
  VirtualClock,
  type ConnectorHandlers,
  type ExecutionOutcome,
  type LogEntry,
  type Workflow,
} from '../../runtime/local/engine';
import { LocalExecutions } from '../../runtime/local/executions';

const ROOT = path.join(__dirname, '..', '..');

export function loadWorkflow(file: string): Workflow {
  return parseWorkflow(fs.readFileSync(path.join(ROOT, file), 'utf8'), file);
}

export const ENV = {
  TAP_PROJECT_ID: 'p',
  TAP_REGION: 'europe-west1',
  TAP_DATASET: 'ds',
  TAP_WORK_BUCKET: 'work',
  TAP_PLANNER_JOB: 'planner',
  TAP_GENERATOR_JOB: 'generator',
  TAP_PROCESSOR_JOB: 'processor',
  TAP_REPORTER_JOB: 'reporter',
  TAP_BATCH_WORKFLOW: 'ta-sub-workflow',
  TAP_MODEL: 'publishers/google/models/gemini-2.5-flash',
  TAP_VERTEX_REGION: 'europe-west1',
  TAP_BATCH_SIZE: '100',
  TAP_MAX_CONCURRENT_BATCHES: '3',
  TAP_MAX_BATCH_ATTEMPTS: '3',
  TAP_POLL_INTERVAL_SECONDS: '60',
  TAP_LABELS: '{"env":"test"}',
  TAP_ANALYSIS_RUNS: JSON.stringify(analysisRuns([{ name: PRIMARY_ANALYSIS, needs: [PRIMARY_ANALYSIS] }])),
};

/** What happens to one Vertex AI job: its states, one per poll, the last one final. */
export type VertexScript = readonly string[];

export interface Script {
  batchCount: number;
  /** Requests in a batch's manifest (default 100). */
  requests?: (batch: string) => number;
  /** Vertex AI states for a batch's n-th job (1-based); default QUEUED, RUNNING, SUCCEEDED. */
  vertex?: (batch: string, job: number) => VertexScript;
  /** Records a batch's n-th job leaves unanswered (its processor reports them open). @default 0 */
  unanswered?: (batch: string, job: number) => number;
  /** Throws an error map to fail the n-th run of a job kind for a batch. */
  jobFails?: (kind: string, batch: string, run: number) => boolean;
  /**
   * Stand in for the batch workflow (for very large plans): each child waits `childSeconds` of
   * virtual time, then returns what this returns, or fails with what it throws.
   */
  childShortcut?: (argument: Record<string, unknown>) => unknown;
  /** Virtual seconds a stand-in child takes. @default 0 */
  childSeconds?: number;
  /** Virtual seconds a job run takes. @default 30 */
  jobSeconds?: number;
  /** The model a generator of the execution writes in its manifest. @default - none (an older manifest) */
  model?: (executionId: string) => string | undefined;
  /** Other active executions of the master workflow when a run starts. @default 0 */
  otherActiveRuns?: number;
}

export class ScriptedCloud {
  readonly objects = new Map<string, unknown>();
  readonly events: Record<string, unknown>[] = [];
  readonly jobRuns: { kind: string; env: Record<string, string> }[] = [];
  readonly vertexBodies: Record<string, unknown>[] = [];
  readonly cancelled: string[] = [];
  /** The filter of every executions.list call, in order. */
  readonly listCalls: string[] = [];
  readonly logs: LogEntry[] = [];
  /** Batches between generator start and processor end, at most, at any moment. */
  maxInFlight = 0;
  private inFlight = new Set<string>();
  private jobsPerBatch = new Map<string, number>();
  private runsPerKind = new Map<string, number>();
  private vertexJobs = new Map<string, { batch: string; states: VertexScript; polls: number }>();
  readonly master = loadWorkflow('workflows/master-orchestrator.yaml');
  readonly batch = loadWorkflow('workflows/batch.yaml');
  readonly executions: LocalExecutions;

  constructor(readonly script: Script) {
    const child = script.childShortcut ? STAND_IN : this.batch;
    this.executions = new LocalExecutions({ 'ta-sub-workflow': child }, 'p', 'europe-west1');
  }

  private key(env: Record<string, string>): string {
    return env.TAP_BATCH_ID!;
  }

  handlers(): ConnectorHandlers {
    return {
      'googleapis.run.v2.projects.locations.jobs.run': async (args, ctx) => {
        const name = String(args.name);
        const kind = name.split('/').pop()!;
        expect(name).toBe(`projects/p/locations/europe-west1/jobs/${kind}`);
        const env: Record<string, string> = {};
        const overrides = (args.body as { overrides: { containerOverrides: { env: { name: string; value: string }[] }[] } }).overrides;
        for (const e of overrides.containerOverrides[0]!.env) env[e.name] = e.value;
        this.jobRuns.push({ kind, env });
        const exec = env.TAP_EXECUTION_ID!;
        const batch = this.key(env);
        const runKey = `${kind}/${batch}`;
        const run = (this.runsPerKind.get(runKey) ?? 0) + 1;
        this.runsPerKind.set(runKey, run);
        if (kind === 'generator') {
          this.inFlight.add(batch);
          this.maxInFlight = Math.max(this.maxInFlight, this.inFlight.size);
        }
        await ctx.sleep(this.script.jobSeconds ?? 30);
        if (this.script.jobFails?.(kind, batch, run)) {
          this.inFlight.delete(batch);
          throw { message: 'Cloud Run long-running operation failed.', tags: ['OperationError'] };
        }
        const dir = `runs/${exec}/batches/${batch}/attempt-${env.TAP_ATTEMPT}`;
        if (kind === 'planner') {
          this.objects.set(`runs/${exec}/plan.json`, {
            execution_id: exec,
            batch_count: this.script.batchCount,
            batch_size: 100,
            records: this.script.batchCount * 100,
          });
        } else if (kind === 'generator') {
          const requests = this.script.requests?.(batch) ?? 100;
          this.objects.set(`${dir}/manifest.json`, {
            requests,
            skipped: 100 - requests,
            already_settled: 0,
            input_uri: `gs://work/${dir}/input.jsonl`,
            output_uri_prefix: `gs://work/${dir}/output`,
            ...(this.script.model?.(exec) ? { model: this.script.model(exec) } : {}),
          });
          if (requests === 0) this.inFlight.delete(batch);
        } else if (kind === 'processor') {
          expect(env.TAP_VERTEX_OUTPUT_DIR).toMatch(/^gs:\/\/work\/runs\/.+\/output\/prediction-model-1$/);
          const unanswered = this.script.unanswered?.(batch, this.jobsPerBatch.get(batch) ?? 1) ?? 0;
          const status = unanswered > 0 ? 'failed' : 'succeeded';
          this.objects.set(`${dir}/result.json`, {
            status,
            records: 100,
            succeeded: 98 - unanswered,
            failed: 2,
            unanswered,
            tokens_in: 1000,
            tokens_out: 100,
          });
          // The processor records the attempt's outcome itself (a load into batch_events).
          this.events.push({
            execution_id: exec,
            batch_id: Number(batch),
            attempt: Number(env.TAP_ATTEMPT),
            status,
            open: unanswered,
            vertex_state: env.TAP_VERTEX_STATE,
            by: 'processor',
          });
          this.inFlight.delete(batch);
        } else if (kind === 'reporter') {
          this.objects.set(`runs/${exec}/summary.json`, this.summary(exec));
        }
        return { name: `${name}/executions/${kind}-${this.jobRuns.length}` };
      },
      'googleapis.storage.v1.objects.get': async (args) => {
        expect(args.bucket).toBe('work');
        expect(args.alt).toBe('media');
        const object = decodeURIComponent(String(args.object));
        if (!this.objects.has(object)) throw { code: 404, message: `No such object: work/${object}`, tags: ['HttpError'] };
        return this.objects.get(object);
      },
      'googleapis.storage.v1.objects.insert': async (args) => {
        expect(args).toMatchObject({ bucket: 'work', uploadType: 'media' });
        const name = String(args.name);
        if (String(args.ifGenerationMatch) === '0' && this.objects.has(name)) {
          throw { code: 412, message: 'At least one of the pre-conditions you specified did not hold.', tags: ['HttpError'] };
        }
        this.objects.set(name, args.body);
        return { bucket: 'work', name };
      },
      'googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.list': async (args) => {
        expect(args).toMatchObject({ parent: 'projects/p/locations/europe-west1', region: 'europe-west1' });
        const wanted = /^display_name="(.*)"$/.exec(String(args.filter))![1];
        const jobs = [...this.vertexJobs.entries()]
          .filter(([name]) => (this.vertexBodies[Number(name.split('/').pop()) - 1] as { displayName?: string }).displayName === wanted)
          .map(([name, job]) => ({ name, state: job.states[Math.min(job.polls, job.states.length - 1)] }));
        return jobs.length > 0 ? { batchPredictionJobs: jobs } : {};
      },
      'googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.create': async (args) => {
        expect(args.parent).toBe('projects/p/locations/europe-west1');
        expect(args.region).toBe('europe-west1');
        const body = args.body as { labels: Record<string, string> };
        this.vertexBodies.push(body as Record<string, unknown>);
        const batch = body.labels['tap-batch']!;
        const n = (this.jobsPerBatch.get(batch) ?? 0) + 1;
        this.jobsPerBatch.set(batch, n);
        const states = this.script.vertex?.(batch, n) ?? ['JOB_STATE_QUEUED', 'JOB_STATE_RUNNING', 'JOB_STATE_SUCCEEDED'];
        const name = `projects/p/locations/europe-west1/batchPredictionJobs/${this.vertexJobs.size + 1}`;
        this.vertexJobs.set(name, { batch, states, polls: 0 });
        return { name, state: 'JOB_STATE_PENDING' };
      },
      'googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.get': async (args) => {
        const job = this.vertexJobs.get(String(args.name));
        if (!job) throw { code: 404, message: 'not found', tags: ['HttpError'] };
        const state = job.states[Math.min(job.polls, job.states.length - 1)]!;
        job.polls++;
        const prefix = (this.vertexBodies[Number(String(args.name).split('/').pop()) - 1] as any).outputConfig.gcsDestination
          .outputUriPrefix;
        return {
          name: args.name,
          state,
          ...(state === 'JOB_STATE_SUCCEEDED' ||
          state === 'JOB_STATE_PARTIALLY_SUCCEEDED' ||
          (state === 'JOB_STATE_CANCELLED' && this.script.unanswered)
            ? { outputInfo: { gcsOutputDirectory: `${prefix}/prediction-model-1` } }
            : {}),
          ...(state === 'JOB_STATE_FAILED' ? { error: { code: 13, message: 'internal error' } } : {}),
        };
      },
      'googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.cancel': async (args) => {
        this.cancelled.push(String(args.name));
        // Vertex AI moves a cancelled job to CANCELLED on its own time: from the next poll here.
        const job = this.vertexJobs.get(String(args.name))!;
        job.states = [...job.states.slice(0, job.polls), 'JOB_STATE_CANCELLED'];
        return {};
      },
      'googleapis.bigquery.v2.tabledata.insertAll': async (args) => {
        expect(args).toMatchObject({ projectId: 'p', datasetId: 'ds', tableId: 'batch_events' });
        for (const row of (args.body as { rows: { insertId: string; json: Record<string, unknown> }[] }).rows) {
          expect(row.insertId).toBeTruthy();
          this.events.push(row.json);
        }
        return { kind: 'bigquery#tableDataInsertAllResponse' };
      },
      // executions.list answers {executions: [Execution], nextPageToken}: of the master, the caller
      // and the other runs the script sets; of the batch workflow, the children the master started.
      'googleapis.workflowexecutions.v1.projects.locations.workflows.executions.list': async (args, ctx) => {
        const parent = String(args.parent);
        this.listCalls.push(String(args.filter ?? ''));
        if (parent === 'projects/p/locations/europe-west1/workflows/ta-sub-workflow') return this.executions.list(parent, args);
        expect(args).toMatchObject({
          parent: `projects/p/locations/europe-west1/workflows/${ctx.execution.workflowId}`,
          filter: 'state="ACTIVE"',
        });
        const others = Array.from({ length: this.script.otherActiveRuns ?? 0 }, (_, i) => ({ name: `other-${i}`, state: 'ACTIVE' }));
        return { executions: [{ name: ctx.execution.id, state: 'ACTIVE' }, ...others] };
      },
      'googleapis.workflowexecutions.v1.projects.locations.workflows.executions.create': async (args, ctx) => {
        expect(args.parent).toBe('projects/p/locations/europe-west1/workflows/ta-sub-workflow');
        const skip = (args.connector_params as { skip_polling?: boolean }).skip_polling === true;
        return this.executions.create(String(args.parent), args.body as { argument: string; labels: unknown }, ctx, skip);
      },
      // The stand-in child's one call (an HTTP request to nowhere, answered here).
      'http.post': async (args, ctx) => {
        expect(args.url).toBe('https://stand-in.invalid/batch');
        await ctx.sleep(this.script.childSeconds ?? 0);
        return { code: 200, headers: {}, body: this.script.childShortcut!(args.body as Record<string, unknown>) };
      },
    };
  }

  /** The batch part of a run's summary from the batch events, as the reporter reads batch_status. */
  summary(exec: string): Record<string, unknown> {
    const latest = new Map<number, string>();
    const everFailed = new Set<number>();
    for (const e of this.events) {
      if (e.execution_id !== exec) continue;
      const id = e.batch_id as number;
      if (e.status === 'failed') everFailed.add(id);
      if (e.status === 'failed' || e.status === 'succeeded' || e.status === 'empty') latest.set(id, String(e.status));
    }
    const ids = Array.from({ length: this.script.batchCount }, (_, i) => i);
    const done = ids.filter((id) => latest.get(id) === 'succeeded' || latest.get(id) === 'empty');
    const failed = ids.filter((id) => latest.get(id) === 'failed');
    return {
      execution_id: exec,
      batches: ids.length,
      batches_succeeded: done.length,
      batches_recovered: done.filter((id) => everFailed.has(id)).length,
      batches_failed: failed.length,
      batches_unfinished: ids.length - done.length - failed.length,
      failed_batches: failed,
    };
  }

  async run(workflow: Workflow, argument: unknown, env: Record<string, string> = {}): Promise<ExecutionOutcome> {
    const outcome = await runWorkflow(workflow, {
      argument,
      env: { ...ENV, ...env },
      handlers: this.handlers(),
      clock: new VirtualClock(),
      onLog: (entry) => this.logs.push(entry),
    });
    await this.executions.settled();
    return outcome;
  }

  /** The payloads of sys.log lines with this event. */
  logged(event: string): Record<string, unknown>[] {
    return this.logs.map((l) => l.payload as Record<string, unknown>).filter((p) => p?.event === event);
  }
}

/** The batch workflow's stand-in: one call that the script answers. */
const STAND_IN = parseWorkflow(
  [
    'main:',
    '  params: [args]',
    '  steps:',
    '    - answer:',
    '        call: http.post',
    '        args:',
    '          url: https://stand-in.invalid/batch',
    '          body: ${args}',
    '        result: r',
    '    - done:',
    '        return: ${r.body}',
  ].join('\n'),
  'stand-in-batch.yaml',
);
