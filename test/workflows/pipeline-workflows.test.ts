/**
 * The two pipeline workflows on the local engine with scripted connectors, through every branch.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import * as YAML from 'yaml';
import { lintSource } from '../../runtime/local/engine';
import { analysisRuns, DEFAULT_ANALYSIS, planAnalyses, TABLE_NAMES, WORKFLOW_ENV, WORKFLOW_FILES } from '../../runtime/contract';
import { batchCount, batchOfRow, batchRows, type BatchLayout } from '../../runtime/core/batch-size';
import { ScriptedCloud } from './scripted-cloud';

const ROOT = path.join(__dirname, '..', '..');
const FILES = Object.values(WORKFLOW_FILES);

describe('the pipeline workflow definitions', () => {
  test.each(FILES)('%s passes the linter', (file) => {
    const findings = lintSource(fs.readFileSync(path.join(ROOT, file), 'utf8'), file);
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  test.each(FILES)('%s reads only the user environment variables of the contract', (file) => {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const used = [...text.matchAll(/sys\.get_env\("([A-Z_]+)"/g)].map((m) => m[1]!);
    const known = new Set<string>([...Object.values(WORKFLOW_ENV), 'GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID', 'GOOGLE_CLOUD_WORKFLOW_ID']);
    expect(used.length).toBeGreaterThan(3);
    expect(used.filter((name) => !known.has(name))).toEqual([]);
  });

  test("the batch workflow writes to the contract's batch events table", () => {
    const text = fs.readFileSync(path.join(ROOT, WORKFLOW_FILES.batch), 'utf8');
    expect([...text.matchAll(/tableId: (\w+)/g)].map((m) => m[1])).toEqual([TABLE_NAMES.batchEvents]);
  });

  test.each(FILES)('every connector call in %s has a retry policy with backoff and a timeout', (file) => {
    const doc = YAML.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as unknown;
    const calls: { call: string; guarded: boolean; timeout: boolean }[] = [];
    const visit = (node: unknown, retry: unknown) => {
      if (Array.isArray(node)) return node.forEach((n) => visit(n, retry));
      if (node === null || typeof node !== 'object') return;
      const map = node as Record<string, unknown>;
      const here = map.retry ?? retry;
      if (typeof map.call === 'string' && map.call.startsWith('googleapis.')) {
        const r = here as { backoff?: unknown; predicate?: unknown } | undefined;
        const args = map.args as { connector_params?: { timeout?: unknown } } | undefined;
        calls.push({
          call: map.call,
          guarded: !!r?.backoff && !!r.predicate,
          timeout: typeof args?.connector_params?.timeout === 'number',
        });
      }
      for (const [k, v] of Object.entries(map)) if (k !== 'retry') visit(v, map.try ? here : k === 'except' ? undefined : retry);
    };
    visit(doc, undefined);
    expect(calls.length).toBeGreaterThan(2);
    expect(calls.filter((c) => !c.guarded || !c.timeout)).toEqual([]);
  });
});

describe('the master orchestrator and the batch workflow on scripted connectors', () => {
  test('all batches succeed, at most max_concurrent_batches at once', async () => {
    const cloud = new ScriptedCloud({ batchCount: 7 });
    const outcome = await cloud.run(cloud.master, { execution_id: 'run-1', max_concurrent_batches: 2 });
    expect(outcome.state).toBe('SUCCEEDED');
    expect(outcome.state === 'SUCCEEDED' && outcome.result).toMatchObject({
      execution_id: 'run-1',
      batches: 7,
      batches_succeeded: 7,
      failed_batches: [],
    });
    expect(cloud.maxInFlight).toBe(2);
    const generated = cloud.jobRuns.filter((r) => r.kind === 'generator').map((r) => Number(r.env.TAP_BATCH_ID));
    expect(generated.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(cloud.events.filter((e) => e.status === 'succeeded')).toHaveLength(7);
    expect(cloud.events.filter((e) => e.status === 'submitted')).toHaveLength(7);
    const planner = cloud.jobRuns.find((r) => r.kind === 'planner')!;
    expect(planner.env).toEqual({
      TAP_EXECUTION_ID: 'run-1',
      TAP_BATCH_SIZE: '100',
      TAP_MAX_CONCURRENT_BATCHES: '2',
      TAP_LIMIT: '',
      TAP_DRY_RUN: 'false',
      TAP_MASTER_EXECUTION: expect.any(String),
      TAP_ANALYSIS_NAME: 'pass1',
    });
    const body = cloud.vertexBodies[0] as any;
    expect(body).toMatchObject({
      model: 'publishers/google/models/gemini-2.5-flash',
      inputConfig: {
        instancesFormat: 'jsonl',
        gcsSource: { uris: [expect.stringMatching(/^gs:\/\/work\/runs\/run-1\/batches\/\d\/attempt-1\/input\.jsonl$/)] },
      },
      outputConfig: { predictionsFormat: 'jsonl', gcsDestination: { outputUriPrefix: expect.stringMatching(/attempt-1\/output$/) } },
      labels: { env: 'test', 'tap-execution': 'run-1', 'tap-attempt': '1' },
    });
    expect(cloud.logged('run_finished')[0]).toMatchObject({ batches: 7, batches_succeeded: 7, batches_failed: 0, attempts_used: 1 });
  });

  test('the concurrency bound holds for each value from 1 to 5', async () => {
    for (const limit of [1, 3, 5]) {
      const cloud = new ScriptedCloud({ batchCount: 9 });
      const outcome = await cloud.run(cloud.master, { execution_id: `c${limit}`, max_concurrent_batches: limit });
      expect(outcome.state).toBe('SUCCEEDED');
      expect(cloud.maxInFlight).toBe(limit);
    }
  });

  test('an empty batch stops before Vertex AI and counts as done', async () => {
    const cloud = new ScriptedCloud({ batchCount: 3, requests: (b) => (b === '1' ? 0 : 100) });
    const outcome = await cloud.run(cloud.master, { execution_id: 'run-e' });
    expect(outcome.state).toBe('SUCCEEDED');
    expect(cloud.vertexBodies).toHaveLength(2);
    expect(cloud.events.filter((e) => e.batch_id === 1).map((e) => e.status)).toEqual(['empty']);
    expect(cloud.jobRuns.filter((r) => r.kind === 'processor')).toHaveLength(2);
    expect(cloud.logged('run_finished')[0]).toMatchObject({ batches_succeeded: 3, batches_failed: 0 });
  });

  test("a Vertex AI job that fails once is recorded failed and succeeds in the master's next round", async () => {
    const cloud = new ScriptedCloud({
      batchCount: 3,
      vertex: (b, n) => (b === '2' && n === 1 ? ['JOB_STATE_RUNNING', 'JOB_STATE_FAILED'] : ['JOB_STATE_SUCCEEDED']),
    });
    const outcome = await cloud.run(cloud.master, { execution_id: 'run-f' });
    expect(outcome.state).toBe('SUCCEEDED');
    expect(cloud.events.filter((e) => e.batch_id === 2).map((e) => [e.status, e.attempt])).toEqual([
      ['submitted', 1],
      ['failed', 1],
      ['submitted', 2],
      ['succeeded', 2],
    ]);
    const failed = cloud.events.find((e) => e.status === 'failed')!;
    expect(failed).toMatchObject({ vertex_state: 'JOB_STATE_FAILED', vertex_job: expect.stringMatching(/batchPredictionJobs\/\d+$/) });
    expect(String(failed.message)).toMatch(/ended JOB_STATE_FAILED with no output: internal error/);
    expect(cloud.logged('batch_failed')[0]).toMatchObject({ batch: '2', attempt: 1, vertex_state: 'JOB_STATE_FAILED' });
    expect(cloud.logged('run_finished')[0]).toMatchObject({ batches_recovered: 1, batches_failed: 0, attempts_used: 2 });
  });

  test('PARTIALLY_SUCCEEDED is processed like SUCCEEDED', async () => {
    const cloud = new ScriptedCloud({ batchCount: 1, vertex: () => ['JOB_STATE_PARTIALLY_SUCCEEDED'] });
    const outcome = await cloud.run(cloud.batch, { execution_id: 'x', batch_id: 0, attempt: 1 });
    expect(outcome.state).toBe('SUCCEEDED');
    expect(cloud.jobRuns.find((r) => r.kind === 'processor')!.env).toMatchObject({ TAP_VERTEX_STATE: 'JOB_STATE_PARTIALLY_SUCCEEDED' });
  });

  test('once the processor has committed, a failure to read its counts fails the attempt but leaves its committed outcome in place', async () => {
    const cloud = new ScriptedCloud({ batchCount: 1 });
    const handlers = cloud.handlers();
    const get = handlers['googleapis.storage.v1.objects.get']!;
    const outcome = await (
      await import('../../runtime/local/engine')
    ).runWorkflow(cloud.batch, {
      argument: { execution_id: 'x', batch_id: 0, attempt: 1 },
      env: (await import('./scripted-cloud')).ENV,
      handlers: {
        ...handlers,
        'googleapis.storage.v1.objects.get': async (args, ctx) => {
          if (String(args.object).includes('result.json')) throw { code: 403, message: 'denied', tags: ['HttpError'] };
          return get(args, ctx);
        },
      },
      onLog: (entry) => cloud.logs.push(entry),
    });
    expect(outcome.state === 'FAILED' && outcome.error).toMatchObject({ code: 403 });
    // The processor's `succeeded` outranks the later `failed` of the same attempt (BATCH_STATUS_RANK);
    // the master's next round finds nothing left to send.
    expect(cloud.events.map((e) => [e.status, e.attempt])).toEqual([
      ['submitted', 1],
      ['succeeded', 1],
      ['failed', 1],
    ]);
  });

  test('a job that ends FAILED after writing some answers: they are processed, the rest stay open, and the master runs the batch again', async () => {
    const cloud = new ScriptedCloud({
      batchCount: 2,
      vertex: (b, n) => (b === '1' && n === 1 ? ['JOB_STATE_RUNNING', 'JOB_STATE_PARTIALLY_SUCCEEDED'] : ['JOB_STATE_SUCCEEDED']),
      unanswered: (b, n) => (b === '1' && n === 1 ? 40 : 0),
    });
    const outcome = await cloud.run(cloud.master, { execution_id: 'run-p' });
    expect(outcome.state).toBe('SUCCEEDED');
    expect(cloud.jobRuns.filter((r) => r.kind === 'processor' && r.env.TAP_BATCH_ID === '1').map((r) => r.env.TAP_ATTEMPT)).toEqual([
      '1',
      '2',
    ]);
    // The attempt's outcome is the processor's: the workflow adds no second `failed` event for it.
    expect(cloud.events.filter((e) => e.batch_id === 1).map((e) => [e.status, e.attempt, e.open ?? null])).toEqual([
      ['submitted', 1, null],
      ['failed', 1, 40],
      ['submitted', 2, null],
      ['succeeded', 2, 0],
    ]);
    expect(cloud.logged('batch_failed')[0]).toMatchObject({ batch: '1', error: { tags: ['BatchIncomplete'] } });
  });

  test('a retried create that was in fact done finds the job by its display name instead of creating a second', async () => {
    const cloud = new ScriptedCloud({ batchCount: 1 });
    const handlers = cloud.handlers();
    const create = handlers['googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.create']!;
    let creates = 0;
    const outcome = await (
      await import('../../runtime/local/engine')
    ).runWorkflow(cloud.batch, {
      argument: { execution_id: 'x', batch_id: 0 },
      env: (await import('./scripted-cloud')).ENV,
      handlers: {
        ...handlers,
        'googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.create': async (args, ctx) => {
          creates++;
          await create(args, ctx);
          // The job exists, but the answer is lost.
          throw { code: 503, message: 'Service Unavailable', tags: ['HttpError'] };
        },
      },
    });
    expect(outcome.state).toBe('SUCCEEDED');
    expect(creates).toBe(1);
    expect(cloud.vertexBodies).toHaveLength(1);
  });

  test('a job that expires fails the attempt with a tagged error', async () => {
    const cloud = new ScriptedCloud({ batchCount: 1, vertex: () => ['JOB_STATE_QUEUED', 'JOB_STATE_EXPIRED'] });
    const outcome = await cloud.run(cloud.batch, { execution_id: 'x', batch_id: 0, attempt: 1 });
    expect(outcome.state).toBe('FAILED');
    expect(outcome.state === 'FAILED' && outcome.error).toMatchObject({
      tags: ['VertexJobError'],
      vertex_state: 'JOB_STATE_EXPIRED',
      message: expect.stringMatching(/with no output/),
    });
    expect(cloud.events.map((e) => e.status)).toEqual(['submitted', 'failed']);
  });

  test('polling gives up after 72 hours queued, cancels the job and records the failure', async () => {
    const cloud = new ScriptedCloud({ batchCount: 1, vertex: () => ['JOB_STATE_QUEUED'] });
    const outcome = await cloud.run(cloud.batch, { execution_id: 'x', batch_id: 0, attempt: 1 });
    expect(outcome.state).toBe('FAILED');
    expect(outcome.state === 'FAILED' && outcome.error).toMatchObject({
      tags: ['VertexJobError', 'TimeoutError'],
      vertex_state: 'JOB_STATE_CANCELLED',
      message: expect.stringMatching(/cancelled: still queued after 72 h/),
    });
    expect(cloud.cancelled).toHaveLength(1);
    expect(outcome.stats.endTime - outcome.stats.startTime).toBeGreaterThan(72 * 3600);
    expect(outcome.stats.endTime - outcome.stats.startTime).toBeLessThan(72 * 3600 + 600);
  });

  test('polling gives up after 24 hours running', async () => {
    const cloud = new ScriptedCloud({ batchCount: 1, vertex: () => ['JOB_STATE_PENDING', 'JOB_STATE_RUNNING'] });
    const outcome = await cloud.run(cloud.batch, { execution_id: 'x', batch_id: 0, attempt: 1 });
    expect(outcome.state === 'FAILED' && outcome.error).toMatchObject({ message: expect.stringMatching(/still running after 24 h/) });
    expect(cloud.events.map((e) => e.status)).toEqual(['submitted', 'failed']);
  });

  test('a job cancelled for running over 24 h has its completed answers processed', async () => {
    const cloud = new ScriptedCloud({ batchCount: 1, vertex: () => ['JOB_STATE_PENDING', 'JOB_STATE_RUNNING'], unanswered: () => 70 });
    const outcome = await cloud.run(cloud.batch, { execution_id: 'x', batch_id: 0, attempt: 1 });
    expect(outcome.state === 'FAILED' && outcome.error).toMatchObject({ tags: ['BatchIncomplete'], vertex_state: 'JOB_STATE_CANCELLED' });
    expect(cloud.jobRuns.find((r) => r.kind === 'processor')!.env).toMatchObject({ TAP_VERTEX_STATE: 'JOB_STATE_CANCELLED' });
    expect(cloud.events.map((e) => [e.status, e.open ?? null])).toEqual([
      ['submitted', null],
      ['failed', 70],
    ]);
  });

  test('a job failure raises from the batch workflow, is recorded, and the master re-runs the batch', async () => {
    const cloud = new ScriptedCloud({ batchCount: 2, jobFails: (kind, batch, run) => kind === 'processor' && batch === '0' && run === 1 });
    const batchOutcome = await new ScriptedCloud({ batchCount: 1, jobFails: (kind) => kind === 'generator' }).run(cloud.batch, {
      execution_id: 'x',
      batch_id: 0,
      attempt: 1,
    });
    expect(batchOutcome.state === 'FAILED' && batchOutcome.error).toMatchObject({ tags: ['OperationError'] });

    const outcome = await cloud.run(cloud.master, { execution_id: 'run-j' });
    expect(outcome.state).toBe('SUCCEEDED');
    expect(cloud.events.filter((e) => e.batch_id === 0).map((e) => e.status)).toEqual(['submitted', 'failed', 'submitted', 'succeeded']);
  });

  test('when max_batch_attempts is exhausted the run ends with the batch listed as failed', async () => {
    const cloud = new ScriptedCloud({ batchCount: 4, vertex: (b) => (b === '3' ? ['JOB_STATE_FAILED'] : ['JOB_STATE_SUCCEEDED']) });
    const outcome = await cloud.run(cloud.master, { execution_id: 'run-x', max_batch_attempts: 2 });
    expect(outcome.state).toBe('SUCCEEDED');
    expect(outcome.state === 'SUCCEEDED' && outcome.result).toMatchObject({
      execution_id: 'run-x',
      batches_failed: 1,
      failed_batches: [3],
    });
    expect(cloud.vertexBodies.filter((b: any) => b.labels['tap-batch'] === '3')).toHaveLength(2);
    expect(cloud.logged('run_finished')[0]).toMatchObject({ batches_failed: 1, failed_batches: [3], attempts_used: 2 });
    expect(cloud.logs.find((l) => (l.payload as any)?.event === 'run_finished')!.severity).toBe('ERROR');
  });

  test('the seed recovery form (rows, no attempt) runs each batch the rows cover, whole, in its first free attempt', async () => {
    const cloud = new ScriptedCloud({ batchCount: 3 });
    cloud.objects.set('runs/run-r/plan.json', { execution_id: 'run-r', batch_count: 3, batch_size: 100, records: 300 });
    const first = await cloud.run(cloud.batch, { execution_id: 'run-r', start_row: 1, end_row: 10000 });
    expect(first.state === 'SUCCEEDED' && first.result).toMatchObject({
      status: 'succeeded',
      start_row: 1,
      end_row: 300,
      batches_succeeded: 3,
    });
    const generators = () => cloud.jobRuns.filter((r) => r.kind === 'generator').map((r) => r.env);
    expect(generators()).toEqual([0, 1, 2].map((b) => ({ TAP_EXECUTION_ID: 'run-r', TAP_BATCH_ID: String(b), TAP_ATTEMPT: '1' })));
    // Again: attempt 1 of each batch is claimed, so the next free one is taken.
    await cloud.run(cloud.batch, { execution_id: 'run-r', start_row: 1, end_row: 300 });
    expect(
      generators()
        .slice(3)
        .map((e) => e.TAP_ATTEMPT),
    ).toEqual(['2', '2', '2']);
    expect(cloud.objects.get('runs/run-r/batches/1/attempt-2/claim.json')).toMatchObject({
      execution_id: 'run-r',
      batch_id: 1,
      attempt: 2,
    });
  });

  test("a row range over parts of batches runs those rows only, as attempts that leave the batches' status alone", async () => {
    const cloud = new ScriptedCloud({ batchCount: 3 });
    cloud.objects.set('runs/run-r/plan.json', { execution_id: 'run-r', batch_count: 3, batch_size: 100, records: 300 });
    const outcome = await cloud.run(cloud.batch, { execution_id: 'run-r', start_row: 150, end_row: 250 });
    expect(outcome.state).toBe('SUCCEEDED');
    expect(cloud.jobRuns.filter((r) => r.kind === 'generator').map((r) => r.env)).toEqual([
      { TAP_EXECUTION_ID: 'run-r', TAP_BATCH_ID: '1', TAP_ATTEMPT: '1', TAP_START_ROW: '150', TAP_END_ROW: '200' },
      { TAP_EXECUTION_ID: 'run-r', TAP_BATCH_ID: '2', TAP_ATTEMPT: '1', TAP_START_ROW: '201', TAP_END_ROW: '250' },
    ]);
    expect(cloud.events.filter((e) => e.status === 'submitted').map((e) => [e.batch_id, e.start_row, e.end_row])).toEqual([
      [1, 150, 200],
      [2, 201, 250],
    ]);
  });

  test('a row range over a plan that ends in smaller batches runs, batch by batch, the rows the plan put in each', async () => {
    const layouts = fc
      .record({
        batchSize: fc.integer({ min: 1, max: 9 }),
        tailFirstBatch: fc.integer({ min: 0, max: 4 }),
        tailBatchSize: fc.integer({ min: 1, max: 9 }),
        tailRows: fc.integer({ min: 0, max: 30 }),
      })
      .map((p): BatchLayout => ({
        records: Math.max(1, p.tailFirstBatch * p.batchSize + p.tailRows),
        batchSize: p.batchSize,
        tailFirstBatch: p.tailFirstBatch,
        tailBatchSize: Math.min(p.batchSize, p.tailBatchSize),
      }));
    await fc.assert(
      fc.asyncProperty(layouts, fc.nat(80), fc.nat(40), async (l, from, length) => {
        const count = batchCount(l);
        const cloud = new ScriptedCloud({ batchCount: count });
        cloud.objects.set('runs/run-t/plan.json', {
          execution_id: 'run-t',
          batch_count: count,
          batch_size: l.batchSize,
          tail_first_batch: l.tailFirstBatch,
          tail_batch_size: l.tailBatchSize,
          records: l.records,
        });
        const start = 1 + (from % l.records);
        const end = start + length;
        const outcome = await cloud.run(cloud.batch, { execution_id: 'run-t', start_row: start, end_row: end });
        expect(outcome.state).toBe('SUCCEEDED');
        const expected = [];
        for (let b = batchOfRow(l, start); b <= batchOfRow(l, Math.min(end, l.records)); b++) {
          const { first, last } = batchRows(l, b);
          const [lo, hi] = [Math.max(start, first), Math.min(end, last)];
          const part = lo === first && hi === last ? {} : { TAP_START_ROW: String(lo), TAP_END_ROW: String(hi) };
          expected.push({ TAP_EXECUTION_ID: 'run-t', TAP_BATCH_ID: String(b), TAP_ATTEMPT: '1', ...part });
        }
        expect(cloud.jobRuns.filter((r) => r.kind === 'generator').map((r) => r.env)).toEqual(expected);
      }),
      { numRuns: 60, seed: 12 },
    );
  });

  test('a row range outside the plan is refused before anything runs', async () => {
    const cloud = new ScriptedCloud({ batchCount: 1 });
    await cloud.run(cloud.master, { execution_id: 'run-o' });
    const before = cloud.jobRuns.length;
    for (const [start, end] of [
      [0, 5],
      [101, 200],
      [9, 3],
    ]) {
      const outcome = await cloud.run(cloud.batch, { execution_id: 'run-o', start_row: start, end_row: end });
      expect(outcome.state === 'FAILED' && outcome.error).toMatchObject({
        tags: ['ValueError'],
        message: expect.stringMatching(/the plan has 100 rows/),
      });
    }
    expect(cloud.jobRuns.length).toBe(before);
  });

  test('an execution id Vertex AI labels cannot carry is refused before anything runs', async () => {
    const cloud = new ScriptedCloud({ batchCount: 1 });
    for (const id of ['has.dot', 'x'.repeat(64), 'a/b']) {
      const master = await cloud.run(cloud.master, { execution_id: id });
      expect(master.state === 'FAILED' && master.error).toMatchObject({
        tags: ['ValueError'],
        message: expect.stringMatching(/1 to 63 letters/),
      });
      const batch = await cloud.run(cloud.batch, { execution_id: id, batch_id: 0 });
      expect(batch.state === 'FAILED' && batch.error).toMatchObject({ tags: ['ValueError'] });
    }
    expect(cloud.jobRuns).toEqual([]);
  });

  test('max_batch_attempts 1 runs one round and no retry round', async () => {
    const cloud = new ScriptedCloud({ batchCount: 2, vertex: (b) => (b === '1' ? ['JOB_STATE_FAILED'] : ['JOB_STATE_SUCCEEDED']) });
    const outcome = await cloud.run(cloud.master, { execution_id: 'run-1a', max_batch_attempts: 1 });
    expect(outcome.state === 'SUCCEEDED' && outcome.result).toMatchObject({
      execution_id: 'run-1a',
      batches_failed: 1,
      failed_batches: [1],
    });
    expect(cloud.vertexBodies).toHaveLength(2);
    expect(cloud.logged('batches_retrying')).toEqual([]);
  });

  test('the batch workflow refuses an argument without a batch', async () => {
    const cloud = new ScriptedCloud({ batchCount: 1 });
    for (const argument of [{ execution_id: 'x' }, { batch_id: 1 }, { execution_id: 'x', start_row: 5 }]) {
      const outcome = await cloud.run(cloud.batch, argument);
      expect(outcome.state === 'FAILED' && outcome.error).toMatchObject({ tags: ['ValueError'] });
    }
    expect(cloud.jobRuns).toEqual([]);
  });

  test('batch_size auto reaches the planner with the concurrency it sizes for; a number, as text or not, is passed as given', async () => {
    for (const [given, passed] of [
      ['auto', 'auto'],
      [250, '250'],
      ['250', '250'],
    ] as const) {
      const cloud = new ScriptedCloud({ batchCount: 2 });
      const outcome = await cloud.run(cloud.master, { execution_id: 'run-a', batch_size: given, max_concurrent_batches: 3 });
      expect(outcome.state).toBe('SUCCEEDED');
      const planner = cloud.jobRuns.find((r) => r.kind === 'planner')!;
      expect([planner.env.TAP_BATCH_SIZE, planner.env.TAP_MAX_CONCURRENT_BATCHES]).toEqual([passed, '3']);
    }
  });

  test('the master refuses a batch_size that is neither auto nor a whole number in range', async () => {
    for (const [given, says] of [
      ['big', 'batch_size must be auto or a whole number from 1 to 200000, got "big"'],
      [0, "batch_size must be auto or a whole number from 1 to 200000 (Vertex AI's requests per job), got 0"],
      [200001, 'got 200001'],
    ] as const) {
      const cloud = new ScriptedCloud({ batchCount: 2 });
      const outcome = await cloud.run(cloud.master, { execution_id: 'run-b', batch_size: given });
      expect(outcome.state).toBe('FAILED');
      expect(JSON.stringify(outcome.state === 'FAILED' && outcome.error)).toContain(JSON.stringify(says).slice(1, -1));
      expect(cloud.jobRuns).toEqual([]);
    }
  });

  test('the master refuses max_concurrent_batches above the Workflows limit', async () => {
    const cloud = new ScriptedCloud({ batchCount: 1 });
    const outcome = await cloud.run(cloud.master, { max_concurrent_batches: 21 });
    expect(outcome.state === 'FAILED' && outcome.error).toMatchObject({
      tags: ['ValueError'],
      message: expect.stringMatching(/between 1 and 20/),
    });
  });

  test('a run refuses to start while another run of the pipeline is active, unless allowed', async () => {
    const busy = new ScriptedCloud({ batchCount: 2, otherActiveRuns: 1 });
    const refused = await busy.run(busy.master, { execution_id: 'second' });
    expect(refused.state === 'FAILED' && refused.error).toMatchObject({
      tags: ['ValueError'],
      message: expect.stringMatching(/another run of this pipeline is in progress/),
    });
    expect(busy.jobRuns).toEqual([]);
    const allowed = await busy.run(busy.master, { execution_id: 'second', allow_concurrent: true });
    expect(allowed.state).toBe('SUCCEEDED');
    expect(busy.jobRuns.map((r) => r.kind)).toContain('reporter');
  });

  test('a scheduled run (skip_if_busy) that finds another run active ends quietly, having done nothing', async () => {
    const busy = new ScriptedCloud({ batchCount: 2, otherActiveRuns: 1 });
    const outcome = await busy.run(busy.master, { execution_id: 'tick', skip_if_busy: true });
    expect(outcome.state === 'SUCCEEDED' && outcome.result).toEqual({
      execution_id: 'tick',
      skipped: true,
      reason: 'another run of this pipeline is in progress',
    });
    expect(busy.jobRuns).toEqual([]);
    expect(busy.logged('run_skipped')).toHaveLength(1);
    const alone = new ScriptedCloud({ batchCount: 2 });
    expect((await alone.run(alone.master, { execution_id: 'tick', skip_if_busy: true })).state).toBe('SUCCEEDED');
    expect(alone.jobRuns.map((r) => r.kind)).toContain('reporter');
  });

  test('a dry run plans and returns the plan', async () => {
    const cloud = new ScriptedCloud({ batchCount: 5 });
    const outcome = await cloud.run(cloud.master, { execution_id: 'dry', dry_run: true, limit: 10 });
    expect(outcome.state === 'SUCCEEDED' && outcome.result).toMatchObject({ dry_run: true, plan: { batch_count: 5 } });
    expect(cloud.jobRuns.map((r) => r.kind)).toEqual(['planner']);
    expect(cloud.jobRuns[0]!.env).toMatchObject({ TAP_LIMIT: '10', TAP_DRY_RUN: 'true' });
  });

  test('a create that fails after making the child finds it by its labels: one child per batch and round; a 429 is tried again', async () => {
    const cloud = new ScriptedCloud({ batchCount: 6, childShortcut: () => ({ status: 'succeeded' }) });
    const calls = new Map<string, number>();
    const handlers = cloud.handlers();
    const create = handlers['googleapis.workflowexecutions.v1.projects.locations.workflows.executions.create']!;
    cloud.handlers = () => ({
      ...handlers,
      'googleapis.workflowexecutions.v1.projects.locations.workflows.executions.create': async (args, ctx) => {
        const batch = (args.body as { labels: Record<string, string> }).labels.tap_batch!;
        const n = (calls.get(batch) ?? 0) + 1;
        calls.set(batch, n);
        if (batch === '1' && n === 1) throw { code: 429, message: 'Resource has been exhausted', tags: ['HttpError'] };
        const made = await create(args, ctx);
        if (batch === '4' && n === 1) throw { code: 500, message: 'Internal error', tags: ['HttpError'] };
        return made;
      },
    });
    const outcome = await cloud.run(cloud.master, { execution_id: 'flaky', max_concurrent_batches: 3 });
    expect(outcome.state).toBe('SUCCEEDED');
    expect(Object.fromEntries(calls)).toEqual({ 0: 1, 1: 2, 2: 1, 3: 1, 4: 1, 5: 1 });
    const children = cloud.executions.list('projects/p/locations/europe-west1/workflows/ta-sub-workflow', { view: 'FULL', pageSize: 100 })
      .executions as { labels: Record<string, string> }[];
    expect(children.map((c) => c.labels.tap_batch).sort()).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(cloud.logged('batch_attempt_failed')).toEqual([]);
  });

  test('waiting costs no connector polls: one look at the running children per wait, the wait growing with the round', async () => {
    const cloud = new ScriptedCloud({ batchCount: 40, childSeconds: 24 * 3600, childShortcut: () => ({ status: 'succeeded' }) });
    const outcome = await cloud.run(cloud.master, { execution_id: 'slow', max_concurrent_batches: 4 });
    expect(outcome.state).toBe('SUCCEEDED');
    // The planner's and the reporter's job runs are polled; forty day-long children are not.
    expect(outcome.stats.pollSteps).toBeLessThan(30);
    // Ten waves of a day each: without growing waits, a look a minute would be 14,400 looks.
    const looks = cloud.listCalls.filter((filter) => filter.includes('state="ACTIVE"') && filter.includes('labels.tap_round')).length;
    expect(looks).toBeGreaterThan(10);
    expect(looks).toBeLessThan(1200);
    expect(outcome.stats.steps).toBeLessThan(40 * 2 + looks * 6 + 100);
  });

  test("a plan too large for one execution's steps is refused before any batch runs, saying what to change", async () => {
    const cloud = new ScriptedCloud({ batchCount: 30_000, childShortcut: () => ({ status: 'succeeded' }) });
    const outcome = await cloud.run(cloud.master, { execution_id: 'huge' });
    expect(outcome.state === 'FAILED' && outcome.error).toMatchObject({
      tags: ['ValueError'],
      message: expect.stringMatching(/30000 batches.*batch_size/),
    });
    expect(cloud.jobRuns.map((r) => r.kind)).toEqual(['planner']);
  });

  describe('several analyses', () => {
    const chained = { ...DEFAULT_ANALYSIS, after: 'pass1', promptTemplate: 'Summary: {pass1.summary}' };
    const env = {
      TAP_ANALYSIS_RUNS: JSON.stringify(analysisRuns(planAnalyses({ pass1: DEFAULT_ANALYSIS, qa: DEFAULT_ANALYSIS, next: chained }))),
    };
    const planned = (cloud: ScriptedCloud) =>
      cloud.jobRuns.filter((r) => r.kind === 'planner').map((r) => [r.env.TAP_EXECUTION_ID, r.env.TAP_ANALYSIS_NAME]);

    test('one run runs every analysis in order, each under its own execution id, and returns every summary', async () => {
      const cloud = new ScriptedCloud({
        batchCount: 2,
        model: (e) => (e.endsWith('-qa') ? 'publishers/google/models/gemini-2.5-pro' : undefined),
      });
      const outcome = await cloud.run(cloud.master, { execution_id: 'run-1' }, env);
      expect(outcome.state).toBe('SUCCEEDED');
      expect(planned(cloud)).toEqual([
        ['run-1', 'pass1'],
        ['run-1-next', 'next'],
        ['run-1-qa', 'qa'],
      ]);
      const result = (outcome as { result: { execution_id: string; analyses: { execution_id: string; batches: number }[] } }).result;
      expect(result.execution_id).toBe('run-1');
      expect(result.analyses.map((a) => [a.execution_id, a.batches])).toEqual([
        ['run-1', 2],
        ['run-1-next', 2],
        ['run-1-qa', 2],
      ]);
      // The Vertex AI job takes the model the generator wrote for the batch's analysis.
      const models = cloud.vertexBodies.map((b) => [
        /runs\/([^/]+)\//.exec(JSON.stringify((b as { inputConfig: unknown }).inputConfig))![1],
        (b as { model: string }).model,
      ]);
      expect(new Set(models.map(([e, m]) => `${e} ${m}`))).toEqual(
        new Set([
          'run-1 publishers/google/models/gemini-2.5-flash',
          'run-1-next publishers/google/models/gemini-2.5-flash',
          'run-1-qa publishers/google/models/gemini-2.5-pro',
        ]),
      );
    });

    test('a run of one analysis runs what it reads first, and nothing else', async () => {
      const cloud = new ScriptedCloud({ batchCount: 1 });
      expect((await cloud.run(cloud.master, { execution_id: 'run-2', analysis: 'next' }, env)).state).toBe('SUCCEEDED');
      expect(planned(cloud)).toEqual([
        ['run-2', 'pass1'],
        ['run-2-next', 'next'],
      ]);
      const alone = new ScriptedCloud({ batchCount: 1 });
      const outcome = await alone.run(alone.master, { execution_id: 'run-3', analysis: 'qa' }, env);
      expect(planned(alone)).toEqual([['run-3-qa', 'qa']]);
      expect(outcome.state === 'SUCCEEDED' && outcome.result).toMatchObject({ execution_id: 'run-3-qa', batches: 1 });
    });

    test('an analysis the pipeline does not have is refused before anything runs', async () => {
      const cloud = new ScriptedCloud({ batchCount: 1 });
      const outcome = await cloud.run(cloud.master, { execution_id: 'run-4', analysis: 'pass2' }, env);
      expect(outcome.state).toBe('FAILED');
      expect(JSON.stringify(outcome)).toContain('analysis must be one of [\\"pass1\\",\\"next\\",\\"qa\\"], got \\"pass2\\"');
      expect(cloud.jobRuns).toEqual([]);
    });
  });
});
