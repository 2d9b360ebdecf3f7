/**
 * Policy checks over the synthesized JSON of every stack the package builds: main.ts's stacks, and
 * a stack with two pipelines.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Testing, TerraformStack } from 'cdktf';
import { escapeTerraformTemplate } from '../../lib';
import { LAUNCHER_PERMISSIONS, WORKFLOW_FILES } from '../../runtime/contract';
import { buildApp } from '../../main';
import { resources, synthPipelines, TfJson } from './helpers';

const ROOT = path.join(__dirname, '..', '..');

let stacks: Array<[string, TfJson]>;
beforeAll(() => {
  const app = buildApp({ TAP_STATE_BUCKET: 'my-state-bucket' });
  stacks = app.node.children
    .filter((c): c is TerraformStack => c instanceof TerraformStack)
    .map((stack) => [stack.node.id, JSON.parse(Testing.synth(stack, true)) as TfJson]);
  const two = synthPipelines({ namePrefix: 'tap-a', schedule: '0 * * * *' }, { namePrefix: 'tap-b', monitoring: false });
  stacks.push(['two pipelines', two.json]);
});

const IAM_TYPES = [
  'google_project_iam_member',
  'google_bigquery_table_iam_member',
  'google_storage_bucket_iam_member',
  'google_cloud_run_v2_job_iam_member',
];

/** A resource by its `${type.id.attr}` reference. */
function deref(json: TfJson, ref: string): Record<string, any> | undefined {
  const m = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.[a-z_]+\}$/.exec(ref);
  return m ? json.resource[m[1]!]?.[m[2]!] : undefined;
}

/** Who (identity role) gets which role on what, from the synthesized IAM bindings. */
function bindings(json: TfJson): Set<string> {
  const out = new Set<string>();
  for (const type of IAM_TYPES) {
    for (const [, b] of resources(json, type)) {
      const sa = /^serviceAccount:(\$\{.*\})$/.exec(b.member)?.[1];
      const agent = b.member.includes('google_project_service_identity');
      const account = sa ? deref(json, sa) : undefined;
      const who = agent ? 'Vertex AI service agent' : account ? account.account_id.replace(/^tap-[a-z]+-/, '') : `?${b.member}`;
      let on: string;
      if (type === 'google_project_iam_member') on = 'project';
      else if (type === 'google_cloud_run_v2_job_iam_member') on = 'each job';
      else if (type === 'google_storage_bucket_iam_member')
        on = `${deref(json, b.bucket)!.name.endsWith('-work') ? 'work' : 'artifacts'} bucket`;
      else on = `table ${deref(json, b.table_id)?.table_id ?? b.table_id}`;
      out.add(`${who} | ${roleName(json, b.role)} | ${on}`);
    }
  }
  return out;
}

/** A predefined role as it is; a custom role of the stack as `custom role (its permissions)`. */
function roleName(json: TfJson, role: string): string {
  const custom = /^\$\{google_project_iam_custom_role\./.test(role) ? deref(json, role) : undefined;
  return custom ? `custom role (${[...custom.permissions].sort().join(', ')})` : role;
}

/** The README's access table, expanded to one line per identity, role and target. */
function readmeBindings(): Set<string> {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.split('### Who may do what')[1]!.split('\n## ')[0]!;
  const out = new Set<string>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 5 || !(cells[2]!.startsWith('`roles/') || cells[2]!.startsWith('custom role'))) continue;
    const who = cells[1]!.replace(/`/g, '');
    const role = cells[2]!.startsWith('custom role')
      ? `custom role (${[...cells[2]!.matchAll(/`([a-z.]+)`/g)]
          .map((m) => m[1]!)
          .sort()
          .join(', ')})`
      : cells[2]!.replace(/`/g, '');
    const on = cells[3]!;
    const tables = [...on.matchAll(/`([a-z_0-9]+)`/g)].map((m) => m[1]!);
    if (on.startsWith('tables') || on.startsWith('table') || on.startsWith('views'))
      for (const t of tables) out.add(`${who} | ${role} | table ${t}`);
    else out.add(`${who} | ${role} | ${on}`);
  }
  return out;
}

describe('policy over every synthesized stack', () => {
  test('main.ts builds a dev and a prod stack', () => {
    expect(stacks.map(([id]) => id).slice(0, 2)).toEqual(['dev', 'prod']);
  });

  test('grants no primitive role', () => {
    for (const [id, json] of stacks) {
      for (const type of IAM_TYPES) {
        for (const [, b] of resources(json, type))
          expect([id, b.role]).not.toEqual([id, expect.stringMatching(/^roles\/(owner|editor|viewer)$/)]);
      }
    }
  });

  test('makes nothing public', () => {
    for (const [, json] of stacks) expect(JSON.stringify(json)).not.toMatch(/allUsers|allAuthenticatedUsers/);
  });

  test('every bucket has uniform access and public access prevention enforced', () => {
    for (const [, json] of stacks) {
      const buckets = resources(json, 'google_storage_bucket');
      expect(buckets.length).toBeGreaterThan(0);
      for (const [, b] of buckets)
        expect([b.name, b.uniform_bucket_level_access, b.public_access_prevention]).toEqual([b.name, true, 'enforced']);
    }
  });

  test('creates no service account key', () => {
    for (const [, json] of stacks) {
      expect(Object.keys(json.resource).filter((t) => t.includes('key'))).toEqual([]);
    }
  });

  test('writes every ${ of a workflow source as $${ and keeps the source otherwise unchanged', () => {
    const files = Object.values(WORKFLOW_FILES).map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8'));
    expect(files.join('')).toContain('${');
    for (const [, json] of stacks) {
      const workflows = resources(json, 'google_workflows_workflow');
      expect(workflows.length).toBeGreaterThanOrEqual(2);
      for (const [, wf] of workflows) {
        const src: string = wf.source_contents;
        expect(src.replace(/\$\$\{/g, '')).not.toContain('${');
        expect(src.replace(/%%\{/g, '')).not.toContain('%{');
        expect(files.map(escapeTerraformTemplate)).toContain(src);
      }
    }
  });

  test("every service account's roles are the README's table, no more and no less", () => {
    const documented = readmeBindings();
    expect(documented.size).toBeGreaterThan(20);
    const dev = stacks.find(([id]) => id === 'dev')![1];
    const prod = stacks.find(([id]) => id === 'prod')![1];
    const synthesized = new Set([...bindings(dev), ...bindings(prod)]);
    expect([...synthesized].sort()).toEqual([...documented].sort());
  });

  test('grants project-level roles only where no resource-level role exists', () => {
    const allowed = new Set(['roles/bigquery.jobUser', 'roles/aiplatform.user', 'roles/workflows.invoker', 'roles/logging.logWriter']);
    // The launcher's custom role holds exactly the two Workflows permissions it uses.
    allowed.add(`custom role (${[...LAUNCHER_PERMISSIONS].sort().join(', ')})`);
    for (const [, json] of stacks)
      for (const [, b] of resources(json, 'google_project_iam_member')) expect(allowed).toContain(roleName(json, b.role));
  });
});

describe('two pipelines in one stack', () => {
  test('synthesize without a name collision', () => {
    const json = stacks.find(([id]) => id === 'two pipelines')![1];
    const named: Array<[string, string]> = [
      ['google_storage_bucket', 'name'],
      ['google_bigquery_dataset', 'dataset_id'],
      ['google_service_account', 'account_id'],
      ['google_cloud_run_v2_job', 'name'],
      ['google_workflows_workflow', 'name'],
      ['google_logging_metric', 'name'],
      ['google_cloud_scheduler_job', 'name'],
      ['google_project_iam_custom_role', 'role_id'],
    ];
    for (const [type, key] of named) {
      const values = resources(json, type).map(([, r]) => String(r[key]));
      expect([type, new Set(values).size]).toEqual([type, values.length]);
    }
    // The same bundle goes to each pipeline's own artifacts bucket.
    const objects = resources(json, 'google_storage_bucket_object').map(([, o]) => `${o.bucket}/${o.name}`);
    expect(new Set(objects).size).toBe(10);
    expect(resources(json, 'google_cloud_run_v2_job')).toHaveLength(10);
    expect(resources(json, 'google_workflows_workflow')).toHaveLength(4);
    expect(Object.keys(json.output ?? {}).length).toBe(16);
    expect(resources(json, 'google_logging_metric').every(([, m]) => m.name.startsWith('tap-a-'))).toBe(true);
    // Both find the one google-beta provider the first created for the Vertex AI service agent.
    expect((json.provider?.['google-beta'] ?? []).length).toBe(1);
    expect(resources(json, 'google_project_service_identity')).toHaveLength(2);
  });
});

describe('main.ts', () => {
  test('stores state in Cloud Storage when TAP_STATE_BUCKET is set', () => {
    const dev = stacks.find(([id]) => id === 'dev')![1] as TfJson & { terraform: { backend?: Record<string, unknown> } };
    expect(dev.terraform.backend).toEqual({ gcs: { bucket: 'my-state-bucket', prefix: 'transcript-analysis-pipeline/dev' } });
  });
});
