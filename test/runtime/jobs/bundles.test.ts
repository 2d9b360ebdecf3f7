/**
 * Each job's esbuild bundle, run as a real `node` process against the fake BigQuery and Cloud
 * Storage servers (pointed at with BIGQUERY_EMULATOR_HOST and STORAGE_EMULATOR_HOST).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleJob, maxBundleBytes } from '../../../lib/private/bundling';
import { JOB_KINDS, JobKind, layout, ManifestDocument } from '../../../runtime/contract';
import { FakeBigQuery, startFakeBigQuery } from '../../fakes/bigquery-server';
import { DuckEngine } from '../../fakes/duck-engine';
import { FakeGcs, startFakeGcs } from '../../fakes/gcs-server';
import { BUCKET, jobEnv } from '../../fakes/harness';
import { runScript } from '../../fakes/process';
import { runVertex } from '../../fakes/vertex';

let gcs: FakeGcs;
let bq: FakeBigQuery;
let outDir: string;
const files = {} as Record<JobKind, string>;

beforeAll(async () => {
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-bundles-'));
  for (const kind of JOB_KINDS) files[kind] = bundleJob(kind, outDir).file;
  gcs = await startFakeGcs();
  bq = await startFakeBigQuery(await DuckEngine.create(), gcs);
});

afterAll(async () => {
  await gcs?.close();
  await bq?.close();
  fs.rmSync(outDir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  logs: Array<Record<string, unknown>>;
  stderr: string;
}

async function runBundle(kind: JobKind, env: Record<string, string | undefined>): Promise<Run> {
  const { code, stdout, stderr } = await runScript(files[kind], outDir, {
    PATH: process.env.PATH,
    BIGQUERY_EMULATOR_HOST: bq.url,
    STORAGE_EMULATOR_HOST: gcs.url,
    ...env,
  } as NodeJS.ProcessEnv);
  try {
    const logs = stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { code, logs, stderr };
  } catch (e) {
    throw new Error(`${kind} wrote a line that is not JSON: ${(e as Error).message}\n${stdout}\n${stderr}`);
  }
}

const store = {
  readText: async (p: string) => gcs.text(BUCKET, p) ?? '',
  writeText: async (p: string, t: string) => gcs.put(BUCKET, p, t),
};

describe('job bundles as processes', () => {
  test.each(JOB_KINDS)('the %s bundle is one small file without the Vertex AI client', (kind) => {
    const code = fs.readFileSync(files[kind], 'utf8');
    expect(code.length).toBeLessThan(maxBundleBytes(kind));
    expect(code).not.toMatch(/google\.cloud\.aiplatform\.v1/);
    expect(code).toMatch(/jobs\.query|\/queries/);
  });

  test('planner, generator, processor and reporter succeed end to end and exit 0', async () => {
    await bq.engine.insert(
      'transcription_pass_2',
      Array.from({ length: 5 }, (_, i) => ({
        transcript_id: `call-${i}`,
        transcript: i === 4 ? '' : `transcript ${i}`,
        ingested_at: '2026-11-28T09:00:00Z',
      })),
    );
    const env = { ...jobEnv(), TAP_EXECUTION_ID: 'bundle-run', TAP_BATCH_SIZE: '3' };

    const planner = await runBundle('planner', env);
    expect(planner.stderr).toBe('');
    expect(planner.code).toBe(0);
    expect(planner.logs.at(-1)).toMatchObject({
      severity: 'INFO',
      event: 'job_finished',
      job: 'planner',
      execution_id: 'bundle-run',
      records: 5,
      batch_count: 2,
    });
    expect(JSON.parse(gcs.text(BUCKET, layout.plan('bundle-run'))!)).toMatchObject({ records: 5, batch_count: 2 });

    for (const batch of [0, 1]) {
      const batchEnv = { ...env, TAP_BATCH_ID: String(batch), TAP_ATTEMPT: '1' };
      const generator = await runBundle('generator', batchEnv);
      expect(generator.code).toBe(0);
      expect(generator.logs.at(-1)).toMatchObject({ event: 'job_finished', batch: String(batch), attempt: 1 });
      const manifest = JSON.parse(gcs.text(BUCKET, layout.manifest('bundle-run', String(batch), 1))!) as ManifestDocument;
      const outputDir = await runVertex(store, manifest, { files: 2, reverse: true });
      const processorEnv = {
        ...batchEnv,
        TAP_VERTEX_JOB: `projects/p/locations/l/batchPredictionJobs/${batch}`,
        TAP_VERTEX_STATE: 'JOB_STATE_SUCCEEDED',
        TAP_VERTEX_OUTPUT_DIR: outputDir,
      };
      const processor = await runBundle('processor', processorEnv);
      expect(processor.stderr).toBe('');
      expect(processor.code).toBe(0);
      // The same batch again: loads answer 409, nothing is added.
      const again = await runBundle('processor', processorEnv);
      expect(again.code).toBe(0);
      // The batch workflow's own write, from result.json.
      const result = JSON.parse(gcs.text(BUCKET, layout.result('bundle-run', String(batch), 1))!);
      await bq.engine.insert('batch_events', [
        {
          execution_id: 'bundle-run',
          batch_id: batch,
          attempt: 1,
          status: 'succeeded',
          records: result.records,
          event_time: '2026-11-28T10:00:00Z',
        },
      ]);
    }
    const results = await bq.engine.run({ sql: 'SELECT COUNT(*) AS n FROM transcription_analyzed_transcripts' });
    expect(results.rows).toEqual([{ n: 4 }]);
    const errors = await bq.engine.run({ sql: 'SELECT record_id, error_type FROM error_tracking' });
    expect(errors.rows).toEqual([{ record_id: 'call-4', error_type: 'empty_transcript' }]);
    expect(bq.calls.filter((c) => c === 'POST /projects/test-project/jobs').length).toBeGreaterThan(0);

    const reporter = await runBundle('reporter', env);
    expect(reporter.code).toBe(0);
    const summary = JSON.parse(gcs.text(BUCKET, layout.summary('bundle-run'))!);
    expect(summary).toMatchObject({
      status: 'succeeded',
      records_total: 5,
      records_succeeded: 4,
      records_failed: 1,
      batches: 2,
      batches_succeeded: 2,
    });
  });

  test.each(JOB_KINDS)('%s exits 1 with a JSON log naming a missing variable', async (kind) => {
    const env: Record<string, string | undefined> = { ...jobEnv(), TAP_EXECUTION_ID: 'x', TAP_BATCH_ID: '0' };
    delete env.TAP_ANALYSIS;
    const run = await runBundle(kind, env);
    expect(run.code).toBe(1);
    expect(run.logs).toEqual([
      expect.objectContaining({
        severity: 'ERROR',
        event: 'job_failed',
        job: kind,
        variable: 'TAP_ANALYSIS',
        error: 'TAP_ANALYSIS: is required but not set',
      }),
    ]);
  });

  test.each([
    ['planner', { TAP_BATCH_SIZE: '0' }, 'TAP_BATCH_SIZE'],
    ['generator', { TAP_BATCH_ID: '-1' }, 'TAP_BATCH_ID'],
    [
      'processor',
      { TAP_VERTEX_JOB: 'j', TAP_VERTEX_STATE: 'JOB_STATE_RUNNING', TAP_VERTEX_OUTPUT_DIR: 'gs://work-bucket/o' },
      'TAP_VERTEX_STATE',
    ],
    ['reporter', { TAP_EXECUTION_ID: 'not an id' }, 'TAP_EXECUTION_ID'],
  ] as const)('%s exits 1 with a JSON log naming an invalid variable', async (kind, extra, variable) => {
    const run = await runBundle(kind, { ...jobEnv(), TAP_EXECUTION_ID: 'x', TAP_BATCH_ID: '0', ...(extra as Record<string, string>) });
    expect(run.code).toBe(1);
    expect(run.logs.at(-1)).toMatchObject({ severity: 'ERROR', event: 'job_failed', variable });
  });
});
