import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { openLocalWorkspace, type LocalWorkspace } from '../../../runtime/adapters/local';
import { FakeGcp } from '../ops/fake-gcp';
import { writeFixture, at } from '../ops/fixture';
import { cli, tapctl } from './run-cli';

const PROJECT = 'acme-prod';
const REGION = 'europe-west4';
const DATASET = 'transcript_analysis';

let dir: string;
let ws: LocalWorkspace;
let fake: FakeGcp;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tap-cloud-'));
  ws = await openLocalWorkspace(path.join(dir, 'warehouse'));
  await writeFixture(ws.warehouse);
  // e3: one batch waiting on its Vertex AI job.
  await ws.warehouse.query({
    sql: `INSERT INTO ${ws.warehouse.table('executions')} (execution_id, status, analysis_version, records_total, skipped_dedup, batch_count, event_time) VALUES ('e3', 'planned', 'v1', 10, 0, 1, @t)`,
    params: { t: at(100) },
    types: { t: 'TIMESTAMP' },
  });
  await ws.warehouse.query({
    sql: `INSERT INTO ${ws.warehouse.table('batch_events')} (execution_id, batch_id, attempt, status, vertex_job, vertex_state, records, event_time) VALUES ('e3', 0, 1, 'submitted', @job, 'JOB_STATE_PENDING', 10, @t)`,
    params: { job: `projects/${PROJECT}/locations/${REGION}/batchPredictionJobs/300`, t: at(101) },
    types: { t: 'TIMESTAMP' },
  });
  fake = await new FakeGcp({
    project: PROJECT,
    region: REGION,
    dataset: DATASET,
    workflows: ['dev-master-orchestrator', 'dev-ta-sub-workflow', 'master-orchestrator', 'ta-sub-workflow'],
    warehouse: ws.warehouse,
  }).start();
  fake.vertexJobs.set(`projects/${PROJECT}/locations/${REGION}/batchPredictionJobs/300`, {
    state: 'JOB_STATE_RUNNING',
    completionStats: { successfulCount: '4', failedCount: '1', incompleteCount: '5' },
  });
  // The stack's outputs, as `terraform output -json` writes them.
  writeFileSync(
    path.join(dir, 'tapctl.json'),
    JSON.stringify({
      project_id: { sensitive: false, type: 'string', value: PROJECT },
      region: { sensitive: false, type: 'string', value: REGION },
      dataset: { sensitive: false, type: 'string', value: DATASET },
      work_bucket: { sensitive: false, type: 'string', value: 'acme-prod-tap-work' },
      master_workflow: { sensitive: false, type: 'string', value: 'dev-master-orchestrator' },
      batch_workflow: { sensitive: false, type: 'string', value: 'dev-ta-sub-workflow' },
    }),
  );
  env = {
    GOOGLE_OAUTH_ACCESS_TOKEN: 'test-token',
    TAPCTL_WORKFLOWS_ENDPOINT: fake.url,
    TAPCTL_AIPLATFORM_ENDPOINT: fake.url,
    TAPCTL_BIGQUERY_ENDPOINT: fake.url,
  };
});

afterEach(async () => {
  await fake.stop();
  await ws.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = (argv: string[], extra: { env?: NodeJS.ProcessEnv; stdin?: string } = {}) =>
  tapctl(argv, { env: { ...env, ...extra.env }, cwd: dir, stdin: extra.stdin });

describe('tapctl against the deployed pipeline (fake Google APIs)', () => {
  test('run starts the master workflow with the parameters given and prints the execution id', async () => {
    const r = await run(['run', '--batch-size', '500', '--limit', '100', '--dry-run', '--allow-concurrent']);
    expect(r.stderr).toContain('started projects/acme-prod/locations/europe-west4/workflows/dev-master-orchestrator/executions/');
    expect(r.code).toBe(0);
    const [call] = fake.callsTo('workflows');
    expect(call).toMatchObject({
      method: 'POST',
      path: `/v1/projects/${PROJECT}/locations/${REGION}/workflows/dev-master-orchestrator/executions`,
    });
    expect(JSON.parse((call!.body as { argument: string }).argument)).toEqual({
      batch_size: 500,
      limit: 100,
      dry_run: true,
      allow_concurrent: true,
    });
    expect(r.stdout.trim()).toMatch(/^\d+-fake-execution$/);
  });

  test('run with flags alone, and a name prefix', async () => {
    rmSync(path.join(dir, 'tapctl.json'));
    const r = await run([
      'run',
      '--project',
      PROJECT,
      '--region',
      REGION,
      '--dataset',
      DATASET,
      '--prefix',
      'dev',
      '--execution-id',
      'nightly-1',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('nightly-1\n');
    expect(fake.callsTo('workflows')[0]!.path).toContain('/workflows/dev-master-orchestrator/executions');
  });

  test('a cdktf outputs file with several stacks needs --stack', async () => {
    writeFileSync(
      path.join(dir, 'outputs.json'),
      JSON.stringify({
        dev: {
          'pipeline_project-id_0A1B2C3D': PROJECT,
          pipeline_region_11111111: REGION,
          pipeline_dataset_22222222: DATASET,
          pipeline_master_workflow_33333333: 'master-orchestrator',
        },
        prod: { project_id: 'other' },
      }),
    );
    const ambiguous = await run(['run', '--config', 'outputs.json']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('choose one with --stack');
    const r = await run(['run', '--config', 'outputs.json', '--stack', 'dev']);
    expect(r.code).toBe(0);
    expect(fake.callsTo('workflows')[0]!.path).toContain('/workflows/master-orchestrator/executions');
  });

  test('no configuration at all says where it comes from', async () => {
    rmSync(path.join(dir, 'tapctl.json'));
    const r = await run(['status']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing --project, --region, --dataset.*terraform output -json > tapctl.json/);
  });

  test('a wrong project is not found, with what to check', async () => {
    const r = await run(['run', '--project', 'acme-typo']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/starting workflow dev-master-orchestrator: not found in project acme-typo, region europe-west4/);
    expect(r.stderr).toMatch(/what to do: check --project, --region and --dataset/);
    const s = await run(['status', '--project', 'acme-typo']);
    expect(s.stderr).toMatch(
      /querying dataset transcript_analysis: not found in project acme-typo[\s\S]*Not found: Dataset acme-typo:transcript_analysis/,
    );
  });

  test('no permission says which roles to ask for', async () => {
    fake.denied.add('workflows');
    const r = await run(['run']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/permission denied in project acme-prod[\s\S]*roles\/workflows.invoker/);
    const partial = await run(['status', '--execution', 'e1']);
    expect(partial.code).toBe(0);
    expect(partial.stdout).toMatch(
      /note: workflow state unavailable: reading execution e1: permission denied in project acme-prod, region europe-west4 \(Permission denied on resource/,
    );
    fake.denied.add('bigquery');
    const s = await run(['status', '--execution', 'e1']);
    expect(s.stderr).toMatch(
      /querying dataset transcript_analysis: permission denied[\s\S]*roles\/bigquery.dataViewer on dataset transcript_analysis/,
    );
  });

  test('refused credentials say to log in again', async () => {
    const r = await run(['run'], { env: { GOOGLE_OAUTH_ACCESS_TOKEN: 'expired-token' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/credentials were refused[\s\S]*gcloud auth application-default login/);
  });

  test('missing credentials say how to provide them', async () => {
    // No token, no key file, no gcloud login in HOME, no metadata server.
    const r = await run(['run'], { env: { GOOGLE_OAUTH_ACCESS_TOKEN: '', HOME: dir, GOOGLE_APPLICATION_CREDENTIALS: '' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no Google Cloud credentials found[\s\S]*gcloud auth application-default login/);
    expect(fake.calls).toEqual([]);
  });

  test('status reads BigQuery, the workflow execution and the live Vertex AI job', async () => {
    fake.addExecution('dev-master-orchestrator', 'e3', ['ACTIVE']);
    const r = await run(['status', '--execution', 'e3']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('Execution e3: running (workflow ACTIVE)');
    expect(r.stdout).toMatch(/^\s*0\s+submitted\s+1\s+10\s+-\s+-\s+RUNNING 5\/10/m);
    expect(fake.callsTo('aiplatform').map((c) => c.path)).toEqual([`/v1/projects/${PROJECT}/locations/${REGION}/batchPredictionJobs/300`]);
    const sql = fake.callsTo('bigquery').map((c) => (c.body as { query: string }).query);
    expect(sql.some((q) => q.includes('`acme-prod.transcript_analysis.batch_events`'))).toBe(true);
  });

  test('status says why a live Vertex AI state could not be read', async () => {
    fake.addExecution('dev-master-orchestrator', 'e3', ['ACTIVE']);
    fake.vertexJobs.delete(`projects/${PROJECT}/locations/${REGION}/batchPredictionJobs/300`);
    const r = await run(['status', '--execution', 'e3']);
    expect(r.stdout).toMatch(/^\s*0\s+submitted\s+1\s+10\s+-\s+-\s+PENDING \(live state unavailable\)/m);
    expect(r.stdout).toContain(
      `note: could not read the live state of Vertex AI job projects/${PROJECT}/locations/${REGION}/batchPredictionJobs/300: `,
    );
    expect(r.stdout).toMatch(/note: could not read the live state .*BatchPredictionJob does not exist/);
  });

  test('status --watch repeats until the workflow execution has finished', async () => {
    fake.addExecution('dev-master-orchestrator', 'e1', ['ACTIVE', 'ACTIVE', 'FAILED'], 'batches failed: [2]');
    const r = await run(['status', '--execution', 'e1', '--watch', '--interval', '0']);
    expect(r.stdout.match(/^Execution e1:/gm)).toHaveLength(3);
    expect(r.stdout).toContain('Execution e1: running (workflow ACTIVE)');
    // The workflow ended without the reporter's row: the run was cut short.
    expect(r.stdout).toContain('Execution e1: interrupted (workflow FAILED)');
    expect(r.stdout).toContain('workflow error: batches failed: [2]');
    expect(r.stdout).toContain(
      'tapctl recover --project acme-prod --region europe-west4 --dataset transcript_analysis --master-workflow dev-master-orchestrator --batch-workflow dev-ta-sub-workflow --execution e1 --all-failed',
    );
    expect(r.code).toBe(3);
  });

  test('status of a run started but not planned yet says so, from the workflow', async () => {
    fake.addExecution('dev-master-orchestrator', 'fresh', ['ACTIVE']);
    const r = await run(['status', '--execution', 'fresh']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Execution fresh: planning (workflow ACTIVE)');
    expect(r.stdout).toContain('No batch events yet.');
  });

  test('status of an unknown execution lists the recent ones', async () => {
    const r = await run(['status', '--execution', 'e9']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no execution "e9" in dataset acme-prod.transcript_analysis');
    expect(r.stderr).toContain('Recent executions: e3, e2, e1');
  });

  test('recover --all-failed starts the batch workflow for each failed batch, with the next attempt', async () => {
    const r = await run(['recover', '--execution', 'e1', '--all-failed']);
    expect(r.code).toBe(0);
    // First whether the run's master is still going (it is not: unknown to the fake), then the start.
    const [check, ...calls] = fake.callsTo('workflows');
    expect(check).toMatchObject({
      method: 'GET',
      path: `/v1/projects/${PROJECT}/locations/${REGION}/workflows/dev-master-orchestrator/executions/e1`,
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.path).toBe(`/v1/projects/${PROJECT}/locations/${REGION}/workflows/dev-ta-sub-workflow/executions`);
    expect(JSON.parse((calls[0]!.body as { argument: string }).argument)).toEqual({ execution_id: 'e1', batch_id: 2, attempt: 3 });
    expect(r.stdout).toMatch(/^\d+-fake-execution {2}\{"execution_id":"e1","batch_id":2,"attempt":3\}$/m);
  });

  test('recover --wait polls the batch executions to their end and reports each', async () => {
    fake.statesOfNew = ['ACTIVE', 'ACTIVE', 'SUCCEEDED'];
    const r = await run(['recover', '--execution', 'e1', '--all-failed', '--wait', '--interval', '0']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\{"execution_id":"e1","batch_id":2,"attempt":3\}: succeeded\n$/);
    expect(r.stderr).toMatch(/: ACTIVE\n.*: SUCCEEDED\n/);
    expect(fake.callsTo('workflows').filter((c) => c.method === 'GET' && c.path.includes('dev-ta-sub-workflow'))).toHaveLength(3);
  });

  test("recover refuses while the run's master workflow is still going", async () => {
    fake.addExecution('dev-master-orchestrator', 'e1', ['ACTIVE']);
    const r = await run(['recover', '--execution', 'e1', '--all-failed']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/execution e1 is still running \(its master workflow is ACTIVE\)[\s\S]*wait for it to end/);
    expect(fake.callsTo('workflows').filter((c) => c.method === 'POST')).toEqual([]);
  });

  test('run --wait fails with the workflow error when the run fails', async () => {
    fake.statesOfNew = ['ACTIVE', 'FAILED'];
    fake.errorOfNew = 'batches failed after 3 attempts: [4]';
    const r = await run(['run', '--wait', '--interval', '0']);
    expect(r.code).toBe(1);
    // The hint points at the same deployment, so it works when pasted.
    expect(r.stderr).toContain(
      'the run failed: batches failed after 3 attempts: [4]; see tapctl status --project acme-prod --region europe-west4 --dataset transcript_analysis ' +
        '--master-workflow dev-master-orchestrator --batch-workflow dev-ta-sub-workflow --execution 00000001-fake-execution',
    );
  });

  test('run --wait exits 3 with the recover command when the run succeeded but left batches failed, 0 when it left none', async () => {
    fake.statesOfNew = ['ACTIVE', 'SUCCEEDED'];
    fake.resultOfNew = JSON.stringify({ execution_id: 'e9', batches_failed: 2, batches_unfinished: 0, failed_batches: [3, 7] });
    const left = await run(['run', '--wait', '--interval', '0']);
    expect(left.code).toBe(3);
    expect(left.stderr).toContain(
      'the run ended with 2 batch(es) left failed or unfinished: recover them with tapctl recover --execution e9 --all-failed ([3,7])',
    );
    fake.resultOfNew = JSON.stringify({ execution_id: 'e10', batches_failed: 0, batches_unfinished: 0, failed_batches: [] });
    const clean = await run(['run', '--wait', '--interval', '0']);
    expect(clean.code).toBe(0);
    expect(clean.stderr).toMatch(/the run succeeded; see tapctl report .* --execution 0000000\d-fake-execution/);
  });

  test('recover by row range uses the seed recovery form', async () => {
    const r = await run(['recover', '--execution', 'e1', '--start-row', '21', '--end-row', '30']);
    expect(r.code).toBe(0);
    const started = fake.callsTo('workflows').filter((c) => c.method === 'POST');
    expect(JSON.parse((started[0]!.body as { argument: string }).argument)).toEqual({ execution_id: 'e1', start_row: 21, end_row: 30 });
    const beyond = await run(['recover', '--execution', 'e1', '--start-row', '21', '--end-row', '31']);
    expect(beyond.stderr).toContain('planned 30 rows');
  });

  test('recover --batch N --force re-runs a batch that succeeded', async () => {
    const r = await run(['recover', '--execution', 'e1', '--batch', '0', '--force']);
    expect(r.code).toBe(0);
    const started = fake.callsTo('workflows').filter((c) => c.method === 'POST');
    expect(JSON.parse((started[0]!.body as { argument: string }).argument)).toEqual({ execution_id: 'e1', batch_id: 0, attempt: 2 });
  });

  test('clear-history deletes through BigQuery after confirmation', async () => {
    const r = await run(['clear-history', '--execution', 'e1'], { stdin: 'y\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('settled 18 records (processed_records) and wrote 18 results in dataset acme-prod.transcript_analysis');
    const deletes = fake
      .callsTo('bigquery')
      .map((c) => (c.body as { query: string }).query)
      .filter((q) => q.startsWith('DELETE'));
    expect(deletes.map((q) => q.split('\n')[0])).toEqual([
      'DELETE FROM `acme-prod.transcript_analysis.processed_records` p',
      'DELETE FROM `acme-prod.transcript_analysis.transcription_analyzed_transcripts` WHERE execution_id = @execution_id',
    ]);
    // What is left: the settled errors of e1 (r20 failed, r21 exhausted), kept as history.
    const left = await ws.warehouse.query<{ record_id: string; status: string }>({
      sql: `SELECT record_id, status FROM ${ws.warehouse.table('processed_records')} ORDER BY record_id`,
    });
    expect(left).toEqual([
      { record_id: 'r20', status: 'failed' },
      { record_id: 'r21', status: 'exhausted' },
    ]);
  });

  test('report gives the same summary as on the laptop, and writes the page', async () => {
    const cloud = await run(['report', '--execution', 'e1', '--json', '--html', 'r.html']);
    expect(cloud.code).toBe(0);
    const local = await cli(['report', '--local', path.join(dir, 'warehouse'), '--execution', 'e1', '--json']);
    const strip = (s: string) => {
      const { duration_seconds: _d, ...rest } = JSON.parse(s);
      return rest;
    };
    expect(strip(cloud.stdout)).toEqual(strip(local.stdout));
    expect(JSON.parse(cloud.stdout).duration_seconds).toBe(35 * 60);
    expect(readFileSync(path.join(dir, 'r.html'), 'utf8')).toContain('data-metric="batches_recovered" data-value="1"');
  });
});
