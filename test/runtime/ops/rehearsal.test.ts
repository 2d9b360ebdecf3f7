import { LIMITS, TABLE_NAMES } from '../../../runtime/contract';
import { defaultVertexLatency, parseVertexLatency, rehearse } from '../../../runtime/ops/rehearsal';
import { jobWork } from '../../../runtime/ops/pipeline-cost';
import { estimate } from '../../../runtime/ops/estimate';
import { cli } from '../cli/run-cli';

const quota = (r: Awaited<ReturnType<typeof rehearse>>, name: string) => {
  const found = r.quotas.find((q) => q.name === name);
  if (!found) throw new Error(`no quota ${name}`);
  return found;
};

describe('parseVertexLatency', () => {
  test('reads every part over the defaults, with units', () => {
    const base = defaultVertexLatency();
    expect(parseVertexLatency('queue=10m..2h,per-record=0.5,slow-share=0.1,slow-factor=3', base)).toEqual({
      queueSeconds: [600, 7200],
      secondsPerRecord: 0.5,
      slowShare: 0.1,
      slowFactor: 3,
    });
    expect(parseVertexLatency('slow-share=0.2', base)).toEqual({ ...base, slowShare: 0.2 });
  });

  test.each([
    ['queue=2h..10m', /MIN must not exceed MAX/],
    ['queue=10m', /MIN\.\.MAX/],
    ['queue=ten..20m', /duration/],
    ['slow-share=2', /from 0 to 1/],
    ['slow-factor=0.5', /1 or more/],
    ['speed=3', /knows queue, per-record/],
    ['per-record', /NAME=VALUE/],
  ])('refuses %s', (spec, message) => {
    expect(() => parseVertexLatency(spec)).toThrow(message);
  });
});

describe('rehearse', () => {
  const fast = parseVertexLatency('queue=5m..15m,per-record=0.05');

  test('a run of 20 batches on 4 lanes answers every record once, counting each job, load and step', async () => {
    // The default latency: the estimate's own mean queue time and rate, so that the two price alike.
    const r = await rehearse({ records: 200_000, avgChars: 3000, batchSize: 10_000, maxConcurrentBatches: 4, seed: 7 });
    expect(r.state).toBe('SUCCEEDED');
    expect(r.ok).toBe(true);
    expect(r.batches).toBe(20);
    expect(r.vertexJobs).toBe(20);
    expect(r.summary).toMatchObject({
      status: 'succeeded',
      batches_succeeded: 20,
      batches_failed: 0,
      records_succeeded: 200_000,
      records_open: 0,
    });
    // Each processor loads results, processed records, its event and errors (1% of 10,000 records);
    // the planner inserts into four tables once.
    expect(r.counts.loadJobs).toBe(20 * 4 + 4);
    expect(quota(r, 'bigquery_table_operations_per_table_per_day').peak).toBe(21);
    // One master and one child per batch; never more than 4 batches (and their jobs) at once.
    expect(r.counts.executions).toBe(21);
    expect(quota(r, 'workflows_concurrent_executions').peak).toBe(5);
    expect(quota(r, 'cloud_run_running_executions').peak).toBeLessThanOrEqual(4);
    expect(quota(r, 'vertex_requests_per_job').peak).toBe(10_000);
    // Every job runs at least its queue and its requests: the makespan is above the ideal, not far.
    expect(r.idealHours).toBeGreaterThan(((10_000 * 0.1) / 3600) * 5);
    expect(r.makespanHours).toBeGreaterThan(r.idealHours);
    expect(r.makespanHours / r.idealHours).toBeLessThan(1.3);
    // What the stand-ins counted, priced, is what the estimate prices for the same run, within a few percent.
    expect(r.cost.pipelineUsd / r.cost.estimatedPipelineUsd).toBeGreaterThan(0.9);
    expect(r.cost.pipelineUsd / r.cost.estimatedPipelineUsd).toBeLessThan(1.1);
  });

  test('the same seed rehearses the same run; another seed draws other queue times', async () => {
    const input = { records: 50_000, avgChars: 2000, batchSize: 5000, maxConcurrentBatches: 3, latency: fast };
    const a = await rehearse({ ...input, seed: 1 });
    const b = await rehearse({ ...input, seed: 1 });
    const c = await rehearse({ ...input, seed: 2 });
    expect(b.makespanHours).toBe(a.makespanHours);
    expect(b.counts).toEqual(a.counts);
    expect(c.makespanHours).not.toBe(a.makespanHours);
  });

  test('a job that would run past 24 hours is cut by Google, keeps what it answered, and the next round finishes the batch', async () => {
    // 100,000 requests at 1 s each need 27.8 hours: cut after 24, the rest answered by a retry.
    const r = await rehearse({
      records: 100_000,
      avgChars: 1000,
      batchSize: 100_000,
      maxConcurrentBatches: 1,
      latency: parseVertexLatency('queue=0..1m,per-record=1'),
    });
    expect(r.state).toBe('SUCCEEDED');
    expect(r.counts.vertexJobsCut).toBe(1);
    expect(r.vertexJobs).toBe(2);
    expect(r.summary).toMatchObject({ status: 'succeeded', batches_recovered: 1, records_succeeded: 100_000 });
    expect(quota(r, 'vertex_run_hours_per_job')).toMatchObject({ ok: false, limit: LIMITS.vertexRunHours });
    expect(quota(r, 'vertex_run_hours_per_job').peak).toBeCloseTo(100_000 / 3600, 5);
    expect(r.ok).toBe(false);
  });

  test('batches of 1,000 at 2M records load each table more than 1,500 times a day: the quota is reached', async () => {
    const r = await rehearse({
      records: 2_000_000,
      avgChars: 500,
      batchSize: 1000,
      maxConcurrentBatches: 20,
      latency: parseVertexLatency('queue=0..1m,per-record=0.01'),
    });
    const tableOps = quota(r, 'bigquery_table_operations_per_table_per_day');
    expect(tableOps.peak).toBeGreaterThan(LIMITS.bigqueryTableOperationsPerDay);
    expect(tableOps.ok).toBe(false);
    expect(r.ok).toBe(false);
    // The same records with the default batch size stay far below it.
    const auto = await rehearse({
      records: 2_000_000,
      avgChars: 500,
      maxConcurrentBatches: 20,
      latency: parseVertexLatency('queue=0..1m,per-record=0.01'),
    });
    expect(quota(auto, 'bigquery_table_operations_per_table_per_day').peak).toBeLessThan(LIMITS.bigqueryTableOperationsPerDay / 10);
    expect(auto.ok).toBe(true);
  }, 60_000);

  test('a run that outlasts its staged transcripts fails the batches started after they expire, and says so', async () => {
    // 2M records on one lane take about 6 days; with workRetentionDays 2 the staged rows are kept
    // for sure only one day, and at most two.
    const input = { records: 2_000_000, avgChars: 1000, maxConcurrentBatches: 1, latency: parseVertexLatency('queue=0..10m') };
    const short = await rehearse({ ...input, workRetentionDays: 2 });
    const staged = quota(short, 'staged_inputs_days');
    expect(staged).toMatchObject({ limit: 1, ok: false });
    expect(staged.peak).toBeGreaterThan(1);
    expect(short.summary?.batches_failed).toBeGreaterThan(0);
    expect(short.ok).toBe(false);
    expect(estimate({ ...input, workRetentionDays: 2 }).warnings).toEqual([expect.stringMatching(/kept for as little as 1 days/)]);

    const kept = await rehearse({ ...input, workRetentionDays: 30 });
    expect(quota(kept, 'staged_inputs_days')).toMatchObject({ limit: 29, ok: true });
    expect(kept.summary?.batches_failed).toBe(0);
    expect(kept.ok).toBe(true);
    expect(estimate({ ...input, workRetentionDays: 30 }).warnings).toEqual([]);
  }, 60_000);

  test('a slow batch delays only itself: the other lanes take the next batches', async () => {
    const input = { records: 160_000, avgChars: 1000, batchSize: 10_000, maxConcurrentBatches: 4, seed: 5 };
    const even = await rehearse({ ...input, latency: parseVertexLatency('queue=10m..10m,per-record=0.1') });
    const tail = await rehearse({ ...input, latency: parseVertexLatency('queue=10m..10m,per-record=0.1,slow-share=0.25,slow-factor=3') });
    expect(tail.counts.slowJobs).toBeGreaterThan(0);
    // With static lanes a slow batch would hold back its lane's three others; with the work queue
    // the makespan grows by less than one slow batch.
    const normal = (600 + 10_000 * 0.1) / 3600;
    expect(tail.makespanHours - even.makespanHours).toBeLessThan(3 * normal);
    expect(tail.makespanHours / tail.idealHours).toBeLessThan(1.3);
  });
});

describe('jobWork', () => {
  test("the batches' generator and processor work, summed job by job, is what pipelineCost sums in closed form", () => {
    const input = { records: 1_000_000, avgChars: 6000, batchSize: 31_250 };
    const e = estimate(input);
    const pipeline = {
      records: 1_000_000,
      batchSize: 31_250,
      avgChars: 6000,
      overheadChars: e.overheadChars,
      outputTokensPerRecord: e.outputTokens / 1_000_000,
      ledgerRecords: 2_000_000,
    };
    const m = jobWork(pipeline);
    let generator = 0;
    let processor = 0;
    for (let i = 0; i < 32; i++) {
      generator += m.generator(31_250, 2_000_000 + i * 31_250).bytesBilled;
      processor += m.processor(31_250, 2_000_000 + i * 31_250).bytesBilled;
    }
    const cost = estimate({ ...input, ledgerRecords: 2_000_000 }).pipeline;
    const item = (prefix: string) => cost.items.find((i) => i.item.startsWith(prefix))!.quantity;
    expect(generator).toBeCloseTo(item('generator queries'), 0);
    expect(processor).toBeCloseTo(item('processor queries'), 0);
    expect(m.processor(31_250, 0).loads).toEqual([
      TABLE_NAMES.results,
      TABLE_NAMES.processedRecords,
      TABLE_NAMES.batchEvents,
      TABLE_NAMES.errorTracking,
    ]);
  });
});

describe('tapctl rehearse', () => {
  test('--json gives the makespan, the ideal, the cost, the quotas and the verdict', async () => {
    const r = await cli([
      'rehearse',
      '--records',
      '100000',
      '--avg-chars',
      '2000',
      '--vertex-latency',
      'queue=1m..5m,per-record=0.02',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ ok: true, makespan_hours: expect.any(Number), ideal_hours: expect.any(Number) });
    expect(json.cost).toMatchObject({ model_usd: expect.any(Number), pipeline_usd: expect.any(Number) });
    const quotas = json.quotas as { name: string; peak: number; limit: number; ok: boolean }[];
    expect(quotas.map((q) => q.name)).toContain('bigquery_table_operations_per_table_per_day');
    for (const q of quotas) expect(q.ok).toBe(q.peak <= q.limit);
  });

  test('prints the plan, the makespan against the ideal, the quota table and the verdict; exits 3 when a limit is passed', async () => {
    const ok = await cli(['rehearse', '--records', '50000', '--vertex-latency', 'queue=1m..5m']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/makespan \/ ideal \d\.\d\d/);
    expect(ok.stdout).toMatch(/^workflows_steps_per_execution +[\d,]+ +100,000 /m);
    expect(ok.stdout).toContain('Verdict: ok: the run succeeds within every quota');
    const cut = await cli(['rehearse', '--records', '100000', '--batch-size', '100000', '--vertex-latency', 'per-record=1']);
    expect(cut.code).toBe(3);
    expect(cut.stdout).toMatch(/Verdict: NOT OK: vertex_run_hours_per_job reaches 27\.8 of 24/);
  });

  test('a latency it cannot read is a usage error', async () => {
    const r = await cli(['rehearse', '--records', '10', '--vertex-latency', 'queue=soon']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('queue must be MIN..MAX');
  });
});
