import { layout } from '../../../runtime/contract';
import { Harness } from '../../fakes/harness';
import { runVertex } from '../../fakes/vertex';

const transcripts = Array.from({ length: 8 }, (_, i) => ({ id: `t${i}`, text: `call ${i}` }));
const behave = (id: string) => {
  switch (id) {
    case 't1':
      return { kind: 'text', text: '{"summary": 3' } as const;
    case 't2':
      return { kind: 'safety' } as const;
    case 't3':
      return { kind: 'drop' } as const;
    case 't4':
      return {
        kind: 'twice',
        first: { kind: 'status', status: { code: 8, message: 'RESOURCE_EXHAUSTED' } },
        second: { kind: 'ok' },
      } as const;
    default:
      return { kind: 'ok' } as const;
  }
};

/** A planned, generated batch with its Vertex AI output, ready for the processor. */
async function prepared() {
  const h = await Harness.create();
  await h.addTranscripts(transcripts);
  await h.plan('run-1');
  const manifest = await h.generate('run-1', 0);
  const outputDir = await runVertex(h.store, manifest, { behave, files: 3, reverse: true });
  return { h, outputDir };
}

class Crash extends Error {}

describe('processor', () => {
  test('commits results, errors and processed records, the outcome event, and result.json', async () => {
    const { h, outputDir } = await prepared();
    const result = await h.process('run-1', 0, 1, outputDir);
    expect(result).toMatchObject({
      status: 'succeeded',
      records: 8,
      succeeded: 5,
      failed: 3,
      unanswered: 0,
      errors_by_type: { json_parse_error: 1, safety_blocked: 1, missing_result: 1 },
    });
    // Every answer Vertex AI returned is billed: the five valid ones, the unparsable and the blocked one.
    expect(result.tokens_in).toBe(700);
    expect(h.store.json(layout.result('run-1', '0', 1))).toEqual(result);
    const results = await h.rows('transcription_analyzed_transcripts');
    expect(results.map((r) => r.record_id)).toEqual(['t0', 't4', 't5', 't6', 't7']);
    expect(results[0]).toMatchObject({ sentiment: 'positive', topics: ['billing'], action_items: [], prompt_tokens: 100, batch_id: 0 });
    const errors = await h.rows('error_tracking');
    expect(errors.map((e) => [e.record_id, e.error_type, e.retryable])).toEqual(
      expect.arrayContaining([
        ['t1', 'json_parse_error', true],
        ['t2', 'safety_blocked', false],
        ['t3', 'missing_result', true],
      ]),
    );
    const processed = await h.rows('processed_records');
    expect(processed.map((p) => [p.record_id, p.status]).sort()).toEqual([
      ['t0', 'succeeded'],
      ['t2', 'failed'],
      ['t4', 'succeeded'],
      ['t5', 'succeeded'],
      ['t6', 'succeeded'],
      ['t7', 'succeeded'],
    ]);
    const recordErrors = h.log.lines.filter((l) => l.event === 'record_errors');
    expect(recordErrors.map((l) => [l.error_type, l.count]).sort()).toEqual([
      ['json_parse_error', 1],
      ['missing_result', 1],
      ['safety_blocked', 1],
    ]);
    const events = await h.rows('batch_events');
    expect(events.map((e) => e.status)).toEqual(['planned', 'succeeded']);
    expect(events[1]).toMatchObject({
      attempt: 1,
      records: 8,
      succeeded: 5,
      failed: 3,
      open: 0,
      tokens_in: 700,
      tokens_out: 140,
      start_row: null,
    });
  });

  const points = ['staged', 'results', 'errors', 'processed', 'event', 'result'];
  test.each(points)('a crash after "%s" and a re-run leave the tables as one uninterrupted run', async (point) => {
    const reference = await prepared();
    await reference.h.process('run-1', 0, 1, reference.outputDir);
    const expected = await reference.h.state();

    const { h, outputDir } = await prepared();
    h.checkpoint = (p) => {
      if (p === point) throw new Crash(`crash after ${p}`);
    };
    await expect(h.process('run-1', 0, 1, outputDir)).rejects.toThrow(Crash);
    h.checkpoint = undefined;
    await h.process('run-1', 0, 1, outputDir);
    expect(await h.state()).toEqual(expected);
    const loads = h.warehouse.loads;
    await h.process('run-1', 0, 1, outputDir);
    expect(await h.state()).toEqual(expected);
    expect(h.warehouse.loads).toBe(loads);
  });

  test.each(['results', 'errors', 'processed'])(
    'a batch attempt that crashed after "%s" for good, then run again as a new attempt, sends only the records with no answer and leaves one result and one processed row per record',
    async (point) => {
      const { h, outputDir } = await prepared();
      h.checkpoint = (p) => {
        if (p === point) throw new Crash(p);
      };
      await expect(h.process('run-1', 0, 1, outputDir)).rejects.toThrow(Crash);
      h.checkpoint = undefined;
      const { manifest, result } = await h.batch('run-1', 0, 2, { behave: () => ({ kind: 'ok' }) });
      // t1 (unparsable) and t3 (no line) are open; t2 was blocked for good once its error row was in.
      const resent = point === 'results' ? 3 : 2;
      expect(manifest.requests).toBe(resent);
      expect(result).toMatchObject({ records: 8, succeeded: resent === 3 ? 3 : 2, unanswered: 0 });
      const results = await h.rows('transcription_analyzed_transcripts');
      const ids = results.map((r) => r.record_id as string).sort();
      expect(new Set(ids).size).toBe(ids.length);
      expect(results.filter((r) => r.record_id === 't0').map((r) => String(r.vertex_job).slice(-9))).toEqual(['run-1-0-1']);
      const processed = await h.rows('processed_records');
      const settled = processed.map((p) => p.record_id as string).sort();
      expect(settled).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7']);
      expect(processed.find((p) => p.record_id === 't2')?.status).toBe(point === 'results' ? 'succeeded' : 'failed');
    },
  );

  test('the checkpoints are the ones the crash test covers', async () => {
    const { h, outputDir } = await prepared();
    const seen: string[] = [];
    h.checkpoint = (p) => void seen.push(p);
    await h.process('run-1', 0, 1, outputDir);
    expect(seen).toEqual(points);
  });

  test('matches snake_case echoes, lines spread over files and out of order', async () => {
    const h = await Harness.create();
    await h.addTranscripts([
      { id: 'Call/ID with spaces', text: 'a' },
      { id: 'x-1', text: 'b' },
      { id: 'y_2', text: 'c' },
    ]);
    await h.plan('run-1');
    const manifest = await h.generate('run-1', 0);
    const outputDir = await runVertex(h.store, manifest, { snakeCase: true, files: 2, reverse: true });
    const result = await h.process('run-1', 0, 1, outputDir);
    expect(result).toMatchObject({ records: 3, succeeded: 3, failed: 0 });
  });

  test('refuses a Vertex AI job that has not ended', async () => {
    const { h, outputDir } = await prepared();
    const env = { ...h.processorEnv('run-1', 0, 1, outputDir), TAP_VERTEX_STATE: 'JOB_STATE_RUNNING' };
    await expect((await import('../../../runtime/jobs/processor')).run(env, h.ports)).rejects.toThrow(/TAP_VERTEX_STATE: must be one of/);
  });

  test('a job that FAILED part way commits the answers it wrote and leaves the rest open, without an error row or an attempt used', async () => {
    const { h } = await prepared();
    const manifest = await h.generate('run-1', 0, 2);
    const outputDir = await runVertex(h.store, manifest, {
      behave: (id) => (['t0', 't1', 't2', 't3'].includes(id) ? { kind: 'ok' } : { kind: 'drop' }),
    });
    const env = { ...h.processorEnv('run-1', 0, 2, outputDir), TAP_VERTEX_STATE: 'JOB_STATE_FAILED' };
    const result = await (await import('../../../runtime/jobs/processor')).run(env, h.ports);
    expect(result).toMatchObject({ status: 'failed', records: 8, succeeded: 4, failed: 0, unanswered: 4 });
    expect((await h.rows('transcription_analyzed_transcripts')).map((r) => r.record_id).sort()).toEqual(['t0', 't1', 't2', 't3']);
    expect(await h.rows('error_tracking')).toEqual([]);
    const event = (await h.rows('batch_events')).find((e) => e.attempt === 2);
    expect(event).toMatchObject({ status: 'failed', open: 4, vertex_state: 'JOB_STATE_FAILED' });
    // The next attempt sends only the four without an answer.
    expect((await h.generate('run-1', 0, 3)).requests).toBe(4);
  });

  test('a forced re-run of a batch whose records are all analysed sends nothing and commits nothing', async () => {
    const { h, outputDir } = await prepared();
    await h.process('run-1', 0, 1, outputDir);
    const before = await h.state();
    const manifest = await h.generate('run-1', 0, 2);
    // t1 (unparsable, retryable) and t3 (no line, retryable) are still open; nothing else is sent.
    expect(manifest.requests).toBe(2);
    const again = await runVertex(h.store, manifest, {});
    await h.process('run-1', 0, 2, again);
    const results = await h.rows('transcription_analyzed_transcripts');
    expect(results.map((r) => r.record_id).sort()).toEqual(['t0', 't1', 't3', 't4', 't5', 't6', 't7']);
    expect((await h.rows('processed_records')).length).toBe(before.processed_records!.length + 2);
  });

  test('refuses an output directory outside the work bucket', async () => {
    const { h } = await prepared();
    await expect(h.process('run-1', 0, 1, 'gs://elsewhere/out')).rejects.toThrow(/TAP_VERTEX_OUTPUT_DIR: must be inside the work bucket/);
  });
});
