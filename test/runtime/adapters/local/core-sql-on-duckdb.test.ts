/**
 * The jobs' SQL (runtime/core/sql.ts, BigQuery dialect) runs unchanged on the DuckDB warehouse.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { openLocalWorkspace, type LocalWorkspace } from '../../../../runtime/adapters/local';
import { batchOfRow, layoutOfShape, type BatchLayout } from '../../../../runtime/core/batch-size';
import * as S from '../../../../runtime/core/sql';

let dir: string;
let ws: LocalWorkspace;
const t = (id: string) => ws.warehouse.table(id);
const source = { table: 'local-project.transcript_analysis.transcription_pass_2', idColumn: 'transcript_id', textColumn: 'transcript' };
const plan = {
  executionId: 'e1',
  analysisVersion: 'v1',
  batchSize: 10,
  maxRecordAttempts: 3,
  limit: null,
  plannedAt: '2026-01-01T00:00:00Z',
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tap-sql-'));
  ws = await openLocalWorkspace(dir);
  await ws.warehouse.query({
    sql: `INSERT INTO ${t('transcription_pass_2')} (transcript_id, transcript, channel, ingested_at)
          SELECT CONCAT('t', CAST(n AS STRING)), CONCAT('text ', CAST(n AS STRING)), 'phone', CURRENT_TIMESTAMP() FROM range(25) AS r(n)`,
  });
  await ws.warehouse.query({
    sql: `INSERT INTO ${t('processed_records')} VALUES ('t3', 'v1', 'succeeded', 1, 'e0', 0, CURRENT_TIMESTAMP()), ('t4', 'v1', 'exhausted', 3, 'e0', 0, CURRENT_TIMESTAMP())`,
  });
  await ws.warehouse.query({
    sql: `INSERT INTO ${t('error_tracking')} (error_id, execution_id, batch_id, attempt, record_id, analysis_version, error_type, retryable, record_attempt, created_at)
          VALUES ('x1', 'e0', 0, 1, 't5', 'v1', 'empty_transcript', FALSE, 1, CURRENT_TIMESTAMP())`,
  });
});
afterAll(async () => {
  await ws.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the jobs SQL on DuckDB', () => {
  it('plans every record without a processed_records row once, those whose settling was cut short included', async () => {
    // t3 and t4 are settled; t5 has a permanent error but no processed_records row, so it is planned
    // (its generator writes that row without sending it).
    expect(await ws.warehouse.query(S.planPreview(t, source, plan))).toEqual([{ records: 23 }]);
    // 'text 0' .. 'text 24' without t3 and t4: 8 of 6 bytes and 15 of 7.
    expect(await ws.warehouse.query(S.planMeasure(t, source, plan))).toEqual([{ records: 23, text_bytes: 8 * 6 + 15 * 7 }]);
    expect(await ws.warehouse.query(S.planMeasure(t, source, { ...plan, limit: 2 }))).toEqual([{ records: 2, text_bytes: 12 }]);
    for (let i = 0; i < 2; i++) {
      await ws.warehouse.query(S.planAssign(t, source, plan));
      await ws.warehouse.query(S.planStage(t, source, 'e1', ['channel']));
    }
    expect(await ws.warehouse.query({ sql: `SELECT COUNT(*) AS n FROM ${t('batch_inputs')} WHERE execution_id = 'e1'` })).toEqual([
      { n: 23 },
    ]);
    expect(await ws.warehouse.query(S.planCounts(t, 'e1'))).toEqual([
      {
        records: 23,
        batch_count: 3,
        analysis_version: 'v1',
        planned_at: '2026-01-01T00:00:00.000Z',
        first_batch_records: 10,
        first_smaller_batch: 2,
        first_smaller_batch_records: 3,
      },
    ]);
    expect(await ws.warehouse.query(S.planSkipped(t, source, 'v1'))).toEqual([{ skipped_dedup: 1, skipped_exhausted: 1 }]);
  });

  it.each<[string, BatchLayout]>([
    ['two batches of 7, then batches of 3', { records: 23, batchSize: 7, tailFirstBatch: 2, tailBatchSize: 3 }],
    ['one size, the last batch full', { records: 23, batchSize: 23, tailFirstBatch: 1, tailBatchSize: 23 }],
    ['all tail', { records: 23, batchSize: 9, tailFirstBatch: 0, tailBatchSize: 4 }],
  ])('plans the rows of a layout (%s) where batchOfRow says, and plan_counts reads the layout back', async (_, layout) => {
    const id = `layout-${layout.batchSize}-${layout.tailFirstBatch}`;
    const p = {
      ...plan,
      executionId: id,
      batchSize: layout.batchSize,
      tail: { firstBatch: layout.tailFirstBatch, batchSize: layout.tailBatchSize },
    };
    await ws.warehouse.query(S.planAssign(t, source, p));
    const rows = await ws.warehouse.query({
      sql: `SELECT row_number, batch_id FROM ${t('batch_assignments')} WHERE execution_id = '${id}' ORDER BY row_number`,
    });
    expect(rows.map((r) => Number(r.batch_id))).toEqual(rows.map((r) => batchOfRow(layout, Number(r.row_number))));
    const [c] = await ws.warehouse.query(S.planCounts(t, id));
    const read = layoutOfShape({
      records: Number(c!.records),
      batchCount: Number(c!.batch_count),
      firstBatchRecords: Number(c!.first_batch_records),
      firstSmallerBatch: c!.first_smaller_batch === null ? null : Number(c!.first_smaller_batch),
      firstSmallerBatchRecords: c!.first_smaller_batch_records === null ? null : Number(c!.first_smaller_batch_records),
    });
    expect(rows.map((r) => batchOfRow(read, Number(r.row_number)))).toEqual(rows.map((r) => Number(r.batch_id)));
  });

  it('writes planned events and the execution row once', async () => {
    for (let i = 0; i < 2; i++) {
      await ws.warehouse.query(S.planEvents(t, 'e1', '2026-01-01T00:00:01Z'));
      await ws.warehouse.query(
        S.insertExecution(
          t,
          {
            executionId: 'e1',
            status: 'planned',
            analysisVersion: 'v1',
            params: '{}',
            recordsTotal: 22,
            skippedDedup: 1,
            batchCount: 3,
            summary: null,
            eventTime: '2026-01-01T00:00:00Z',
          },
          true,
        ),
      );
    }
    expect(await ws.warehouse.query(S.reportBatches(t, 'e1'))).toEqual(
      [0, 1, 2].map((b) => ({ batch_id: b, status: 'planned', attempt: 0, ever_failed: 0 })),
    );
    expect(await ws.warehouse.query(S.reportPlan(t, 'e1'))).toEqual([
      { analysis_version: 'v1', records_total: 22, skipped_dedup: 1, batch_count: 3, params: '{}', event_time: '2026-01-01T00:00:00.000Z' },
    ]);
  });

  it('reads a batch, or some rows of it, with its staged columns and where each record stands in the ledger', async () => {
    const [span] = await ws.warehouse.query(S.batchSpan(t, 'e1', { batchId: 2 }));
    expect(span).toMatchObject({ records: 3, analysis_version: 'v1', last_version: 'v1' });
    const inSpan = { analysisVersion: 'v1', firstRecord: String(span!.first_record), lastRecord: String(span!.last_record) };
    const rows = await ws.warehouse.query<{ row_number: number; transcript: string; prompt_columns: string }>(
      S.batchRecords(t, 'e1', { batchId: 2 }, 1, inSpan),
    );
    expect(rows.map((r) => r.row_number)).toEqual([21, 22, 23]);
    expect(rows[0]).toMatchObject({ staged: true, settled: false, committed: false, final_error: false, failed_attempts: 0 });
    expect(JSON.parse(rows[0]!.prompt_columns)).toEqual({ channel: 'phone' });
    const some = { batchId: 0, rows: { startRow: 1, endRow: 3 } };
    const [first] = await ws.warehouse.query(S.batchSpan(t, 'e1', some));
    const firstSpan = { analysisVersion: 'v1', firstRecord: String(first!.first_record), lastRecord: String(first!.last_record) };
    expect(await ws.warehouse.query(S.batchRecords(t, 'e1', some, 1, firstSpan))).toHaveLength(3);
    expect(await ws.warehouse.query(S.batchPlanned(t, 'e1', some, 1, firstSpan))).toHaveLength(3);
  });

  it('answers the report queries', async () => {
    expect(await ws.warehouse.query(S.reportRecords(t, 'e1'))).toEqual([{ records_total: 23, records_succeeded: 0, records_failed: 0 }]);
    expect(await ws.warehouse.query(S.reportErrors(t, 'e0'))).toEqual([{ error_type: 'empty_transcript', records: 1 }]);
    expect(await ws.warehouse.query(S.reportUsage(t, 'e1'))).toEqual([
      { tokens_in: 0, tokens_out: 0, last_event: '2026-01-01T00:00:01.000Z' },
    ]);
  });
});
