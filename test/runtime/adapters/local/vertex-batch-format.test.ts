/**
 * Vertex AI batch prediction's file format, as the local stand-ins write it. "Batch prediction from
 * Cloud Storage" (https://cloud.google.com/vertex-ai/generative-ai/docs/multimodal/batch-prediction-from-cloud-storage)
 * says each input line is a request "following the same format for Gemini API", and of the output:
 * "For succeeded rows, model responses are stored in the `response` field. Otherwise, error details
 * are stored in the `status` field". A line is
 * `{"status":"","processed_time":"…+00:00","request":{…the input request…},
 *   "response":{"candidates":[{"content":{"role":"model","parts":[{"text":"…"}]},"finishReason":"STOP"}],
 *   "modelVersion":"…","usageMetadata":{"promptTokenCount":N,"candidatesTokenCount":M,"totalTokenCount":N+M}}}`,
 * which is what the processor's own parser reads, checked below.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { FolderStore } from '../../../../runtime/adapters/local/folder-store';
import {
  answeredLine,
  failedLine,
  fieldOf,
  linesOf,
  modelCandidate,
  modelResponse,
  readInputLine,
  snakeKeys,
  transcriptOf,
  usageMetadata,
  userTextOf,
  vertexTime,
  writePredictions,
  type PredictionLine,
} from '../../../../runtime/adapters/local/vertex-batch-format';
import { DEFAULT_ANALYSIS } from '../../../../runtime/contract';
import { requestLine, requestTemplate } from '../../../../runtime/core/requests';
import { parsePrediction } from '../../../../runtime/core/responses';

const at = '2026-03-01T12:00:00.123+00:00';
const request = JSON.parse(
  requestLine(requestTemplate(DEFAULT_ANALYSIS), { recordId: 'rec-7', transcript: 'Agent: Hello.\nCustomer: Hi.' }),
).request;

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of lines) out.push(l);
  return out;
}

describe('prediction lines', () => {
  it('are written in the documented shape and key order, and read by the processor as an answer', () => {
    const line = answeredLine(at, request, modelResponse([modelCandidate(['{"summary":"s"}'], 'STOP')], 'm-1', usageMetadata(12, 3)));
    expect(JSON.stringify(line)).toBe(
      JSON.stringify({
        status: '',
        processed_time: at,
        request,
        response: {
          candidates: [{ content: { role: 'model', parts: [{ text: '{"summary":"s"}' }] }, finishReason: 'STOP' }],
          modelVersion: 'm-1',
          usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 3, totalTokenCount: 15 },
        },
      }),
    );
    const parsed = parsePrediction(DEFAULT_ANALYSIS, JSON.stringify(line))!;
    expect(parsed.label).toBe('rec-7');
    expect(parsed.markerId).toBe('rec-7');
    expect(parsed.outcome.usage).toEqual({ promptTokens: 12, outputTokens: 3, totalTokens: 15 });
  });

  it('keep a total the model reported rather than the sum', () => {
    expect(usageMetadata(1, 2, 9)).toEqual({ promptTokenCount: 1, candidatesTokenCount: 2, totalTokenCount: 9 });
  });

  it('for a failed request carry the status and no response, which the processor reads as an error of its record', () => {
    const line = failedLine('RESOURCE_EXHAUSTED: quota', at, request);
    expect(Object.keys(line)).toEqual(['status', 'processed_time', 'request']);
    const parsed = parsePrediction(DEFAULT_ANALYSIS, JSON.stringify(line))!;
    expect(parsed.label).toBe('rec-7');
    expect(parsed.outcome).toMatchObject({ kind: 'error', message: 'RESOURCE_EXHAUSTED: quota' });
  });

  it('give processed_time in the form Vertex AI writes it', () => {
    expect(vertexTime(new Date('2024-11-13T14:04:28.376Z'))).toBe('2024-11-13T14:04:28.376+00:00');
  });
});

describe('readInputLine', () => {
  it('reads the request of a line, as text or parsed', () => {
    expect(readInputLine(JSON.stringify({ request }))).toEqual({ request });
    expect(readInputLine({ request })).toEqual({ request });
  });

  it('refuses a line that is not JSON, echoing the line', () => {
    expect(readInputLine('{"request": ')).toEqual({
      status: expect.stringMatching(/^Invalid JSON in the input line: /),
      echo: '{"request": ',
    });
  });

  it('refuses a line whose request is missing or not an object, echoing what it had', () => {
    expect(readInputLine('{"other":1}')).toEqual({ status: 'The input line has no "request" object.', echo: null });
    expect(readInputLine('null')).toEqual({ status: 'The input line has no "request" object.', echo: null });
    expect(readInputLine('{"request":[1]}')).toEqual({ status: 'The input line has no "request" object.', echo: [1] });
    expect(readInputLine('{"request":"x"}')).toEqual({ status: 'The input line has no "request" object.', echo: 'x' });
  });
});

describe('reading a request', () => {
  it('reads a field by its camelCase or its snake_case name', () => {
    expect(fieldOf({ generationConfig: 1 }, 'generationConfig')).toBe(1);
    expect(fieldOf({ generation_config: 2 }, 'generationConfig')).toBe(2);
    expect(fieldOf({}, 'generationConfig')).toBeUndefined();
  });

  it("takes the user's text without the record marker parts or the model's turns", () => {
    const contents = [
      { role: 'user', parts: [{ text: 'Do this.\n\nTranscript:\nAgent: hi' }, { text: '[record:rec-7]' }, { inlineData: {} }] },
      { role: 'model', parts: [{ text: 'earlier answer' }] },
      { parts: [{ text: 'Customer: hello' }] },
    ];
    expect(userTextOf(contents)).toBe('Do this.\n\nTranscript:\nAgent: hi\nCustomer: hello');
    expect(transcriptOf(userTextOf(contents))).toBe('Agent: hi\nCustomer: hello');
    expect(transcriptOf('Agent: hi')).toBe('Agent: hi');
  });

  it('echoes keys in snake_case, leaving label keys and schema property names alone', () => {
    expect(
      snakeKeys({ generationConfig: { responseSchema: { properties: { customerIntent: { maxLength: 1 } } } }, labels: { myLabel: 'x' } }),
    ).toEqual({
      generation_config: { response_schema: { properties: { customerIntent: { max_length: 1 } } } },
      labels: { myLabel: 'x' },
    });
  });
});

describe('linesOf', () => {
  it('splits on \\n and \\r\\n, keeping a last line without a newline', async () => {
    expect(await collect(linesOf(Readable.from(['a\r\nb', '\n\nc'])))).toEqual(['a', 'b', '', 'c']);
  });

  it('rejects when the stream fails', async () => {
    const input = new Readable({ read() {} });
    input.push('a\n');
    setImmediate(() => input.destroy(new Error('disk gone')));
    await expect(collect(linesOf(input))).rejects.toThrow('disk gone');
  });
});

describe('writePredictions', () => {
  let dir: string;
  let store: FolderStore;
  const now = () => new Date('2026-03-01T12:00:00.123Z');
  const answer = (text: string): PredictionLine => answeredLine(at, JSON.parse(text).request, modelResponse([], 'm', usageMetadata(2, 1)));
  const later = <T>(ms: number, value: () => T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value()), ms));
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tap-vbf-'));
    store = new FolderStore(dir, 'work');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const input = (n: number) =>
    Array.from({ length: n }, (_, i) => JSON.stringify({ request: { labels: { taprecord: `r${i}` } } })).join('\n');

  it('answers the non-blank lines in input order into prediction-model-<timestamp>/predictions.jsonl, with totals', async () => {
    await store.writeText('in.jsonl', `${input(3)}\n\n${JSON.stringify({ other: 1 })}\n`);
    const result = await writePredictions(
      store,
      'in.jsonl',
      'out/',
      (text) => {
        const read = readInputLine(text);
        return 'status' in read ? failedLine(read.status, at, read.echo) : answer(text);
      },
      { now },
    );
    expect(result).toEqual({
      outputDirectory: 'out/prediction-model-2026-03-01T12:00:00.123Z',
      predictionsPath: 'out/prediction-model-2026-03-01T12:00:00.123Z/predictions.jsonl',
      lines: 4,
      succeeded: 3,
      failed: 1,
      promptTokens: 6,
      candidatesTokens: 3,
    });
    const rows = (await store.readText(result.predictionsPath))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as PredictionLine);
    expect(rows.map((r) => (r.request as { labels?: { taprecord: string } } | null)?.labels?.taprecord ?? r.status)).toEqual([
      'r0',
      'r1',
      'r2',
      'The input line has no "request" object.',
    ]);
  });

  it('keeps at most `concurrency` answers in flight, and writes every line', async () => {
    await store.writeText('in.jsonl', input(9));
    let inFlight = 0;
    let most = 0;
    const result = await writePredictions(
      store,
      'in.jsonl',
      'out',
      (text) => {
        most = Math.max(most, ++inFlight);
        return later(5, () => (inFlight--, answer(text)));
      },
      { now, concurrency: 3 },
    );
    expect(most).toBe(3);
    expect(result).toMatchObject({ lines: 9, succeeded: 9 });
    const labels = (await store.readText(result.predictionsPath))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l).request as { labels: { taprecord: string } }).labels.taprecord);
    expect(labels.sort()).toEqual(Array.from({ length: 9 }, (_, i) => `r${i}`));
  });

  it('fails with the first failed answer and leaves no predictions', async () => {
    await store.writeText('in.jsonl', input(6));
    const fail = (text: string): Promise<PredictionLine> => {
      const id = JSON.parse(text).request.labels.taprecord as string;
      return new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer for ${id}`)), id === 'r0' ? 1 : 20));
    };
    await expect(writePredictions(store, 'in.jsonl', 'out', fail, { now, concurrency: 3 })).rejects.toThrow('no answer for r0');
    expect(await store.list('out/')).toEqual([]);
  });
});
