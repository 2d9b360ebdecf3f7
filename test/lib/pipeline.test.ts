import 'cdktf/lib/testing/adapters/jest';
import { Testing } from 'cdktf';
import { BigqueryDataset } from '@cdktf/provider-google/lib/bigquery-dataset';
import { BigqueryTable } from '@cdktf/provider-google/lib/bigquery-table';
import { CloudRunV2Job } from '@cdktf/provider-google/lib/cloud-run-v2-job';
import { ProjectService } from '@cdktf/provider-google/lib/project-service';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { WorkflowsWorkflow } from '@cdktf/provider-google/lib/workflows-workflow';
import { GoogleProjectServiceIdentity } from '@cdktf/provider-google-beta/lib/google-project-service-identity';
import {
  analysisVersion,
  DEFAULT_ANALYSIS,
  JOB_ENV,
  JOB_KINDS,
  LAUNCHER,
  resultsTable,
  TABLE_NAMES,
  VIEW_NAMES,
  WORKFLOW_ENV,
} from '../../runtime/contract';
import { findResource, resources, synthPipelines, Synthesized } from './helpers';

Testing.setupJest();

describe('TranscriptAnalysisPipeline with defaults', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthPipelines({ namePrefix: 'tap-dev', deletionProtection: false, labels: { env: 'dev' } });
  });

  test('enables the APIs it needs without disabling them on destroy', () => {
    for (const service of [
      'bigquery.googleapis.com',
      'run.googleapis.com',
      'workflows.googleapis.com',
      'aiplatform.googleapis.com',
      'workflowexecutions.googleapis.com',
    ]) {
      expect(s.text).toHaveResourceWithProperties(ProjectService, { service, disable_on_destroy: false, project: 'my-project-123' });
    }
    expect(resources(s.json, 'google_project_service').every(([, r]) => r.disable_on_destroy === false)).toBe(true);
  });

  test('creates the dataset in the region, with contents deletable in dev', () => {
    expect(s.text).toHaveResourceWithProperties(BigqueryDataset, {
      dataset_id: 'tap_dev_transcript_analysis',
      location: 'europe-west1',
      delete_contents_on_destroy: true,
    });
  });

  test('creates the eight tables, partitioned by day and clustered, with the contract schemas', () => {
    const tables = resources(s.json, 'google_bigquery_table').filter(([, t]) => !t.view);
    expect(tables.map(([, t]) => t.table_id).sort()).toEqual(
      [
        TABLE_NAMES.source,
        TABLE_NAMES.batchAssignments,
        TABLE_NAMES.batchInputs,
        TABLE_NAMES.results,
        TABLE_NAMES.processedRecords,
        TABLE_NAMES.errorTracking,
        TABLE_NAMES.batchEvents,
        TABLE_NAMES.executions,
      ].sort(),
    );
    for (const [, t] of tables.filter(([, t]) => t.table_id !== TABLE_NAMES.batchInputs)) {
      expect(t.time_partitioning).toEqual({ type: 'DAY', field: expect.any(String) });
    }
    for (const [, t] of tables) {
      expect(t.clustering.length).toBeGreaterThan(0);
      expect(t.deletion_protection).toBe(false);
      const columns = JSON.parse(t.schema).map((c: { name: string }) => c.name);
      expect(columns).toContain(t.time_partitioning.field);
      for (const c of t.clustering) expect(columns).toContain(c);
    }
    const results = findResource(s.json, 'google_bigquery_table', (t) => t.table_id === TABLE_NAMES.results);
    expect(JSON.parse(results.schema)).toEqual(
      resultsTable(DEFAULT_ANALYSIS).columns.map((c) => ({ name: c.name, type: c.type, mode: c.mode, description: c.description })),
    );
    expect(results.clustering).toEqual(['analysis_version', 'record_id']);
  });

  test('the staged transcripts expire with the run files, 30 days after planning by default', () => {
    const inputs = findResource(s.json, 'google_bigquery_table', (t) => t.table_id === TABLE_NAMES.batchInputs);
    expect(inputs.time_partitioning).toEqual({ type: 'DAY', field: 'planned_at', expiration_ms: 30 * 86_400_000 });
    expect(inputs.clustering).toEqual(['execution_id', 'batch_id']);
  });

  test('creates the three views in standard SQL over the dataset', () => {
    for (const name of Object.values(VIEW_NAMES)) {
      const view = findResource(s.json, 'google_bigquery_table', (t) => t.table_id === name);
      expect(view.view.use_legacy_sql).toBe(false);
      expect(view.view.query).toContain('`my-project-123.tap_dev_transcript_analysis.');
      expect(view.depends_on.length).toBeGreaterThanOrEqual(6);
    }
  });

  test('creates private work and artifacts buckets; the work bucket expires run files', () => {
    expect(s.text).toHaveResourceWithProperties(StorageBucket, {
      name: 'my-project-123-tap-dev-work',
      location: 'europe-west1',
      uniform_bucket_level_access: true,
      public_access_prevention: 'enforced',
      force_destroy: true,
    });
    const work = findResource(s.json, 'google_storage_bucket', (b) => b.name.endsWith('-work'));
    expect(work.lifecycle_rule).toEqual([{ action: { type: 'Delete' }, condition: { age: 30 } }]);
    expect(s.text).toHaveResourceWithProperties(StorageBucket, {
      name: 'my-project-123-tap-dev-artifacts',
      public_access_prevention: 'enforced',
    });
  });

  test('creates one service account per role', () => {
    expect(
      resources(s.json, 'google_service_account')
        .map(([, a]) => a.account_id)
        .sort(),
    ).toEqual(
      ['tap-dev-workflows', 'tap-dev-planner', 'tap-dev-generator', 'tap-dev-processor', 'tap-dev-reporter', 'tap-dev-launcher'].sort(),
    );
  });

  test('creates the Vertex AI service agent with the beta provider and lets it use the work bucket', () => {
    expect(s.text).toHaveResourceWithProperties(GoogleProjectServiceIdentity, {
      service: 'aiplatform.googleapis.com',
      provider: 'google-beta',
    });
    const binding = findResource(s.json, 'google_storage_bucket_iam_member', (b) => b.member.includes('google_project_service_identity'));
    expect(binding.role).toBe('roles/storage.objectUser');
    expect(binding.bucket).toMatch(/google_storage_bucket\.Pipeline_WorkBucket_/);
  });

  test('creates four Cloud Run jobs running content-hashed bundles from the read-only artifacts mount', () => {
    // The fifth, the launcher, has its own test (test/lib/launcher.test.ts).
    const jobs = resources(s.json, 'google_cloud_run_v2_job').filter(([, j]) => j.labels['tap-job'] !== LAUNCHER.kind);
    expect(jobs.map(([, j]) => j.name).sort()).toEqual(JOB_KINDS.map((k) => `tap-dev-pass1-batch-${k}`).sort());
    for (const [, job] of jobs) {
      const kind = job.labels['tap-job'];
      const t = job.template.template;
      const container = t.containers[0];
      expect(container.image).toBe('docker.io/library/node:22-slim');
      expect(container.command).toEqual(['node']);
      expect(container.args[0]).toMatch(new RegExp(`^/app/jobs/${kind}-[0-9a-f]{16}\\.js$`));
      expect(container.volume_mounts).toEqual([{ name: 'bundles', mount_path: '/app' }]);
      expect(t.volumes).toEqual([{ name: 'bundles', gcs: { bucket: expect.stringMatching(/ArtifactsBucket/), read_only: true } }]);
      expect(t.execution_environment).toBe('EXECUTION_ENVIRONMENT_GEN2');
      expect(t.service_account).toMatch(new RegExp(`google_service_account\\.Pipeline_Identities_${kind}_`));
      expect(t.timeout).toBe('3600s');
      expect(t.max_retries).toBe(3);
      expect(job.labels.env).toBe('dev');
      const object = findResource(s.json, 'google_storage_bucket_object', (o) => `/app/${o.name}` === container.args[0]);
      expect(object.source).toMatch(new RegExp(`^assets/.*/${kind}-[0-9a-f]{16}\\.js$`));
      expect(job.depends_on).toContain(
        `google_storage_bucket_object.${Object.entries(s.json.resource.google_storage_bucket_object!).find(([, o]) => o === object)![0]}`,
      );
    }
  });

  test('configures the jobs through the contract environment variables, with the analysis as JSON', () => {
    const job = findResource(s.json, 'google_cloud_run_v2_job', (j) => j.name === 'tap-dev-pass1-batch-processor');
    const env = Object.fromEntries(job.template.template.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env[JOB_ENV.projectId]).toBe('my-project-123');
    expect(env[JOB_ENV.dataset]).toBe('tap_dev_transcript_analysis');
    expect(env[JOB_ENV.workBucket]).toBe('my-project-123-tap-dev-work');
    expect(env[JOB_ENV.sourceTable]).toBe('my-project-123.tap_dev_transcript_analysis.transcription_pass_2');
    expect(JSON.parse(env[JOB_ENV.analysis])).toEqual(DEFAULT_ANALYSIS);
    expect(Object.keys(env).every((name) => (Object.values(JOB_ENV) as string[]).includes(name))).toBe(true);
  });

  test('deploys both workflows from workflows/*.yaml, configured only by user env vars', () => {
    expect(s.text).toHaveResourceWithProperties(WorkflowsWorkflow, { name: 'tap-dev-master-orchestrator', region: 'europe-west1' });
    expect(s.text).toHaveResourceWithProperties(WorkflowsWorkflow, { name: 'tap-dev-ta-sub-workflow' });
    for (const [, wf] of resources(s.json, 'google_workflows_workflow')) {
      expect(wf.user_env_vars[WORKFLOW_ENV.batchWorkflow]).toBe('tap-dev-ta-sub-workflow');
      expect(wf.user_env_vars[WORKFLOW_ENV.plannerJob]).toBe('tap-dev-pass1-batch-planner');
      expect(wf.user_env_vars[WORKFLOW_ENV.model]).toBe('publishers/google/models/gemini-2.5-flash');
      expect(wf.user_env_vars[WORKFLOW_ENV.batchSize]).toBe('auto');
      expect(wf.service_account).toMatch(/Pipeline_Identities_workflows_/);
      expect(wf.source_contents).not.toMatch(/tap-dev|my-project-123/);
    }
  });

  test('has no schedule unless asked for one', () => {
    expect(resources(s.json, 'google_cloud_scheduler_job')).toHaveLength(0);
  });

  test('applies the merged labels to everything that takes labels', () => {
    const labelled = [
      'google_bigquery_dataset',
      'google_bigquery_table',
      'google_storage_bucket',
      'google_cloud_run_v2_job',
      'google_workflows_workflow',
    ];
    for (const type of labelled) {
      for (const [id, r] of resources(s.json, type)) {
        expect([id, r.labels]).toEqual([
          id,
          expect.objectContaining({ app: 'transcript-analysis-pipeline', 'tap-pipeline': 'tap-dev', env: 'dev' }),
        ]);
      }
    }
    for (const [, p] of resources(s.json, 'google_monitoring_alert_policy')) expect(p.user_labels.env).toBe('dev');
  });

  test('outputs what an operator needs, including the command that starts a run', () => {
    const outputs = Object.values(s.json.output ?? {}).map((o) => o.value);
    expect(outputs).toContain('tap-dev-master-orchestrator');
    expect(outputs).toContain('my-project-123-tap-dev-work');
    expect(outputs).toContain('my-project-123.tap_dev_transcript_analysis');
    expect(outputs).toContain(analysisVersion(DEFAULT_ANALYSIS));
    expect(outputs).toContain(
      `gcloud workflows run tap-dev-master-orchestrator --project=my-project-123 --location=europe-west1 --data='{"batch_size":"auto"}'`,
    );
  });

  test('exposes its sub-resources', () => {
    const p = s.pipelines[0]!;
    expect(p.workBucket.bucketName).toBe('my-project-123-tap-dev-work');
    expect(p.jobs.planner.jobName).toBe('tap-dev-pass1-batch-planner');
    expect(p.analysisVersion).toBe(analysisVersion(DEFAULT_ANALYSIS));
    // The monitoring sub-construct's resources are the ones synthesized.
    expect(resources(s.json, 'google_monitoring_dashboard').map(([id]) => id)).toEqual([p.monitoring!.dashboard.friendlyUniqueId]);
    expect(resources(s.json, 'google_logging_metric').map(([id]) => id)).toContain(p.monitoring!.batchFailuresMetric.friendlyUniqueId);
  });
});

describe('TranscriptAnalysisPipeline with options', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthPipelines({
      namePrefix: 'tap-prod',
      source: { table: 'data-project-1.calls.transcripts', idColumn: 'call_id', textColumn: 'text' },
      image: 'europe-west1-docker.pkg.dev/my-project-123/tap/jobs:1.0.0',
      schedule: '0 2 * * *',
      monitoring: false,
      jobMemoryMiB: 2048,
      jobCpu: 2,
      vertexRegion: 'us-central1',
    });
  });

  test('keeps data protected by default', () => {
    expect(s.text).toHaveResourceWithProperties(BigqueryDataset, { delete_contents_on_destroy: false });
    expect(
      resources(s.json, 'google_bigquery_table')
        .filter(([, t]) => !t.view)
        .every(([, t]) => t.deletion_protection === true),
    ).toBe(true);
    expect(findResource(s.json, 'google_storage_bucket', (b) => b.name.endsWith('-work')).force_destroy).toBe(false);
  });

  test('reads an existing source table instead of creating one, granting read on it only', () => {
    expect(resources(s.json, 'google_bigquery_table').map(([, t]) => t.table_id)).not.toContain(TABLE_NAMES.source);
    const grants = resources(s.json, 'google_bigquery_table_iam_member').filter(([, g]) => g.table_id === 'transcripts');
    // The planner alone reads it: the generators read the transcripts it staged.
    expect(grants.map(([, g]) => [g.project, g.dataset_id, g.role, g.member]).sort()).toEqual([
      ['data-project-1', 'calls', 'roles/bigquery.dataViewer', expect.stringContaining('planner')],
    ]);
    const job = findResource(s.json, 'google_cloud_run_v2_job', (j) => j.name === 'tap-prod-pass1-batch-planner');
    const env = Object.fromEntries(job.template.template.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect([env[JOB_ENV.sourceTable], env[JOB_ENV.sourceIdColumn], env[JOB_ENV.sourceTextColumn]]).toEqual([
      'data-project-1.calls.transcripts',
      'call_id',
      'text',
    ]);
  });

  test('runs a user image with no bundle, mount or artifacts grants', () => {
    expect(s.text).toHaveResourceWithProperties(CloudRunV2Job, { name: 'tap-prod-pass1-batch-generator' });
    for (const [, job] of resources(s.json, 'google_cloud_run_v2_job')) {
      const t = job.template.template;
      expect(t.containers[0].image).toBe('europe-west1-docker.pkg.dev/my-project-123/tap/jobs:1.0.0');
      if (job.labels['tap-job'] !== LAUNCHER.kind) expect(t.containers[0].resources.limits).toEqual({ cpu: '2', memory: '2048Mi' });
      expect(t.volumes).toBeUndefined();
      expect(t.containers[0].args).toEqual([job.labels['tap-job']]);
    }
    expect(resources(s.json, 'google_storage_bucket_object')).toHaveLength(0);
    expect(
      resources(s.json, 'google_storage_bucket_iam_member').filter(([, g]) => String(g.bucket).includes('ArtifactsBucket')),
    ).toHaveLength(0);
  });

  test('starts the master workflow on the schedule as its own identity', () => {
    const job = findResource(s.json, 'google_cloud_scheduler_job', () => true);
    expect(job.schedule).toBe('0 2 * * *');
    expect(job.time_zone).toBe('Etc/UTC');
    expect(job.http_target.uri).toBe(
      'https://workflowexecutions.googleapis.com/v1/projects/my-project-123/locations/europe-west1/workflows/tap-prod-master-orchestrator/executions',
    );
    // A scheduled run that finds another run active ends quietly instead of failing.
    expect(JSON.parse(Buffer.from(job.http_target.body, 'base64').toString())).toEqual({ argument: '{"skip_if_busy":true}' });
    expect(job.http_target.oauth_token.service_account_email).toMatch(/Pipeline_Identities_scheduler_/);
    expect(s.text).toHaveResourceWithProperties(ProjectService, { service: 'cloudscheduler.googleapis.com' });
  });

  test('puts the work bucket in the Vertex AI region', () => {
    expect(findResource(s.json, 'google_storage_bucket', (b) => b.name.endsWith('-work')).location).toBe('us-central1');
    const wf = findResource(s.json, 'google_workflows_workflow', (w) => w.name === 'tap-prod-ta-sub-workflow');
    expect(wf.user_env_vars.TAP_VERTEX_REGION).toBe('us-central1');
  });

  test('switches monitoring off', () => {
    for (const type of ['google_logging_metric', 'google_monitoring_alert_policy', 'google_monitoring_dashboard']) {
      expect(resources(s.json, type)).toHaveLength(0);
    }
    // and nothing else goes with it: the tables and views are all there.
    expect(s.text).toHaveResourceWithProperties(BigqueryTable, { table_id: TABLE_NAMES.results });
    expect(s.pipelines[0]!.monitoring).toBeUndefined();
  });
});
