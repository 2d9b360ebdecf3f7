import { AUTO_BATCH_SIZE, DEFAULT_ANALYSIS, analysisVersion, TABLE_NAMES } from '../../../runtime/contract';
import { batchOfRow } from '../../../runtime/core/batch-size';
import { planAssign } from '../../../runtime/core/sql';
import { DATASET, Harness, PROJECT } from '../../fakes/harness';

const ids = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ id: `t${String(i + from).padStart(3, '0')}`, text: `call number ${i + from}` }));

describe('planner', () => {
  test('assigns records to batches by (row_number - 1) / batch size, in record id order', async () => {
    const h = await Harness.create();
    await h.addTranscripts(ids(7));
    const plan = await h.plan('run-1', { TAP_BATCH_SIZE: '3' });
    expect(plan).toMatchObject({
      records: 7,
      batch_count: 3,
      skipped_dedup: 0,
      dry_run: false,
      analysis_version: analysisVersion(DEFAULT_ANALYSIS),
    });
    const rows = await h.rows('batch_assignments');
    expect(rows.map((r) => [r.row_number, r.batch_id, r.record_id, r.record_attempt])).toEqual([
      [1, 0, 't000', 1],
      [2, 0, 't001', 1],
      [3, 0, 't002', 1],
      [4, 1, 't003', 1],
      [5, 1, 't004', 1],
      [6, 1, 't005', 1],
      [7, 2, 't006', 1],
    ]);
    expect(h.plan_json('run-1')).toEqual(plan);
    expect((await h.rows('batch_events')).map((e) => [e.batch_id, e.status, e.records])).toEqual([
      [0, 'planned', 3],
      [1, 'planned', 3],
      [2, 'planned', 1],
    ]);
    expect(await h.rows('executions')).toEqual([
      expect.objectContaining({ execution_id: 'run-1', status: 'planned', records_total: 7, batch_count: 3 }),
    ]);
  });

  test('another run reusing a planned execution id is refused, saying why, and changes nothing', async () => {
    const h = await Harness.create();
    await h.addTranscripts(ids(4));
    await h.plan('run-1');
    const before = await h.state();
    await h.addTranscripts(ids(2, 10));
    await expect(h.plan('run-1', { TAP_MASTER_EXECUTION: 'another-master' })).rejects.toThrow(
      /execution run-1 was already planned at .* by another run, and a plan is never changed: give a new execution id/,
    );
    await expect(h.plan('run-1', { TAP_MASTER_EXECUTION: '' })).rejects.toThrow(/already planned/);
    expect(await h.state()).toEqual(before);
  });

  test('planning the same execution again (a retried planner task) writes nothing new', async () => {
    const h = await Harness.create();
    await h.addTranscripts(ids(4));
    const first = await h.plan('run-1', { TAP_BATCH_SIZE: '2' });
    const before = await h.state();
    await h.addTranscripts(ids(2, 10));
    h.clock = new Date('2026-11-28T11:00:00Z');
    const second = await h.plan('run-1', { TAP_BATCH_SIZE: '2' });
    expect(await h.state()).toEqual(before);
    expect(second.records).toBe(first.records);
    expect(second.created_at).toBe(first.created_at);
  });

  test('a source id written twice is planned once', async () => {
    const h = await Harness.create();
    await h.addTranscripts([...ids(3), { id: 't001', text: 'again' }]);
    expect((await h.plan('run-1')).records).toBe(3);
  });

  test('TAP_LIMIT caps the plan and a dry run writes only plan.json', async () => {
    const h = await Harness.create();
    await h.addTranscripts(ids(10));
    const dry = await h.plan('dry', { TAP_DRY_RUN: 'true', TAP_BATCH_SIZE: '4' });
    expect(dry).toMatchObject({ records: 10, batch_count: 3, dry_run: true });
    expect(await h.rows('batch_assignments')).toEqual([]);
    expect(await h.rows('executions')).toEqual([]);
    expect((await h.plan('run-1', { TAP_LIMIT: '4' })).records).toBe(4);
  });

  test('planning again with no new transcripts plans nothing', async () => {
    const h = await Harness.create();
    await h.addTranscripts(ids(5));
    await h.runAll('run-1', {}, { TAP_BATCH_SIZE: '2' });
    const again = await h.plan('run-2');
    expect(again).toMatchObject({ records: 0, batch_count: 0, skipped_dedup: 5 });
    await h.addTranscripts(ids(2, 50));
    const more = await h.plan('run-3');
    expect(more).toMatchObject({ records: 2, skipped_dedup: 5 });
  });

  test('a new analysis version plans every record again', async () => {
    const h = await Harness.create();
    await h.addTranscripts(ids(5));
    await h.runAll('run-1');
    h.spec = { ...DEFAULT_ANALYSIS, promptTemplate: DEFAULT_ANALYSIS.promptTemplate + '\nAnswer in English.' };
    const plan = await h.plan('run-2');
    expect(plan).toMatchObject({ records: 5, skipped_dedup: 0, analysis_version: analysisVersion(h.spec) });
  });

  test('records with a retryable error are planned again until maxRecordAttempts, then stay exhausted', async () => {
    const h = await Harness.create();
    await h.addTranscripts([
      { id: 'bad', text: 'x' },
      { id: 'good', text: 'y' },
    ]);
    const behave = (id: string) => (id === 'bad' ? ({ kind: 'text', text: 'not json' } as const) : ({ kind: 'ok' } as const));
    for (let run = 1; run <= 3; run++) {
      const plan = await h.runAll(`run-${run}`, { behave });
      expect(plan.records).toBe(run === 1 ? 2 : 1);
      const planned = (await h.rows('batch_assignments')).filter((r) => r.execution_id === `run-${run}` && r.record_id === 'bad');
      expect(planned.map((r) => r.record_attempt)).toEqual([run]);
    }
    const errors = (await h.rows('error_tracking')).filter((e) => e.record_id === 'bad');
    expect(errors.map((e) => [e.execution_id, e.error_type, e.retryable, e.record_attempt])).toEqual([
      ['run-1', 'json_parse_error', true, 1],
      ['run-2', 'json_parse_error', true, 2],
      ['run-3', 'json_parse_error', true, 3],
    ]);
    const settled = (await h.rows('processed_records')).filter((p) => p.record_id === 'bad');
    expect(settled).toEqual([expect.objectContaining({ status: 'exhausted', attempts: 3, first_processed_execution_id: 'run-3' })]);
    const fourth = await h.plan('run-4');
    expect(fourth).toMatchObject({ records: 0, skipped_exhausted: 1, skipped_dedup: 1 });
  });

  test('a permanent error settles the record: it is not planned again', async () => {
    const h = await Harness.create();
    await h.addTranscripts([
      { id: 'blocked', text: 'x' },
      { id: 'empty', text: '   ' },
    ]);
    await h.runAll('run-1', { behave: () => ({ kind: 'safety' }) });
    const processed = await h.rows('processed_records');
    expect(processed.map((p) => [p.record_id, p.status])).toEqual([
      ['blocked', 'failed'],
      ['empty', 'failed'],
    ]);
    expect((await h.plan('run-2')).records).toBe(0);
  });

  test('a plan is a snapshot: committing batch 0 does not change the records of batch 1', async () => {
    const h = await Harness.create();
    await h.addTranscripts(ids(6));
    await h.plan('run-1', { TAP_BATCH_SIZE: '3' });
    const batch1 = (await h.rows('batch_assignments')).filter((r) => r.batch_id === 1).map((r) => r.record_id);
    await h.batch('run-1', 0);
    await h.addTranscripts([{ id: 't0000', text: 'sorts first' }]);
    const manifest = await h.generate('run-1', 1);
    const sent = (await h.store.readText(manifest.input_uri.replace('gs://work-bucket/', '')))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).request.labels.taprecord);
    expect(sent).toEqual(batch1);
    expect(batch1).toEqual(['t003', 't004', 't005']);
  });

  test('fails naming the variable when the batch size is out of range', async () => {
    const h = await Harness.create();
    await expect(h.plan('run-1', { TAP_BATCH_SIZE: '0' })).rejects.toThrow(/TAP_BATCH_SIZE: must be between 1 and 200000, got 0/);
    await expect(h.plan('run-1', { TAP_BATCH_SIZE: 'many' })).rejects.toThrow(/TAP_BATCH_SIZE: must be an integer/);
  });

  test("stages the text of every planned record once, in the plan's batches and rows", async () => {
    const h = await Harness.create();
    await h.addTranscripts([
      { id: 'b', text: 'second' },
      { id: 'a', text: 'first' },
      { id: 'c', text: null },
    ]);
    await h.plan('run-1', { TAP_BATCH_SIZE: '2' });
    await h.plan('run-1', { TAP_BATCH_SIZE: '2' });
    const staged = await h.rows(TABLE_NAMES.batchInputs);
    expect(staged.map((r) => [r.batch_id, r.row_number, r.record_id, r.transcript, r.prompt_columns])).toEqual([
      [0, 1, 'a', 'first', null],
      [0, 2, 'b', 'second', null],
      [1, 3, 'c', null, null],
    ]);
    const plan = await h.rows(TABLE_NAMES.batchAssignments);
    expect(staged.map((r) => r.planned_at)).toEqual(plan.map((r) => r.planned_at));
  });

  test('a dry run stages nothing', async () => {
    const h = await Harness.create();
    await h.addTranscripts([{ id: 'a', text: 'hello' }]);
    await h.plan('run-1', { TAP_DRY_RUN: 'true' });
    expect(await h.rows(TABLE_NAMES.batchInputs)).toEqual([]);
  });

  test('a planner stopped between the plan and the staging stages it when it runs again', async () => {
    const h = await Harness.create();
    await h.addTranscripts([{ id: 'a', text: 'hello' }]);
    const plan = await h.plan('run-1');
    await h.engine.run({ sql: `DELETE FROM \`${TABLE_NAMES.batchInputs}\`` });
    expect(await h.plan('run-1')).toEqual(plan);
    expect((await h.rows(TABLE_NAMES.batchInputs)).map((r) => [r.record_id, r.transcript])).toEqual([['a', 'hello']]);
    await h.plan('run-1');
    expect(await h.rows(TABLE_NAMES.batchInputs)).toHaveLength(1);
    expect(await h.generate('run-1', 0)).toMatchObject({ requests: 1 });
  });

  test('batch size auto runs a small plan as one batch of at least minRecords, records the size chosen, and a number given wins', async () => {
    const h = await Harness.create();
    await h.addTranscripts(Array.from({ length: 20 }, (_, i) => ({ id: `t${String(i).padStart(2, '0')}`, text: 'a call' })));
    const auto = await h.plan('auto-1', { TAP_BATCH_SIZE: 'auto', TAP_MAX_CONCURRENT_BATCHES: '3', TAP_DRY_RUN: 'true' });
    expect(auto).toMatchObject({ records: 20, batch_size: AUTO_BATCH_SIZE.minRecords, batch_count: 1 });
    const planned = await h.plan('auto-2', { TAP_BATCH_SIZE: 'auto', TAP_MAX_CONCURRENT_BATCHES: '3' });
    expect(planned).toMatchObject({ records: 20, batch_size: AUTO_BATCH_SIZE.minRecords, batch_count: 1 });
    const [row] = (await h.rows('executions')).filter((r) => r.execution_id === 'auto-2');
    expect(JSON.parse(String(row!.params))).toMatchObject({ batch_size: AUTO_BATCH_SIZE.minRecords, batch_size_setting: 'auto' });
    const line = h.log.lines.find((l) => l.message === `batch size ${AUTO_BATCH_SIZE.minRecords} chosen for 20 records of 120 bytes`);
    expect(line).toMatchObject({ records: 20, text_bytes: 120, batch_size: AUTO_BATCH_SIZE.minRecords, max_concurrent_batches: 3 });

    const h2 = await Harness.create();
    await h2.addTranscripts(Array.from({ length: 20 }, (_, i) => ({ id: `t${i}`, text: 'a call' })));
    expect(await h2.plan('fixed', { TAP_BATCH_SIZE: '4', TAP_MAX_CONCURRENT_BATCHES: '3' })).toMatchObject({
      batch_size: 4,
      batch_count: 5,
    });
    expect(h2.log.lines.some((l) => String(l.message).includes('chosen'))).toBe(false);
  });

  test('a retried planner reports the batch size its plan was written with, whatever auto would choose now', async () => {
    const h = await Harness.create();
    await h.addTranscripts(Array.from({ length: 20 }, (_, i) => ({ id: `t${String(i).padStart(2, '0')}`, text: 'a call' })));
    const first = await h.plan('run-1', { TAP_BATCH_SIZE: 'auto', TAP_MAX_CONCURRENT_BATCHES: '3' });
    await h.addTranscripts(Array.from({ length: 40 }, (_, i) => ({ id: `u${String(i).padStart(2, '0')}`, text: 'a call' })));
    const again = await h.plan('run-1', { TAP_BATCH_SIZE: 'auto', TAP_MAX_CONCURRENT_BATCHES: '3' });
    expect(again).toEqual(first);
    expect(again.records).toBe(20);
    expect(again.batch_size).toBe(AUTO_BATCH_SIZE.minRecords);
  });

  test('a retried planner whose first try wrote a plan ending in smaller batches reports that layout, and stages it', async () => {
    const h = await Harness.create();
    await h.addTranscripts(Array.from({ length: 23 }, (_, i) => ({ id: `t${String(i).padStart(2, '0')}`, text: `call ${i}` })));
    const source = { table: `${PROJECT}.${DATASET}.transcription_pass_2`, idColumn: 'transcript_id', textColumn: 'transcript' };
    // The first try planned 2 batches of 7 and batches of 3 after them, and died before staging.
    await h.warehouse.query(
      planAssign((id) => h.warehouse.table(id), source, {
        executionId: 'run-t',
        analysisVersion: analysisVersion(DEFAULT_ANALYSIS),
        batchSize: 7,
        tail: { firstBatch: 2, batchSize: 3 },
        limit: null,
        plannedAt: h.clock.toISOString(),
      }),
    );
    const plan = await h.plan('run-t', { TAP_BATCH_SIZE: 'auto', TAP_MAX_CONCURRENT_BATCHES: '3' });
    expect(plan).toMatchObject({ records: 23, batch_size: 7, tail_first_batch: 2, tail_batch_size: 3, batch_count: 5 });
    const staged = await h.rows('batch_inputs');
    expect(staged).toHaveLength(23);
    for (const r of staged)
      expect(Number(r.batch_id)).toBe(batchOfRow({ records: 23, batchSize: 7, tailFirstBatch: 2, tailBatchSize: 3 }, Number(r.row_number)));
    const [row] = (await h.rows('executions')).filter((r) => r.execution_id === 'run-t');
    expect(JSON.parse(String(row!.params))).toMatchObject({ batch_size: 7, tail_first_batch: 2, tail_batch_size: 3 });
    expect(h.log.lines.some((l) => String(l.message).includes('23 records in 5 batches (2 x 7 + 3 x 3)'))).toBe(true);
  });

  test('without a batch size the planner chooses one (auto is the default)', async () => {
    const h = await Harness.create();
    await h.addTranscripts(Array.from({ length: 20 }, (_, i) => ({ id: `t${String(i).padStart(2, '0')}`, text: 'a call' })));
    expect(await h.plan('run-1', { TAP_BATCH_SIZE: undefined, TAP_MAX_CONCURRENT_BATCHES: '4' })).toMatchObject({
      batch_size: AUTO_BATCH_SIZE.minRecords,
      batch_count: 1,
    });
  });

  test('the batch size must be auto or a number in range', async () => {
    const h = await Harness.create();
    await expect(h.plan('run-1', { TAP_BATCH_SIZE: 'big' })).rejects.toThrow(/^TAP_BATCH_SIZE: must be an integer, got "big"/);
  });
});
