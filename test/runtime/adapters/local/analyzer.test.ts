import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import {
  LOCAL_MODEL_VERSION,
  analyseTranscript,
  analyzeFile,
  analyzeLine,
  transcriptOf,
  type PredictionLine,
} from '../../../../runtime/adapters/local/analyzer';
import { FolderStore } from '../../../../runtime/adapters/local/folder-store';
import { DEFAULT_ANALYSIS, responseSchema, type AnalysisSpec, type ResponseSchema } from '../../../../runtime/contract';
import { requestLine, requestTemplate } from '../../../../runtime/core/requests';
import { parsePrediction } from '../../../../runtime/core/responses';

const RESOLVED_CALL = `Agent: Thank you for calling Northwind Energy, this is Maria. How can I help?
Customer: Hi, I'm calling about my March bill. I was charged twice, $84.20 both times on March 3rd.
Agent: I'm sorry about that. Let me check your account. Yes, I can see the duplicate payment.
Agent: I've refunded the duplicate payment. I will email you a confirmation within 5 business days.
Customer: Great, thank you so much, that solves it. Wonderful service.`;

const ESCALATED_CALL = `Agent: Acme Broadband, you're speaking with Tom.
Customer: My router has stopped working for a week and nobody fixed it. This is terrible and I am angry.
Agent: I'm sorry. I'll transfer you to my supervisor.
Customer: This is awful. I hate this company. Horrible experience.`;

const at = new Date('2026-03-01T12:00:00.123Z');
const fixed = { now: () => at };

function line(transcript: string, spec: AnalysisSpec = DEFAULT_ANALYSIS, id = 'rec-1'): string {
  return requestLine(requestTemplate(spec), { recordId: id, transcript });
}

function answerOf(out: PredictionLine): Record<string, unknown> {
  return JSON.parse(out.response!.candidates[0]!.content.parts[0]!.text) as Record<string, unknown>;
}

/** Gemini's OpenAPI-subset schema as a JSON Schema, strict about extra properties. */
function jsonSchema(s: ResponseSchema): Record<string, unknown> {
  const type = { OBJECT: 'object', STRING: 'string', INTEGER: 'integer', NUMBER: 'number', BOOLEAN: 'boolean', ARRAY: 'array' }[s.type];
  const out: Record<string, unknown> = { type };
  if (s.enum) out.enum = s.enum;
  if (s.items) out.items = jsonSchema(s.items);
  if (s.properties) {
    out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, jsonSchema(v)]));
    out.additionalProperties = false;
    out.required = s.required ?? [];
  }
  return out;
}

const ajv = new Ajv({ allErrors: true });

describe('analyzeLine', () => {
  it("answers in Vertex AI's output format, echoing the request and counting tokens", () => {
    const input = line(RESOLVED_CALL);
    const out = analyzeLine(input, fixed);
    expect(out.status).toBe('');
    expect(out.processed_time).toBe('2026-03-01T12:00:00.123+00:00');
    expect(out.request).toEqual(JSON.parse(input).request);
    const response = out.response!;
    expect(response.modelVersion).toBe(LOCAL_MODEL_VERSION);
    expect(response.candidates).toHaveLength(1);
    expect(response.candidates[0]!.finishReason).toBe('STOP');
    expect(response.candidates[0]!.content.role).toBe('model');
    const request = JSON.parse(input).request;
    const chars =
      DEFAULT_ANALYSIS.systemInstruction.length +
      request.contents[0].parts.map((p: { text: string }) => p.text).join('\n').length +
      JSON.stringify(responseSchema(DEFAULT_ANALYSIS)).length;
    const text = response.candidates[0]!.content.parts[0]!.text;
    expect(response.usageMetadata).toEqual({
      promptTokenCount: Math.ceil(chars / 4),
      candidatesTokenCount: Math.ceil(text.length / 4),
      totalTokenCount: Math.ceil(chars / 4) + Math.ceil(text.length / 4),
    });
  });

  it("is read by the processor's own parser as a successful answer for its record", () => {
    for (const echo of ['camel', 'snake'] as const) {
      const parsed = parsePrediction(
        DEFAULT_ANALYSIS,
        JSON.stringify(analyzeLine(line(RESOLVED_CALL, DEFAULT_ANALYSIS, 'rec-9'), { ...fixed, echo })),
      )!;
      expect(parsed.label).toBe('rec-9');
      expect(parsed.markerId).toBe('rec-9');
      expect(parsed.outcome.kind).toBe('success');
      expect(parsed.outcome.usage).toBeDefined();
    }
  });

  it('answers valid JSON for the default schema, fields in the declared order', () => {
    const validate = ajv.compile(jsonSchema(responseSchema(DEFAULT_ANALYSIS)));
    for (const t of [RESOLVED_CALL, ESCALATED_CALL, 'Customer: hello?', 'x']) {
      const answer = answerOf(analyzeLine(line(t), fixed));
      expect(validate(answer)).toBe(true);
      expect(Object.keys(answer)).toEqual(DEFAULT_ANALYSIS.fields.map((f) => f.name));
    }
  });

  it('reads the call: sentiment, resolution, topics, commitments, intent', () => {
    const good = answerOf(analyzeLine(line(RESOLVED_CALL), fixed));
    expect(good.sentiment).toBe('positive');
    expect(good.resolution).toBe('resolved');
    expect(good.topics).toEqual(expect.arrayContaining(['duplicate payment', 'bill']));
    expect(good.action_items).toEqual(['Agent to email the customer a confirmation within 5 business days']);
    expect(good.customer_intent).toBe('their March bill');
    expect(good.summary).toMatch(/^The customer called about their March bill\. .*resolved on the call\.$/);
    const bad = answerOf(analyzeLine(line(ESCALATED_CALL), fixed));
    expect(bad.sentiment).toBe('negative');
    expect(bad.resolution).toBe('escalated');
    expect(bad.customer_intent).toBe('a problem with their router');
  });

  it('analyses only the transcript: not the prompt around it, not the record marker', () => {
    const out = analyzeLine(line(ESCALATED_CALL), fixed);
    const text = out.response!.candidates[0]!.content.parts[0]!.text;
    expect(text).not.toMatch(/Analyse this call|record:/);
    expect(transcriptOf('Do this.\n\nTranscript:\nAgent: hi')).toBe('Agent: hi');
    expect(transcriptOf('Agent: hi')).toBe('Agent: hi');
  });

  it('attributes every sentence to its speaker, even after a turn ending in an abbreviation', () => {
    const a = analyseTranscript(
      'Agent: Is the cable in?\nCustomer: Yes, I have pushed it in.\nAgent: I will send you a new router.\nCustomer: I will return the old one.',
    );
    expect(a.actionItems).toEqual(['Agent to send the customer a new router', 'Customer to return the old one']);
    expect(a.turns).toBe(4);
  });

  it('is deterministic', () => {
    const input = line(ESCALATED_CALL);
    expect(JSON.stringify(analyzeLine(input, fixed))).toBe(JSON.stringify(analyzeLine(input, fixed)));
  });

  it('fills fields it does not know by name and type, honouring enums', () => {
    const spec: AnalysisSpec = {
      ...DEFAULT_ANALYSIS,
      fields: [
        {
          name: 'department',
          type: 'string',
          enum: ['sales', 'billing', 'technical', 'other'],
          description: 'Which team.',
          required: true,
        },
        { name: 'churn_risk', type: 'number', description: 'Risk 0..1.', required: true },
        { name: 'satisfaction_score', type: 'integer', description: '1-5.', required: true },
        { name: 'was_escalated', type: 'boolean', description: 'Escalated?', required: true },
        { name: 'mentioned_entities', type: 'string_array', description: 'Entities.' },
        { name: 'free_text', type: 'string', description: 'Anything.' },
      ],
    };
    const validate = ajv.compile(jsonSchema(responseSchema(spec)));
    const billing = answerOf(analyzeLine(line(RESOLVED_CALL.replace('March bill', 'March billing statement'), spec), fixed));
    expect(validate(billing)).toBe(true);
    expect(billing.department).toBe('billing');
    expect(billing.was_escalated).toBe(false);
    expect(billing.mentioned_entities).toEqual(expect.arrayContaining(['$84.20']));
    const escalated = answerOf(analyzeLine(line(ESCALATED_CALL, spec), fixed));
    expect(validate(escalated)).toBe(true);
    expect(escalated.was_escalated).toBe(true);
    expect(escalated.department).toBe('other');
    expect(escalated.churn_risk as number).toBeGreaterThan(billing.churn_risk as number);
    expect(escalated.satisfaction_score as number).toBeLessThan(billing.satisfaction_score as number);
  });

  it('stops at maxOutputTokens with finishReason MAX_TOKENS, as the model does', () => {
    const spec: AnalysisSpec = { ...DEFAULT_ANALYSIS, generationConfig: { ...DEFAULT_ANALYSIS.generationConfig, maxOutputTokens: 10 } };
    const out = analyzeLine(line(RESOLVED_CALL, spec), fixed);
    const candidate = out.response!.candidates[0]!;
    expect(candidate.finishReason).toBe('MAX_TOKENS');
    expect(candidate.content.parts[0]!.text).toHaveLength(40);
    expect(out.response!.usageMetadata.candidatesTokenCount).toBe(10);
    expect(() => JSON.parse(candidate.content.parts[0]!.text)).toThrow();
  });

  it('echoes the request in snake_case when asked, leaving label keys and field names alone', () => {
    const out = analyzeLine(line(RESOLVED_CALL), { ...fixed, echo: 'snake' });
    const echoed = out.request as Record<string, any>;
    expect(Object.keys(echoed).sort()).toEqual(['contents', 'generation_config', 'labels', 'system_instruction']);
    expect(echoed.labels).toEqual({ taprecord: 'rec-1' });
    expect(echoed.generation_config.response_mime_type).toBe('application/json');
    expect(Object.keys(echoed.generation_config.response_schema.properties)).toContain('customer_intent');
  });

  it('answers a malformed line or a line without a request with an error status and no response', () => {
    const broken = analyzeLine('{"request": ', fixed);
    expect(broken.status).toMatch(/Invalid JSON/);
    expect(broken.response).toBeUndefined();
    expect(analyzeLine('{"other":1}', fixed).status).toMatch(/no "request"/);
    expect(analyzeLine('{"request":{"contents":[]}}', fixed).status).toMatch(/contents/);
  });

  it('says so when a transcript is not in English', () => {
    const a = analyseTranscript(
      'Agente: Buenos días, ¿en qué puedo ayudarle?\nCliente: Quiero cambiar mi tarifa de internet porque es muy cara.',
    );
    expect(a.english).toBe(false);
    expect(a.summary).toMatch(/not appear to be in English/);
  });
});

describe('analyzeFile', () => {
  let dir: string;
  let store: FolderStore;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tap-an-'));
    store = new FolderStore(dir, 'work');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const input = (n: number) =>
    Array.from({ length: n }, (_, i) => line(i % 2 ? RESOLVED_CALL : ESCALATED_CALL, DEFAULT_ANALYSIS, `r${i}`)).join('\n') + '\n';

  it('writes one prediction per request under prediction-model-<timestamp>/, with totals', async () => {
    await store.writeText('b/attempt-1/input.jsonl', input(6));
    const result = await analyzeFile(store, 'b/attempt-1/input.jsonl', 'b/attempt-1/output/', fixed);
    expect(result.outputDirectory).toBe('b/attempt-1/output/prediction-model-2026-03-01T12:00:00.123Z');
    expect(result.predictionsPath).toBe(`${result.outputDirectory}/predictions.jsonl`);
    expect(await store.list('b/attempt-1/output/')).toEqual([result.predictionsPath]);
    const lines = (await store.readText(result.predictionsPath))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as PredictionLine);
    expect(lines.map((l) => (l.request as { labels: Record<string, string> }).labels.taprecord)).toEqual([
      'r0',
      'r1',
      'r2',
      'r3',
      'r4',
      'r5',
    ]);
    expect(result).toMatchObject({ lines: 6, succeeded: 6, failed: 0 });
    expect(result.promptTokens).toBe(lines.reduce((a, l) => a + l.response!.usageMetadata.promptTokenCount, 0));
    expect(result.candidatesTokens).toBe(lines.reduce((a, l) => a + l.response!.usageMetadata.candidatesTokenCount, 0));
  });

  it('lets a hook drop, replace or change lines', async () => {
    await store.writeText('in.jsonl', input(4));
    const result = await analyzeFile(store, 'in.jsonl', 'out', {
      ...fixed,
      onLine: (l, i) => (i === 0 ? null : i === 1 ? 'not json' : i === 2 ? { ...l, status: 'Internal error', response: undefined } : l),
    });
    const text = await store.readText(result.predictionsPath);
    const rows = text.trim().split('\n');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toBe('not json');
    expect(JSON.parse(rows[1]!).status).toBe('Internal error');
    expect(JSON.parse(rows[2]!).status).toBe('');
  });

  it('fails on a missing input and leaves no predictions', async () => {
    await expect(analyzeFile(store, 'missing.jsonl', 'out', fixed)).rejects.toThrow(/not found/);
    expect(await store.list('out/')).toEqual([]);
  });
});
