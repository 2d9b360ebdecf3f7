/**
 * The local analyzer's alternative: the same batch requests sent one by one to a real model
 * endpoint, the Gemini API (`POST {url}/models/{model}:generateContent`) or an OpenAI-compatible
 * server (`POST {url}/chat/completions`), with the answers written in Vertex AI's batch output
 * format, so the processor reads them as it reads Vertex's. For trying a prompt on real answers
 * before paying for a batch; off by default.
 */
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ObjectStore } from '../../core/ports';
import type { AnalyzeFileResult, PredictionLine, SchemaNode } from './analyzer';

export type EndpointKind = 'gemini' | 'openai';

export interface ModelEndpointOptions {
  /**
   * Base URL: for the Gemini API the version root (`https://…/v1beta`), for an OpenAI-compatible
   * server its `/v1` root.
   */
  readonly url: string;
  /** @default - `openai` when the URL ends in `/v1` or holds `openai`, else `gemini` */
  readonly kind?: EndpointKind;
  /** Model id, e.g. `gemini-2.5-flash` (batch requests do not carry it: the Vertex job does). */
  readonly model: string;
  /** Sent as `x-goog-api-key` (Gemini) or `Authorization: Bearer` (OpenAI). @default - none */
  readonly apiKey?: string;
  /** Requests in flight at once. @default 4 */
  readonly concurrency?: number;
  /** @default - the global fetch */
  readonly fetch?: typeof fetch;
  /** @default - the system clock */
  readonly now?: () => Date;
  /** Per request, in milliseconds. @default 120000 */
  readonly timeoutMs?: number;
}

/** The endpoint kind a URL most likely is. */
export function endpointKind(url: string): EndpointKind {
  return /\/v1\/?$|openai/i.test(url) ? 'openai' : 'gemini';
}

/** Sends one batch input line to the endpoint and answers with a Vertex AI output line. Never throws. */
export async function answerLine(line: string, options: ModelEndpointOptions): Promise<PredictionLine> {
  const processed_time = (options.now ?? (() => new Date()))().toISOString().replace('Z', '+00:00');
  let request: Record<string, unknown>;
  try {
    const parsed = JSON.parse(line) as { request?: unknown };
    if (parsed === null || typeof parsed.request !== 'object' || parsed.request === null) throw new Error('no "request" object');
    request = parsed.request as Record<string, unknown>;
  } catch (e) {
    return { status: `Invalid input line: ${(e as Error).message}`, processed_time, request: line };
  }
  const kind = options.kind ?? endpointKind(options.url);
  try {
    const response = kind === 'gemini' ? await callGemini(request, options) : await callOpenAi(request, options);
    return { status: '', processed_time, request, response };
  } catch (e) {
    return { status: failureStatus(e), processed_time, request };
  }
}

/** An HTTP answer that is not a success. */
class EndpointHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(`HTTP ${status}: ${message}`);
  }
}

/**
 * The line's `status` for a failed call, led by the gRPC canonical code it amounts to, so that the
 * processor tells an unreachable or overloaded model (UNAVAILABLE, RESOURCE_EXHAUSTED,
 * DEADLINE_EXCEEDED: not the record's fault) from a request the model refused (INVALID_ARGUMENT).
 */
function failureStatus(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof EndpointHttpError) {
    if (e.status === 429) return `RESOURCE_EXHAUSTED: ${message}`;
    if (e.status >= 500) return `UNAVAILABLE: ${message}`;
    return `INVALID_ARGUMENT: ${message}`;
  }
  const name = e instanceof Error ? e.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') return `DEADLINE_EXCEEDED: the model endpoint did not answer in time: ${message}`;
  if (e instanceof SyntaxError) return `INTERNAL: the model endpoint answered with something that is not JSON: ${message}`;
  return `UNAVAILABLE: the model endpoint could not be reached: ${message}`;
}

/**
 * Answers every line of `inputPath` into `outputDir/prediction-model-<timestamp>/predictions.jsonl`
 * through the endpoint, `concurrency` requests at a time (output order is not input order, as with
 * Vertex AI).
 */
export async function answerFile(store: ObjectStore, inputPath: string, outputDir: string, options: ModelEndpointOptions): Promise<AnalyzeFileResult> {
  const now = options.now ?? (() => new Date());
  const outputDirectory = `${outputDir.replace(/\/+$/, '')}/prediction-model-${now().toISOString()}`;
  const predictionsPath = `${outputDirectory}/predictions.jsonl`;
  const out = store.openWrite(predictionsPath);
  const limit = Math.max(1, options.concurrency ?? 4);
  const inFlight = new Set<Promise<void>>();
  const totals = { lines: 0, succeeded: 0, failed: 0, promptTokens: 0, candidatesTokens: 0 };
  const write = async (l: PredictionLine): Promise<void> => {
    if (l.response) {
      totals.succeeded++;
      totals.promptTokens += l.response.usageMetadata.promptTokenCount;
      totals.candidatesTokens += l.response.usageMetadata.candidatesTokenCount;
    } else {
      totals.failed++;
    }
    if (!out.write(`${JSON.stringify(l)}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  try {
    for await (const text of lines(store.openRead(inputPath))) {
      if (text.trim() === '') continue;
      totals.lines++;
      const task: Promise<void> = answerLine(text, options)
        .then(write)
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
      if (inFlight.size >= limit) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } catch (e) {
    const closed = finished(out).catch(() => undefined);
    out.destroy(e as Error);
    await closed;
    throw e;
  }
  await new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.end(() => resolve());
  });
  return { outputDirectory, predictionsPath, ...totals };
}

async function* lines(input: Readable): AsyncGenerator<string> {
  input.setEncoding('utf8');
  let rest = '';
  for await (const chunk of input as AsyncIterable<string>) {
    rest += chunk;
    const parts = rest.split('\n');
    rest = parts.pop()!;
    yield* parts;
  }
  if (rest !== '') yield rest;
}

async function post(url: string, headers: Record<string, string>, body: unknown, options: ModelEndpointOptions): Promise<unknown> {
  const doFetch = options.fetch ?? fetch;
  const res = await doFetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 120_000),
  });
  const text = await res.text();
  if (!res.ok) {
    let message = text.slice(0, 500);
    try {
      const parsed = JSON.parse(text) as { error?: { message?: string } };
      if (parsed.error?.message) message = parsed.error.message;
    } catch {
      /* not JSON: keep the text */
    }
    throw new EndpointHttpError(res.status, message);
  }
  return JSON.parse(text) as unknown;
}

type VertexResponse = NonNullable<PredictionLine['response']>;

/** The Gemini API takes the request as it is, minus `labels`, which only Vertex AI knows. */
async function callGemini(request: Record<string, unknown>, options: ModelEndpointOptions): Promise<VertexResponse> {
  const { labels: _labels, ...body } = request;
  const url = `${options.url.replace(/\/+$/, '')}/models/${encodeURIComponent(options.model)}:generateContent`;
  const answer = (await post(url, options.apiKey ? { 'x-goog-api-key': options.apiKey } : {}, body, options)) as {
    candidates?: VertexResponse['candidates'];
    usageMetadata?: Partial<VertexResponse['usageMetadata']>;
    modelVersion?: string;
  };
  const usage = answer.usageMetadata ?? {};
  const promptTokenCount = usage.promptTokenCount ?? 0;
  const candidatesTokenCount = usage.candidatesTokenCount ?? 0;
  return {
    candidates: (answer.candidates ?? []).map((c) => ({
      content: { role: 'model', parts: (c.content?.parts ?? []).map((p) => ({ text: p.text ?? '' })) },
      finishReason: c.finishReason ?? 'STOP',
    })),
    modelVersion: answer.modelVersion ?? options.model,
    usageMetadata: { promptTokenCount, candidatesTokenCount, totalTokenCount: usage.totalTokenCount ?? promptTokenCount + candidatesTokenCount },
  };
}

const FINISH_REASONS: Readonly<Record<string, string>> = { stop: 'STOP', length: 'MAX_TOKENS', content_filter: 'SAFETY' };

/** An OpenAI-compatible server gets the same prompt as chat messages and the schema as JSON Schema. */
async function callOpenAi(request: Record<string, unknown>, options: ModelEndpointOptions): Promise<VertexResponse> {
  const config = (request.generationConfig ?? {}) as Record<string, unknown>;
  const system = textOf((request.systemInstruction as { parts?: unknown } | undefined)?.parts);
  const messages: Array<{ role: string; content: string }> = system ? [{ role: 'system', content: system }] : [];
  for (const c of (request.contents as Array<{ role?: string; parts?: unknown }> | undefined) ?? []) {
    messages.push({ role: c.role === 'model' ? 'assistant' : 'user', content: textOf(c.parts) });
  }
  const schema = config.responseSchema as SchemaNode | undefined;
  const body: Record<string, unknown> = {
    model: options.model,
    messages,
    ...(config.temperature !== undefined ? { temperature: config.temperature } : {}),
    ...(config.topP !== undefined ? { top_p: config.topP } : {}),
    ...(config.maxOutputTokens !== undefined ? { max_tokens: config.maxOutputTokens } : {}),
    ...(config.seed !== undefined ? { seed: config.seed } : {}),
    ...(schema ? { response_format: { type: 'json_schema', json_schema: { name: 'analysis', schema: jsonSchema(schema) } } } : {}),
  };
  const url = `${options.url.replace(/\/+$/, '')}/chat/completions`;
  const answer = (await post(url, options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}, body, options)) as {
    model?: string;
    choices?: Array<{ message?: { content?: string | null }; finish_reason?: string }>;
    usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number };
  };
  const promptTokenCount = answer.usage?.prompt_tokens ?? 0;
  const candidatesTokenCount = answer.usage?.completion_tokens ?? 0;
  return {
    candidates: (answer.choices ?? []).slice(0, 1).map((c) => ({
      content: { role: 'model', parts: [{ text: c.message?.content ?? '' }] },
      finishReason: FINISH_REASONS[c.finish_reason ?? 'stop'] ?? String(c.finish_reason).toUpperCase(),
    })),
    modelVersion: answer.model ?? options.model,
    usageMetadata: { promptTokenCount, candidatesTokenCount, totalTokenCount: answer.usage?.total_tokens ?? promptTokenCount + candidatesTokenCount },
  };
}

function textOf(parts: unknown): string {
  return (Array.isArray(parts) ? parts : [])
    .map((p) => (typeof (p as { text?: unknown })?.text === 'string' ? (p as { text: string }).text : ''))
    .filter((t) => t !== '')
    .join('\n');
}

/** Gemini's OpenAPI-subset `responseSchema` as a JSON Schema. */
export function jsonSchema(s: SchemaNode): Record<string, unknown> {
  const type = String(s.type ?? 'STRING').toLowerCase();
  const out: Record<string, unknown> = { type };
  if (s.description) out.description = s.description;
  if (s.enum) out.enum = [...s.enum];
  if (s.items) out.items = jsonSchema(s.items);
  if (s.properties) {
    out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, jsonSchema(v)]));
    out.required = [...(s.required ?? [])];
    out.additionalProperties = false;
  }
  return out;
}
