/**
 * Reading Vertex AI batch prediction output lines (`{"status", "processed_time", "request",
 * "response"}`) into a validated answer or one of the error types of the taxonomy. Key names are
 * read in camelCase or snake_case, since the echoed request (and possibly the response) come back
 * re-serialised.
 */
import { AnalysisField, AnalysisSpec, ErrorType } from '../contract';
import { parseRecordMarker, RECORD_LABEL } from './requests';

export interface TokenUsage {
  readonly promptTokens: number | null;
  readonly outputTokens: number | null;
  readonly totalTokens: number | null;
}

export type Outcome =
  | {
      readonly kind: 'success';
      readonly values: Readonly<Record<string, unknown>>;
      readonly usage: TokenUsage;
      readonly finishReason: string | null;
      readonly modelVersion: string | null;
    }
  | { readonly kind: 'error'; readonly type: ErrorType; readonly message: string; readonly usage: TokenUsage };

/** A parsed output line: how to find its record, and what it says. */
export interface Prediction {
  /** The `taprecord` label value, when the echoed request kept its labels. */
  readonly label: string | undefined;
  /** The record id from the prompt's marker part, when found. */
  readonly markerId: string | undefined;
  readonly outcome: Outcome;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const SNAKE = new Map<string, string>();

function snake(name: string): string {
  let out = SNAKE.get(name);
  if (out === undefined) SNAKE.set(name, (out = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)));
  return out;
}

/** `obj.fooBar` or `obj.foo_bar`. */
function get(obj: unknown, camel: string): unknown {
  if (!isObject(obj)) return undefined;
  return camel in obj ? obj[camel] : obj[snake(camel)];
}

function int(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return null;
}

function usageOf(response: unknown): TokenUsage {
  const usage = get(response, 'usageMetadata');
  return {
    promptTokens: int(get(usage, 'promptTokenCount')),
    outputTokens: int(get(usage, 'candidatesTokenCount')),
    totalTokens: int(get(usage, 'totalTokenCount')),
  };
}

const NO_USAGE: TokenUsage = { promptTokens: null, outputTokens: null, totalTokens: null };

/** finishReason values that mean a safety or policy filter stopped the answer. */
const SAFETY_REASONS = new Set(['SAFETY', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']);

function recordKeys(request: unknown): { label: string | undefined; markerId: string | undefined } {
  let label: string | undefined;
  const labels = get(request, 'labels');
  if (isObject(labels)) {
    const value = labels[RECORD_LABEL];
    if (typeof value === 'string') label = value;
  }
  let markerId: string | undefined;
  const contents = get(request, 'contents');
  if (Array.isArray(contents)) {
    for (const content of contents) {
      const parts = get(content, 'parts');
      if (!Array.isArray(parts)) continue;
      for (let i = parts.length - 1; i >= 0 && markerId === undefined; i--) {
        const text = get(parts[i], 'text');
        if (typeof text === 'string') markerId = parseRecordMarker(text);
      }
    }
  }
  return { label, markerId };
}

function statusMessage(status: unknown): string | undefined {
  if (status === undefined || status === null || status === '') return undefined;
  if (typeof status === 'string') return status;
  if (isObject(status) && Object.keys(status).length === 0) return undefined;
  return JSON.stringify(status);
}

/** Checks one field's value; returns what is wrong, or undefined. */
function checkField(field: AnalysisField, value: unknown): string | undefined {
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string') return `${field.name} must be a string, got ${JSON.stringify(value)}`;
      if (field.enum && !field.enum.includes(value)) return `${field.name} must be one of ${field.enum.join(', ')}, got "${value}"`;
      return undefined;
    case 'integer':
      return Number.isInteger(value) ? undefined : `${field.name} must be an integer, got ${JSON.stringify(value)}`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
        ? undefined
        : `${field.name} must be a number, got ${JSON.stringify(value)}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${field.name} must be true or false, got ${JSON.stringify(value)}`;
    case 'string_array':
      return Array.isArray(value) && value.every((v) => typeof v === 'string')
        ? undefined
        : `${field.name} must be a list of strings, got ${JSON.stringify(value)}`;
  }
}

/** Validates the model's JSON text against the declared fields. */
export function validateAnswer(
  spec: AnalysisSpec,
  text: string,
): { ok: true; values: Record<string, unknown> } | { ok: false; type: ErrorType; message: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { ok: false, type: 'json_parse_error', message: `the answer is not JSON: ${(e as Error).message}` };
  }
  if (!isObject(parsed)) return { ok: false, type: 'schema_violation', message: 'the answer is not a JSON object' };
  const missing = spec.fields.filter((f) => f.required && (parsed as Json)[f.name] == null).map((f) => f.name);
  if (missing.length > 0) return { ok: false, type: 'missing_summary', message: `required field(s) missing: ${missing.join(', ')}` };
  const values: Record<string, unknown> = {};
  for (const field of spec.fields) {
    const value = parsed[field.name];
    if (value == null) {
      values[field.name] = field.type === 'string_array' ? [] : null;
      continue;
    }
    const problem = checkField(field, value);
    if (problem) return { ok: false, type: 'schema_violation', message: problem };
    values[field.name] = value;
  }
  return { ok: true, values };
}

/**
 * An output line's `status` that says the model could not be reached or was overloaded, rather than
 * that this request was wrong: gRPC canonical codes of the service's side, HTTP 429 and 5xx, and a
 * network failure before any answer. Vertex AI's exact wording of a line's status is not documented,
 * so the codes are looked for as words anywhere in it.
 */
const UNAVAILABLE_STATUS =
  /\b(UNAVAILABLE|RESOURCE_EXHAUSTED|DEADLINE_EXCEEDED|INTERNAL|ABORTED|UNKNOWN)\b|\bHTTP (429|5\d\d)\b|\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN)\b|fetch failed|socket hang up/;

/** The error type of a line whose `status` carries an error. */
export function statusErrorType(status: string): ErrorType {
  return UNAVAILABLE_STATUS.test(status) ? 'model_unavailable' : 'vertex_ai_error';
}

/** Reads one output line. Returns undefined for a line that is not a JSON object at all. */
export function parsePrediction(spec: AnalysisSpec, line: string): Prediction | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isObject(doc)) return undefined;
  const keys = recordKeys(doc.request);
  const response = doc.response;
  const usage = isObject(response) ? usageOf(response) : NO_USAGE;
  const error = (type: ErrorType, message: string): Prediction => ({ ...keys, outcome: { kind: 'error', type, message, usage } });

  const status = statusMessage(doc.status);
  if (status !== undefined) return error(statusErrorType(status), status.slice(0, 1000));
  if (!isObject(response)) return error('vertex_ai_error', 'the line has no response');

  const blockReason = get(get(response, 'promptFeedback'), 'blockReason');
  const candidates = get(response, 'candidates');
  const candidate = Array.isArray(candidates) ? candidates[0] : undefined;
  if (typeof blockReason === 'string' && blockReason !== '' && blockReason !== 'BLOCKED_REASON_UNSPECIFIED') {
    return error('safety_blocked', `prompt blocked: ${blockReason}`);
  }
  if (!isObject(candidate)) return error('vertex_ai_error', 'the response has no candidate');
  const finishReason = get(candidate, 'finishReason');
  const reason = typeof finishReason === 'string' ? finishReason : null;
  if (reason !== null && SAFETY_REASONS.has(reason)) return error('safety_blocked', `answer blocked: ${reason}`);
  if (reason === 'MAX_TOKENS') return error('truncated', 'finishReason MAX_TOKENS: the answer was cut off');

  const parts = get(get(candidate, 'content'), 'parts');
  const text = Array.isArray(parts)
    ? parts
        .filter((p) => get(p, 'thought') !== true)
        .map((p) => get(p, 'text'))
        .filter((t): t is string => typeof t === 'string')
        .join('')
    : '';
  if (text === '') {
    if (reason !== null && reason !== 'STOP') return error('vertex_ai_error', `no text; finishReason ${reason}`);
    return error('json_parse_error', 'the answer is empty');
  }
  const answer = validateAnswer(spec, text);
  if (!answer.ok) return error(answer.type, answer.message);
  const modelVersion = get(response, 'modelVersion');
  return {
    ...keys,
    outcome: {
      kind: 'success',
      values: answer.values,
      usage,
      finishReason: reason,
      modelVersion: typeof modelVersion === 'string' ? modelVersion : null,
    },
  };
}
