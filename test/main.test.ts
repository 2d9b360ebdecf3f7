import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { environmentConfig, ENVIRONMENTS, ENVIRONMENT_NAMES } from '../main';

const ROOT = path.join(__dirname, '..');

describe('main.ts', () => {
  test('has a dev and a prod environment with distinct prefixes, dev without deletion protection', () => {
    expect(ENVIRONMENT_NAMES).toEqual(['dev', 'prod']);
    expect(ENVIRONMENTS.dev.namePrefix).not.toBe(ENVIRONMENTS.prod.namePrefix);
    expect([ENVIRONMENTS.dev.deletionProtection, ENVIRONMENTS.prod.deletionProtection]).toEqual([false, true]);
  });

  test('takes project ids and regions from the environment', () => {
    const config = environmentConfig('prod', {
      TAP_PROD_PROJECT_ID: 'acme-prod-42',
      TAP_PROD_REGION: 'us-central1',
      TAP_DEV_PROJECT_ID: 'x-dev-project',
    });
    expect([config.projectId, config.region, config.namePrefix]).toEqual(['acme-prod-42', 'us-central1', 'tap-prod']);
    expect(environmentConfig('dev', {}).projectId).toBe(ENVIRONMENTS.dev.projectId);
  });

  test('as the cdktf app, writes one Terraform JSON per environment with no network and no credentials', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-synth-'));
    try {
      execFileSync(process.execPath, ['bin/run-ts.js', 'main.ts'], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: os.tmpdir(),
          CDKTF_OUTDIR: outdir,
          TAP_DEV_PROJECT_ID: 'acme-dev-42',
          CHECKPOINT_DISABLE: '1',
        },
        stdio: 'pipe',
      });
      for (const env of ENVIRONMENT_NAMES) {
        const json = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', env, 'cdk.tf.json'), 'utf8'));
        expect(Object.keys(json.resource)).toContain('google_cloud_run_v2_job');
        const buckets = Object.values(json.resource.google_storage_bucket as Record<string, { name: string }>).map((b) => b.name);
        expect(buckets).toContain(env === 'dev' ? 'acme-dev-42-tap-dev-work' : 'tap-prod-project-tap-prod-work');
        for (const object of Object.values(json.resource.google_storage_bucket_object as Record<string, { source: string }>)) {
          expect(fs.existsSync(path.join(outdir, 'stacks', env, object.source))).toBe(true);
        }
      }
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
