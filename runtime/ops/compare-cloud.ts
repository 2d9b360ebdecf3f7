/**
 * `tapctl compare` against a deployed pipeline: the same comparison as on a laptop (`compare.ts`:
 * the same sample, requests, answer parsing and report), with the candidate's requests answered by
 * one small Vertex AI batch prediction job, through the official clients:
 *
 * - the requests go to the work bucket as one JSONL (`layout.comparisonInput`);
 * - one job reads them, named after the comparison (`tapctl-compare-<comparison id>`), so that the
 *   same comparison run again finds its job (running or succeeded) instead of paying for a second;
 *   a job that ended without answers is not reused;
 * - its output lines (every `*.jsonl` under `outputInfo.gcsOutputDirectory`) are parsed as the
 *   processor parses a batch's;
 * - the answers are loaded into `analysis_comparisons`, created on first use with the contract's
 *   schema (a deployment that never compares has no such table). Nothing is written to a results
 *   table, and a job that fails writes nothing at all.
 */
import type { AuthClient } from 'google-auth-library';
import { AnalysisSpec, COMPARISONS_TABLE, gsUri, layout, modelResource, parseGsUri, TABLE_NAMES } from '../contract';
import type { ObjectStore, Warehouse } from '../core/ports';
import type { BigQueryWarehouse } from '../adapters/gcp/bigquery-warehouse';
import { compareAnalyses, CompareReport, givenBaseline, SampleAnswerer, SourceTable } from './compare';
import type { CloudConfig } from './config';
import { OperatorError } from './errors';
import { credentials, explain, gaxEndpoint, shortName } from './gcp';

/**
 * States after which a batch prediction job does not change any more; PAUSED is waited no longer
 * either, as Google's sample does.
 * @see https://cloud.google.com/vertex-ai/docs/reference/rest/v1/JobState
 */
const ENDED = new Set([
  'JOB_STATE_SUCCEEDED',
  'JOB_STATE_PARTIALLY_SUCCEEDED',
  'JOB_STATE_FAILED',
  'JOB_STATE_CANCELLED',
  'JOB_STATE_EXPIRED',
  'JOB_STATE_PAUSED',
]);
/** Ended states whose output holds the answers. */
const ANSWERED = new Set(['JOB_STATE_SUCCEEDED', 'JOB_STATE_PARTIALLY_SUCCEEDED']);

/** The display name of a comparison's Vertex AI job: how a re-run finds it. */
export function comparisonJobName(comparisonId: string): string {
  return `tapctl-compare-${comparisonId}`;
}

/** The part of a `BatchPredictionJob` read here (REST JSON names, as the client gives them). */
interface JobRead {
  name?: string | null;
  state?: unknown;
  createTime?: { seconds?: unknown; nanos?: number | null } | null;
  error?: { message?: string | null } | null;
  completionStats?: { successfulCount?: unknown; failedCount?: unknown; incompleteCount?: unknown } | null;
  outputInfo?: { gcsOutputDirectory?: string | null } | null;
}

/** What `vertexAnswerer` needs of the official `JobServiceClient`. */
export interface JobService {
  listBatchPredictionJobs(request: { parent: string; filter: string }): Promise<[JobRead[], ...unknown[]]>;
  createBatchPredictionJob(request: { parent: string; batchPredictionJob: Record<string, unknown> }): Promise<[JobRead, ...unknown[]]>;
  getBatchPredictionJob(request: { name: string }): Promise<[JobRead, ...unknown[]]>;
}

export interface VertexAnswererOptions {
  readonly jobs: JobService;
  /** `projects/P/locations/L`. */
  readonly parent: string;
  readonly candidate: AnalysisSpec;
  /** The work bucket and the store on it. */
  readonly bucket: string;
  readonly store: ObjectStore;
  readonly pollSeconds: number;
  /** Sees each change of the job's state and progress, as one line. */
  readonly onProgress?: (line: string) => void;
}

const n = (v: unknown) => (v === null || v === undefined || !Number.isFinite(Number(String(v))) ? 0 : Number(String(v)));

/** Answers a comparison's requests with one Vertex AI batch prediction job, found again when it exists. */
export function vertexAnswerer(o: VertexAnswererOptions): SampleAnswerer {
  return async (requests, comparisonId) => {
    const displayName = comparisonJobName(comparisonId);
    // The filter grammar: https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.batchPredictionJobs/list
    const [found] = await o.jobs.listBatchPredictionJobs({ parent: o.parent, filter: `display_name="${displayName}"` });
    const reusable = found
      .filter((j) => !ENDED.has(String(j.state)) || ANSWERED.has(String(j.state)))
      .sort((a, b) => n(b.createTime?.seconds) - n(a.createTime?.seconds))[0];
    let job: JobRead;
    if (reusable) {
      job = reusable;
      o.onProgress?.(`found Vertex AI job ${shortName(job.name ?? '')} of this comparison (${String(job.state)}): not sending again`);
    } else {
      const input = layout.comparisonInput(comparisonId);
      await o.store.writeText(input, requests.map((r) => r.line + '\n').join(''));
      // The request body: https://cloud.google.com/vertex-ai/generative-ai/docs/multimodal/batch-prediction-from-cloud-storage
      [job] = await o.jobs.createBatchPredictionJob({
        parent: o.parent,
        batchPredictionJob: {
          displayName,
          model: modelResource(o.candidate.model),
          inputConfig: { instancesFormat: 'jsonl', gcsSource: { uris: [gsUri(o.bucket, input)] } },
          outputConfig: {
            predictionsFormat: 'jsonl',
            gcsDestination: { outputUriPrefix: gsUri(o.bucket, layout.comparisonOutput(comparisonId)) },
          },
          labels: { 'tap-comparison': comparisonId },
        },
      });
      o.onProgress?.(`created Vertex AI job ${shortName(job.name ?? '')} for ${requests.length} requests`);
    }
    let last = '';
    for (;;) {
      const state = String(job.state ?? 'JOB_STATE_UNSPECIFIED');
      const stats = job.completionStats;
      const line = `Vertex AI job ${shortName(job.name ?? '')}: ${state.replace(/^JOB_STATE_/, '')} ${n(stats?.successfulCount) + n(stats?.failedCount)}/${requests.length}`;
      if (line !== last) o.onProgress?.(line);
      last = line;
      if (ENDED.has(state)) break;
      await new Promise((resolve) => setTimeout(resolve, o.pollSeconds * 1000));
      [job] = await o.jobs.getBatchPredictionJob({ name: job.name ?? '' });
    }
    const state = String(job.state);
    const again = 'nothing was written to the comparison or results tables; run the same compare again to send the sample in a new job';
    if (!ANSWERED.has(state)) {
      throw new OperatorError(
        `the Vertex AI job ${job.name} of comparison ${comparisonId} ended ${state}${job.error?.message ? `: ${job.error.message}` : ''}`,
        again,
      );
    }
    const directory = job.outputInfo?.gcsOutputDirectory;
    const lines: string[] = [];
    if (directory) {
      const { path } = parseGsUri(directory);
      for (const file of await o.store.list(`${path}/`)) {
        if (!file.endsWith('.jsonl')) continue;
        lines.push(...(await o.store.readText(file)).split('\n').filter((l) => l.trim() !== ''));
      }
    }
    if (lines.length === 0) {
      throw new OperatorError(
        `the Vertex AI job ${job.name} of comparison ${comparisonId} ended ${state} with no output lines${directory ? ` under ${directory}` : ''}`,
        again,
      );
    }
    return lines;
  };
}

/**
 * The deployment's warehouse: `pass1`'s results under the deployment's name for them, and loads into
 * `analysis_comparisons` that first create the table when the dataset has none.
 */
function deployedWarehouse(bq: BigQueryWarehouse, config: CloudConfig): Warehouse {
  const dataset = config.dataset;
  let created = false;
  return {
    table: (id) => bq.table(id === TABLE_NAMES.results ? config.resultsTable : id),
    query: (s) => bq.query(s),
    stream: (s) => bq.stream(s),
    close: () => bq.close(),
    async load(tableId, objectPath, jobId) {
      if (tableId === COMPARISONS_TABLE.name && !created) {
        // tables.insert answers 409 when the table exists: https://cloud.google.com/bigquery/docs/reference/rest/v2/tables/insert
        await bq.client
          .dataset(dataset)
          .createTable(COMPARISONS_TABLE.name, {
            description: COMPARISONS_TABLE.description,
            schema: {
              fields: COMPARISONS_TABLE.columns.map((c) => ({ name: c.name, type: c.type, mode: c.mode, description: c.description })),
            },
            timePartitioning: { type: 'DAY', field: COMPARISONS_TABLE.partitionColumn },
            clustering: { fields: [...COMPARISONS_TABLE.clusterColumns] },
          })
          .catch((e: { code?: number }) => {
            if (e.code !== 409) throw e;
          });
        created = true;
      }
      return bq.load(tableId, objectPath, jobId);
    },
  };
}

export interface CloudCompareOptions {
  readonly config: CloudConfig;
  readonly env: NodeJS.ProcessEnv;
  readonly candidate: AnalysisSpec;
  /** @default 'pass1' */
  readonly baseline?: string;
  /** The deployed declaration of the baseline. @default - the default analysis, when the results are its */
  readonly baselineSpec?: AnalysisSpec;
  readonly sample: number;
  readonly seed: number;
  /** The transcripts, when the deployment reads them from a table of its own. @default - the dataset's source table */
  readonly source?: SourceTable;
  /** Seconds between reads of the job's state. */
  readonly pollSeconds: number;
  readonly onProgress?: (line: string) => void;
}

/** Compares a candidate with a deployed analysis's results: the laptop's comparison, answered by one Vertex AI job. */
export async function compareInCloud(o: CloudCompareOptions): Promise<CompareReport> {
  const { config, env } = o;
  const bucket = config.workBucket;
  if (!bucket) {
    throw new OperatorError(
      'compare in the cloud sends its sample through the work bucket, and none is configured',
      "give --bucket, or write the stack's outputs (work_bucket) to tapctl.json",
    );
  }
  const auth = (await credentials(env)) as AuthClient;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { BigQueryWarehouse } = require('../adapters/gcp/bigquery-warehouse') as typeof import('../adapters/gcp/bigquery-warehouse');
  const { GcsStore } = require('../adapters/gcp/gcs-store') as typeof import('../adapters/gcp/gcs-store');
  const { v1 } = require('@google-cloud/aiplatform') as typeof import('@google-cloud/aiplatform');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const bq = new BigQueryWarehouse({
    projectId: config.projectId,
    dataset: config.dataset,
    location: config.location,
    bucket,
    apiEndpoint: env.TAPCTL_BIGQUERY_ENDPOINT,
    authClient: auth,
  });
  // The Cloud Storage client brings its own major version of google-auth-library, whose request
  // headers a client of this one cannot fill: it finds Application Default Credentials itself.
  const store = new GcsStore({ projectId: config.projectId, bucket, apiEndpoint: env.TAPCTL_STORAGE_ENDPOINT || undefined });
  const location = config.vertexRegion ?? config.region;
  const host = location === 'global' ? 'aiplatform.googleapis.com' : `${location}-aiplatform.googleapis.com`;
  const client = new v1.JobServiceClient({ fallback: true, ...gaxEndpoint(env.TAPCTL_AIPLATFORM_ENDPOINT, host), auth: auth as never });
  try {
    return await compareAnalyses({
      warehouse: deployedWarehouse(bq, config),
      source: o.source,
      store,
      candidate: o.candidate,
      baseline: o.baseline,
      sample: o.sample,
      seed: o.seed,
      resolveBaseline: givenBaseline(o.baselineSpec),
      reproducibleId: true,
      where: `dataset ${config.projectId}.${config.dataset}`,
      answer: vertexAnswerer({
        jobs: client as unknown as JobService,
        parent: `projects/${config.projectId}/locations/${location}`,
        candidate: o.candidate,
        bucket,
        store,
        pollSeconds: o.pollSeconds,
        onProgress: o.onProgress,
      }),
    });
  } catch (error) {
    throw explain(error, { what: 'comparing in the cloud', config });
  } finally {
    await client.close();
    await bq.close();
  }
}
