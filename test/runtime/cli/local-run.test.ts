/**
 * The operator commands on a work folder made by a real laptop run with faults: every batch's first
 * Vertex AI job fails and the run allows one attempt, so the run ends with failed batches; recovery
 * then turns them into succeeded (recovered) ones.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cli } from './run-cli';
import { openLocalWorkspace } from '../../../runtime/adapters/local';
import { DEFAULT_ANALYSIS, RUN_ENV } from '../../../runtime/contract';
import { MemoryLogger } from '../../../runtime/core/log';
import * as reporter from '../../../runtime/jobs/reporter';
import { localClockStart } from '../../../runtime/local/deployment';
import { DEFAULT_LOCAL_SETTINGS, localJobEnv } from '../../../runtime/local/environment';

const TOPICS = ['billing', 'a broken router', 'a late delivery', 'a password reset', 'a refund', 'roaming charges'];

function transcripts(n: number): string {
  return Array.from({ length: n }, (_, i) => {
    const topic = TOPICS[i % TOPICS.length]!;
    const text =
      `Agent: Thank you for calling, how can I help you today? ` +
      `Customer: Hello, I am calling about ${topic}. It has been a problem for a week and I am frustrated. ` +
      `Agent: I am sorry to hear that. Let me look at your account. I can see the issue with ${topic}. ` +
      `Customer: Can you fix it today? Agent: Yes, I have fixed it and I will send you a confirmation email. ` +
      `Customer: Great, thank you very much for your help. Agent: You are welcome, have a nice day.`;
    return JSON.stringify({ transcript_id: `call-${String(i).padStart(3, '0')}`, transcript: text, channel: 'phone' });
  }).join('\n');
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tap-local-run-'));
  writeFileSync(path.join(dir, 'calls.jsonl'), transcripts(10));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const work = () => path.join(dir, 'work');
const batchLine = (out: string, batch: number) => out.split('\n').find((l) => new RegExp(`^\\s*${batch}\\s`).test(l)) ?? '';

describe('tapctl on a laptop run with faults', () => {
  test('run --local with faults ends with every batch failed', async () => {
    const r = await cli(
      [
        'run',
        '--local',
        work(),
        '--transcripts',
        path.join(dir, 'calls.jsonl'),
        '--batch-size',
        '4',
        '--max-batch-attempts',
        '1',
        '--faults',
        'vertex-job-fail:1',
        '--execution-id',
        'faulty-run',
      ],
      { cwd: dir },
    );
    expect(r.stdout).toBe('faulty-run\n');
    // The master itself ends well: it reports the batches it could not finish, and exit 3 says so.
    expect(r.stderr).toMatch(/^execution faulty-run SUCCEEDED: 0 records analysed, 3 batches failed\n/);
    expect(r.stderr).toContain(
      `3 batch(es) left failed or unfinished: tapctl recover --local ${path.relative(dir, work())} --execution faulty-run --all-failed`,
    );
    expect(r.code).toBe(3);
    const status = await cli(['status', '--local', work(), '--execution', 'faulty-run']);
    expect(status.stdout).toContain('10 records in 3 batches');
    for (const b of [0, 1, 2]) expect(batchLine(status.stdout, b)).toMatch(/\sfailed\s+1 \(1 failed\)\s+/);
    expect(status.stdout).toContain(`tapctl recover --local ${path.relative(process.cwd(), work())} --execution faulty-run --all-failed`);
    expect(status.stdout).toMatch(/batch 0, attempt 1: Vertex AI batch job .* ended JOB_STATE_FAILED with no output/);
    expect(status.code).toBe(3);
  });

  test('recover --batch turns a failed batch into a succeeded one; status shows it recovered', async () => {
    const r = await cli(['recover', '--local', work(), '--execution', 'faulty-run', '--batch', '1']);
    expect(r.stdout).toBe('{"execution_id":"faulty-run","batch_id":1,"attempt":2}: succeeded\n');
    expect(r.code).toBe(0);
    const status = await cli(['status', '--local', work(), '--execution', 'faulty-run']);
    expect(batchLine(status.stdout, 1)).toMatch(/^\s*1\s+recovered\s+2 \(1 failed\)\s+4\s+4\s+0/);
    expect(batchLine(status.stdout, 0)).toMatch(/\sfailed\s/);
    expect(status.stdout).toContain('(1/3) settled, 2 failed, 1 recovered');
  });

  test('recover --all-failed recovers the rest, and the report counts every record once', async () => {
    const r = await cli(['recover', '--local', work(), '--execution', 'faulty-run', '--all-failed']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      '{"execution_id":"faulty-run","batch_id":0,"attempt":2}: succeeded',
      '{"execution_id":"faulty-run","batch_id":2,"attempt":2}: succeeded',
    ]);
    const status = await cli(['status', '--local', work(), '--execution', 'faulty-run']);
    expect(status.stdout).toContain('(3/3) settled, 3 recovered');
    const report = await cli(['report', '--local', work(), '--execution', 'faulty-run', '--json']);
    const summary = JSON.parse(report.stdout);
    expect(summary).toMatchObject({
      status: 'succeeded',
      records_total: 10,
      records_succeeded: 10,
      batches_succeeded: 3,
      batches_failed: 0,
      batches_recovered: 3,
      failed_batches: [],
    });
    const text = await cli(['report', '--local', work(), '--execution', 'faulty-run']);
    expect(text.stdout).toContain(
      "Execution faulty-run: succeeded (computed from the tables: they changed after the run's own summary, by a recovery or clear-history)",
    );
    // What the report says is what the reporter job says when it runs again now.
    const ws = await openLocalWorkspace(work());
    try {
      // On the work folder's clock, which runs ahead of the wall clock, after everything the runs wrote.
      const later = new Date((await localClockStart(ws.warehouse)) * 1000);
      const fresh = await reporter.run(
        { ...localJobEnv({ ...DEFAULT_LOCAL_SETTINGS, analysis: DEFAULT_ANALYSIS }), [RUN_ENV.executionId]: 'faulty-run' },
        { warehouse: ws.warehouse, store: ws.store, log: new MemoryLogger(), now: () => later },
      );
      expect(summary).toEqual(fresh);
    } finally {
      await ws.close();
    }
    const after = await cli(['report', '--local', work(), '--execution', 'faulty-run']);
    expect(after.stdout).toMatch(/^Execution faulty-run: succeeded\n/);
    const again = await cli(['recover', '--local', work(), '--execution', 'faulty-run', '--all-failed']);
    expect(again.stdout).toBe('Nothing to recover.\n');
  });

  test('clear-history makes the records eligible again: the next run analyses them anew', async () => {
    const cleared = await cli(['clear-history', '--local', work(), '--execution', 'faulty-run', '--yes']);
    expect(cleared.stdout).toContain('Deleted 10 processed records and 10 results of faulty-run.');
    const rerun = await cli(['run', '--local', work(), '--batch-size', '5', '--execution-id', 'second-run']);
    expect(rerun.code).toBe(0);
    const report = await cli(['report', '--local', work(), '--execution', 'second-run', '--json']);
    expect(JSON.parse(report.stdout)).toMatchObject({ records_total: 10, records_succeeded: 10, batches: 2, batches_failed: 0 });
  });

  test('--batch-size auto sizes the batches as the cloud does: 10 records are one batch, smaller than the least auto splits', async () => {
    await cli(['clear-history', '--local', work(), '--execution', 'second-run', '--yes']);
    const auto = await cli([
      'run',
      '--local',
      work(),
      '--batch-size',
      'auto',
      '--max-concurrent-batches',
      '4',
      '--execution-id',
      'auto-run',
    ]);
    expect(auto.code).toBe(0);
    const report = await cli(['report', '--local', work(), '--execution', 'auto-run', '--json']);
    expect(JSON.parse(report.stdout)).toMatchObject({ records_total: 10, records_succeeded: 10, batches: 1, batches_failed: 0 });
    const bad = await cli(['run', '--local', work(), '--batch-size', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--batch-size must be a whole number from 1 to 200000 or auto, got "many"');
  });
});
