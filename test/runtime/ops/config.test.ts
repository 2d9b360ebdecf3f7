import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseOptions } from '../../../runtime/cli/options';
import { TARGET_OPTIONS } from '../../../runtime/cli/target-options';
import { resolveTarget } from '../../../runtime/ops/config';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tap-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const resolve = (argv: string[], env: NodeJS.ProcessEnv = {}) => resolveTarget(parseOptions(argv, TARGET_OPTIONS).values, env, dir);
const RUN = `gcloud workflows run dev-tap-master-orchestrator --project=acme --location=europe-west4 --data='{"batch_size":1000}'`;

describe('operator configuration', () => {
  test('reads the construct outputs as terraform output -json writes them (hashed logical ids)', () => {
    const out = (value: string) => ({ sensitive: false, type: 'string', value });
    writeFileSync(
      path.join(dir, 'tapctl.json'),
      JSON.stringify({
        pipeline_master_workflow_4F5A3B21: out('dev-tap-master-orchestrator'),
        pipeline_batch_workflow_0C1D2E3F: out('dev-tap-ta-sub-workflow'),
        pipeline_dataset_9A8B7C6D: out('acme.transcripts_dev'),
        pipeline_work_bucket_11223344: out('acme-dev-tap-work'),
        pipeline_run_command_55667788: out(RUN),
      }),
    );
    expect(resolve([])).toEqual({
      kind: 'cloud',
      config: {
        projectId: 'acme',
        region: 'europe-west4',
        dataset: 'transcripts_dev',
        workBucket: 'acme-dev-tap-work',
        masterWorkflow: 'dev-tap-master-orchestrator',
        batchWorkflow: 'dev-tap-ta-sub-workflow',
        vertexRegion: undefined,
        resultsTable: 'transcription_analyzed_transcripts',
        location: undefined,
      },
    });
  });

  test('reads a cdktf outputs file, nested by stack and construct', () => {
    writeFileSync(
      path.join(dir, 'outputs.json'),
      JSON.stringify({
        dev: { pipeline: { master_workflow: 'dev-tap-master-orchestrator', dataset: 'acme.transcripts_dev', run_command: RUN } },
        prod: {
          pipeline: {
            master_workflow: 'prod-tap-master-orchestrator',
            dataset: 'acme-prod.transcripts',
            run_command: RUN.replace('acme', 'acme-prod'),
          },
        },
      }),
    );
    expect(() => resolve(['--config', 'outputs.json'])).toThrow(/several stacks \(dev, prod\): choose one with --stack/);
    const prod = resolve(['--config', 'outputs.json', '--stack', 'prod']);
    expect(prod).toMatchObject({
      config: { projectId: 'acme-prod', dataset: 'transcripts', masterWorkflow: 'prod-tap-master-orchestrator', region: 'europe-west4' },
    });
    expect(() => resolve(['--config', 'outputs.json', '--stack', 'qa'])).toThrow(/no stack "qa".*stacks: dev, prod/);
  });

  test('flags override the file; --prefix names the workflows', () => {
    writeFileSync(path.join(dir, 'tapctl.json'), JSON.stringify({ project: 'a', region: 'r', dataset: 'd' }));
    expect(resolve(['--project', 'b', '--prefix', 'qa'])).toMatchObject({
      config: { projectId: 'b', region: 'r', dataset: 'd', masterWorkflow: 'qa-master-orchestrator', batchWorkflow: 'qa-ta-sub-workflow' },
    });
  });

  test('--local names a work folder and takes no cloud flags', () => {
    expect(resolve(['--local', 'work'])).toEqual({ kind: 'local', dir: path.join(dir, 'work') });
    expect(() => resolve(['--local', 'work', '--project', 'x'])).toThrow(/--local cannot be combined with --project/);
  });

  test('says what is missing and where it comes from', () => {
    expect(() => resolve(['--project', 'x'])).toThrow(/missing --region, --dataset/);
    expect(() => resolve(['--config', 'nope.json'])).toThrow(/cannot read the config file .*nope.json/);
  });
});
