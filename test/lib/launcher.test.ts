/** The launcher job the construct adds: `<prefix>-run`, with its own identity and least privilege. */
import { LAUNCHER_ENV, LAUNCHER_PERMISSIONS } from '../../runtime/contract';
import { findResource, refTarget, resources, synthPipelines, Synthesized } from './helpers';

describe('the launcher job', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthPipelines({ namePrefix: 'tap-dev', deletionProtection: false, batchSize: 500 });
  });

  test('runs the launcher bundle once per execution, for up to a day, with where the master workflow is', () => {
    const job = findResource(s.json, 'google_cloud_run_v2_job', (j) => j.name === 'tap-dev-run');
    const t = job.template.template;
    expect(job.labels['tap-job']).toBe('launcher');
    expect(t.containers[0].args[0]).toMatch(/^\/app\/jobs\/launcher-[0-9a-f]{16}\.js$/);
    expect(t.max_retries).toBe(0);
    expect(t.timeout).toBe('86400s');
    expect(t.service_account).toMatch(/google_service_account\.Pipeline_Identities_launcher_/);
    const env = Object.fromEntries(t.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toEqual({
      [LAUNCHER_ENV.projectId]: 'my-project-123',
      [LAUNCHER_ENV.region]: 'europe-west1',
      [LAUNCHER_ENV.masterWorkflow]: 'tap-dev-master-orchestrator',
      [LAUNCHER_ENV.analyses]: 'pass1',
    });
  });

  test('its account may only start and read workflow executions, and read its code', () => {
    const role = findResource(s.json, 'google_project_iam_custom_role', () => true);
    expect([...role.permissions].sort()).toEqual([...LAUNCHER_PERMISSIONS].sort());
    expect(role.role_id).toBe('tap_dev_launcher');
    const account = Object.entries(s.json.resource.google_service_account!).find(([, a]) => a.account_id === 'tap-dev-launcher')![0];
    const mine = (b: Record<string, any>) => String(b.member).includes(`google_service_account.${account}.`);
    const project = resources(s.json, 'google_project_iam_member').filter(([, b]) => mine(b));
    expect(project.map(([, b]) => refTarget(b.role))).toEqual([
      `google_project_iam_custom_role.${Object.keys(s.json.resource.google_project_iam_custom_role!)[0]}`,
    ]);
    // No one else holds the custom role.
    expect(resources(s.json, 'google_project_iam_member').filter(([, b]) => String(b.role).includes('custom_role'))).toHaveLength(1);
    expect(
      resources(s.json, 'google_storage_bucket_iam_member')
        .filter(([, b]) => mine(b))
        .map(([, b]) => b.role),
    ).toEqual(['roles/storage.objectViewer']);
    for (const type of ['google_bigquery_table_iam_member', 'google_cloud_run_v2_job_iam_member']) {
      expect(resources(s.json, type).filter(([, b]) => mine(b))).toEqual([]);
    }
  });

  test('its failures (a run it could not start) count in the job failures metric', () => {
    const metric = findResource(s.json, 'google_logging_metric', (m) => m.name === 'tap-dev-job-failures');
    expect(metric.filter).toContain('"tap-dev-run"');
  });

  test('an output gives the command that starts a run through it and waits for the outcome', () => {
    const outputs = Object.entries(s.json.output ?? {}).find(([k]) => k.includes('launch_command'));
    expect(outputs?.[1].value).toBe('gcloud run jobs execute tap-dev-run --project=my-project-123 --region=europe-west1 --wait');
    expect(s.pipelines[0]!.launchCommand).toBe(outputs?.[1].value);
  });
});
