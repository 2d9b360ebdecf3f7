/**
 * The model endpoint adapter against in-process fakes of the two APIs it speaks. The fakes answer
 * in the documented shapes:
 * - Gemini API `models.generateContent` returns a GenerateContentResponse:
 *   `{"candidates":[{"content":{"parts":[{"text":"…"}],"role":"model"},"finishReason":"STOP","index":0}],
 *     "usageMetadata":{"promptTokenCount":N,"candidatesTokenCount":M,"totalTokenCount":N+M},"modelVersion":"…"}`;
 *   errors are `{"error":{"code":429,"message":"…","status":"RESOURCE_EXHAUSTED"}}`.
 * - OpenAI-compatible `POST /v1/chat/completions` returns
 *   `{"id":"chatcmpl-…","object":"chat.completion","created":T,"model":"…","choices":[{"index":0,
 *     "message":{"role":"assistant","content":"…"},"finish_reason":"stop"}],
 *     "usage":{"prompt_tokens":N,"completion_tokens":M,"total_tokens":N+M}}`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FolderStore } from '../../../../runtime/adapters/local/folder-store';
import { answerFile, answerLine, endpointKind, jsonSchema } from '../../../../runtime/adapters/local/model-endpoint';
import { DEFAULT_ANALYSIS, responseSchema } from '../../../../runtime/contract';
import { requestLine, requestTemplate } from '../../../../runtime/core/requests';
import { parsePrediction } from '../../../../runtime/core/responses';

const ANSWER = {
  summary: 'A billing question, resolved.',
  sentiment: 'positive',
  topics: ['billing'],
  resolution: 'resolved',
  action_items: [],
  customer_intent: 'a refund',
};
const seen: Array<{ url: string; headers: IncomingMessage['headers']; body: any }> = [];
let server: Server;
let base: string;

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const body = JSON.parse(text);
      seen.push({ url: req.url!, headers: req.headers, body });
      const prompt = JSON.stringify(body);
      if (req.url === '/v1beta/models/gemini-2.5-flash:generateContent') {
        if (prompt.includes('RATE'))
          return reply(res, 429, { error: { code: 429, message: 'Resource has been exhausted', status: 'RESOURCE_EXHAUSTED' } });
        return reply(res, 200, {
          candidates: [{ content: { parts: [{ text: JSON.stringify(ANSWER) }], role: 'model' }, finishReason: 'STOP', index: 0 }],
          usageMetadata: { promptTokenCount: 120, candidatesTokenCount: 30, totalTokenCount: 150 },
          modelVersion: 'gemini-2.5-flash',
        });
      }
      if (req.url === '/v1/chat/completions') {
        return reply(res, 200, {
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 1764300000,
          model: 'local-llama',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: JSON.stringify(ANSWER) },
              finish_reason: prompt.includes('LONG') ? 'length' : 'stop',
            },
          ],
          usage: { prompt_tokens: 200, completion_tokens: 40, total_tokens: 240 },
        });
      }
      reply(res, 404, { error: { code: 404, message: `no route ${req.url}` } });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => (seen.length = 0));

const line = (transcript: string, id = 'rec-1') => requestLine(requestTemplate(DEFAULT_ANALYSIS), { recordId: id, transcript });
const now = () => new Date('2026-11-28T12:00:00Z');

describe('model endpoint adapter', () => {
  it('guesses the kind of endpoint from its URL', () => {
    expect(endpointKind('http://localhost:8080/v1')).toBe('openai');
    expect(endpointKind('https://example.test/v1beta')).toBe('gemini');
  });

  it('sends the request to the Gemini API without Vertex-only labels, and answers in the Vertex output format', async () => {
    const input = line('Customer: I was charged twice.');
    const out = await answerLine(input, { url: `${base}/v1beta`, model: 'gemini-2.5-flash', apiKey: 'k-123', now });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers['x-goog-api-key']).toBe('k-123');
    expect(seen[0]!.body.labels).toBeUndefined();
    expect(seen[0]!.body.generationConfig.responseSchema).toEqual(JSON.parse(JSON.stringify(responseSchema(DEFAULT_ANALYSIS))));
    expect(out.status).toBe('');
    expect(out.processed_time).toBe('2026-11-28T12:00:00.000+00:00');
    expect(out.request).toEqual(JSON.parse(input).request);
    expect(out.response!.usageMetadata).toEqual({ promptTokenCount: 120, candidatesTokenCount: 30, totalTokenCount: 150 });
    // The processor reads it as a Vertex line: matched by label and marker, a valid answer.
    const parsed = parsePrediction(DEFAULT_ANALYSIS, JSON.stringify(out))!;
    expect(parsed.label).toBe('rec-1');
    expect(parsed.markerId).toBe('rec-1');
    expect(parsed.outcome).toMatchObject({ kind: 'success', values: ANSWER });
  });

  it('turns an HTTP error into the line status, led by its canonical code, as a failed Vertex line', async () => {
    const out = await answerLine(line('RATE'), { url: `${base}/v1beta`, model: 'gemini-2.5-flash', now });
    expect(out.status).toBe('RESOURCE_EXHAUSTED: HTTP 429: Resource has been exhausted');
    expect(out.response).toBeUndefined();
  });

  it("an endpoint that is down gives an UNAVAILABLE status, which the processor counts as the model's outage, not the record's error", async () => {
    const { statusErrorType } = await import('../../../../runtime/core/responses');
    const out = await answerLine(line('x'), { url: 'http://127.0.0.1:9/v1beta', model: 'gemini-2.5-flash', now, timeoutMs: 5000 });
    expect(out.status).toMatch(/^UNAVAILABLE: the model endpoint could not be reached/);
    expect(statusErrorType(out.status)).toBe('model_unavailable');
    expect(statusErrorType('INVALID_ARGUMENT: HTTP 400: bad request')).toBe('vertex_ai_error');
  });

  it('answers a malformed line or one without a request object as the local analyzer does, without calling the endpoint', async () => {
    const { analyzeLine } = await import('../../../../runtime/adapters/local/analyzer');
    for (const bad of ['{"request": ', '{"other":1}', '{"request":[1]}']) {
      const out = await answerLine(bad, { url: `${base}/v1beta`, model: 'gemini-2.5-flash', now });
      expect(out.response).toBeUndefined();
      expect(out).toEqual(analyzeLine(bad, { now }));
    }
    expect(seen).toHaveLength(0);
  });

  it('speaks chat completions to an OpenAI-compatible server, with the schema as JSON Schema', async () => {
    const out = await answerLine(line('Customer: LONG call.'), { url: `${base}/v1`, model: 'local-llama', apiKey: 'sk-1', now });
    const sent = seen[0]!;
    expect(sent.headers.authorization).toBe('Bearer sk-1');
    expect(sent.body.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user']);
    expect(sent.body.messages[0].content).toBe(DEFAULT_ANALYSIS.systemInstruction);
    expect(sent.body.max_tokens).toBe(DEFAULT_ANALYSIS.generationConfig.maxOutputTokens);
    expect(sent.body.response_format.json_schema.schema).toEqual(jsonSchema(responseSchema(DEFAULT_ANALYSIS)));
    expect(sent.body.response_format.json_schema.schema.properties.sentiment.enum).toEqual(['positive', 'neutral', 'negative', 'mixed']);
    expect(out.response!.candidates[0]!.finishReason).toBe('MAX_TOKENS');
    expect(out.response!.usageMetadata).toEqual({ promptTokenCount: 200, candidatesTokenCount: 40, totalTokenCount: 240 });
    expect(out.response!.modelVersion).toBe('local-llama');
  });

  it('answers a whole input file, a few requests at a time, under prediction-model-<timestamp>/', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tap-ep-'));
    try {
      const store = new FolderStore(dir, 'work');
      await store.writeText('in.jsonl', `${[1, 2, 3, 4, 5].map((i) => line(i === 3 ? 'RATE' : `call ${i}`, `r${i}`)).join('\n')}\n`);
      const result = await answerFile(store, 'in.jsonl', 'out', { url: `${base}/v1beta`, model: 'gemini-2.5-flash', concurrency: 2, now });
      expect(result).toMatchObject({ lines: 5, succeeded: 4, failed: 1, promptTokens: 480, candidatesTokens: 120 });
      expect(result.predictionsPath).toBe('out/prediction-model-2026-11-28T12:00:00.000Z/predictions.jsonl');
      const rows = (await store.readText(result.predictionsPath))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(rows.map((r) => r.request.labels.taprecord).sort()).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
