/**
 * A fake of Vertex AI's batch prediction REST API (v1), enough for `@google-cloud/aiplatform`'s
 * `JobServiceClient` with `fallback: true` (its HTTP/JSON transport), over the fake Cloud Storage:
 *
 * - `POST /v1/{parent=projects/*\/locations/*}/batchPredictionJobs` with a `BatchPredictionJob`
 *   body (`displayName`, `model`, `inputConfig {instancesFormat: "jsonl", gcsSource {uris}}`,
 *   `outputConfig {predictionsFormat: "jsonl", gcsDestination {outputUriPrefix}}`, `labels`);
 *   answers the job at once, `state: JOB_STATE_PENDING`, not a long-running operation
 *   (https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.batchPredictionJobs/create).
 * - `GET /v1/{name=projects/*\/locations/*\/batchPredictionJobs/*}`: the job; each read moves it one
 *   step along its script (RUNNING, then its end). Once ended it has `endTime`, `completionStats`
 *   {successfulCount, failedCount, incompleteCount} (int64, strings in JSON), `error` (a
 *   google.rpc.Status) when FAILED, and `outputInfo.gcsOutputDirectory`, the folder it wrote:
 *   `{outputUriPrefix}/prediction-model-<time>/predictions.jsonl`, one line per request in the
 *   documented output shape (`fakes/vertex.ts`)
 *   (https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.batchPredictionJobs#BatchPredictionJob,
 *   https://cloud.google.com/vertex-ai/generative-ai/docs/multimodal/batch-prediction-from-cloud-storage).
 * - `GET /v1/{parent=projects/*\/locations/*}/batchPredictionJobs?filter=`: `{batchPredictionJobs: [...]}`;
 *   the filter understood is `display_name="…"`, the one documented form tapctl uses
 *   (https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.batchPredictionJobs/list).
 *
 * Every request must carry `Authorization: Bearer <token>`.
 */
import type { FakeGcs } from './gcs-server';
import { FakeServer, sendError, sendJson, startServer } from './http';
import { Behaviour, outputLine } from './vertex';
import { parseRecordMarker } from '../../runtime/core/requests';

/** How a new job ends: answered, failed (no output), or succeeded having written nothing. */
export type JobFate = 'succeed' | 'fail' | 'no_output';

export interface FakeJob {
  readonly resource: Record<string, unknown>;
  readonly fate: JobFate;
  /** States still to come, one per read. */
  readonly script: string[];
}

export interface FakeVertex extends FakeServer {
  readonly jobs: Map<string, FakeJob>;
  /** Bodies of every create, in order. */
  readonly created: Record<string, unknown>[];
  /** How the next jobs answer each record. @default ok */
  behave: (recordId: string) => Behaviour;
  /** How the next jobs end. @default 'succeed' */
  fate: JobFate;
}

const PARENT = '/v1/(projects/[^/]+/locations/[^/]+)/batchPredictionJobs';

export async function startFakeVertex(gcs: FakeGcs, options: { token?: string } = {}): Promise<FakeVertex> {
  const jobs = new Map<string, FakeJob>();
  const created: Record<string, unknown>[] = [];
  let counter = 0;
  const token = options.token ?? 'test-token';
  const authorized = (headers: Record<string, unknown>) => headers.authorization === `Bearer ${token}`;
  const unauthenticated = (res: Parameters<typeof sendJson>[0]) =>
    sendError(res, 401, 'UNAUTHENTICATED', 'unauthorized', 'Request had invalid authentication credentials.');

  /** Runs the job over its input, writing the output lines where Vertex AI does. */
  const finish = (job: FakeJob, state: string) => {
    const r = job.resource;
    const input = ((r.inputConfig as { gcsSource: { uris: string[] } }).gcsSource.uris[0] ?? '').replace(/^gs:\/\//, '');
    const [bucket, ...rest] = input.split('/');
    const requests = (gcs.text(bucket!, rest.join('/')) ?? '').split('\n').filter((l) => l !== '');
    r.state = state;
    r.endTime = '2026-11-28T10:05:00Z';
    if (state === 'JOB_STATE_FAILED') {
      r.error = { code: 13, message: 'Internal error occurred. Failed to run the batch prediction.' };
      r.completionStats = { successfulCount: '0', failedCount: '0', incompleteCount: String(requests.length) };
      return;
    }
    const prefix = (r.outputConfig as { gcsDestination: { outputUriPrefix: string } }).gcsDestination.outputUriPrefix;
    const directory = `${prefix}/prediction-model-2026-11-28T10:00:00.000000Z`;
    r.outputInfo = { gcsOutputDirectory: directory };
    const lines =
      job.fate === 'no_output'
        ? []
        : requests.flatMap((text) => {
            const request = (JSON.parse(text) as { request: { contents: { parts: { text: string }[] }[] } }).request;
            return outputLine(request, fake.behave(parseRecordMarker(request.contents[0]!.parts.at(-1)!.text)!));
          });
    const [outBucket, ...outPath] = directory.replace(/^gs:\/\//, '').split('/');
    gcs.put(outBucket!, `${outPath.join('/')}/predictions.jsonl`, lines.map((l) => l + '\n').join(''));
    r.completionStats = { successfulCount: String(lines.length), failedCount: '0', incompleteCount: '0' };
  };

  const server = await startServer([
    {
      method: 'POST',
      pattern: new RegExp(`^${PARENT}$`),
      handler: (req, res) => {
        if (!authorized(req.headers)) return unauthenticated(res);
        const body = JSON.parse(req.body.toString('utf8')) as Record<string, unknown>;
        created.push(body);
        const name = `${req.match[1]}/batchPredictionJobs/${7000 + ++counter}`;
        const resource: Record<string, unknown> = {
          ...body,
          name,
          state: 'JOB_STATE_PENDING',
          createTime: `2026-11-28T10:00:0${counter % 10}Z`,
          updateTime: `2026-11-28T10:00:0${counter % 10}Z`,
        };
        const fate = fake.fate;
        const end = fate === 'fail' ? 'JOB_STATE_FAILED' : 'JOB_STATE_SUCCEEDED';
        jobs.set(name, { resource, fate, script: ['JOB_STATE_RUNNING', end] });
        sendJson(res, 200, resource);
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${PARENT}$`),
      handler: (req, res) => {
        if (!authorized(req.headers)) return unauthenticated(res);
        const filter = req.query.get('filter') ?? '';
        const displayName = /^display_name="([^"]*)"$/.exec(filter)?.[1];
        if (filter !== '' && displayName === undefined) {
          return sendError(res, 400, 'INVALID_ARGUMENT', 'badRequest', `this fake understands display_name="..." only, got ${filter}`);
        }
        const parent = req.match[1]!;
        const list = [...jobs.values()]
          .map((j) => j.resource)
          .filter((r) => String(r.name).startsWith(`${parent}/`) && (displayName === undefined || r.displayName === displayName));
        sendJson(res, 200, list.length ? { batchPredictionJobs: list } : {});
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^/v1/(projects/[^/]+/locations/[^/]+/batchPredictionJobs/[^/]+)$`),
      handler: (req, res) => {
        if (!authorized(req.headers)) return unauthenticated(res);
        const job = jobs.get(req.match[1]!);
        if (!job) return sendError(res, 404, 'NOT_FOUND', 'notFound', 'The BatchPredictionJob does not exist.');
        const next = job.script.shift();
        if (next === 'JOB_STATE_RUNNING') job.resource.state = next;
        else if (next !== undefined) finish(job, next);
        sendJson(res, 200, job.resource);
      },
    },
  ]);
  const fake: FakeVertex = { ...server, jobs, created, behave: () => ({ kind: 'ok' }), fate: 'succeed' };
  return fake;
}
