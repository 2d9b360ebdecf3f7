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
      return { kind: 'twice', first: { kind: 'status', status: { code: 8, message: 'RESOURCE_EXHAUSTED' } }, second: { kind: 'ok' } } as const;
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
  test('commits results, errors and processed records, and result.json', async () => {
    const { h, outputDir } = await prepared();
    const result = await h.process('run-1', 0, 1, outputDir);
    expect(result).toMatchObject({ records: 8, succeeded: 5, failed: 3, errors_by_type: { json_parse_error: 1, safety_blocked: 1, missing_result: 1 } });
    expect(result.tokens_in).toBe(500);
    expect(h.store.json(layout.result('run-1', '0', 1))).toEqual(result);
    const results = await h.rows('transcription_analyzed_transcripts');
    expect(results.map((r) => r.record_id)).toEqual(['t0', 't4', 't5', 't6', 't7']);
    expect(results[0]).toMatchObject({ sentiment: 'positive', topics: ['billing'], action_items: [], prompt_tokens: 100, batch_id: 0 });
    const errors = await h.rows('error_tracking');
    expect(errors.map((e) => [e.record_id, e.error_type, e.retryable])).toEqual(
      expect.arrayContaining([['t1', 'json_parse_error', true], ['t2', 'safety_blocked', false], ['t3', 'missing_result', true]]),
    );
    const processed = await h.rows('processed_records');
    expect(processed.map((p) => [p.record_id, p.status]).sort()).toEqual([
      ['t0', 'succeeded'], ['t2', 'failed'], ['t4', 'succeeded'], ['t5', 'succeeded'], ['t6', 'succeeded'], ['t7', 'succeeded'],
    ]);
    const recordErrors = h.log.lines.filter((l) => l.event === 'record_errors');
    expect(recordErrors.map((l) => [l.error_type, l.count]).sort()).toEqual([['json_parse_error', 1], ['missing_result', 1], ['safety_blocked', 1]]);
    expect((await h.rows('batch_events')).map((e) => e.status)).toEqual(['planned']);
  });

  const points = ['results', 'errors', 'processed', 'result'];
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

  test.each(['results', 'errors'])(
    'a batch attempt that crashed after "%s" for good, then run again with a new Vertex AI job, leaves one result and one processed row per record',
    async (point) => {
      const { h, outputDir } = await prepared();
      h.checkpoint = (p) => {
        if (p === point) throw new Crash(p);
      };
      await expect(h.process('run-1', 0, 1, outputDir)).rejects.toThrow(Crash);
      h.checkpoint = undefined;
      const { result } = await h.batch('run-1', 0, 2, { behave: () => ({ kind: 'ok' }) });
      expect(result).toMatchObject({ records: 8, succeeded: 8, failed: 0 });
      const results = await h.rows('transcription_analyzed_transcripts');
      expect(results.map((r) => r.record_id).sort()).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7']);
      expect(results.filter((r) => r.record_id === 't0').map((r) => String(r.vertex_job).slice(-9))).toEqual(['run-1-0-1']);
      const processed = await h.rows('processed_records');
      expect(processed.map((p) => [p.record_id, p.status]).sort()).toEqual(results.map((r) => [r.record_id, 'succeeded']).sort());
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
    await h.addTranscripts([{ id: 'Call/ID with spaces', text: 'a' }, { id: 'x-1', text: 'b' }, { id: 'y_2', text: 'c' }]);
    await h.plan('run-1');
    const manifest = await h.generate('run-1', 0);
    const outputDir = await runVertex(h.store, manifest, { snakeCase: true, files: 2, reverse: true });
    const result = await h.process('run-1', 0, 1, outputDir);
    expect(result).toMatchObject({ records: 3, succeeded: 3, failed: 0 });
  });

  test('refuses a Vertex AI job state whose output is not worth reading', async () => {
    const { h, outputDir } = await prepared();
    const env = { ...h.processorEnv('run-1', 0, 1, outputDir), TAP_VERTEX_STATE: 'JOB_STATE_FAILED' };
    await expect((await import('../../../runtime/jobs/processor')).run(env, h.ports)).rejects.toThrow(/TAP_VERTEX_STATE: must be one of/);
  });

  test('refuses an output directory outside the work bucket', async () => {
    const { h } = await prepared();
    await expect(h.process('run-1', 0, 1, 'gs://elsewhere/out')).rejects.toThrow(/TAP_VERTEX_OUTPUT_DIR: must be inside the work bucket/);
  });
});
