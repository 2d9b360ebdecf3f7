/**
 * Gemini batch requests: one JSONL line per record, each carrying its record id twice, so that a
 * prediction can be matched to its record without relying on line order:
 * - in `request.labels` under a key with no `_` (`taprecord`), which reads the same whether the
 *   echoed request comes back in snake_case or camelCase; label values allow only `[a-z0-9_-]`, up
 *   to 63 characters, so other ids are carried as a hash of the id;
 * - as a short last text part of the prompt, `[record:<base64url id>]`, a value that survives any
 *   re-serialisation of the keys around it.
 */
import { createHash } from 'node:crypto';
import { AnalysisSpec, responseSchema, ResponseSchema } from '../contract';

export const RECORD_LABEL = 'taprecord';
const LABEL_VALUE = /^[a-z0-9_-]{1,63}$/;
const MARKER = /\[record:([A-Za-z0-9_-]+)\]/;

/** The label value that stands for a record id. */
export function recordLabel(recordId: string): string {
  if (LABEL_VALUE.test(recordId)) return recordId;
  return `h-${createHash('sha256').update(recordId).digest('hex').slice(0, 40)}`;
}

export function recordMarker(recordId: string): string {
  return `[record:${Buffer.from(recordId, 'utf8').toString('base64url')}]`;
}

/** The record id a marker part carries, if any text holds one. */
export function parseRecordMarker(text: string): string | undefined {
  const match = MARKER.exec(text);
  return match ? Buffer.from(match[1]!, 'base64url').toString('utf8') : undefined;
}

/** One source row as the generator reads it. */
export interface SourceRecord {
  readonly recordId: string;
  readonly transcript: string | null;
  /** Other source columns the prompt template names. */
  readonly columns?: Readonly<Record<string, string | null>>;
}

/** The parts of a request that do not depend on the record, computed once per batch. */
export interface RequestTemplate {
  readonly spec: AnalysisSpec;
  /** The serialised `systemInstruction` and `generationConfig`, reused for every line. */
  readonly head: string;
}

export function requestTemplate(spec: AnalysisSpec): RequestTemplate {
  const schema: ResponseSchema = responseSchema(spec);
  const systemInstruction = { parts: [{ text: spec.systemInstruction }] };
  const generationConfig = { ...spec.generationConfig, responseMimeType: 'application/json', responseSchema: schema };
  return {
    spec,
    head: `"systemInstruction":${JSON.stringify(systemInstruction)},"generationConfig":${JSON.stringify(generationConfig)}`,
  };
}

/** The prompt of a record: `{transcript}`, `{column}` and a chained analysis's `{analysis.field}` placeholders replaced. */
export function renderPrompt(template: string, record: SourceRecord): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\}/g, (whole, name: string) => {
    if (name === 'transcript') return record.transcript ?? '';
    const columns = record.columns ?? {};
    return name in columns ? (columns[name] ?? '') : whole;
  });
}

/**
 * One line of `input.jsonl` (without the newline): `{"request": GenerateContentRequest}` with REST
 * JSON names, as Vertex AI batch prediction from Cloud Storage takes it.
 */
export function requestLine(template: RequestTemplate, record: SourceRecord): string {
  const contents = [
    { role: 'user', parts: [{ text: renderPrompt(template.spec.promptTemplate, record) }, { text: recordMarker(record.recordId) }] },
  ];
  const labels = { [RECORD_LABEL]: recordLabel(record.recordId) };
  return `{"request":{"contents":${JSON.stringify(contents)},${template.head},"labels":${JSON.stringify(labels)}}}`;
}

export interface GenerationLimits {
  readonly maxTranscriptChars: number;
  readonly maxRequestBytes: number;
}

/** What the generator does with a record: a request line, or a permanent error instead. */
export type Generated =
  | { readonly kind: 'request'; readonly line: string; readonly bytes: number }
  | { readonly kind: 'error'; readonly type: 'empty_transcript' | 'input_too_large'; readonly message: string };

export function generate(template: RequestTemplate, record: SourceRecord, limits: GenerationLimits): Generated {
  const transcript = record.transcript ?? '';
  if (transcript.trim() === '') {
    return {
      kind: 'error',
      type: 'empty_transcript',
      message: record.transcript === null ? 'no source row or a null transcript' : 'the transcript is blank',
    };
  }
  if (transcript.length > limits.maxTranscriptChars) {
    return {
      kind: 'error',
      type: 'input_too_large',
      message: `the transcript has ${transcript.length} characters; the limit is ${limits.maxTranscriptChars}`,
    };
  }
  const line = requestLine(template, record);
  const bytes = Buffer.byteLength(line, 'utf8') + 1;
  if (bytes > limits.maxRequestBytes) {
    return { kind: 'error', type: 'input_too_large', message: `the request is ${bytes} bytes; the limit is ${limits.maxRequestBytes}` };
  }
  return { kind: 'request', line, bytes };
}
