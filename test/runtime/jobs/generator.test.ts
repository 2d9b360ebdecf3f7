import { layout, TABLE_NAMES } from '../../../runtime/contract';
import type { Statement, Warehouse } from '../../../runtime/core/ports';
import { statementId } from '../../../runtime/core/sql';
import { DATASET, Harness, PROJECT } from '../../fakes/harness';

async function planned(rows: { id: string; text: string | null }[]) {
  const h = await Harness.create();
  await h.addTranscripts(rows);
  await h.plan('run-1');
  return h;
}

describe('generator', () => {
  test('writes one Gemini request per record and the manifest last', async () => {
    const h = await planned([
      { id: 'a', text: 'hello there' },
      { id: 'b', text: 'second call' },
    ]);
    const order: string[] = [];
    h.checkpoint = (p) => void order.push(p);
    const manifest = await h.generate('run-1', 0);
    expect(order).toEqual(['input', 'staged', 'errors', 'processed', 'manifest']);
    expect(manifest).toMatchObject({ requests: 2, skipped: 0, input_uri: 'gs://work-bucket/runs/run-1/batches/0/attempt-1/input.jsonl' });
    expect(manifest.output_uri_prefix).toBe('gs://work-bucket/runs/run-1/batches/0/attempt-1/output');
    const lines = h.store.objects
      .get(layout.input('run-1', '0', 1))!
      .toString('utf8')
      .trim()
      .split('\n');
    expect(manifest.bytes).toBe(Buffer.byteLength(lines.join('\n') + '\n'));
    const request = JSON.parse(lines[0]!).request;
    expect(request.contents[0].parts[0].text).toContain('hello there');
    expect(request.generationConfig).toMatchObject({ responseMimeType: 'application/json', temperature: 0.2 });
    expect(request.generationConfig.responseSchema.required).toEqual(['summary', 'sentiment']);
    expect(request.systemInstruction.parts[0].text).toMatch(/customer service/);
    expect(request.labels).toEqual({ taprecord: 'a' });
    expect(h.store.json(layout.manifest('run-1', '0', 1))).toEqual(manifest);
  });

  test('an empty and an over-long transcript become permanent errors, not requests', async () => {
    const h = await planned([
      { id: 'empty', text: '  ' },
      { id: 'long', text: 'x'.repeat(200) },
      { id: 'none', text: null },
      { id: 'ok', text: 'fine' },
    ]);
    const manifest = await h.generate('run-1', 0, 1, { TAP_MAX_TRANSCRIPT_CHARS: '100' });
    expect(manifest).toMatchObject({ requests: 1, skipped: 3 });
    const errors = await h.rows('error_tracking');
    expect(errors.map((e) => [e.record_id, e.error_type, e.retryable])).toEqual(
      expect.arrayContaining([
        ['empty', 'empty_transcript', false],
        ['long', 'input_too_large', false],
        ['none', 'empty_transcript', false],
      ]),
    );
    expect((await h.rows('processed_records')).map((p) => [p.record_id, p.status]).sort()).toEqual([
      ['empty', 'failed'],
      ['long', 'failed'],
      ['none', 'failed'],
    ]);
    const recordErrors = h.log.lines.filter((l) => l.event === 'record_errors').map((l) => [l.error_type, l.count]);
    expect(recordErrors.sort()).toEqual([
      ['empty_transcript', 2],
      ['input_too_large', 1],
    ]);
  });

  test('a request over the size limit is input_too_large', async () => {
    const h = await planned([
      { id: 'big', text: 'word '.repeat(600) },
      { id: 'small', text: 'hi' },
    ]);
    const manifest = await h.generate('run-1', 0, 1, { TAP_MAX_REQUEST_BYTES: '3000' });
    expect(manifest).toMatchObject({ requests: 1, skipped: 1 });
    expect((await h.rows('error_tracking'))[0]).toMatchObject({ record_id: 'big', error_type: 'input_too_large' });
    expect((await h.rows('error_tracking'))[0]!.message).toMatch(/request is \d+ bytes; the limit is 3000/);
  });

  test('running twice writes the same objects and no row twice', async () => {
    const h = await planned([
      { id: 'empty', text: '' },
      { id: 'ok', text: 'fine' },
    ]);
    await h.generate('run-1', 0);
    const objects = new Map(h.store.objects);
    const state = await h.state();
    await h.generate('run-1', 0);
    expect(await h.state()).toEqual(state);
    for (const [k, v] of objects) expect(h.store.objects.get(k)?.equals(v)).toBe(true);
  });

  test('a later attempt of the batch (after a failed Vertex AI job) settles generator errors once', async () => {
    const h = await planned([
      { id: 'empty', text: '' },
      { id: 'ok', text: 'fine' },
    ]);
    await h.generate('run-1', 0, 1);
    const { manifest, result } = await h.batch('run-1', 0, 2);
    expect(manifest).toMatchObject({ requests: 1, skipped: 0, already_settled: 1 });
    expect(result).toMatchObject({ records: 2, succeeded: 1, failed: 0 });
    expect((await h.rows('processed_records')).map((p) => [p.record_id, p.status])).toEqual([
      ['empty', 'failed'],
      ['ok', 'succeeded'],
    ]);
    expect((await h.rows('error_tracking')).map((e) => [e.record_id, e.attempt])).toEqual([['empty', 1]]);
  });

  test('fills other source columns named by the template, as the planner staged them', async () => {
    const h = await Harness.create();
    await h.addTranscripts([{ id: 'a', text: 'hello' }]);
    h.spec = { ...h.spec, promptTemplate: 'Call {transcript_id} ({missing_col}): {transcript}' };
    await expect(h.plan('run-0')).rejects.toThrow(/missing_col/);
    h.spec = { ...h.spec, promptTemplate: 'Call {transcript_id}: {transcript}' };
    await h.plan('run-1');
    await h.generate('run-1', 0);
    const line = JSON.parse(h.store.objects.get(layout.input('run-1', '0', 1))!.toString('utf8'));
    expect(line.request.contents[0].parts[0].text).toBe('Call a: hello');
  });

  test('a template column the plan did not stage fails the batch instead of sending nulls', async () => {
    const h = await planned([{ id: 'a', text: 'hello' }]);
    h.spec = { ...h.spec, promptTemplate: 'Call {transcript_id}: {transcript}' };
    await expect(h.generate('run-1', 0)).rejects.toThrow(/record a was planned without the column "transcript_id"/);
    expect(h.store.objects.has(layout.manifest('run-1', '0', 1))).toBe(false);
  });

  test('a batch whose staged transcripts expired fails with the reason and sends nothing', async () => {
    const h = await planned([
      { id: 'a', text: 'hello' },
      { id: 'b', text: 'there' },
    ]);
    // Partition expiration drops the staged rows; the plan snapshot stays.
    await h.engine.run({ sql: `DELETE FROM \`${TABLE_NAMES.batchInputs}\`` });
    await expect(h.generate('run-1', 0, 2)).rejects.toThrow(
      /the staged transcripts of execution run-1 batch 0 are gone \(plan row 1 has none in batch_inputs\)[\s\S]*cannot be recovered[\s\S]*new run/,
    );
    expect(h.store.objects.has(layout.manifest('run-1', '0', 2))).toBe(false);
    expect(await h.rows('error_tracking')).toEqual([]);
    expect(await h.rows('processed_records')).toEqual([]);
  });

  test('reads only the plan rows of the batch a row-range recovery names', async () => {
    const h = await planned(Array.from({ length: 5 }, (_, i) => ({ id: `t${i}`, text: 'x' })));
    const manifest = await h.generate('run-1', 0, 1, { TAP_START_ROW: '2', TAP_END_ROW: '4' });
    expect(manifest).toMatchObject({ batch: '0', requests: 3 });
    const sent = h.store.objects
      .get(layout.input('run-1', '0', 1))!
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).request.labels.taprecord);
    expect(sent).toEqual(['t1', 't2', 't3']);
  });

  test('a record already analysed, or settled by an error whose processed row was cut short, is not sent again and gets that row', async () => {
    const h = await planned([
      { id: 'a', text: 'x' },
      { id: 'b', text: 'y' },
      { id: 'c', text: 'z' },
    ]);
    await h.engine.insert('transcription_analyzed_transcripts', [
      {
        record_id: 'a',
        analysis_version: h.plan_json('run-1').analysis_version,
        summary: 's',
        model: 'm',
        execution_id: 'old',
        batch_id: 0,
        processed_at: h.clock.toISOString(),
      },
    ]);
    await h.engine.insert('error_tracking', [
      {
        error_id: 'err_b',
        execution_id: 'old',
        batch_id: 0,
        attempt: 1,
        record_id: 'b',
        analysis_version: h.plan_json('run-1').analysis_version,
        error_type: 'safety_blocked',
        retryable: false,
        record_attempt: 1,
        created_at: h.clock.toISOString(),
      },
    ]);
    const manifest = await h.generate('run-1', 0);
    expect(manifest).toMatchObject({ requests: 1, already_settled: 2 });
    expect((await h.rows('processed_records')).map((p) => [p.record_id, p.status]).sort()).toEqual([
      ['a', 'succeeded'],
      ['b', 'failed'],
    ]);
  });

  test('reads no table but the plan, the staged inputs and the ledger: never the source', async () => {
    const h = await Harness.create();
    h.spec = { ...h.spec, promptTemplate: 'Agent {agent_id} on {channel}: {transcript}' };
    await h.addTranscripts(Array.from({ length: 6 }, (_, i) => ({ id: `t${i}`, text: i === 0 ? '' : `call ${i}` })));
    await h.plan('run-1', { TAP_BATCH_SIZE: '3' });
    const seen: Array<{ id: string | undefined; tables: string[] }> = [];
    const tablesOf = (s: Statement) => [...s.sql.matchAll(/`([^`]+\.[^`]+)`/g)].map((m) => m[1]!.split('.').pop()!);
    const record = (s: Statement) => void seen.push({ id: statementId(s.sql), tables: tablesOf(s) });
    const wh = h.warehouse;
    const recording: Warehouse = {
      table: (id) => wh.table(id),
      query: (s) => (record(s), wh.query(s)),
      stream: (s) => (record(s), wh.stream(s)),
      load: (table, path, jobId) => (seen.push({ id: 'load', tables: [table] }), wh.load(table, path, jobId)),
      close: () => wh.close(),
    };
    const ports = { ...h.ports, warehouse: recording };
    const { run } = await import('../../../runtime/jobs/generator');
    const env = (extra: Record<string, string>) => h.env({ TAP_EXECUTION_ID: 'run-1', TAP_ATTEMPT: '1', ...extra });
    await run(env({ TAP_BATCH_ID: '0' }), ports);
    await run(env({ TAP_BATCH_ID: '1', TAP_ATTEMPT: '2' }), ports);
    await run(env({ TAP_BATCH_ID: '1', TAP_START_ROW: '5', TAP_END_ROW: '6', TAP_ATTEMPT: '3' }), ports);

    expect(new Set(seen.map((s) => s.id))).toEqual(new Set(['batch_span', 'batch_records', 'load']));
    const read = new Set(seen.flatMap((s) => s.tables));
    expect(read).not.toContain(TABLE_NAMES.source);
    expect([...read].sort()).toEqual(
      [
        TABLE_NAMES.batchAssignments,
        TABLE_NAMES.batchInputs,
        TABLE_NAMES.errorTracking,
        TABLE_NAMES.processedRecords,
        TABLE_NAMES.results,
      ].sort(),
    );
    // The parse finds the source where a statement names it: the planner's staging does.
    const sourceName = `\`${PROJECT}.${DATASET}.${TABLE_NAMES.source}\``;
    expect(h.warehouse.table(`${PROJECT}.${DATASET}.${TABLE_NAMES.source}`)).toBe(sourceName);
    const { planStage } = await import('../../../runtime/core/sql');
    const stage = planStage(
      (id) => h.warehouse.table(id),
      { table: `${PROJECT}.${DATASET}.${TABLE_NAMES.source}`, idColumn: 'transcript_id', textColumn: 'transcript' },
      'run-1',
      [],
    );
    expect(tablesOf(stage)).toContain(TABLE_NAMES.source);
  });

  test('rows without the batch are refused', async () => {
    const h = await planned([{ id: 'a', text: 'x' }]);
    await expect(h.generate('run-1', 0, 1, { TAP_START_ROW: '2' })).rejects.toThrow(/^TAP_END_ROW: give both/);
  });

  test('fails naming the variable when the batch is not given', async () => {
    const h = await planned([{ id: 'a', text: 'x' }]);
    await expect(h.generate('run-1', 0, 1, { TAP_BATCH_ID: '' })).rejects.toThrow(/^TAP_BATCH_ID: is required/);
  });
});
