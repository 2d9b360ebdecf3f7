/**
 * A small run whose metrics are known by hand, written into a warehouse through its SQL:
 *
 * execution e1: 30 records (r00..r29, batch b holds rb0..rb9) planned in 3 batches, 10 skipped by
 *   dedup (dedup rate 10/40 = 0.25).
 *   batch 0: succeeds at attempt 1, t0+10m.
 *   batch 1: fails at attempt 1 (t0+5m), succeeds at attempt 2 (t0+35m): recovered in 1800 s.
 *   batch 2: fails at attempt 1 (t0+8m) and attempt 2 (t0+20m): still failed.
 *   events span t0..t0+35m, so 3 batches / (35/60 h) = 36/7 batches per hour; success rate 2/3.
 *   errors: r01, r02 (batch 0, json_parse_error: open for the next run), r21 (batch 2,
 *   missing_result at both attempts: exhausted), r20 (batch 2, empty_transcript: failed for good),
 *   r11 (batch 1 attempt 1, vertex_ai_error) which batch 1's attempt 2 then analysed.
 *   Analysed: r00, r03..r09 and r10..r19 (18); settled by an error: r20, r21 (2, rate 2/30); open: 10.
 *   Tokens: the processors' events of batch 0 and of batch 1's attempt 2 (10,000 in, 1,000 out each).
 * execution e2: 10 records, 1 batch that succeeded with its planned and submitted events written
 *   in the same instant as its success (the tie the status order breaks).
 */
import type { Statement } from '../../../runtime/core/ports';

export const T0 = Date.parse('2026-11-28T08:00:00Z');
export const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

interface Sink {
  table(id: string): string;
  query(statement: Statement): Promise<unknown[]>;
}

export async function writeFixture(w: Sink, now = Date.now()): Promise<void> {
  const exec = (id: string, status: string, total: number, skipped: number, batches: number, time: string, summary: string | null = null) =>
    w.query({
      sql: `INSERT INTO ${w.table('executions')} (execution_id, status, analysis_version, params, records_total, skipped_dedup, batch_count, summary, event_time)
VALUES (@id, @status, 'v1', '{}', @total, @skipped, @batches, @summary, @time)`,
      params: { id, status, total, skipped, batches, summary, time },
      types: { summary: 'STRING', time: 'TIMESTAMP' },
    });
  const event = (
    e: string,
    batch: number,
    attempt: number,
    status: string,
    minutes: number,
    extra: Partial<Record<'records' | 'succeeded' | 'failed' | 'tokens_in' | 'tokens_out', number>> = {},
    vertex: string | null = null,
  ) =>
    w.query({
      sql: `INSERT INTO ${w.table('batch_events')} (execution_id, batch_id, attempt, status, vertex_job, vertex_state, records, succeeded, failed, tokens_in, tokens_out, message, event_time)
VALUES (@e, @b, @a, @s, @vj, @vs, @records, @succeeded, @failed, @tokens_in, @tokens_out, @message, @time)`,
      params: {
        e,
        b: batch,
        a: attempt,
        s: status,
        vj: vertex,
        vs: vertex ? 'JOB_STATE_RUNNING' : null,
        records: extra.records ?? null,
        succeeded: extra.succeeded ?? null,
        failed: extra.failed ?? null,
        tokens_in: extra.tokens_in ?? null,
        tokens_out: extra.tokens_out ?? null,
        message: status === 'failed' ? 'Vertex AI job JOB_STATE_FAILED' : null,
        time: at(minutes),
      },
      types: {
        vj: 'STRING',
        vs: 'STRING',
        records: 'INT64',
        succeeded: 'INT64',
        failed: 'INT64',
        tokens_in: 'INT64',
        tokens_out: 'INT64',
        message: 'STRING',
        time: 'TIMESTAMP',
      },
    });
  const error = (e: string, batch: number, attempt: number, record: string, type: string, createdAt: string, retryable = true) =>
    w.query({
      sql: `INSERT INTO ${w.table('error_tracking')} (error_id, execution_id, batch_id, attempt, record_id, analysis_version, error_type, retryable, record_attempt, message, created_at)
VALUES (@id, @e, @b, @a, @r, 'v1', @type, @retryable, @a, 'x', @t)`,
      params: { id: `${e}-${batch}-${attempt}-${record}`, e, b: batch, a: attempt, r: record, type, retryable, t: createdAt },
      types: { t: 'TIMESTAMP' },
    });
  const assign = async (e: string, batch: number, records: readonly string[], first: number) => {
    for (const [i, r] of records.entries()) {
      await w.query({
        sql: `INSERT INTO ${w.table('batch_assignments')} (execution_id, batch_id, row_number, record_id, analysis_version, record_attempt, planned_at)
VALUES (@e, @b, @n, @r, 'v1', 1, @t)`,
        params: { e, b: batch, n: first + i, r, t: at(0) },
        types: { t: 'TIMESTAMP' },
      });
    }
  };
  const result = (e: string, batch: number, record: string) =>
    w.query({
      sql: `INSERT INTO ${w.table('transcription_analyzed_transcripts')} (record_id, analysis_version, summary, sentiment, model, prompt_tokens, output_tokens, total_tokens, execution_id, batch_id, processed_at)
VALUES (@r, 'v1', 'ok', 'neutral', 'gemini-2.5-flash', 1000, 100, 1100, @e, @b, @t)`,
      params: { r: record, e, b: batch, t: at(40) },
      types: { t: 'TIMESTAMP' },
    });
  const processed = (e: string, batch: number, record: string, status = 'succeeded') =>
    w.query({
      sql: `INSERT INTO ${w.table('processed_records')} (record_id, analysis_version, status, attempts, first_processed_execution_id, batch_id, processed_at)
VALUES (@r, 'v1', @status, 1, @e, @b, @t)`,
      params: { r: record, e, b: batch, status, t: at(40) },
      types: { t: 'TIMESTAMP' },
    });
  const ids = (b: number) => Array.from({ length: 10 }, (_, i) => `r${b}${i}`);

  await exec('e1', 'planned', 30, 10, 3, at(0));
  for (const b of [0, 1, 2]) await assign('e1', b, ids(b), b * 10 + 1);
  for (const b of [0, 1, 2]) await event('e1', b, 0, 'planned', 0, { records: 10 });
  await event('e1', 0, 1, 'generated', 1, { records: 10 });
  await event('e1', 0, 1, 'submitted', 2, {}, 'projects/p/locations/us-central1/batchPredictionJobs/100');
  await event('e1', 0, 1, 'succeeded', 10, { records: 10, succeeded: 8, failed: 2, tokens_in: 10_000, tokens_out: 1_000 });
  await event('e1', 1, 1, 'failed', 5);
  await event('e1', 1, 2, 'submitted', 25, {}, 'projects/p/locations/us-central1/batchPredictionJobs/101');
  await event('e1', 1, 2, 'succeeded', 35, { records: 10, succeeded: 10, failed: 0, tokens_in: 10_000, tokens_out: 1_000 });
  await event('e1', 2, 1, 'failed', 8);
  await event('e1', 2, 2, 'failed', 20);
  const recent = new Date(now - 10 * 60_000).toISOString();
  const old = new Date(now - 2 * 3600_000).toISOString();
  await error('e1', 0, 1, 'r01', 'json_parse_error', recent);
  await error('e1', 0, 1, 'r02', 'json_parse_error', recent);
  await error('e1', 1, 1, 'r11', 'vertex_ai_error', old);
  await error('e1', 2, 1, 'r21', 'missing_result', old);
  await error('e1', 2, 2, 'r21', 'missing_result', recent);
  await error('e1', 2, 1, 'r20', 'empty_transcript', old, false);
  await processed('e1', 2, 'r21', 'exhausted');
  await processed('e1', 2, 'r20', 'failed');
  for (const r of ids(0).filter((r) => r !== 'r01' && r !== 'r02')) {
    await result('e1', 0, r);
    await processed('e1', 0, r);
  }
  for (const r of ids(1)) {
    await result('e1', 1, r);
    await processed('e1', 1, r);
  }

  await exec('e2', 'planned', 10, 0, 1, at(50));
  await assign('e2', 0, ids(5), 1);
  for (const r of ids(5)) await result('e2', 0, r);
  await event('e2', 0, 0, 'planned', 50, { records: 10 });
  await event('e2', 0, 1, 'submitted', 60, {}, 'projects/p/locations/us-central1/batchPredictionJobs/200');
  await event('e2', 0, 1, 'succeeded', 60, { records: 10, succeeded: 10, failed: 0, tokens_in: 10_000, tokens_out: 1_000 });
}
