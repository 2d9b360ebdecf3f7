import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { openLocalWorkspace } from '../../../runtime/adapters/local';
import { writeFixture } from '../ops/fixture';
import { cli, tapctl } from './run-cli';

let dir: string;
beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tap-cli-'));
  const ws = await openLocalWorkspace(dir);
  await writeFixture(ws.warehouse);
  await ws.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('tapctl against a laptop work folder', () => {
  test('status shows each batch: succeeded, recovered, failed, with attempts and counts', async () => {
    const r = await cli(['status', '--local', dir, '--execution', 'e1']);
    expect(r.stderr).toBe('');
    // No process runs e1 (the work folder was free to open), and it never finished: its run died.
    expect(r.stdout).toContain('Execution e1: interrupted');
    expect(r.stdout).toContain('30 records in 3 batches, 10 skipped as already analysed');
    expect(r.stdout).toContain('[####################..........] 66% (2/3) settled, 1 failed, 1 recovered');
    const line = (batch: number) => r.stdout.split('\n').find((l) => l.trimStart().startsWith(`${batch} `))!;
    expect(line(0)).toMatch(/^\s*0\s+succeeded\s+1\s+10\s+8\s+2\s+-\s+2026-11-28 08:10:00/);
    expect(line(1)).toMatch(/^\s*1\s+recovered\s+2 \(1 failed\)\s+10\s+10\s+0/);
    expect(line(2)).toMatch(/^\s*2\s+failed\s+2 \(2 failed\)\s+10\s+-\s+-\s+-\s+2026-11-28 08:20:00$/);
    expect(r.stdout).toContain(
      'Why the failed batches failed (their latest attempt):\n  batch 2, attempt 2: Vertex AI job JOB_STATE_FAILED\n',
    );
    // The recovery hint points at this work folder, so it can be copied as it is.
    expect(r.stdout).toContain(
      `Re-run the failed batches: tapctl recover --local ${path.relative(process.cwd(), dir)} --execution e1 --all-failed`,
    );
  });

  test('a work folder held by another process (a running pipeline) says to wait for it', async () => {
    const held = await openLocalWorkspace(dir);
    try {
      const r = await tapctl(['status', '--local', dir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`the work folder ${dir} is in use by another process \\(.*PID ${process.pid}\\)[\\s\\S]*wait for that run to finish`),
      );
    } finally {
      await held.close();
    }
  });

  test('status without --execution shows the latest execution', async () => {
    const r = await cli(['status', '--local', dir]);
    expect(r.stdout).toContain('Execution e2:');
  });

  test('status --json carries the same batches', async () => {
    const r = await cli(['status', '--local', dir, '--execution', 'e1', '--json']);
    const view = JSON.parse(r.stdout) as { batches: { batchId: number; status: string; attempts: number }[] };
    expect(view.batches.map((b) => [b.batchId, b.status, b.attempts])).toEqual([
      [0, 'succeeded', 1],
      [1, 'succeeded', 2],
      [2, 'failed', 2],
    ]);
  });

  test('an unknown execution names the ones that exist and what to check', async () => {
    const r = await cli(['status', '--local', dir, '--execution', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no execution "nope" in work folder');
    expect(r.stderr).toMatch(/Recent executions: e2, e1/);
  });

  test('a folder without a pipeline says how to make one', async () => {
    const r = await cli(['status', '--local', path.join(dir, 'elsewhere')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no pipeline work folder at .*elsewhere[\s\S]*what to do: run the laptop pipeline first/);
  });

  test('report computes the summary of an unfinished run from the tables, and writes the HTML page', async () => {
    const html = path.join(dir, 'out', 'report.html');
    const r = await cli(['report', '--local', dir, '--execution', 'e1', '--html', html, '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({
      execution_id: 'e1',
      records_total: 30,
      skipped_dedup: 10,
      batches: 3,
      batches_succeeded: 2,
      batches_failed: 1,
      batches_recovered: 1,
      records_succeeded: 18,
      records_failed: 2,
      records_open: 10,
      errors_by_type: { json_parse_error: 2, missing_result: 1, vertex_ai_error: 1, empty_transcript: 1 },
      tokens_in: 20_000,
      tokens_out: 2_000,
      duration_seconds: 35 * 60,
      failed_batches: [2],
    });
    expect(summary.estimated_cost_usd).toBeCloseTo((20_000 * 0.15 + 2_000 * 1.25) / 1e6, 12);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('data-metric="records_succeeded" data-value="18"');
  });

  test("report computes the summary from the tables, and says when they changed after the run's own summary", async () => {
    const ws = await openLocalWorkspace(dir);
    const q = new (await import('../../../runtime/ops/queries')).OpsQueries(ws.warehouse);
    const summary = await q.summary('e2', new Date());
    const write = (s: object) =>
      ws.warehouse.query({
        sql: `INSERT INTO ${ws.warehouse.table('executions')} (execution_id, status, analysis_version, summary, event_time) VALUES ('e2', 'succeeded', 'v1', @s, @t)`,
        params: { s: JSON.stringify(s), t: '2026-11-28T09:10:00Z' },
        types: { t: 'TIMESTAMP' },
      });
    await write(summary);
    await ws.close();
    const same = await cli(['report', '--local', dir, '--execution', 'e2']);
    expect(same.stdout).toMatch(/^Execution e2: succeeded\n/);
    expect(same.stdout).toMatch(/Estimated cost\s+\$0\.0027/);
    const status = await cli(['status', '--local', dir, '--execution', 'e2']);
    expect(status.stdout).toContain('Execution e2: succeeded');

    await cli(['clear-history', '--local', dir, '--execution', 'e2', '--yes']);
    const changed = await cli(['report', '--local', dir, '--execution', 'e2', '--json']);
    expect(JSON.parse(changed.stdout)).toMatchObject({ records_succeeded: 0, records_open: 10 });
    expect((await cli(['report', '--local', dir, '--execution', 'e2'])).stdout).toContain('computed from the tables: they changed');
  });

  test('clear-history shows the count, asks, and deletes only on yes', async () => {
    const no = await cli(['clear-history', '--local', dir, '--execution', 'e1'], { stdin: 'no\n' });
    expect(no.code).toBe(1);
    expect(no.stdout).toContain('Execution e1 settled 18 records (processed_records) and wrote 18 results');
    expect(no.stdout).toContain('Nothing deleted.');
    const yes = await cli(['clear-history', '--local', dir, '--execution', 'e1'], { stdin: 'yes\n' });
    expect(yes.code).toBe(0);
    expect(yes.stdout).toContain('Deleted 18 processed records and 18 results of e1.');
    const again = await cli(['clear-history', '--local', dir, '--execution', 'e1', '--yes']);
    expect(again.stdout).toContain('nothing to clear');
  });

  test('clear-history --yes does not ask', async () => {
    const r = await cli(['clear-history', '--local', dir, '--execution', 'e1', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('Type "yes"');
    expect(r.stdout).toContain('Deleted 18 processed records');
  });

  test('run --local takes no cloud-only trouble: --transcripts and --faults are refused in the cloud', async () => {
    const r = await cli(['run', '--project', 'p', '--region', 'r', '--dataset', 'd', '--faults', 'vertex-job-fail:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--faults works only with --local');
  });

  test('recover refuses a batch that has not failed, and a batch the run does not have', async () => {
    const ok = await cli(['recover', '--local', dir, '--execution', 'e1', '--batch', '0']);
    expect(ok.stderr).toMatch(/batch 0 of execution e1 has succeeded, it is not failed[\s\S]*--force/);
    const none = await cli(['recover', '--local', dir, '--execution', 'e1', '--batch', '7']);
    expect(none.stderr).toContain('execution e1 has no batch 7: it planned 3 batches (0 to 2)');
    const usage = await cli(['recover', '--local', dir, '--execution', 'e1', '--batch', '1', '--all-failed']);
    expect(usage.code).toBe(2);
  });
});
