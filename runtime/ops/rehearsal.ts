/**
 * A rehearsal of a run at full size without its data: the real `workflows/master-orchestrator.yaml`
 * and `workflows/batch.yaml` run on the local engine's virtual clock, and every Google API they call
 * is answered by a stand-in that moves no record but counts what the real service would bill and
 * what its quotas would see:
 *
 * - Cloud Run jobs take the seconds, query bytes and loads `jobWork` (`pipeline-cost.ts`) gives for
 *   the records they work on, with the ledger as large as the batches before them left it;
 * - Vertex AI batch prediction jobs queue and run by a latency model with a slow tail, are cancelled
 *   by Google after 24 hours of running (keeping what they completed) and expire after 72 hours in
 *   the queue (`LIMITS.vertexRunHours`, `LIMITS.vertexQueueHours`);
 * - the Workflow Executions API is the local twin's (`runtime/local/executions.ts`), so the master's
 *   work queue, its pauses and its retry rounds are the YAML's own, and every execution's steps
 *   (connector polls included) and variable memory are the engine's counts.
 *
 * It answers what `tapctl estimate` cannot: how long the run takes when jobs queue and some are slow,
 * and whether any quota is reached on the way.
 */
import {
  analysisVersion,
  CLOUD_PRICES,
  DEFAULT_WORKFLOW_NAMES,
  CloudPrices,
  DEFAULT_ANALYSIS,
  DEFAULTS,
  LIMITS,
  LOCAL_LAYOUT,
  modelResource,
  PRIMARY_ANALYSIS,
  RUN_ASSUMPTIONS,
  RunAssumptions,
  TABLE_NAMES,
  estimateCostUsd,
  priceOf,
  type BatchResultDocument,
  type ManifestDocument,
  type PlanDocument,
  type SummaryDocument,
  stagedInputsDays,
} from '../contract';
import { batchSizes } from '../core/batch-size';
import { seededRandom } from '../core/random';
import {
  DEFAULT_LIMITS,
  runWorkflow,
  VirtualClock,
  type ConnectorHandlers,
  type ExecutionStats,
  type HandlerContext,
} from '../local/engine';
import { pipelineWorkflows } from '../local/deployment';
import { localWorkflowEnv, LOCAL_JOB_NAMES } from '../local/environment';
import { LocalExecutions } from '../local/executions';
import { Estimate, EstimateInput, estimate } from './estimate';
import { jobWork, JobWork, Service, WORKFLOW_OBJECT_OPERATIONS } from './pipeline-cost';

/** How long Vertex AI batch prediction jobs take: a queue, a rate, and a slow tail. */
export interface VertexLatency {
  /** Seconds a job waits before it runs, drawn evenly from [min, max]. */
  readonly queueSeconds: readonly [number, number];
  /** Seconds a running job spends per request. */
  readonly secondsPerRecord: number;
  /** Share of the jobs that are slow: `slowFactor` times longer, queued and running. */
  readonly slowShare: number;
  readonly slowFactor: number;
}

/** The default latency: the estimate's mean queue time, spread from none to twice it, and no slow tail. */
export function defaultVertexLatency(a: RunAssumptions = RUN_ASSUMPTIONS): VertexLatency {
  return {
    queueSeconds: [0, 2 * a.vertexQueueSeconds],
    secondsPerRecord: a.vertexSecondsPerRecord,
    slowShare: 0,
    slowFactor: a.vertexSlowFactor,
  };
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600 };

function duration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)([smh]?)$/.exec(text.trim());
  if (!m) throw new RangeError(`${what} must be a duration such as 90, 90s, 15m or 2h, got "${text}"`);
  return Number(m[1]) * UNIT_SECONDS[m[2]!]!;
}

/**
 * Reads `queue=MIN..MAX,per-record=S,slow-share=P,slow-factor=F` (any of them, in any order) over
 * `base`. Durations take s, m or h; `per-record` is in seconds.
 */
export function parseVertexLatency(text: string, base: VertexLatency = defaultVertexLatency()): VertexLatency {
  let latency = { ...base };
  for (const part of text.split(',').filter((p) => p.trim() !== '')) {
    const [key, value, ...extra] = part.split('=');
    if (value === undefined || extra.length > 0) throw new RangeError(`--vertex-latency takes NAME=VALUE parts, got "${part}"`);
    const name = key!.trim();
    if (name === 'queue') {
      const [lo, hi, ...more] = value.split('..');
      if (hi === undefined || more.length > 0) throw new RangeError(`queue must be MIN..MAX, got "${value}"`);
      const range: [number, number] = [duration(lo!, 'queue MIN'), duration(hi, 'queue MAX')];
      if (range[0] > range[1]) throw new RangeError(`queue MIN must not exceed MAX, got "${value}"`);
      latency = { ...latency, queueSeconds: range };
    } else if (name === 'per-record') {
      latency = { ...latency, secondsPerRecord: duration(value, 'per-record') };
    } else if (name === 'slow-share') {
      const share = Number(value);
      if (!(share >= 0 && share <= 1)) throw new RangeError(`slow-share must be from 0 to 1, got "${value}"`);
      latency = { ...latency, slowShare: share };
    } else if (name === 'slow-factor') {
      const factor = Number(value);
      if (!(factor >= 1)) throw new RangeError(`slow-factor must be 1 or more, got "${value}"`);
      latency = { ...latency, slowFactor: factor };
    } else {
      throw new RangeError(`--vertex-latency knows queue, per-record, slow-share and slow-factor, not "${name}"`);
    }
  }
  return latency;
}

export interface RehearsalInput extends EstimateInput {
  /** @default defaultVertexLatency() */
  readonly latency?: VertexLatency;
  /** Seeds the queue times, the slow jobs and the batches' text sizes. @default 1 */
  readonly seed?: number;
  /**
   * How much transcripts' lengths vary: their standard deviation over their mean. A batch's
   * average length varies by this over the square root of its size. @default 0.6
   */
  readonly charsSpread?: number;
  /** @default DEFAULTS.maxBatchAttempts */
  readonly maxBatchAttempts?: number;
  /** Called every virtual hour with the batches done so far. */
  readonly onProgress?: (p: { hours: number; batchesDone: number; batches: number }) => void;
}

/** One quota or limit: the most the run used of it at any moment, and Google's limit. */
export interface QuotaUse {
  readonly name: string;
  readonly peak: number;
  readonly limit: number;
  readonly ok: boolean;
  /** What is counted, and over what. */
  readonly says: string;
}

export interface Rehearsal {
  readonly records: number;
  readonly batchSize: number;
  readonly batches: number;
  readonly vertexJobs: number;
  readonly maxConcurrentBatches: number;
  readonly latency: VertexLatency;
  /** Hours from the master's start to its end on the virtual clock. */
  readonly makespanHours: number;
  /** The plan's work (planner, every attempt's jobs and Vertex AI time, reporter) over the lanes. */
  readonly idealHours: number;
  /** Hours of the longest batch attempt: no schedule ends before it. */
  readonly longestBatchHours: number;
  readonly state: 'SUCCEEDED' | 'FAILED';
  readonly summary: SummaryDocument | undefined;
  readonly cost: {
    readonly modelUsd: number;
    readonly pipelineUsd: number;
    readonly byService: Readonly<Record<Service, number>>;
    /** The same run as `tapctl estimate` prices it, for comparison. */
    readonly estimatedPipelineUsd: number;
  };
  readonly counts: {
    readonly bigqueryBytesBilled: number;
    /** Of which each job kind's queries. */
    readonly bytesBilledByJob: Readonly<Record<string, number>>;
    readonly loadJobs: number;
    readonly cloudRunSeconds: number;
    readonly workflowSteps: number;
    readonly executions: number;
    readonly classA: number;
    readonly classB: number;
    readonly slowJobs: number;
    readonly vertexJobsCut: number;
  };
  readonly quotas: readonly QuotaUse[];
  readonly ok: boolean;
  readonly estimate: Estimate;
}

interface StandInJob {
  readonly name: string;
  readonly displayName: string;
  readonly batch: number;
  readonly requests: number;
  readonly inputBytes: number;
  readonly created: number;
  readonly runs: number;
  readonly ends: number;
  readonly slow: boolean;
  /** Set when the job is cancelled (by the workflow, or by Vertex AI after 24 h of running). */
  cancelledAt?: number;
  expired?: boolean;
}

const DAY = 86400;
const HOUR = 3600;

/** The most events within any window of `width` seconds, of sorted times. */
function peakInWindow(times: readonly number[], width: number): number {
  let peak = 0;
  for (let lo = 0, hi = 0; hi < times.length; hi++) {
    while (times[hi]! - times[lo]! >= width) lo++;
    peak = Math.max(peak, hi - lo + 1);
  }
  return peak;
}

/** The most intervals open at once. */
function peakOverlap(intervals: readonly (readonly [number, number])[]): number {
  const edges = intervals.flatMap(([s, e]) => [
    [s, 1],
    [e, -1],
  ]);
  edges.sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]!);
  let open = 0;
  let peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, (open += d!));
  return peak;
}

function httpError(code: number, message: string): Record<string, unknown> {
  return { code, message, tags: ['HttpError'], body: { error: { code, message } } };
}

/** Rehearses a run: see the module comment. Deterministic for a seed. */
export async function rehearse(input: RehearsalInput): Promise<Rehearsal> {
  const est = estimate(input);
  const latency = input.latency ?? defaultVertexLatency({ ...RUN_ASSUMPTIONS, ...input.assumptions });
  const lanes = input.maxConcurrentBatches ?? DEFAULTS.maxConcurrentBatches;
  const prices: CloudPrices = { ...CLOUD_PRICES, ...input.cloudPrices };
  const a: RunAssumptions = { ...RUN_ASSUMPTIONS, ...input.assumptions };
  const random = seededRandom(input.seed ?? 1);
  const spread = input.charsSpread ?? 0.6;
  const avgChars = est.avgChars;
  const n = input.records;
  const batchSize = est.batchSize;
  const batchCount = est.batches;
  const sizes = batchSizes(est.layout);
  const records = (b: number) => sizes[b]!;
  // A batch's average text length: the mean of its records' lengths (normal by the central limit).
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const batchChars = Array.from({ length: batchCount }, (_, b) => Math.max(1, avgChars * (1 + (spread * gauss()) / Math.sqrt(records(b)))));
  const pipelineInput = {
    records: n,
    batchSize,
    layout: est.layout,
    measured: est.pipeline.measured,
    avgChars,
    overheadChars: est.overheadChars,
    outputTokensPerRecord: est.outputTokens / Math.max(1, n),
    maxConcurrentBatches: lanes,
    ledgerRecords: input.ledgerRecords,
    generatorReadsSource: input.generatorReadsSource,
    prices: input.cloudPrices,
    assumptions: input.assumptions,
  };
  const model = jobWork(pipelineInput);
  const batchModel = (b: number) => jobWork({ ...pipelineInput, avgChars: batchChars[b]! });

  const executionId = `rehearsal-${input.seed ?? 1}`;
  const analysis = input.analysis ?? DEFAULT_ANALYSIS;
  const version = analysisVersion(analysis);
  const bucket = LOCAL_LAYOUT.bucketName;
  const objects = new Map<string, string>();
  const jobs = new Map<string, StandInJob>();
  // What the stand-ins count.
  let bytesBilled = 0;
  const bytesByJob: Record<string, number> = {};
  let cloudRunSeconds = 0;
  let classA = 0;
  let classB = 0;
  let streamedRows = 0;
  let ledgerRows = input.ledgerRecords ?? 0;
  const loads: { table: string; at: number }[] = [];
  const runIntervals: [number, number][] = [];
  const answered = new Map<number, number>();
  const latest = new Map<number, 'succeeded' | 'failed' | 'empty'>();
  const everFailed = new Set<number>();
  let work = 0;
  let longest = 0;
  const attemptStart = new Map<string, number>();
  const retentionDays = input.workRetentionDays ?? DEFAULTS.workRetentionDays;
  /** When the plan was written, and when the last generator read its staged inputs. */
  let plannedAt: number | undefined;
  let lastStagedRead = 0;

  const count = (kind: string, w: JobWork, started: number, ended: number) => {
    bytesBilled += w.bytesBilled;
    bytesByJob[kind] = (bytesByJob[kind] ?? 0) + w.bytesBilled;
    cloudRunSeconds += w.seconds;
    classA += w.classA;
    classB += w.classB;
    for (const table of w.loads) loads.push({ table, at: ended });
    runIntervals.push([started, ended]);
  };
  const write = (path: string, doc: object) => objects.set(path, JSON.stringify(doc));
  const read = <T>(path: string): T => JSON.parse(objects.get(path)!) as T;
  const kindOf = new Map(Object.entries(LOCAL_JOB_NAMES).map(([kind, name]) => [name, kind]));

  const vertexState = (job: StandInJob, now: number): string => {
    if (job.expired) return 'JOB_STATE_EXPIRED';
    if (job.cancelledAt !== undefined && now >= job.cancelledAt) return 'JOB_STATE_CANCELLED';
    if (now < job.runs) return 'JOB_STATE_QUEUED';
    if (now < job.ends) return 'JOB_STATE_RUNNING';
    return 'JOB_STATE_SUCCEEDED';
  };
  /** Requests a job answered by `now`: all once it succeeded, a share of them when cut short. */
  const answeredBy = (job: StandInJob, now: number): number => {
    const end = Math.min(now, job.cancelledAt ?? Infinity, job.ends);
    if (end <= job.runs) return 0;
    return end >= job.ends ? job.requests : Math.floor((job.requests * (end - job.runs)) / (job.ends - job.runs));
  };

  const runJob = async (kind: string, env: Record<string, string>, ctx: HandlerContext): Promise<void> => {
    const started = ctx.now();
    const attempt = Number(env.TAP_ATTEMPT);
    const batch = Number(env.TAP_BATCH_ID);
    const dir = `runs/${executionId}/batches/${batch}/attempt-${attempt}`;
    let w: JobWork;
    let finish: () => void;
    if (kind === 'planner') {
      w = model.planner(n, ledgerRows);
      finish = () => {
        const plan: PlanDocument = {
          execution_id: executionId,
          analysis: PRIMARY_ANALYSIS,
          analysis_version: version,
          batch_size: batchSize,
          batch_count: batchCount,
          tail_first_batch: est.layout.tailFirstBatch,
          tail_batch_size: est.layout.tailBatchSize,
          records: n,
          skipped_dedup: 0,
          skipped_exhausted: 0,
          dry_run: false,
          created_at: new Date(ctx.now() * 1000).toISOString(),
        };
        plannedAt = ctx.now();
        write(`runs/${executionId}/plan.json`, plan);
        // The plan's statements insert into these tables: counted as table operations too.
        for (const table of [TABLE_NAMES.batchAssignments, TABLE_NAMES.batchInputs, TABLE_NAMES.batchEvents, TABLE_NAMES.executions]) {
          loads.push({ table, at: ctx.now() });
        }
      };
    } else if (kind === 'generator') {
      const open = records(batch) - (answered.get(batch) ?? 0);
      w = batchModel(batch).generator(open, ledgerRows);
      attemptStart.set(dir, started);
      lastStagedRead = Math.max(lastStagedRead, started);
      // The staged rows expire workRetentionDays after the start of the day they were planned
      // (see stagedInputsDays); the generator then fails, sending nothing.
      const expires = plannedAt === undefined ? Infinity : (Math.floor(plannedAt / DAY) + retentionDays) * DAY;
      if (started >= expires) {
        finish = () => {
          everFailed.add(batch);
          latest.set(batch, 'failed');
          throw { message: `the staged inputs of batch ${batch} have expired`, tags: ['OperationError'] };
        };
        await ctx.sleep(w.seconds);
        count(kind, w, started, ctx.now());
        finish();
      }
      finish = () => {
        const manifest: ManifestDocument = {
          execution_id: executionId,
          analysis: PRIMARY_ANALYSIS,
          model: modelResource(analysis.model),
          batch: String(batch),
          attempt,
          requests: open,
          skipped: 0,
          already_settled: records(batch) - open,
          bytes: Math.round(open * batchModel(batch).sizes.requestBytes),
          input_uri: open > 0 ? `gs://${bucket}/${dir}/input.jsonl` : '',
          output_uri_prefix: `gs://${bucket}/${dir}/output`,
          created_at: new Date(ctx.now() * 1000).toISOString(),
        };
        write(`${dir}/manifest.json`, manifest);
        if (open === 0) latest.set(batch, 'empty');
      };
    } else if (kind === 'processor') {
      const job = jobs.get(env.TAP_VERTEX_JOB!)!;
      const got = answeredBy(job, started);
      w = batchModel(batch).processor(got, ledgerRows);
      finish = () => {
        ledgerRows += got;
        answered.set(batch, (answered.get(batch) ?? 0) + got);
        const unanswered = job.requests - got;
        const status = unanswered > 0 ? 'failed' : 'succeeded';
        if (status === 'failed') everFailed.add(batch);
        latest.set(batch, status);
        const errors = Math.round(got * a.errorFraction);
        const result: BatchResultDocument = {
          execution_id: executionId,
          batch: String(batch),
          attempt,
          vertex_job: job.name,
          status,
          records: job.requests,
          succeeded: got - errors,
          failed: errors,
          unanswered,
          errors_by_type: {},
          tokens_in: Math.round((got * est.inputTokens) / Math.max(1, n)),
          tokens_out: Math.round((got * est.outputTokens) / Math.max(1, n)),
        };
        write(`${dir}/result.json`, result);
        const begun = attemptStart.get(dir) ?? started;
        const vertexSeconds = Math.min(job.ends, job.cancelledAt ?? Infinity) - job.created;
        const own = batchModel(batch).generator(job.requests, 0).seconds + vertexSeconds + w.seconds;
        work += own;
        longest = Math.max(longest, ctx.now() - begun);
      };
    } else {
      w = model.reporter(n, ledgerRows);
      finish = () => {
        const ids = Array.from({ length: batchCount }, (_, i) => i);
        const done = ids.filter((i) => latest.get(i) === 'succeeded' || latest.get(i) === 'empty');
        const failed = ids.filter((i) => latest.get(i) === 'failed');
        const analysed = ids.reduce((t, i) => t + (answered.get(i) ?? 0), 0);
        const summary: SummaryDocument = {
          execution_id: executionId,
          analysis: PRIMARY_ANALYSIS,
          analysis_version: version,
          status: failed.length === 0 && done.length === batchCount ? 'succeeded' : 'failed',
          records_total: n,
          skipped_dedup: 0,
          batches: batchCount,
          batches_succeeded: done.length,
          batches_failed: failed.length,
          batches_unfinished: batchCount - done.length - failed.length,
          batches_recovered: done.filter((i) => everFailed.has(i)).length,
          records_succeeded: analysed,
          records_failed: 0,
          records_open: n - analysed,
          errors_by_type: {},
          tokens_in: Math.round((analysed * est.inputTokens) / Math.max(1, n)),
          tokens_out: Math.round((analysed * est.outputTokens) / Math.max(1, n)),
          estimated_cost_usd: 0,
          duration_seconds: ctx.now() - started,
          failed_batches: failed,
        };
        write(`runs/${executionId}/summary.json`, summary);
      };
    }
    await ctx.sleep(w.seconds);
    count(kind, w, started, ctx.now());
    finish();
  };

  const master = pipelineWorkflows().master;
  const executions = new LocalExecutions(
    { [DEFAULT_WORKFLOW_NAMES.batch]: pipelineWorkflows().batch },
    LOCAL_LAYOUT.projectId,
    LOCAL_LAYOUT.region,
  );
  const handlers: ConnectorHandlers = {
    'googleapis.run.v2.projects.locations.jobs.run': async (args, ctx) => {
      const name = String(args.name);
      const kind = kindOf.get(name.split('/').pop()!);
      if (!kind) throw httpError(404, `Job ${name} not found`);
      const overrides = (args.body as { overrides?: { containerOverrides?: { env?: { name: string; value: string }[] }[] } })?.overrides;
      const env = Object.fromEntries((overrides?.containerOverrides?.[0]?.env ?? []).map((e) => [e.name, e.value]));
      await runJob(kind, env, ctx);
      return { name: `${name}/executions/${kind}-${runIntervals.length}` };
    },
    'googleapis.storage.v1.objects.get': async (args) => {
      const object = decodeURIComponent(String(args.object));
      classB++;
      if (args.bucket !== bucket || !objects.has(object)) throw httpError(404, `No such object: ${String(args.bucket)}/${object}`);
      return JSON.parse(objects.get(object)!) as unknown;
    },
    'googleapis.storage.v1.objects.insert': async (args) => {
      const name = String(args.name);
      classA++;
      if (String(args.ifGenerationMatch) === '0' && objects.has(name)) {
        throw httpError(412, 'At least one of the pre-conditions you specified did not hold.');
      }
      objects.set(name, typeof args.body === 'string' ? JSON.stringify(args.body) : JSON.stringify(args.body ?? null));
      return { kind: 'storage#object', bucket, name };
    },
    'googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.create': async (args, ctx) => {
      const body = (args.body ?? {}) as { displayName?: string; inputConfig?: { gcsSource?: { uris?: string[] } } };
      const uri = body.inputConfig?.gcsSource?.uris?.[0] ?? '';
      const m = /\/batches\/(\d+)\/attempt-(\d+)\/input\.jsonl$/.exec(uri);
      if (!m) throw httpError(400, `inputConfig.gcsSource.uris must name a batch attempt's input.jsonl, got ${uri}`);
      const manifest = read<ManifestDocument>(`runs/${executionId}/batches/${m[1]}/attempt-${m[2]}/manifest.json`);
      const slow = random() < latency.slowShare;
      const factor = slow ? latency.slowFactor : 1;
      const [qMin, qMax] = latency.queueSeconds;
      const queue = factor * (qMin + random() * (qMax - qMin));
      const run = factor * manifest.requests * latency.secondsPerRecord;
      const now = ctx.now();
      const name = `projects/${LOCAL_LAYOUT.projectId}/locations/${LOCAL_LAYOUT.region}/batchPredictionJobs/${jobs.size + 1}`;
      const job: StandInJob = {
        name,
        displayName: String(body.displayName),
        batch: Number(m[1]),
        requests: manifest.requests,
        inputBytes: manifest.bytes,
        created: now,
        runs: now + queue,
        ends: now + queue + run,
        slow,
      };
      // Google expires a job queued 72 h and cancels one running 24 h, keeping what it completed.
      if (queue > LIMITS.vertexQueueHours * HOUR) {
        job.expired = true;
        job.cancelledAt = now + LIMITS.vertexQueueHours * HOUR;
      } else if (run > LIMITS.vertexRunHours * HOUR) {
        job.cancelledAt = job.runs + LIMITS.vertexRunHours * HOUR;
      }
      jobs.set(name, job);
      classA += WORKFLOW_OBJECT_OPERATIONS.vertexJob.classA;
      classB += WORKFLOW_OBJECT_OPERATIONS.vertexJob.classB;
      return { name, displayName: job.displayName, state: 'JOB_STATE_PENDING' };
    },
    'googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.get': async (args, ctx) => {
      const job = jobs.get(String(args.name));
      if (!job) throw httpError(404, `${String(args.name)} not found`);
      const state = vertexState(job, ctx.now());
      const ended = state === 'JOB_STATE_SUCCEEDED' || state === 'JOB_STATE_CANCELLED' || state === 'JOB_STATE_EXPIRED';
      const output = ended && answeredBy(job, ctx.now()) > 0;
      return {
        name: job.name,
        displayName: job.displayName,
        state,
        ...(output
          ? { outputInfo: { gcsOutputDirectory: `gs://${bucket}/runs/${executionId}/batches/${job.batch}/output/prediction-model` } }
          : {}),
      };
    },
    'googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.list': async (args, ctx) => {
      const wanted = /^display_name="(.*)"$/.exec(String(args.filter ?? ''))?.[1];
      const found = [...jobs.values()].filter((j) => j.displayName === wanted);
      return found.length === 0 ? {} : { batchPredictionJobs: found.map((j) => ({ name: j.name, state: vertexState(j, ctx.now()) })) };
    },
    'googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.cancel': async (args, ctx) => {
      const job = jobs.get(String(args.name));
      if (!job) throw httpError(404, `${String(args.name)} not found`);
      if (job.cancelledAt === undefined || job.cancelledAt > ctx.now()) job.cancelledAt = ctx.now() + 1;
      return {};
    },
    'googleapis.bigquery.v2.tabledata.insertAll': async (args) => {
      streamedRows += ((args.body as { rows?: unknown[] })?.rows ?? []).length;
      return { kind: 'bigquery#tableDataInsertAllResponse' };
    },
    'googleapis.workflowexecutions.v1.projects.locations.workflows.executions.list': async (args, ctx) => {
      const parent = String(args.parent);
      if (executions.knows(parent)) return executions.list(parent, args);
      return { executions: [{ name: `${parent}/executions/${ctx.execution.id}`, state: 'ACTIVE' }] };
    },
    'googleapis.workflowexecutions.v1.projects.locations.workflows.executions.create': async (args, ctx) => {
      const skip = (args.connector_params as { skip_polling?: boolean } | undefined)?.skip_polling === true;
      return executions.create(String(args.parent), (args.body ?? {}) as { argument?: unknown; labels?: unknown }, ctx, skip);
    },
  };

  const clock = new VirtualClock();
  const begin = clock.now();
  let nextReport = begin + HOUR;
  const outcome = await runWorkflow(master, {
    argument: { execution_id: executionId, max_batch_attempts: input.maxBatchAttempts ?? DEFAULTS.maxBatchAttempts },
    env: localWorkflowEnv({
      analysis,
      batchSize: input.batchSize ?? DEFAULTS.batchSize,
      maxConcurrentBatches: lanes,
      maxBatchAttempts: input.maxBatchAttempts ?? DEFAULTS.maxBatchAttempts,
      maxRecordAttempts: DEFAULTS.maxRecordAttempts,
      pollIntervalSeconds: input.pollIntervalSeconds ?? DEFAULTS.pollIntervalSeconds,
    }),
    handlers,
    clock,
    onStep: input.onProgress
      ? () => {
          if (clock.now() < nextReport) return;
          nextReport = clock.now() + HOUR;
          const batchesDone = [...latest.values()].filter((s) => s !== 'failed').length;
          input.onProgress!({ hours: (clock.now() - begin) / HOUR, batchesDone, batches: batchCount });
        }
      : undefined,
  });
  await executions.settled();

  const children = executions.all();
  const stats: ExecutionStats[] = [outcome.stats, ...children.map((c) => c.outcome!.stats)];
  const steps = stats.reduce((t, s) => t + s.steps, 0);
  const span = (outcome.stats.endTime - outcome.stats.startTime) / HOUR;
  const planner = model.planner(n, input.ledgerRecords ?? 0).seconds;
  const reporter = model.reporter(n, ledgerRows).seconds;
  const ideal = (planner + reporter + work / lanes) / HOUR;

  const queryUsd = (bytesBilled / 2 ** 40) * prices.bigqueryOnDemandPerTiB;
  const streamUsd = ((streamedRows * prices.bigqueryStreamingMinRowBytes) / 200e6) * prices.bigqueryStreamingInsertPer200MB;
  const memoryGiB = DEFAULTS.jobMemoryMiB / 1024;
  const byService: Record<Service, number> = {
    bigquery: queryUsd + streamUsd + loads.length * prices.bigqueryLoadJob,
    cloud_run: cloudRunSeconds * (DEFAULTS.jobCpu * prices.cloudRunVcpuSecond + memoryGiB * prices.cloudRunGibSecond),
    workflows: (steps / 1000) * prices.workflowsInternalPerThousandSteps,
    cloud_storage:
      (classA / 1000) * prices.storageClassAPerThousand +
      (classB / 1000) * prices.storageClassBPerThousand +
      (est.pipeline.items.find((i) => i.item.startsWith('work bucket storage'))?.usd ?? 0),
  };
  const analysedRecords = [...answered.values()].reduce((t, x) => t + x, 0);
  const price = input.price ?? priceOf(est.model);
  const modelUsd = estimateCostUsd(
    price,
    (analysedRecords * est.inputTokens) / Math.max(1, n),
    (analysedRecords * est.outputTokens) / Math.max(1, n),
  );

  const tableOps = new Map<string, number[]>();
  for (const l of loads) tableOps.set(l.table, [...(tableOps.get(l.table) ?? []), l.at]);
  const busiestTable = Math.max(0, ...[...tableOps.values()].map((times) => peakInWindow(times, DAY)));
  const allJobs = [...jobs.values()];
  const quota = (name: string, peak: number, limit: number, says: string): QuotaUse => ({ name, peak, limit, ok: peak <= limit, says });
  const allExecutions: [number, number][] = [
    [outcome.stats.startTime, outcome.stats.endTime],
    ...children.map((c): [number, number] => [c.startTime, c.endTime ?? outcome.stats.endTime]),
  ];
  const quotas: QuotaUse[] = [
    quota(
      'bigquery_table_operations_per_table_per_day',
      busiestTable,
      LIMITS.bigqueryTableOperationsPerDay,
      'loads and inserts of the busiest table in any 24 h',
    ),
    quota(
      'bigquery_load_jobs_per_project_per_day',
      peakInWindow(
        loads.map((l) => l.at).sort((x, y) => x - y),
        DAY,
      ),
      LIMITS.bigqueryLoadJobsPerProjectPerDay,
      'load jobs of the run in any 24 h',
    ),
    quota(
      'vertex_requests_per_job',
      Math.max(0, ...allJobs.map((j) => j.requests)),
      LIMITS.maxBatchSize,
      'requests of the largest Vertex AI job',
    ),
    quota(
      'vertex_input_bytes_per_job',
      Math.max(0, ...allJobs.map((j) => j.inputBytes)),
      LIMITS.maxBatchInputBytes,
      'input bytes of the largest Vertex AI job',
    ),
    quota(
      'vertex_run_hours_per_job',
      Math.max(0, ...allJobs.map((j) => (j.ends - j.runs) / HOUR)),
      LIMITS.vertexRunHours,
      'hours the longest Vertex AI job needs to run (Google cancels it after the limit)',
    ),
    quota(
      'vertex_queue_hours_per_job',
      Math.max(0, ...allJobs.map((j) => (j.runs - j.created) / HOUR)),
      LIMITS.vertexQueueHours,
      'hours the longest-queued Vertex AI job waits (Google expires it after the limit)',
    ),
    quota(
      'workflows_steps_per_execution',
      Math.max(...stats.map((s) => s.steps)),
      DEFAULT_LIMITS.steps,
      'steps of the busiest execution, polls included',
    ),
    quota(
      'workflows_memory_bytes_per_execution',
      Math.max(...stats.map((s) => s.peakMemoryBytes)),
      DEFAULT_LIMITS.memoryBytes,
      'variable memory of the largest execution',
    ),
    quota('workflows_concurrent_executions', peakOverlap(allExecutions), LIMITS.workflowsConcurrentExecutions, 'executions active at once'),
    quota(
      'workflows_execution_creates_per_minute',
      peakInWindow(
        children.map((c) => c.startTime).sort((x, y) => x - y),
        60,
      ),
      LIMITS.workflowsExecutionCreatesPerMinute,
      'executions created in any minute',
    ),
    quota('workflows_execution_days', span / 24, DEFAULT_LIMITS.durationSeconds / DAY, "days the master's execution runs"),
    quota('cloud_run_running_executions', peakOverlap(runIntervals), LIMITS.cloudRunRunningExecutions, 'job executions running at once'),
    quota(
      'staged_inputs_days',
      plannedAt === undefined ? 0 : Math.max(0, lastStagedRead - plannedAt) / DAY,
      stagedInputsDays(retentionDays),
      "days from planning to the last batch's read of its staged transcripts, which workRetentionDays keeps for sure",
    ),
  ];
  const summaryText = objects.get(`runs/${executionId}/summary.json`);
  const summary = summaryText ? (JSON.parse(summaryText) as SummaryDocument) : undefined;
  return {
    records: n,
    batchSize,
    batches: batchCount,
    vertexJobs: jobs.size,
    maxConcurrentBatches: lanes,
    latency,
    makespanHours: span,
    idealHours: ideal,
    longestBatchHours: longest / HOUR,
    state: outcome.state,
    summary,
    cost: {
      modelUsd,
      pipelineUsd: Object.values(byService).reduce((t, x) => t + x, 0),
      byService,
      estimatedPipelineUsd: est.pipelineCostUsd,
    },
    counts: {
      bigqueryBytesBilled: bytesBilled,
      bytesBilledByJob: bytesByJob,
      loadJobs: loads.length,
      cloudRunSeconds,
      workflowSteps: steps,
      executions: 1 + children.length,
      classA,
      classB,
      slowJobs: allJobs.filter((j) => j.slow).length,
      vertexJobsCut: allJobs.filter((j) => j.cancelledAt !== undefined).length,
    },
    quotas,
    ok: outcome.state === 'SUCCEEDED' && summary?.status === 'succeeded' && quotas.every((q) => q.ok),
    estimate: est,
  };
}
