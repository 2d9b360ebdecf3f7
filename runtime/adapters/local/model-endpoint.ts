/**
 * The local analyzer's alternative: the same batch requests sent one by one to a real model
 * endpoint, the Gemini API (`POST {url}/models/{model}:generateContent`) or an OpenAI-compatible
 * server (`POST {url}/chat/completions`), with the answers written in Vertex AI's batch output
 * format, so the processor reads them as it reads Vertex's. For trying a prompt on real answers
 * before paying for a batch; off by default.
 */
import type { ObjectStore } from '../../core/ports';
import {
  answeredLine,
  failedLine,
  fieldOf,
  modelCandidate,
  modelResponse,
  partsOf,
  partText,
  readInputLine,
  usageMetadata,
  vertexTime,
  writePredictions,
  type ModelResponse,
  type PredictionLine,
  type PredictionsFileResult,
  type SchemaNode,
} from './vertex-batch-format';

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
  const processedTime = vertexTime((options.now ?? (() => new Date()))());
  const input = readInputLine(line);
  if ('status' in input) return failedLine(input.status, processedTime, input.echo);
  const { request } = input;
  const kind = options.kind ?? endpointKind(options.url);
  try {
    const response = kind === 'gemini' ? await callGemini(request, options) : await callOpenAi(request, options);
    return answeredLine(processedTime, request, response);
  } catch (e) {
    return failedLine(failureStatus(e), processedTime, request);
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
export async function answerFile(
  store: ObjectStore,
  inputPath: string,
  outputDir: string,
  options: ModelEndpointOptions,
): Promise<PredictionsFileResult> {
  return writePredictions(store, inputPath, outputDir, (text) => answerLine(text, options), {
    now: options.now,
    concurrency: options.concurrency ?? 4,
  });
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

/** The Gemini API takes the request as it is, minus `labels`, which only Vertex AI knows. */
async function callGemini(request: Record<string, unknown>, options: ModelEndpointOptions): Promise<ModelResponse> {
  const { labels: _labels, ...body } = request;
  const url = `${options.url.replace(/\/+$/, '')}/models/${encodeURIComponent(options.model)}:generateContent`;
  const answer = (await post(url, options.apiKey ? { 'x-goog-api-key': options.apiKey } : {}, body, options)) as {
    candidates?: ModelResponse['candidates'];
    usageMetadata?: Partial<ModelResponse['usageMetadata']>;
    modelVersion?: string;
  };
  const usage = answer.usageMetadata ?? {};
  return modelResponse(
    (answer.candidates ?? []).map((c) =>
      modelCandidate(
        (c.content?.parts ?? []).map((p) => p.text ?? ''),
        c.finishReason ?? 'STOP',
      ),
    ),
    answer.modelVersion ?? options.model,
    usageMetadata(usage.promptTokenCount ?? 0, usage.candidatesTokenCount ?? 0, usage.totalTokenCount ?? undefined),
  );
}

const FINISH_REASONS: Readonly<Record<string, string>> = { stop: 'STOP', length: 'MAX_TOKENS', content_filter: 'SAFETY' };

/** An OpenAI-compatible server gets the same prompt as chat messages and the schema as JSON Schema. */
async function callOpenAi(request: Record<string, unknown>, options: ModelEndpointOptions): Promise<ModelResponse> {
  const config = (fieldOf(request, 'generationConfig') ?? {}) as Record<string, unknown>;
  const system = messageText(fieldOf(request, 'systemInstruction'));
  const messages: Array<{ role: string; content: string }> = system ? [{ role: 'system', content: system }] : [];
  for (const c of (request.contents as Array<{ role?: string; parts?: unknown }> | undefined) ?? []) {
    messages.push({ role: c.role === 'model' ? 'assistant' : 'user', content: messageText(c) });
  }
  const schema = fieldOf(config, 'responseSchema') as SchemaNode | undefined;
  const setting = (name: string, as: string): Record<string, unknown> => {
    const value = fieldOf(config, name);
    return value !== undefined ? { [as]: value } : {};
  };
  const body: Record<string, unknown> = {
    model: options.model,
    messages,
    ...setting('temperature', 'temperature'),
    ...setting('topP', 'top_p'),
    ...setting('maxOutputTokens', 'max_tokens'),
    ...setting('seed', 'seed'),
    ...(schema ? { response_format: { type: 'json_schema', json_schema: { name: 'analysis', schema: jsonSchema(schema) } } } : {}),
  };
  const url = `${options.url.replace(/\/+$/, '')}/chat/completions`;
  const answer = (await post(url, options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}, body, options)) as {
    model?: string;
    choices?: Array<{ message?: { content?: string | null }; finish_reason?: string }>;
    usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number };
  };
  return modelResponse(
    (answer.choices ?? [])
      .slice(0, 1)
      .map((c) =>
        modelCandidate([c.message?.content ?? ''], FINISH_REASONS[c.finish_reason ?? 'stop'] ?? String(c.finish_reason).toUpperCase()),
      ),
    answer.model ?? options.model,
    usageMetadata(answer.usage?.prompt_tokens ?? 0, answer.usage?.completion_tokens ?? 0, answer.usage?.total_tokens ?? undefined),
  );
}

/** A content's text parts, as one chat message: the non-empty ones, one per line. */
function messageText(content: unknown): string {
  return partsOf(content)
    .map(partText)
    .filter((t) => t !== undefined && t !== '')
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
