import { DEFAULT_ANALYSIS } from '../../../runtime/contract';
import { BatchMatcher, PlannedRecord } from '../../../runtime/core/matching';

/** Keeps the plan, to hand it to finish() as the processor streams it a second time. */
class TestMatcher extends BatchMatcher {
  readonly list: PlannedRecord[] = [];
  override plan(record: PlannedRecord): void {
    super.plan(record);
    this.list.push(record);
  }
  finishAll() {
    return this.finish(this.list);
  }
}
import { generate, recordLabel, requestLine, requestTemplate } from '../../../runtime/core/requests';
import { parsePrediction, Prediction } from '../../../runtime/core/responses';
import { OK_ANSWER, outputLine, snakeKeys } from '../../fakes/vertex';

const spec = DEFAULT_ANALYSIS;
const template = requestTemplate(spec);
const requestOf = (id: string) => JSON.parse(requestLine(template, { recordId: id, transcript: `transcript of ${id}` })).request;
const line = (id: string, behaviour: Parameters<typeof outputLine>[1]) => outputLine(requestOf(id), behaviour)[0]!;
const parse = (text: string) => parsePrediction(spec, text)!;
const outcomeOf = (text: string) => parse(text).outcome;

describe('parsing a prediction line', () => {
  test('a successful line gives the validated values, the tokens and the record', () => {
    const p = parse(line('rec-1', { kind: 'ok' }));
    expect(p.label).toBe('rec-1');
    expect(p.markerId).toBe('rec-1');
    expect(p.outcome).toEqual({
      kind: 'success',
      values: { ...OK_ANSWER, resolution: null, action_items: [], customer_intent: null },
      usage: { promptTokens: 100, outputTokens: 20, totalTokens: 120 },
      finishReason: 'STOP',
      modelVersion: 'gemini-2.5-flash-001',
    });
  });

  test('invalid JSON is json_parse_error', () => {
    expect(outcomeOf(line('r', { kind: 'text', text: '{"summary": "x", ' }))).toMatchObject({ kind: 'error', type: 'json_parse_error' });
  });

  test('a missing required summary is missing_summary', () => {
    expect(outcomeOf(line('r', { kind: 'ok', answer: { sentiment: 'neutral' } }))).toMatchObject({
      kind: 'error',
      type: 'missing_summary',
      message: 'required field(s) missing: summary',
    });
  });

  test('a wrong type or a value outside the enum is schema_violation', () => {
    expect(outcomeOf(line('r', { kind: 'ok', answer: { ...OK_ANSWER, topics: 'billing' } }))).toMatchObject({
      type: 'schema_violation',
      message: expect.stringContaining('topics must be a list of strings'),
    });
    expect(outcomeOf(line('r', { kind: 'ok', answer: { ...OK_ANSWER, sentiment: 'angry' } }))).toMatchObject({
      type: 'schema_violation',
      message: expect.stringContaining('sentiment must be one of positive, neutral, negative, mixed, got "angry"'),
    });
    expect(outcomeOf(line('r', { kind: 'text', text: '["a list"]' }))).toMatchObject({ type: 'schema_violation' });
  });

  test('a line whose status carries an error is vertex_ai_error', () => {
    const o = outcomeOf(line('r', { kind: 'status', status: { code: 3, message: 'Request contains an invalid argument.' } }));
    expect(o).toMatchObject({ kind: 'error', type: 'vertex_ai_error', message: expect.stringContaining('invalid argument') });
    expect(outcomeOf(line('r', { kind: 'status', status: 'Internal error occurred' }))).toMatchObject({ type: 'vertex_ai_error' });
  });

  test('a safety block is safety_blocked, from finishReason or promptFeedback', () => {
    expect(outcomeOf(line('r', { kind: 'safety' }))).toMatchObject({ type: 'safety_blocked' });
    const blocked = JSON.stringify({
      status: '',
      request: requestOf('r'),
      response: { promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } },
    });
    expect(outcomeOf(blocked)).toMatchObject({ type: 'safety_blocked', message: 'prompt blocked: PROHIBITED_CONTENT' });
  });

  test('finishReason MAX_TOKENS is truncated', () => {
    expect(outcomeOf(line('r', { kind: 'max_tokens' }))).toMatchObject({ type: 'truncated' });
  });

  test('the echoed request is matched in camelCase and in snake_case', () => {
    const snake = outputLine(snakeKeys(requestOf('Ünïcode id/42')), { kind: 'ok' })[0]!;
    expect(snake).toContain('"system_instruction"');
    const p = parse(snake);
    expect(p.markerId).toBe('Ünïcode id/42');
    expect(p.label).toBe(recordLabel('Ünïcode id/42'));
    expect(p.outcome.kind).toBe('success');
  });

  test('either copy of the record id is enough: labels dropped, or the marker part dropped', () => {
    const noLabels = { ...requestOf('r-9') };
    delete noLabels.labels;
    expect(parse(outputLine(noLabels, { kind: 'ok' })[0]!)).toMatchObject({ label: undefined, markerId: 'r-9' });
    const noMarker = requestOf('r-9');
    noMarker.contents[0].parts.pop();
    expect(parse(outputLine(noMarker, { kind: 'ok' })[0]!)).toMatchObject({ label: 'r-9', markerId: undefined });
    const m = new TestMatcher(spec, {
      executionId: 'e',
      batch: '0',
      attempt: 1,
      analysisVersion: 'v',
      model: 'm',
      vertexJob: 'j',
      maxRecordAttempts: 3,
      now: '2026-11-28T10:00:00Z',
    });
    m.plan({ recordId: 'r-9', batchId: 0, recordAttempt: 1 });
    expect(m.accept(parse(outputLine(noMarker, { kind: 'ok' })[0]!))).toMatchObject({ record_id: 'r-9' });
  });

  test('a line that is not JSON names no record', () => {
    expect(parsePrediction(spec, '{"status": "", "request": {')).toBeUndefined();
  });
});

describe('matching a batch', () => {
  const ctx = {
    executionId: 'run-1',
    batch: '0',
    attempt: 1,
    analysisVersion: 'v-1',
    model: 'gemini-2.5-flash',
    vertexJob: 'projects/p/locations/l/batchPredictionJobs/1',
    maxRecordAttempts: 3,
    now: '2026-11-28T10:00:00.000Z',
  };
  const matcher = (ids: string[], attempt = 1) => {
    const m = new TestMatcher(spec, ctx);
    for (const id of ids) m.plan({ recordId: id, batchId: 0, recordAttempt: attempt });
    return m;
  };
  const accept = (m: BatchMatcher, text: string) => m.accept(parsePrediction(spec, text) as Prediction | undefined);

  test('a record with no result line is missing_result', () => {
    const m = matcher(['a', 'b']);
    accept(m, line('a', { kind: 'ok' }));
    const { errors, processed, counts } = m.finishAll();
    expect(errors).toEqual([expect.objectContaining({ record_id: 'b', error_type: 'missing_result', retryable: true })]);
    expect(processed.map((p) => [p.record_id, p.status])).toEqual([['a', 'succeeded']]);
    expect(counts).toMatchObject({ records: 2, succeeded: 1, failed: 1 });
  });

  test('lines out of order, from several files, are matched by record id', () => {
    const ids = ['a', 'b', 'c', 'd'];
    const m = matcher(ids);
    const fileA = [line('d', { kind: 'ok' }), line('b', { kind: 'ok' })];
    const fileB = [line('c', { kind: 'ok' }), line('a', { kind: 'ok' })];
    const rows = [...fileA, ...fileB].map((l) => accept(m, l)!);
    expect(rows.map((r) => r.record_id)).toEqual(['d', 'b', 'c', 'a']);
    expect(m.finishAll().counts).toMatchObject({ succeeded: 4, failed: 0, unmatchedLines: 0 });
  });

  test('two lines for one record commit once: a success wins over an error, the first success over a later one', () => {
    const m = matcher(['a', 'b']);
    expect(accept(m, line('a', { kind: 'status', status: 'boom' }))).toBeUndefined();
    expect(accept(m, line('a', { kind: 'ok' }))).toMatchObject({ record_id: 'a' });
    expect(accept(m, line('b', { kind: 'ok' }))).toMatchObject({ record_id: 'b' });
    expect(accept(m, line('b', { kind: 'ok', answer: { ...OK_ANSWER, summary: 'other' } }))).toBeUndefined();
    const { errors, processed, counts } = m.finishAll();
    expect(errors).toEqual([]);
    expect(processed).toHaveLength(2);
    expect(counts).toMatchObject({ succeeded: 2, duplicateLines: 2 });
  });

  test('a retryable error on the last allowed attempt settles the record as exhausted; a permanent one as failed', () => {
    const m = matcher(['a'], 3);
    accept(m, line('a', { kind: 'max_tokens' }));
    expect(m.finishAll().processed).toEqual([expect.objectContaining({ record_id: 'a', status: 'exhausted', attempts: 3 })]);
    const p = matcher(['a'], 1);
    accept(p, line('a', { kind: 'safety' }));
    expect(p.finishAll().processed).toEqual([expect.objectContaining({ status: 'failed' })]);
    const r = matcher(['a'], 2);
    accept(r, line('a', { kind: 'max_tokens' }));
    expect(r.finishAll().processed).toEqual([]);
  });

  test('a line naming its record only by a hashed label is written once the plan names the id', () => {
    const m = matcher(['Call #7', 'b']);
    const noMarker = requestOf('Call #7');
    noMarker.contents[0].parts.pop();
    expect(accept(m, outputLine(noMarker, { kind: 'ok' })[0]!)).toBeUndefined();
    const { results, processed, errors } = m.finishAll();
    expect(results).toEqual([expect.objectContaining({ record_id: 'Call #7', batch_id: 0, summary: OK_ANSWER.summary })]);
    expect(processed.map((p) => [p.record_id, p.status])).toEqual([['Call #7', 'succeeded']]);
    expect(errors.map((e) => [e.record_id, e.error_type])).toEqual([['b', 'missing_result']]);
  });

  test('a record planned twice in one batch is refused', () => {
    expect(() => matcher(['a', 'a'])).toThrow(/planned twice/);
  });

  test('settling against a plan that changed is refused', () => {
    const m = matcher(['a', 'b']);
    expect(() => m.finish([{ recordId: 'a', batchId: 0, recordAttempt: 1 }])).toThrow(/the plan has 1 records now but had 2/);
    expect(() => matcher(['a']).finish([{ recordId: 'z', batchId: 0, recordAttempt: 1 }])).toThrow(/z was not planned/);
  });

  test('error ids are the same for the same failure and differ across attempts', () => {
    const one = matcher(['a']).finishAll().errors[0]!;
    const again = matcher(['a']).finishAll().errors[0]!;
    expect(one.error_id).toBe(again.error_id);
    const other = new TestMatcher(spec, { ...ctx, attempt: 2 });
    other.plan({ recordId: 'a', batchId: 0, recordAttempt: 1 });
    expect(other.finishAll().errors[0]!.error_id).not.toBe(one.error_id);
  });
});

describe('generating a request', () => {
  const limits = { maxTranscriptChars: 50, maxRequestBytes: 100_000 };
  test('an empty transcript is empty_transcript', () => {
    expect(generate(template, { recordId: 'a', transcript: ' \n ' }, limits)).toMatchObject({ kind: 'error', type: 'empty_transcript' });
    expect(generate(template, { recordId: 'a', transcript: null }, limits)).toMatchObject({ kind: 'error', type: 'empty_transcript' });
  });

  test('an over-long transcript is input_too_large', () => {
    expect(generate(template, { recordId: 'a', transcript: 'x'.repeat(51) }, limits)).toMatchObject({
      kind: 'error',
      type: 'input_too_large',
      message: 'the transcript has 51 characters; the limit is 50',
    });
  });

  test('a request carries the schema, the JSON mime type and the record id twice', () => {
    const g = generate(template, { recordId: 'Call #7', transcript: 'hello' }, limits);
    expect(g.kind).toBe('request');
    const request = JSON.parse((g as { line: string }).line).request;
    expect(request.generationConfig.responseMimeType).toBe('application/json');
    expect(request.generationConfig.responseSchema.properties.sentiment.enum).toEqual(['positive', 'neutral', 'negative', 'mixed']);
    expect(request.labels.taprecord).toMatch(/^h-[0-9a-f]{40}$/);
    expect(request.contents[0].parts[1].text).toBe(`[record:${Buffer.from('Call #7').toString('base64url')}]`);
  });
});
