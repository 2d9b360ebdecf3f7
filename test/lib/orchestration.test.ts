import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { envNamesRead, escapeTerraformTemplate, loadWorkflowSource, MAX_WORKFLOW_SOURCE_BYTES } from '../../lib';
import { WORKFLOW_ENV, WORKFLOW_FILES } from '../../runtime/contract';
import { findResource, synthPipelines } from './helpers';

const ROOT = path.join(__dirname, '..', '..');

describe('workflow sources', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-wf-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  test('escapes Terraform template sequences and nothing else', () => {
    expect(escapeTerraformTemplate('a: ${x} b: $${y} c: %{if} d: $ {z} e: {}')).toBe('a: $${x} b: $$${y} c: %%{if} d: $ {z} e: {}');
  });

  test('finds the variables a source reads with sys.get_env', () => {
    expect(envNamesRead('${sys.get_env("TAP_A")} ${sys.get_env( "TAP_B", "1")} ${sys.get_env("GOOGLE_CLOUD_PROJECT_ID")}')).toEqual([
      'GOOGLE_CLOUD_PROJECT_ID',
      'TAP_A',
      'TAP_B',
    ]);
  });

  test('the construct sets every variable the real workflows read', () => {
    const env = Object.fromEntries(Object.values(WORKFLOW_ENV).map((name) => [name, 'x']));
    for (const file of Object.values(WORKFLOW_FILES)) {
      const source = loadWorkflowSource(path.join(ROOT, file), env);
      for (const name of envNamesRead(source).filter((n) => !n.startsWith('GOOGLE_'))) expect(Object.values(WORKFLOW_ENV)).toContain(name);
    }
  });

  test('fails at synth when a workflow reads a variable the construct does not set', () => {
    const file = write('missing.yaml', 'main:\n  steps:\n    - a:\n        return: ${sys.get_env("TAP_NOT_SET")}\n');
    expect(() => loadWorkflowSource(file, {})).toThrow('reads TAP_NOT_SET with sys.get_env, but the construct does not set it');
  });

  test('fails on a source that is not YAML, has no main, or is over the size limit', () => {
    expect(() => loadWorkflowSource(write('bad.yaml', 'main: [\n'), {})).toThrow('is not valid YAML');
    expect(() => loadWorkflowSource(write('nomain.yaml', 'other:\n  steps: []\n'), {})).toThrow('has no main workflow');
    expect(() => loadWorkflowSource(write('big.yaml', `main:\n  steps: []\n#${'x'.repeat(MAX_WORKFLOW_SOURCE_BYTES)}\n`), {})).toThrow(
      'Workflows accepts at most 131072',
    );
    expect(() => loadWorkflowSource(path.join(dir, 'absent.yaml'), {})).toThrow('workflow source not found');
  });

  test('deploys workflows from workflowsDir when given', () => {
    const wfDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-wfdir-'));
    fs.writeFileSync(path.join(wfDir, 'batch.yaml'), 'main:\n  steps:\n    - done:\n        return: ${"batch"}\n');
    fs.writeFileSync(path.join(wfDir, 'master-orchestrator.yaml'), 'main:\n  steps:\n    - done:\n        return: ${"master"}\n');
    const s = synthPipelines({ image: 'example/image:1', workflowsDir: wfDir });
    expect(findResource(s.json, 'google_workflows_workflow', (w) => w.name === 'tap-ta-sub-workflow').source_contents).toBe(
      'main:\n  steps:\n    - done:\n        return: $${"batch"}\n',
    );
    fs.rmSync(wfDir, { recursive: true, force: true });
  });
});
