/**
 * A local stand-in for Vertex AI batch prediction, driven by the workflow engine's virtual clock.
 * It speaks the REST shapes of `batchPredictionJobs` (create returns the job at once; `get` shows
 * it move QUEUED -> PENDING -> RUNNING -> a terminal state) and writes predictions where Vertex AI
 * does, `{outputUriPrefix}/prediction-model-<time>/predictions.jsonl`, one line per request in
 * Vertex AI's output format, produced by the local analyzer.
 */
import { randomInt } from 'node:crypto';
import * as readline from 'node:readline';
import { once } from 'node:events';
import { parseGsUri, gsUri } from '../contract';
import type { ObjectStore } from '../core/ports';
import { chance, Faults, NO_FAULTS } from './faults';

/** Answers one input line (`{"request": …}`) with one output line, as Vertex AI writes it. */
/** Answers one input line; `model` is the job's model resource (each analysis of a run may have its own). */
export type LineAnalyzer = (
  inputLine: Record<string, unknown>,
  model: string,
) => Record<string, unknown> | Promise<Record<string, unknown>>;

/** How long each phase lasts on the virtual clock. */
export interface VertexTimings {
  readonly queuedSeconds: number;
  readonly pendingSeconds: number;
  readonly runningBaseSeconds: number;
  readonly runningSecondsPerRequest: number;
  /** Vertex AI expires a job still queued after 72 h. */
  readonly queueLimitSeconds: number;
}

export const DEFAULT_TIMINGS: VertexTimings = {
  queuedSeconds: 60,
  pendingSeconds: 30,
  runningBaseSeconds: 120,
  runningSecondsPerRequest: 0.05,
  queueLimitSeconds: 72 * 3600,
};

type State =
  | 'JOB_STATE_QUEUED'
  | 'JOB_STATE_PENDING'
  | 'JOB_STATE_RUNNING'
  | 'JOB_STATE_SUCCEEDED'
  | 'JOB_STATE_FAILED'
  | 'JOB_STATE_CANCELLED'
  | 'JOB_STATE_EXPIRED';

const TERMINAL: ReadonlySet<State> = new Set(['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_EXPIRED']);

interface LocalJob {
  name: string;
  displayName: string;
  model: string;
  labels: Record<string, string>;
  inputUris: string[];
  outputUriPrefix: string;
  createdAt: number;
  /** What this job will end as, decided at creation by the faults. */
  fate: 'succeed' | 'fail' | 'expire' | 'partial';
  requests: number | null;
  state: State;
  startedAt?: number;
  endedAt?: number;
  outputDirectory?: string;
  completion?: { successfulCount: string; failedCount: string; incompleteCount: string };
  error?: { code: number; message: string };
  cancelled: boolean;
}

/**
 * A job number like Vertex AI's (a 19-digit decimal), unique across processes: from the wall clock
 * and randomness, never a per-process counter, so that a work folder opened again never sees a
 * second job under an earlier job's name.
 */
function jobNumber(): string {
  const micros = BigInt(Date.now()) * 1000n + BigInt(Math.floor(Math.random() * 1000));
  return (micros * 1000n + BigInt(randomInt(1000))).toString().padStart(19, '0').slice(-19);
}

/** An error as the connector raises it: an HttpError map. */
function httpError(code: number, message: string): Record<string, unknown> {
  return { code, message, tags: ['HttpError'], body: { error: { code, message } } };
}

function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

export interface LocalVertexOptions {
  readonly store: ObjectStore;
  readonly analyze: LineAnalyzer;
  readonly project: string;
  readonly region: string;
  readonly faults?: Faults;
  readonly timings?: VertexTimings;
  /** Called as jobs change state, for progress displays. */
  readonly onState?: (job: { name: string; state: string; labels: Record<string, string> }) => void;
}

export class LocalVertexAi {
  private readonly jobs = new Map<string, LocalJob>();
  /** Vertex jobs created per (execution, batch), to fail or expire the first N. */
  private readonly createdPerBatch = new Map<string, number>();
  private readonly faults: Faults;
  private readonly timings: VertexTimings;

  constructor(private readonly options: LocalVertexOptions) {
    this.faults = options.faults ?? NO_FAULTS;
    this.timings = options.timings ?? DEFAULT_TIMINGS;
  }

  /** `batchPredictionJobs.create`: validates the body as Vertex AI would and returns the job. */
  create(parent: string, body: Record<string, unknown>, now: number): Record<string, unknown> {
    const expected = `projects/${this.options.project}/locations/${this.options.region}`;
    if (parent !== expected) throw httpError(404, `parent ${parent} not found (this local project is ${expected})`);
    const input = body.inputConfig as { instancesFormat?: string; gcsSource?: { uris?: string[] } } | undefined;
    const output = body.outputConfig as { predictionsFormat?: string; gcsDestination?: { outputUriPrefix?: string } } | undefined;
    if (typeof body.model !== 'string' || !body.model) throw httpError(400, 'model is required');
    if (typeof body.displayName !== 'string' || !body.displayName) throw httpError(400, 'displayName is required');
    if (input?.instancesFormat !== 'jsonl' || !input.gcsSource?.uris?.length) {
      throw httpError(400, 'inputConfig needs instancesFormat "jsonl" and gcsSource.uris');
    }
    if (output?.predictionsFormat !== 'jsonl' || !output.gcsDestination?.outputUriPrefix) {
      throw httpError(400, 'outputConfig needs predictionsFormat "jsonl" and gcsDestination.outputUriPrefix');
    }
    const labels = (body.labels ?? {}) as Record<string, string>;
    for (const [k, v] of Object.entries(labels)) {
      if (!/^[a-z][a-z0-9_-]{0,62}$/.test(k) || !/^[a-z0-9_-]{0,63}$/.test(String(v))) {
        throw httpError(400, `label ${k}=${v}: keys and values are at most 63 lowercase letters, digits, _ or -`);
      }
    }
    const batchKey = `${labels['tap-execution'] ?? ''}/${labels['tap-batch'] ?? body.displayName}`;
    const seen = this.createdPerBatch.get(batchKey) ?? 0;
    this.createdPerBatch.set(batchKey, seen + 1);
    const f = this.faults;
    const fate =
      seen < f.vertexJobFail
        ? 'fail'
        : seen < f.vertexJobFail + f.vertexJobExpire
          ? 'expire'
          : seen < f.vertexJobFail + f.vertexJobExpire + f.vertexJobPartial
            ? 'partial'
            : 'succeed';

    const name = `${expected}/batchPredictionJobs/${jobNumber()}`;
    const job: LocalJob = {
      name,
      displayName: body.displayName,
      model: body.model,
      labels,
      inputUris: input.gcsSource.uris,
      outputUriPrefix: output.gcsDestination.outputUriPrefix,
      createdAt: now,
      fate,
      requests: null,
      state: 'JOB_STATE_QUEUED',
      cancelled: false,
    };
    this.jobs.set(name, job);
    this.options.onState?.({ name, state: job.state, labels });
    return this.view(job);
  }

  /** `batchPredictionJobs.get`: brings the job up to `now`, doing the analysis when it finishes. */
  async get(name: string, now: number): Promise<Record<string, unknown>> {
    const job = this.jobs.get(name);
    if (!job) throw httpError(404, `batch prediction job ${name} not found`);
    await this.advance(job, now);
    return this.view(job);
  }

  /** `batchPredictionJobs.cancel`: best effort, as on Vertex AI. */
  cancel(name: string, now: number): Record<string, unknown> {
    const job = this.jobs.get(name);
    if (!job) throw httpError(404, `batch prediction job ${name} not found`);
    if (!TERMINAL.has(job.state)) {
      job.cancelled = true;
      job.state = 'JOB_STATE_CANCELLED';
      job.endedAt = now;
      job.error = { code: 1, message: 'CANCELLED: the job was cancelled' };
      this.options.onState?.({ name, state: job.state, labels: job.labels });
    }
    return {};
  }

  /**
   * `batchPredictionJobs.list`: the jobs of the location, brought up to `now`, optionally filtered
   * by `display_name="NAME"` (the one filter form the workflows use; others are refused).
   */
  async list(parent: string, filter: string | undefined, now: number): Promise<Record<string, unknown>> {
    const expected = `projects/${this.options.project}/locations/${this.options.region}`;
    if (parent !== expected) throw httpError(404, `parent ${parent} not found (this local project is ${expected})`);
    let displayName: string | undefined;
    if (filter !== undefined && filter !== '') {
      const match = /^\s*display_?[nN]ame\s*=\s*"((?:[^"\\]|\\.)*)"\s*$/.exec(filter);
      if (!match) throw httpError(400, `filter ${filter}: the local Vertex AI takes only display_name="NAME"`);
      displayName = match[1]!.replace(/\\(.)/g, '$1');
    }
    const jobs: Record<string, unknown>[] = [];
    for (const job of this.jobs.values()) {
      if (displayName !== undefined && job.displayName !== displayName) continue;
      await this.advance(job, now);
      jobs.push(this.view(job));
    }
    return jobs.length > 0 ? { batchPredictionJobs: jobs } : {};
  }

  /** Jobs created so far, for tests and progress. */
  all(): Record<string, unknown>[] {
    return [...this.jobs.values()].map((j) => this.view(j));
  }

  private async advance(job: LocalJob, now: number): Promise<void> {
    if (TERMINAL.has(job.state)) return;
    const t = this.timings;
    const elapsed = now - job.createdAt;
    let next: State = job.state;
    if (job.fate === 'expire') {
      next = elapsed >= t.queueLimitSeconds ? 'JOB_STATE_EXPIRED' : 'JOB_STATE_QUEUED';
    } else if (elapsed < t.queuedSeconds) {
      next = 'JOB_STATE_QUEUED';
    } else if (elapsed < t.queuedSeconds + t.pendingSeconds) {
      next = 'JOB_STATE_PENDING';
    } else {
      if (job.requests === null) job.requests = await this.countRequests(job);
      const runFor = t.runningBaseSeconds + t.runningSecondsPerRequest * job.requests;
      const runningAt = job.createdAt + t.queuedSeconds + t.pendingSeconds;
      job.startedAt = runningAt;
      if (now < runningAt + runFor) next = 'JOB_STATE_RUNNING';
      else if (job.fate === 'fail' || job.fate === 'partial') next = 'JOB_STATE_FAILED';
      else next = 'JOB_STATE_SUCCEEDED';
    }
    if (next === job.state) return;
    if (next === 'JOB_STATE_SUCCEEDED') {
      await this.run(job, now, Infinity);
    } else if (next === 'JOB_STATE_FAILED' && job.fate === 'partial') {
      // Vertex AI exports the lines a job completed before it failed.
      await this.run(job, now, Math.floor((job.requests ?? 0) / 2));
      job.error = { code: 13, message: 'INTERNAL: the batch prediction job failed part way (local fault vertex-job-partial)' };
    } else if (next === 'JOB_STATE_FAILED') {
      job.endedAt = now;
      job.error = { code: 13, message: 'INTERNAL: the batch prediction job failed (local fault vertex-job-fail)' };
      job.completion = { successfulCount: '0', failedCount: String(job.requests ?? 0), incompleteCount: '0' };
    } else if (next === 'JOB_STATE_EXPIRED') {
      job.endedAt = now;
      job.error = { code: 4, message: 'DEADLINE_EXCEEDED: the job was queued for 72 hours and expired (local fault vertex-job-expire)' };
    }
    job.state = next;
    this.options.onState?.({ name: job.name, state: job.state, labels: job.labels });
  }

  private async countRequests(job: LocalJob): Promise<number> {
    let count = 0;
    for (const uri of job.inputUris) {
      const lines = readline.createInterface({ input: this.options.store.openRead(parseGsUri(uri).path), crlfDelay: Infinity });
      for await (const line of lines) if (line.trim()) count++;
    }
    return count;
  }

  /** Analyses the first `limit` input lines and writes the predictions file, streaming. */
  private async run(job: LocalJob, now: number, limit: number): Promise<void> {
    const store = this.options.store;
    const stamp = isoTime(now)
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const prefix = parseGsUri(job.outputUriPrefix).path.replace(/\/$/, '');
    const dir = `${prefix}/prediction-model-${stamp}`;
    const out = store.openWrite(`${dir}/predictions.jsonl`);
    const finished = new Promise<void>((resolve, reject) => {
      out.on('finish', resolve);
      out.on('close', resolve);
      out.on('error', reject);
    });
    // A failed write rejects this while the loop below is still writing: the loop sees it too.
    finished.catch(() => undefined);
    let ok = 0;
    let failed = 0;
    let lineNo = 0;
    for (const uri of job.inputUris) {
      const lines = readline.createInterface({ input: store.openRead(parseGsUri(uri).path), crlfDelay: Infinity });
      for await (const text of lines) {
        if (!text.trim()) continue;
        if (lineNo >= limit) break;
        lineNo++;
        const input = JSON.parse(text) as Record<string, unknown>;
        const output = this.withFaults(await this.options.analyze(input, job.model), text, now);
        if (output.status) failed++;
        else ok++;
        if (!out.write(JSON.stringify(output) + '\n')) await once(out, 'drain');
      }
    }
    out.end();
    await finished;
    job.endedAt = now;
    job.outputDirectory = gsUri(store.bucket, dir);
    job.completion = {
      successfulCount: String(ok),
      failedCount: String(failed),
      incompleteCount: String(Math.max(0, (job.requests ?? lineNo) - lineNo)),
    };
  }

  /** Applies the line-level faults, each decided by the seed and the request line itself. */
  private withFaults(output: Record<string, unknown>, requestText: string, now: number): Record<string, unknown> {
    const f = this.faults;
    const seed = f.seed;
    if (f.lineErrorRate > 0 && chance(seed, 'line-error', requestText) < f.lineErrorRate) {
      const { response: _dropped, ...rest } = output;
      void _dropped;
      return {
        ...rest,
        status: 'INVALID_ARGUMENT: the model could not answer this request (local fault line-error-rate)',
        processed_time: isoTime(now),
      };
    }
    if (f.modelUnavailableRate > 0 && chance(seed, 'model-unavailable', requestText) < f.modelUnavailableRate) {
      const { response: _dropped, ...rest } = output;
      void _dropped;
      return {
        ...rest,
        status: 'UNAVAILABLE: the model is overloaded, try again later (local fault model-unavailable-rate)',
        processed_time: isoTime(now),
      };
    }
    const response = output.response as { candidates?: { content?: { parts?: { text?: string }[] } }[] } | undefined;
    const part = response?.candidates?.[0]?.content?.parts?.[0];
    if (!part || typeof part.text !== 'string') return output;
    if (f.malformedJsonRate > 0 && chance(seed, 'malformed-json', requestText) < f.malformedJsonRate) {
      part.text = part.text.slice(0, Math.max(1, Math.floor(part.text.length / 2)));
    } else if (f.missingSummaryRate > 0 && chance(seed, 'missing-summary', requestText) < f.missingSummaryRate) {
      try {
        const answer = JSON.parse(part.text) as Record<string, unknown>;
        delete answer.summary;
        part.text = JSON.stringify(answer);
      } catch {
        // Already not JSON: nothing to remove.
      }
    }
    return output;
  }

  private view(job: LocalJob): Record<string, unknown> {
    return {
      name: job.name,
      displayName: job.displayName,
      model: job.model,
      labels: job.labels,
      state: job.state,
      inputConfig: { instancesFormat: 'jsonl', gcsSource: { uris: job.inputUris } },
      outputConfig: { predictionsFormat: 'jsonl', gcsDestination: { outputUriPrefix: job.outputUriPrefix } },
      createTime: isoTime(job.createdAt),
      updateTime: isoTime(job.endedAt ?? job.createdAt),
      ...(job.startedAt !== undefined && job.state !== 'JOB_STATE_QUEUED' && job.state !== 'JOB_STATE_PENDING'
        ? { startTime: isoTime(job.startedAt) }
        : {}),
      ...(job.endedAt !== undefined ? { endTime: isoTime(job.endedAt) } : {}),
      ...(job.outputDirectory ? { outputInfo: { gcsOutputDirectory: job.outputDirectory } } : {}),
      ...(job.completion ? { completionStats: job.completion } : {}),
      ...(job.error ? { error: job.error } : {}),
    };
  }
}
