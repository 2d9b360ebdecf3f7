/**
 * The launcher job: its configuration, its exit codes, and the job as a process using Google's
 * Workflows client against the in-process Executions API fake.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleJob, maxBundleBytes } from '../../../lib/private/bundling';
import { LAUNCHER_ENV, LAUNCHER_EXIT } from '../../../runtime/contract';
import { MemoryLogger } from '../../../runtime/core/log';
import { config, launch, LauncherConfig, outcome, WorkflowExecutions } from '../../../runtime/jobs/launcher';
import { FakeGcp } from '../ops/fake-gcp';

const ROOT = path.join(__dirname, '..', '..', '..');
const ENV = {
  [LAUNCHER_ENV.projectId]: 'my-project',
  [LAUNCHER_ENV.region]: 'europe-west1',
  [LAUNCHER_ENV.masterWorkflow]: 'tap-master-orchestrator',
  [LAUNCHER_ENV.analyses]: 'pass1',
};
const SUMMARY = { execution_id: 'run-1', batches: 4, batches_failed: 0, batches_unfinished: 0, failed_batches: [] };

describe('launcher configuration', () => {
  test('passes only the settings given, as the master workflow argument', () => {
    expect(config(ENV).argument).toEqual({});
    const cfg = config({
      ...ENV,
      [LAUNCHER_ENV.limit]: '500',
      [LAUNCHER_ENV.batchSize]: 'auto',
      [LAUNCHER_ENV.maxConcurrentBatches]: '4',
      [LAUNCHER_ENV.dryRun]: 'true',
      [LAUNCHER_ENV.analysis]: 'pass1',
      [LAUNCHER_ENV.skipIfBusy]: 'true',
    });
    expect(cfg.workflow).toBe('projects/my-project/locations/europe-west1/workflows/tap-master-orchestrator');
    expect(cfg.argument).toEqual({
      limit: 500,
      batch_size: 'auto',
      max_concurrent_batches: 4,
      dry_run: true,
      analysis: 'pass1',
      skip_if_busy: true,
    });
    expect(config({ ...ENV, [LAUNCHER_ENV.batchSize]: '1000' }).argument).toEqual({ batch_size: 1000 });
  });

  test.each([
    [LAUNCHER_ENV.limit, '0', 'TAP_LIMIT: must be between 1 and'],
    [LAUNCHER_ENV.batchSize, 'big', 'TAP_BATCH_SIZE: must be an integer, got "big"'],
    [LAUNCHER_ENV.maxConcurrentBatches, '21', 'TAP_MAX_CONCURRENT_BATCHES: must be between 1 and 20, got 21'],
    [LAUNCHER_ENV.dryRun, 'maybe', 'TAP_DRY_RUN: must be true or false, got "maybe"'],
    [LAUNCHER_ENV.analysis, 'pass2', 'TAP_RUN_ANALYSIS: "pass2" is not an analysis of this pipeline (pass1)'],
    [LAUNCHER_ENV.masterWorkflow, 'Master!', 'TAP_MASTER_WORKFLOW: must be lowercase letters, digits and -, got "Master!"'],
  ])('refuses %s=%s, naming the variable', (name, value, message) => {
    expect(() => config({ ...ENV, [name]: value })).toThrow(message);
  });
});

describe('launcher outcome', () => {
  test('0 when the run succeeded, was skipped, or was a dry run', () => {
    expect(outcome('SUCCEEDED', JSON.stringify(SUMMARY), undefined).code).toBe(LAUNCHER_EXIT.succeeded);
    expect(outcome('SUCCEEDED', '{"skipped":true}', undefined)).toEqual({
      code: 0,
      message: 'the run was skipped: another run of the pipeline is active',
    });
    expect(outcome('SUCCEEDED', '{"dry_run":true,"plan":{}}', undefined).code).toBe(0);
  });

  test('3 when batches were left failed or unfinished, with the recovery command', () => {
    const left = outcome(
      'SUCCEEDED',
      JSON.stringify({ ...SUMMARY, batches_failed: 1, batches_unfinished: 1, failed_batches: [2] }),
      undefined,
    );
    expect(left.code).toBe(LAUNCHER_EXIT.batchesLeft);
    expect(left.message).toBe(
      'the run ended with 2 batch(es) left failed or unfinished: recover them with tapctl recover --execution run-1 --all-failed ([2])',
    );
  });

  test('3 when any analysis of a run of several left batches, naming each one to recover', () => {
    const several = (pass1: number, qa: number) =>
      JSON.stringify({
        execution_id: 'run-1',
        analyses: [
          { ...SUMMARY, batches_failed: pass1, failed_batches: pass1 ? [0] : [] },
          { ...SUMMARY, execution_id: 'run-1-qa', batches_failed: qa, failed_batches: qa ? [4, 5] : [] },
        ],
      });
    const left = outcome('SUCCEEDED', several(0, 2), undefined);
    expect(left.code).toBe(LAUNCHER_EXIT.batchesLeft);
    expect(left.message).toBe(
      'the run ended with 2 batch(es) left failed or unfinished: recover them with tapctl recover --execution run-1-qa --all-failed ([4,5])',
    );
    expect(outcome('SUCCEEDED', several(0, 0), undefined).code).toBe(LAUNCHER_EXIT.succeeded);
    expect(outcome('SUCCEEDED', several(1, 2), undefined).message).toMatch(/3 batch\(es\).*run-1 --all-failed \(\[0\]\); .*run-1-qa/);
  });

  test('1 when the run failed or was cancelled', () => {
    expect(outcome('FAILED', undefined, 'the planner failed\nmore')).toEqual({ code: 1, message: 'the run failed: the planner failed' });
    expect(outcome('CANCELLED', undefined, undefined)).toEqual({ code: 1, message: 'the run cancelled' });
  });
});

describe('launch', () => {
  const cfg: LauncherConfig = { workflow: 'projects/p/locations/r/workflows/w', argument: { limit: 5 }, pollSeconds: 30 };

  test('follows the execution, logging each new state, and sleeps the poll interval between looks', async () => {
    const states = ['ACTIVE', 'ACTIVE', 'SUCCEEDED'];
    const created: string[] = [];
    const executions: WorkflowExecutions = {
      create: async (workflow, argument) => {
        created.push(`${workflow} ${argument}`);
        return `${workflow}/executions/e1`;
      },
      get: async () => ({ state: states.shift()!, result: JSON.stringify(SUMMARY) }),
    };
    const log = new MemoryLogger();
    const sleeps: number[] = [];
    const code = await launch(cfg, executions, log, async (ms) => void sleeps.push(ms));
    expect(code).toBe(0);
    expect(created).toEqual(['projects/p/locations/r/workflows/w {"limit":5}']);
    expect(sleeps).toEqual([30_000, 30_000]);
    expect(log.lines.map((l) => l.message)).toEqual([
      'started projects/p/locations/r/workflows/w/executions/e1 with {"limit":5}',
      expect.stringMatching(/^e1: ACTIVE after \d+ s$/),
      expect.stringMatching(/^e1: SUCCEEDED after \d+ s$/),
      'the run succeeded',
    ]);
  });

  test('1 when the execution cannot be started; a look that fails is tried again', async () => {
    const log = new MemoryLogger();
    const refused: WorkflowExecutions = {
      create: async () => {
        throw new Error('7 PERMISSION_DENIED: Permission denied');
      },
      get: async () => ({ state: 'ACTIVE' }),
    };
    expect(await launch(cfg, refused, log, async () => undefined)).toBe(1);
    expect(log.lines[0]).toMatchObject({ severity: 'ERROR', message: expect.stringContaining('PERMISSION_DENIED') });
    let looks = 0;
    const flaky: WorkflowExecutions = {
      create: async () => 'x/executions/e2',
      get: async () => {
        if (++looks === 1) throw new Error('socket hang up');
        return { state: 'FAILED', error: 'boom' };
      },
    };
    expect(await launch(cfg, flaky, new MemoryLogger(), async () => undefined)).toBe(1);
    expect(looks).toBe(2);
  });
});

describe('the launcher job as a process, with Google’s Workflows client', () => {
  let fake: FakeGcp;
  beforeEach(async () => {
    fake = await new FakeGcp({
      project: 'my-project',
      region: 'europe-west1',
      workflows: ['tap-master-orchestrator'],
      dataset: 'd',
      warehouse: { query: async () => [] },
    }).start();
  });
  afterEach(() => fake.stop());

  const SOURCE = ['--require', 'tsx/cjs', path.join(ROOT, 'runtime', 'jobs', 'launcher.ts')];

  function runJob(
    env: Record<string, string>,
    args: readonly string[] = SOURCE,
  ): Promise<{ code: number | null; lines: Record<string, unknown>[] }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, args, {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          GOOGLE_OAUTH_ACCESS_TOKEN: 'test-token',
          [LAUNCHER_ENV.workflowsEndpoint]: fake.url,
          ...ENV,
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      child.on('error', reject);
      child.on('close', (code) => {
        const text = Buffer.concat(out).toString();
        try {
          resolve({
            code,
            lines: text
              .trim()
              .split('\n')
              .filter(Boolean)
              .map((l) => JSON.parse(l) as Record<string, unknown>),
          });
        } catch {
          reject(new Error(`not JSON lines: ${text}\n${Buffer.concat(err).toString()}`));
        }
      });
    });
  }

  test('starts the master workflow with the argument from its environment and exits 0 when the run succeeds', async () => {
    fake.statesOfNew = ['ACTIVE', 'SUCCEEDED'];
    fake.resultOfNew = JSON.stringify(SUMMARY);
    const { code, lines } = await runJob({ [LAUNCHER_ENV.limit]: '100', [LAUNCHER_ENV.dryRun]: 'false', [LAUNCHER_ENV.pollSeconds]: '1' });
    expect(code).toBe(0);
    const [created] = [...fake.executions.values()];
    expect(JSON.parse(created!.argument)).toEqual({ limit: 100 });
    expect(fake.callsTo('workflows').map((c) => c.method)).toEqual(['POST', 'GET', 'GET']);
    expect(lines.map((l) => l.state).filter(Boolean)).toEqual(['ACTIVE', 'SUCCEEDED', 'SUCCEEDED']);
    expect(lines[lines.length - 1]).toMatchObject({ severity: 'INFO', message: 'the run succeeded', exit_code: 0, job: 'launcher' });
  });

  test('exits 3 when the run left batches failed', async () => {
    fake.statesOfNew = ['SUCCEEDED'];
    fake.resultOfNew = JSON.stringify({ ...SUMMARY, batches_failed: 2, failed_batches: [1, 3] });
    const { code, lines } = await runJob({});
    expect(code).toBe(3);
    expect(lines[lines.length - 1]).toMatchObject({ severity: 'ERROR', exit_code: 3 });
  });

  test('exits 1 when the run failed, with its error', async () => {
    fake.statesOfNew = ['FAILED'];
    fake.errorOfNew = 'another run of this pipeline is active';
    const { code, lines } = await runJob({});
    expect(code).toBe(1);
    expect(lines[lines.length - 1]).toMatchObject({ message: 'the run failed: another run of this pipeline is active', exit_code: 1 });
  });

  test('exits 1 when the master workflow does not exist, saying so', async () => {
    const { code, lines } = await runJob({ [LAUNCHER_ENV.masterWorkflow]: 'other-master' });
    expect(code).toBe(1);
    expect(String(lines[0]!.message)).toContain('could not start projects/my-project/locations/europe-west1/workflows/other-master');
  });

  test('the deployed bundle does the same, as the stock image runs it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-launcher-bundle-'));
    try {
      const bundle = bundleJob('launcher', dir);
      expect(Buffer.byteLength(bundle.code)).toBeLessThan(maxBundleBytes('launcher'));
      fake.statesOfNew = ['SUCCEEDED'];
      fake.resultOfNew = JSON.stringify({ ...SUMMARY, batches_unfinished: 1 });
      const { code, lines } = await runJob({ [LAUNCHER_ENV.batchSize]: '2000' }, [bundle.file]);
      expect(code).toBe(3);
      expect(JSON.parse([...fake.executions.values()][0]!.argument)).toEqual({ batch_size: 2000 });
      expect(lines[lines.length - 1]).toMatchObject({ job: 'launcher', exit_code: 3 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
