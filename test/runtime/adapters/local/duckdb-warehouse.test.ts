import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { openLocalWorkspace, type LocalWorkspace } from '../../../../runtime/adapters/local';
import {
  DEFAULT_ANALYSIS,
  FIXED_TABLES,
  LOCAL_LAYOUT,
  SOURCE_TABLE,
  VIEW_NAMES,
  resultsTable,
  type AnalysisSpec,
} from '../../../../runtime/contract';
import { NotFoundError } from '../../../../runtime/core/ports';

let dir: string;
let ws: LocalWorkspace;
beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tap-wh-'));
  ws = await openLocalWorkspace(dir);
});
afterEach(async () => {
  await ws.close();
  rmSync(dir, { recursive: true, force: true });
});

const columnsOf = async (table: string) =>
  ws.warehouse.query<{ column_name: string; data_type: string; is_nullable: string }>({
    sql: `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = @t ORDER BY ordinal_position`,
    params: { t: table },
  });

const event = (batch: number, status: string, time: string, attempt = 1) => ({
  sql: `INSERT INTO ${ws.warehouse.table('batch_events')} (execution_id, batch_id, attempt, status, event_time, message)
        VALUES (@e, @b, @a, @s, @t, @m)`,
  params: { e: 'exec-1', b: batch, a: attempt, s: status, t: time, m: null },
  types: { m: 'STRING' as const, t: 'TIMESTAMP' as const },
});

describe('DuckDbWarehouse', () => {
  it('creates every contract table with its columns, types and modes, in the work folder', async () => {
    expect(path.join(dir, LOCAL_LAYOUT.database)).toBe(path.join(ws.dir, 'warehouse.duckdb'));
    for (const spec of [SOURCE_TABLE, ...FIXED_TABLES, resultsTable(DEFAULT_ANALYSIS)]) {
      const cols = await columnsOf(spec.name);
      expect(cols.map((c) => c.column_name)).toEqual(spec.columns.map((c) => c.name));
      for (const [i, c] of spec.columns.entries()) {
        const expected = { STRING: 'VARCHAR', INTEGER: 'BIGINT', FLOAT: 'DOUBLE', BOOLEAN: 'BOOLEAN', TIMESTAMP: 'TIMESTAMP' }[c.type];
        expect(cols[i]!.data_type).toBe(c.mode === 'REPEATED' ? `${expected}[]` : expected);
        expect(cols[i]!.is_nullable).toBe(c.mode === 'REQUIRED' ? 'NO' : 'YES');
      }
    }
  });

  it('creates the views from the contract SQL, and they answer', async () => {
    await ws.warehouse.query(event(0, 'failed', '2026-01-01T00:00:00Z'));
    await ws.warehouse.query(event(0, 'succeeded', '2026-01-01T00:02:00Z', 2));
    await ws.warehouse.query(event(1, 'submitted', '2026-01-01T00:01:00Z'));
    const status = await ws.warehouse.query({
      sql: `SELECT batch_id, status FROM ${ws.warehouse.table(VIEW_NAMES.batchStatus)} ORDER BY batch_id`,
    });
    expect(status).toEqual([
      { batch_id: 0, status: 'succeeded' },
      { batch_id: 1, status: 'submitted' },
    ]);
    const [metrics] = await ws.warehouse.query<Record<string, unknown>>({
      sql: `SELECT * FROM ${ws.warehouse.table(VIEW_NAMES.pipelineMetrics)}`,
    });
    expect(metrics).toMatchObject({
      execution_id: 'exec-1',
      batches: 2,
      batches_succeeded: 1,
      batch_success_rate: 0.5,
      recovery_seconds: 120,
    });
    expect(metrics!.started_at).toBe('2026-01-01T00:00:00.000Z');
    expect(await ws.warehouse.query({ sql: `SELECT * FROM ${ws.warehouse.table(VIEW_NAMES.errorAnalysisLastHour)}` })).toEqual([]);
  });

  it('binds parameters of every type, nulls and arrays included, and returns plain JSON values', async () => {
    const [row] = await ws.warehouse.query({
      sql: `SELECT @s AS s, @i AS i, @f AS f, @b AS b, @t AS t, @a AS a, @empty AS empty, @n AS n, @ni AS ni,
              SAFE_DIVIDE(@i, 0) AS d, TIMESTAMP_DIFF(@t, TIMESTAMP '2026-01-01 00:00:00', SECOND) AS secs,
              LENGTH(GENERATE_UUID()) AS uuid_len, CAST(@i AS STRING) AS cast_s, 'x' IN UNNEST(@a) AS has_x`,
      params: { s: "it's", i: 42, f: 1.5, b: true, t: '2026-01-01T00:01:30.250Z', a: ['x', 'y'], empty: [], n: null, ni: null },
      types: { t: 'TIMESTAMP', empty: 'ARRAY<STRING>', n: 'STRING', ni: 'INT64' },
    });
    expect(row).toEqual({
      s: "it's",
      i: 42,
      f: 1.5,
      b: true,
      t: '2026-01-01T00:01:30.250Z',
      a: ['x', 'y'],
      empty: [],
      n: null,
      ni: null,
      d: null,
      secs: 90,
      uuid_len: 36,
      cast_s: '42',
      has_x: true,
    });
  });

  it('compares untyped timestamp strings with timestamp columns, as BigQuery coerces them', async () => {
    await ws.warehouse.query(event(0, 'planned', '2026-01-01T00:00:00Z'));
    const rows = await ws.warehouse.query({
      sql: `SELECT COUNT(*) AS n FROM ${ws.warehouse.table('batch_events')} WHERE event_time < @t AND message IS NULL`,
      params: { t: '2026-01-01T00:00:01Z' },
    });
    expect(rows).toEqual([{ n: 1 }]);
  });

  it('applies UTC offsets of timestamps in parameters, literals and loads, as BigQuery does', async () => {
    const [row] = await ws.warehouse.query({
      sql: "SELECT @t AS p, TIMESTAMP '2026-01-01 00:00:00+02:00' AS l, TIMESTAMP('2026-01-01T00:00:00-01:00') AS f",
      params: { t: '2026-01-01T00:00:00+02:00' },
      types: { t: 'TIMESTAMP' },
    });
    expect(row).toEqual({ p: '2025-12-31T22:00:00.000Z', l: '2025-12-31T22:00:00.000Z', f: '2026-01-01T01:00:00.000Z' });
    const rows = ['2026-01-01T00:00:00+02:00', '2026-01-01T00:00:00Z', '2026-01-01 05:00:00'].map((t, i) =>
      JSON.stringify({ transcript_id: `t${i}`, call_started_at: t, ingested_at: '2026-01-01T00:00:00Z' }),
    );
    await ws.store.writeText('src.jsonl', `${rows.join('\n')}\n`);
    await ws.warehouse.load('transcription_pass_2', 'src.jsonl', 'src');
    const got = await ws.warehouse.query({ sql: 'SELECT call_started_at FROM `transcription_pass_2` ORDER BY transcript_id' });
    expect(got.map((r) => r.call_started_at)).toEqual(['2025-12-31T22:00:00.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T05:00:00.000Z']);
  });

  it('fails clearly on a parameter without a value', async () => {
    await expect(ws.warehouse.query({ sql: 'SELECT @missing AS x', params: {} })).rejects.toThrow(/@missing/);
  });

  it('runs a script in a transaction and rolls it back when a statement fails', async () => {
    const t = ws.warehouse.table('executions');
    const script = (id: string, bad: boolean) => ({
      sql: `BEGIN TRANSACTION;
        INSERT INTO ${t} (execution_id, status, analysis_version, event_time) VALUES (@id, 'planned', 'v', CURRENT_TIMESTAMP());
        INSERT INTO ${t} (execution_id, status, analysis_version, event_time) VALUES (@id, ${bad ? 'NULL' : "'succeeded'"}, 'v', CURRENT_TIMESTAMP());
        COMMIT TRANSACTION;`,
      params: { id },
    });
    await ws.warehouse.query(script('good', false));
    await expect(ws.warehouse.query(script('bad', true))).rejects.toThrow(/NOT NULL|null/i);
    const rows = await ws.warehouse.query<{ execution_id: string; n: number }>({
      sql: `SELECT execution_id, COUNT(*) AS n FROM ${t} GROUP BY execution_id`,
    });
    expect(rows).toEqual([{ execution_id: 'good', n: 2 }]);
    // The failed script's transaction is closed: the writer goes on working.
    await ws.warehouse.query(script('after', false));
  });

  it('loads an NDJSON object once per job id, with its bookkeeping row in the same transaction', async () => {
    const rows = [
      {
        record_id: 'r1',
        analysis_version: 'v1',
        status: 'succeeded',
        attempts: 1,
        first_processed_execution_id: 'e',
        batch_id: 0,
        processed_at: '2026-01-01T00:00:00Z',
      },
      {
        record_id: 'r2',
        analysis_version: 'v1',
        status: 'failed',
        attempts: '2',
        first_processed_execution_id: 'e',
        batch_id: 0,
        processed_at: '2026-01-01T00:00:00.5Z',
      },
    ];
    await ws.store.writeText('commit/processed.jsonl', rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    expect(await ws.warehouse.load('processed_records', 'commit/processed.jsonl', 'job-1')).toBe('loaded');
    expect(await ws.warehouse.load('processed_records', 'commit/processed.jsonl', 'job-1')).toBe('already_done');
    const loaded = await ws.warehouse.query({
      sql: `SELECT record_id, attempts, processed_at FROM ${ws.warehouse.table('processed_records')} ORDER BY record_id`,
    });
    expect(loaded).toEqual([
      { record_id: 'r1', attempts: 1, processed_at: '2026-01-01T00:00:00.000Z' },
      { record_id: 'r2', attempts: 2, processed_at: '2026-01-01T00:00:00.500Z' },
    ]);
    expect(await ws.warehouse.load('processed_records', 'commit/processed.jsonl', 'job-2')).toBe('loaded');
    const [{ n }] = (await ws.warehouse.query<{ n: number }>({
      sql: `SELECT COUNT(*) AS n FROM ${ws.warehouse.table('processed_records')}`,
    })) as [{ n: number }];
    expect(n).toBe(4);
  });

  it('replaces the rows of the same key in one load, once per job id', async () => {
    const source = (id: string, text: string) =>
      JSON.stringify({ transcript_id: id, transcript: text, ingested_at: '2026-01-01T00:00:00Z' });
    await ws.store.writeText('in/1.jsonl', [source('a', 'one'), source('b', 'two')].join('\n') + '\n');
    await ws.store.writeText('in/2.jsonl', [source('b', 'TWO'), source('c', 'three')].join('\n') + '\n');
    expect(await ws.warehouse.replaceByKey('transcription_pass_2', 'transcript_id', 'in/1.jsonl', 'src-1')).toBe('loaded');
    expect(await ws.warehouse.replaceByKey('transcription_pass_2', 'transcript_id', 'in/2.jsonl', 'src-2')).toBe('loaded');
    expect(await ws.warehouse.replaceByKey('transcription_pass_2', 'transcript_id', 'in/2.jsonl', 'src-2')).toBe('already_done');
    const rows = await ws.warehouse.query({
      sql: `SELECT transcript_id, transcript FROM ${ws.warehouse.table('transcription_pass_2')} ORDER BY transcript_id`,
    });
    expect(rows).toEqual([
      { transcript_id: 'a', transcript: 'one' },
      { transcript_id: 'b', transcript: 'TWO' },
      { transcript_id: 'c', transcript: 'three' },
    ]);
    await expect(ws.warehouse.replaceByKey('transcription_pass_2', 'nope', 'in/2.jsonl', 'src-3')).rejects.toThrow(/no column nope/);
  });

  it('loads REPEATED columns as lists and leaves absent nullable fields null', async () => {
    const row = {
      record_id: 'r1',
      analysis_version: 'v',
      summary: 'ok',
      sentiment: 'neutral',
      topics: ['billing', 'refund'],
      model: 'm',
      execution_id: 'e',
      batch_id: 0,
      processed_at: '2026-01-01T00:00:00Z',
    };
    await ws.store.writeText('commit/results.jsonl', JSON.stringify(row) + '\n');
    await ws.warehouse.load('transcription_analyzed_transcripts', 'commit/results.jsonl', 'job-r');
    const [got] = await ws.warehouse.query({
      sql: `SELECT topics, action_items, resolution FROM ${ws.warehouse.table('transcription_analyzed_transcripts')}`,
    });
    expect(got).toEqual({ topics: ['billing', 'refund'], action_items: null, resolution: null });
  });

  it('loads nothing when a row lacks a REQUIRED value, and the job id stays free', async () => {
    await ws.store.writeText('bad.jsonl', '{"record_id":"r1"}\n');
    await expect(ws.warehouse.load('processed_records', 'bad.jsonl', 'job-bad')).rejects.toThrow(/job-bad/);
    const count = await ws.warehouse.query({ sql: `SELECT COUNT(*) AS n FROM ${ws.warehouse.table('_load_jobs')}` });
    expect(count).toEqual([{ n: 0 }]);
    await expect(ws.warehouse.load('processed_records', 'nope.jsonl', 'job-x')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('fails a load, naming the line, on a field the table lacks or a line that is not JSON, as BigQuery does', async () => {
    const ok = JSON.stringify({ execution_id: 'e', batch_id: 1, attempt: 1, status: 'planned', event_time: '2026-01-01T00:00:00Z' });
    await ws.store.writeText(
      'extra.jsonl',
      `${ok}\n${JSON.stringify({ execution_id: 'e', batch_id: 2, attempt: 1, status: 'planned', event_time: '2026-01-01T00:00:00Z', colour: 'red' })}\n`,
    );
    await expect(ws.warehouse.load('batch_events', 'extra.jsonl', 'j1')).rejects.toThrow(
      /line 2 of extra\.jsonl has a field the table does not have: colour/,
    );
    await ws.store.writeText('broken.jsonl', `${ok}\n{"execution_id":\n`);
    await expect(ws.warehouse.load('batch_events', 'broken.jsonl', 'j2')).rejects.toThrow(/line 2 of broken\.jsonl is not JSON/);
    expect(await ws.warehouse.query({ sql: `SELECT COUNT(*) AS n FROM ${ws.warehouse.table('batch_events')}` })).toEqual([{ n: 0 }]);
  });

  it('answers already_done for a loaded job id even once its object is gone', async () => {
    await ws.store.writeText('gone.jsonl', '');
    expect(await ws.warehouse.load('batch_events', 'gone.jsonl', 'j-gone')).toBe('loaded');
    await ws.store.removePrefix('gone.jsonl');
    expect(await ws.warehouse.load('batch_events', 'gone.jsonl', 'j-gone')).toBe('already_done');
  });

  it('loads once when many handles race with the same job id', async () => {
    await ws.store.writeText(
      'x.jsonl',
      JSON.stringify({ execution_id: 'e', batch_id: 1, attempt: 1, status: 'planned', event_time: '2026-01-01T00:00:00Z' }) + '\n',
    );
    const handles = await Promise.all([1, 2, 3, 4].map(() => openLocalWorkspace(dir)));
    const answers = await Promise.all(
      handles.flatMap((h) => [h.warehouse.load('batch_events', 'x.jsonl', 'same'), h.warehouse.load('batch_events', 'x.jsonl', 'same')]),
    );
    await Promise.all(handles.map((h) => h.close()));
    expect(answers.filter((a) => a === 'loaded')).toHaveLength(1);
    expect(await ws.warehouse.query({ sql: `SELECT COUNT(*) AS n FROM ${ws.warehouse.table('batch_events')}` })).toEqual([{ n: 1 }]);
  });

  it('serialises concurrent writers from several handles without losing a row', async () => {
    const handles = await Promise.all([1, 2, 3].map(() => openLocalWorkspace(dir)));
    await Promise.all(
      handles.flatMap((h, k) =>
        Array.from({ length: 20 }, (_, i) =>
          h.warehouse.query({
            sql: `INSERT INTO ${h.warehouse.table('batch_events')} (execution_id, batch_id, attempt, status, event_time) VALUES ('e', @b, 1, 'planned', CURRENT_TIMESTAMP())`,
            params: { b: k * 100 + i },
          }),
        ),
      ),
    );
    await Promise.all(handles.map((h) => h.close()));
    expect(await ws.warehouse.query({ sql: `SELECT COUNT(DISTINCT batch_id) AS n FROM ${ws.warehouse.table('batch_events')}` })).toEqual([
      { n: 60 },
    ]);
  });

  it('streams rows chunk by chunk, and a stream stopped early frees its connection', async () => {
    const t = ws.warehouse.table('batch_assignments');
    await ws.warehouse.query({
      sql: `INSERT INTO ${t} SELECT 'e', CAST(DIV(n, 1000) AS INT64), n + 1, CONCAT('r', CAST(n AS STRING)), 'v', 1, CURRENT_TIMESTAMP() FROM range(5000) AS r(n)`,
    });
    let count = 0;
    let last = 0;
    for await (const row of ws.warehouse.stream<{ row_number: number }>({
      sql: `SELECT row_number FROM ${t} WHERE batch_id >= @b ORDER BY row_number`,
      params: { b: 0 },
    })) {
      expect(row.row_number).toBe(last + 1);
      last = row.row_number;
      count++;
    }
    expect(count).toBe(5000);
    for (let k = 0; k < 10; k++) {
      for await (const _ of ws.warehouse.stream({ sql: `SELECT * FROM ${t}` })) break;
    }
    expect(await ws.warehouse.query({ sql: `SELECT COUNT(*) AS n FROM ${t}` })).toEqual([{ n: 5000 }]);
  });

  it('refuses DML in stream', async () => {
    const rows = ws.warehouse.stream({ sql: `DELETE FROM ${ws.warehouse.table('executions')} WHERE TRUE` });
    await expect(
      (async () => {
        for await (const _ of rows) break;
      })(),
    ).rejects.toThrow(/one SELECT/);
  });

  it('adds the columns of new analysis fields to an existing results table, and keeps the data', async () => {
    await ws.store.writeText(
      'r.jsonl',
      JSON.stringify({
        record_id: 'r1',
        analysis_version: 'v',
        summary: 's',
        model: 'm',
        execution_id: 'e',
        batch_id: 0,
        processed_at: '2026-01-01T00:00:00Z',
      }) + '\n',
    );
    await ws.warehouse.load('transcription_analyzed_transcripts', 'r.jsonl', 'r');
    const analysis: AnalysisSpec = {
      ...DEFAULT_ANALYSIS,
      fields: [...DEFAULT_ANALYSIS.fields, { name: 'churn_risk', type: 'number', description: 'Risk.' }],
    };
    const again = await openLocalWorkspace(dir, analysis);
    const cols = (await columnsOf('transcription_analyzed_transcripts')).map((c) => c.column_name);
    await again.close();
    expect(cols).toContain('churn_risk');
    expect(
      await ws.warehouse.query({ sql: `SELECT COUNT(*) AS n FROM ${ws.warehouse.table('transcription_analyzed_transcripts')}` }),
    ).toEqual([{ n: 1 }]);
  });

  it('opens a working handle while the last other one closes', async () => {
    const closing = ws.close();
    const opening = openLocalWorkspace(dir);
    await closing;
    ws = await opening;
    expect(await ws.warehouse.query({ sql: 'SELECT COUNT(*) AS n FROM `executions`' })).toEqual([{ n: 0 }]);
  });

  it('keeps the data across a close and a reopen of the file', async () => {
    await ws.warehouse.query(event(3, 'planned', '2026-01-01T00:00:00Z'));
    await ws.close();
    ws = await openLocalWorkspace(dir);
    expect(await ws.warehouse.query({ sql: `SELECT batch_id FROM ${ws.warehouse.table('batch_events')}` })).toEqual([{ batch_id: 3 }]);
  });

  it('names tables by their id, also from a project.dataset.table, and rejects injection', () => {
    expect(ws.warehouse.table('executions')).toBe('`executions`');
    expect(ws.warehouse.table('local-project.transcript_analysis.transcription_pass_2')).toBe('`transcription_pass_2`');
    expect(() => ws.warehouse.table('x`; DROP TABLE y')).toThrow(/invalid table id/);
  });
});
