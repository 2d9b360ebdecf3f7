import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleJob, bundleJobs, forgetBundles, maxBundleBytes } from '../../lib/private/bundling';
import { JOB_KINDS, JobKind } from '../../runtime/contract';

describe('job bundles', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-bundles-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each(JOB_KINDS.map((k) => [k]))('%s is one self-contained file named by its content hash, within its size', (kind) => {
    const bundle = bundleJob(kind as JobKind, dir);
    expect(bundle.objectName).toBe(`jobs/${kind}-${bundle.hash}.js`);
    expect(bundle.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(fs.readFileSync(bundle.file, 'utf8') === bundle.code).toBe(true);
    expect(Buffer.byteLength(bundle.code)).toBeLessThan(maxBundleBytes(kind as JobKind));
    // Run outside the repository, so nothing can be loaded from node_modules: it must fail on its
    // configuration, as a JSON log line, which proves every module it needs is inside.
    const run = spawnSync(process.execPath, [bundle.file], { cwd: os.tmpdir(), env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect(run.status).toBe(1);
    // One line: only this job ran (a bundle that also ran an imported job would log twice).
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ severity: 'ERROR', event: 'job_failed', job: kind });
    expect(line.message).toContain('TAP_');
  });

  test('bundling is deterministic', () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-bundles-'));
    try {
      expect(bundleJob('processor', other).hash).toBe(bundleJob('processor', dir).hash);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  test('reuses the bundles on disk while no input changed, and builds again when one did', () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-bundles-'));
    try {
      const first = bundleJobs(other);
      const manifestFile = path.join(other, 'manifest.json');
      const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
      expect(Object.keys(manifest.inputs)).toEqual(expect.arrayContaining(['runtime/jobs/planner.ts', 'runtime/core/sql.ts']));
      expect(Object.keys(manifest.inputs).some((f) => f.startsWith('node_modules/@google-cloud/bigquery/'))).toBe(true);

      // Unchanged: the manifest is not rewritten.
      fs.writeFileSync(manifestFile, JSON.stringify({ ...manifest, marker: 1 }));
      forgetBundles();
      expect(bundleJobs(other).processor.hash).toBe(first.processor.hash);
      expect(JSON.parse(fs.readFileSync(manifestFile, 'utf8')).marker).toBe(1);

      // A changed input (its recorded hash differs): built again, and the manifest written anew.
      fs.writeFileSync(
        manifestFile,
        JSON.stringify({ ...manifest, marker: 2, inputs: { ...manifest.inputs, 'runtime/jobs/planner.ts': 'changed' } }),
      );
      forgetBundles();
      expect(bundleJobs(other).planner.hash).toBe(first.planner.hash);
      const rebuilt = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
      expect(rebuilt.marker).toBeUndefined();
      expect(rebuilt.inputs['runtime/jobs/planner.ts']).toBe(manifest.inputs['runtime/jobs/planner.ts']);

      // A bundle edited on disk is not shipped.
      fs.writeFileSync(first.reporter.file, '/* edited */');
      forgetBundles();
      const again = bundleJobs(other).reporter;
      expect(again.code === first.reporter.code).toBe(true);
      expect(fs.readFileSync(again.file, 'utf8') === first.reporter.code).toBe(true);
    } finally {
      forgetBundles();
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  test('rejects a kind that is not a job', () => {
    expect(() => bundleJob('../cli/main' as JobKind, dir)).toThrow(
      'unknown job kind "../cli/main"; expected one of planner, generator, processor, reporter',
    );
  });
});
