/**
 * Operator command benchmarks.
 *
 *   node bin/run-ts.js bench/ops.ts [--batches N] [--runs R]
 *
 * On a DuckDB work folder holding one execution of N batches (four events each, one batch in ten
 * failing once and recovering, one error row per failed record):
 * 1. `status`'s batch query (latest event per batch, attempts, failures: a window and QUALIFY)
 *    against a baseline that only reads the execution's events (a plain filtered scan), same run.
 * 2. The report: loading it from the tables, and rendering the HTML page against a baseline of
 *    `JSON.stringify` of the same report; the page's size.
 * 3. `tapctl status --local` as a process, against `tapctl version` (the same CLI start-up doing
 *    nothing): what the operator waits for beyond start-up.
 *
 * Writes bench/results/ops.md.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLocalWorkspace } from '../runtime/adapters/local';
import { OpsQueries } from '../runtime/ops/queries';
import { loadReport } from '../runtime/ops/report';
import { reportHtml } from '../runtime/ops/html-report';
import { alternate, argNumber, ROOT, time } from './common';

const BATCHES = argNumber('batches', 10_000);
const RUNS = argNumber('runs', 7);
const compareRuns = (candidate: () => Promise<unknown> | unknown, baseline: () => Promise<unknown> | unknown) =>
  alternate(candidate, baseline, RUNS);

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-bench-ops-'));
  const ws = await openLocalWorkspace(dir);
  const w = ws.warehouse;
  const t0 = '2026-11-28T08:00:00Z';
  // Events spread over two hours; batch b succeeds at attempt 1, or (one in ten) fails then succeeds.
  const fill = async (sql: string) => w.query({ sql, params: { n: BATCHES, t0 }, types: { t0: 'TIMESTAMP' } });
  await fill(`INSERT INTO ${w.table('executions')} (execution_id, status, analysis_version, records_total, skipped_dedup, batch_count, event_time)
    VALUES ('bench', 'planned', 'v1', @n * 100, 0, @n, @t0)`);
  const seconds = `CAST(b * 7200 / @n AS BIGINT)`;
  await fill(`INSERT INTO ${w.table('batch_events')} (execution_id, batch_id, attempt, status, records, event_time)
    SELECT 'bench', b, 0, 'planned', 100, @t0 FROM range(0, @n) t(b)`);
  await fill(`INSERT INTO ${w.table('batch_events')} (execution_id, batch_id, attempt, status, event_time)
    SELECT 'bench', b, 1, s, @t0 + to_seconds(${seconds} + k) FROM range(0, @n) t(b), (VALUES ('generated', 1), ('submitted', 2)) v(s, k)`);
  await fill(`INSERT INTO ${w.table('batch_events')} (execution_id, batch_id, attempt, status, message, event_time)
    SELECT 'bench', b, 1, 'failed', 'Vertex AI job failed', @t0 + to_seconds(${seconds} + 60) FROM range(0, @n) t(b) WHERE b % 10 = 0`);
  await fill(`INSERT INTO ${w.table('batch_events')} (execution_id, batch_id, attempt, status, records, succeeded, failed, event_time)
    SELECT 'bench', b, CASE WHEN b % 10 = 0 THEN 2 ELSE 1 END, 'succeeded', 100, 98, 2, @t0 + to_seconds(${seconds} + 120 + CASE WHEN b % 10 = 0 THEN 600 ELSE 0 END) FROM range(0, @n) t(b)`);
  await fill(`INSERT INTO ${w.table('error_tracking')} (error_id, execution_id, batch_id, attempt, record_id, analysis_version, error_type, retryable, record_attempt, created_at)
    SELECT 'x' || b || '-' || r, 'bench', b, 1, 'r' || b || '-' || r, 'v1', CASE WHEN r = 0 THEN 'json_parse_error' ELSE 'missing_summary' END, TRUE, 1, @t0
    FROM range(0, @n) t(b), range(0, 2) u(r)`);
  const [events] = await w.query<{ n: number }>({ sql: `SELECT COUNT(*) AS n FROM ${w.table('batch_events')}` });

  const q = new OpsQueries(w);
  const status = await compareRuns(
    () => q.batches('bench'),
    () => w.query({ sql: `SELECT * FROM ${w.table('batch_events')} WHERE execution_id = @e`, params: { e: 'bench' } }),
  );
  const load = await time(() => loadReport(q, 'bench', 'bench'));
  const report = await loadReport(q, 'bench', 'bench');
  const render = await compareRuns(
    () => reportHtml(report),
    () => JSON.stringify(report),
  );
  const htmlBytes = Buffer.byteLength(reportHtml(report));
  const jsonBytes = Buffer.byteLength(JSON.stringify(report));
  await ws.close();

  const tapctl = (argv: string[]) => () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'tapctl.js'), ...argv], { encoding: 'utf8' });
    if (r.status !== 0 && !(argv[0] === 'status' && r.status === 3)) throw new Error(`tapctl ${argv.join(' ')}: ${r.stderr}`);
  };
  const cli = await compareRuns(tapctl(['status', '--local', dir, '--execution', 'bench']), tapctl(['version']));
  fs.rmSync(dir, { recursive: true, force: true });

  const ms = (n: number) => `${n.toFixed(1)} ms`;
  const md = `# Operator commands (tapctl status, report)

| measure | result | baseline (same run) | ratio |
|---|---|---|---|
| status batch query, ${BATCHES.toLocaleString('en-US')} batches (${events!.n.toLocaleString('en-US')} events) | ${ms(status.candidate)} | plain scan of the events: ${ms(status.baseline)} | ${status.ratio.toFixed(2)}x |
| report HTML render | ${ms(render.candidate)} | JSON.stringify of the report: ${ms(render.baseline)} | ${render.ratio.toFixed(2)}x |
| report HTML size | ${(htmlBytes / 1024).toFixed(1)} KiB | report JSON: ${(jsonBytes / 1024).toFixed(1)} KiB | ${(htmlBytes / jsonBytes).toFixed(2)}x |
| report load from the tables (once) | ${ms(load)} | | |
| \`tapctl status --local\` process | ${ms(cli.candidate)} | \`tapctl version\`: ${ms(cli.baseline)} | ${cli.ratio.toFixed(2)}x |

Measured with \`node bin/run-ts.js bench/ops.ts --batches ${BATCHES} --runs ${RUNS}\` on ${os.cpus().length} cores
(${os.cpus()[0]?.model ?? 'unknown CPU'}), Node.js ${process.version}, on ${new Date().toISOString().slice(0, 10)}. A DuckDB work
folder is filled with one execution of ${BATCHES.toLocaleString('en-US')} batches (planned, generated, submitted and succeeded
events, one batch in ten failing once before it succeeds, two error rows per batch). Each pair (candidate,
baseline) runs alternately ${RUNS} times after one warm-up, and the table gives medians; the ratio is candidate
over baseline. The status query's baseline reads the same execution's events without working out each batch's
latest one; the render's baseline serialises the same report to JSON (the page bins outcomes into 24 intervals,
so its size does not grow with the batches while the JSON's does); the CLI's baseline is \`tapctl version\`,
the same process start-up (tsx, the dispatcher) doing nothing.
`;
  fs.writeFileSync(path.join(ROOT, 'bench', 'results', 'ops.md'), md);
  process.stdout.write(md);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
