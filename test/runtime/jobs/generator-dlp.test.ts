/**
 * The generator's bundle with redaction on, as a real process: the official Sensitive Data
 * Protection client (REST transport) against the fake DLP server, BigQuery and Cloud Storage fakes
 * as in bundles.test.ts. The requests in the bucket hold only redacted text; the results carry counts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleJob } from '../../../lib/private/bundling';
import { DEFAULT_ANALYSIS, JobKind, layout, ManifestDocument, OVERRIDE_ENV, resolveRedaction } from '../../../runtime/contract';
import { FakeBigQuery, startFakeBigQuery } from '../../fakes/bigquery-server';
import { FakeDlp, startFakeDlp } from '../../fakes/dlp-server';
import { DuckEngine } from '../../fakes/duck-engine';
import { FakeGcs, startFakeGcs } from '../../fakes/gcs-server';
import { BUCKET, jobEnv } from '../../fakes/harness';
import { ProcessRun, runScript } from '../../fakes/process';
import { runVertex } from '../../fakes/vertex';

const SPEC = { ...DEFAULT_ANALYSIS, redaction: resolveRedaction({ infoTypes: ['EMAIL_ADDRESS', 'PHONE_NUMBER'] }) };
const KINDS: JobKind[] = ['planner', 'generator', 'processor'];

let gcs: FakeGcs;
let bq: FakeBigQuery;
let dlp: FakeDlp;
let outDir: string;
const files = {} as Record<JobKind, string>;

beforeAll(async () => {
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-dlp-bundles-'));
  for (const kind of KINDS) files[kind] = bundleJob(kind, outDir).file;
  gcs = await startFakeGcs();
  bq = await startFakeBigQuery(await DuckEngine.create(SPEC), gcs);
  dlp = await startFakeDlp({ token: 'emulator' });
});

afterAll(async () => {
  await gcs?.close();
  await bq?.close();
  await dlp?.close();
  fs.rmSync(outDir, { recursive: true, force: true });
});

function runBundle(kind: JobKind, env: Record<string, string | undefined>): Promise<ProcessRun> {
  return runScript(files[kind], outDir, {
    PATH: process.env.PATH,
    BIGQUERY_EMULATOR_HOST: bq.url,
    STORAGE_EMULATOR_HOST: gcs.url,
    ...env,
  } as NodeJS.ProcessEnv);
}

test('the generator de-identifies through Sensitive Data Protection before writing any request', async () => {
  await bq.engine.insert('transcription_pass_2', [
    { transcript_id: 'a', transcript: 'Customer: mail me at jane.doe@example.com please', ingested_at: '2026-11-28T09:00:00Z' },
    { transcript_id: 'b', transcript: 'Customer: call 415 555 0123 or 415 555 0199', ingested_at: '2026-11-28T09:00:00Z' },
    { transcript_id: 'c', transcript: 'Customer: nothing personal', ingested_at: '2026-11-28T09:00:00Z' },
  ]);
  const env = { ...jobEnv(SPEC), TAP_EXECUTION_ID: 'dlp-run', TAP_BATCH_SIZE: '10', [OVERRIDE_ENV.dlpEndpoint]: dlp.url };
  expect((await runBundle('planner', env)).code).toBe(0);

  const batchEnv = { ...env, TAP_BATCH_ID: '0', TAP_ATTEMPT: '1' };
  const generator = await runBundle('generator', batchEnv);
  expect(generator.stderr).toBe('');
  expect(generator.code).toBe(0);
  expect(dlp.calls).toEqual(['POST /v2/projects/test-project/locations/europe-west4/content:deidentify']);
  // The parent travels in the path (checked above), the rest as the JSON body.
  expect(dlp.state.requests[0]).toMatchObject({
    inspectConfig: { infoTypes: [{ name: 'EMAIL_ADDRESS' }, { name: 'PHONE_NUMBER' }] },
  });

  const input = gcs.text(BUCKET, layout.input('dlp-run', '0', 1))!;
  expect(input).toContain('mail me at [EMAIL_ADDRESS] please');
  expect(input).toContain('call [PHONE_NUMBER] or [PHONE_NUMBER]');
  for (const value of ['jane.doe@example.com', '555 0123', '555 0199']) {
    expect(input).not.toContain(value);
    expect(generator.stdout).not.toContain(value);
  }
  const manifest = JSON.parse(gcs.text(BUCKET, layout.manifest('dlp-run', '0', 1))!) as ManifestDocument;
  expect(manifest.redacted).toEqual({ EMAIL_ADDRESS: 1, PHONE_NUMBER: 2 });
  expect(generator.stdout).toContain('"event":"redacted"');

  const outputDir = await runVertex(
    { readText: async (p) => gcs.text(BUCKET, p) ?? '', writeText: async (p, t) => gcs.put(BUCKET, p, t) },
    manifest,
  );
  const processor = await runBundle('processor', {
    ...batchEnv,
    TAP_VERTEX_JOB: 'projects/p/locations/l/batchPredictionJobs/0',
    TAP_VERTEX_STATE: 'JOB_STATE_SUCCEEDED',
    TAP_VERTEX_OUTPUT_DIR: outputDir,
  });
  expect(processor.code).toBe(0);
  const results = await bq.engine.run({
    sql: 'SELECT record_id, redaction_counts FROM transcription_analyzed_transcripts ORDER BY record_id',
  });
  expect(results.rows.map((r) => [r.record_id, JSON.parse(String(r.redaction_counts))])).toEqual([
    ['a', { EMAIL_ADDRESS: 1 }],
    ['b', { PHONE_NUMBER: 2 }],
    ['c', {}],
  ]);
}, 120_000);

test('a generator that cannot reach Sensitive Data Protection fails and writes no request', async () => {
  const env = { ...jobEnv(SPEC), TAP_EXECUTION_ID: 'dlp-down', TAP_BATCH_SIZE: '10', [OVERRIDE_ENV.dlpEndpoint]: dlp.url };
  await bq.engine.insert('transcription_pass_2', [
    { transcript_id: 'd', transcript: 'Customer: a@b.com', ingested_at: '2026-11-28T09:00:00Z' },
  ]);
  expect((await runBundle('planner', env)).code).toBe(0);
  dlp.state.failWith.push(403);
  const generator = await runBundle('generator', { ...env, TAP_BATCH_ID: '0', TAP_ATTEMPT: '1' });
  expect(generator.code).toBe(1);
  expect(generator.stdout).toContain('"event":"job_failed"');
  expect(gcs.text(BUCKET, layout.manifest('dlp-down', '0', 1))).toBeUndefined();
  expect(gcs.text(BUCKET, layout.input('dlp-down', '0', 1)) ?? '').not.toContain('a@b.com');
}, 120_000);
