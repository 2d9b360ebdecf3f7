/**
 * Vertex AI batch prediction's file format for Gemini, as the local stand-ins for the model speak it:
 * the local analyzer and the model endpoint adapter read request lines and write prediction lines
 * through this module only.
 *
 * Input: a JSON Lines object, one `{"request": GenerateContentRequest}` per line, "following the
 * same format for Gemini API" (plus Vertex AI's `labels`). Output: a `prediction-model-<timestamp>/`
 * folder under the job's `outputUriPrefix` holding `predictions.jsonl`, one line per request,
 * `{"status": "", "processed_time": "…+00:00", "request": {echo}, "response": GenerateContentResponse}`;
 * "for succeeded rows, model responses are stored in the `response` field. Otherwise, error details
 * are stored in the `status` field".
 *
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/multimodal/batch-prediction-from-cloud-storage
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/batch-prediction-api
 */
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ObjectStore } from '../../core/ports';

/** The subset of a Gemini `responseSchema` (an OpenAPI subset) that the local stand-ins read. */
export interface SchemaNode {
  readonly type?: string;
  readonly enum?: readonly string[];
  readonly items?: SchemaNode;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly propertyOrdering?: readonly string[];
  readonly required?: readonly string[];
  readonly description?: string;
}

/** One candidate of a GenerateContentResponse. */
export interface ModelCandidate {
  content: { role: 'model'; parts: Array<{ text: string }> };
  finishReason: string;
}

/** A GenerateContentResponse's `usageMetadata`. */
export interface UsageMetadata {
  promptTokenCount: number;
  candidatesTokenCount: number;
  totalTokenCount: number;
}

/** The `response` of a prediction line: the GenerateContentResponse. */
export interface ModelResponse {
  candidates: ModelCandidate[];
  modelVersion: string;
  usageMetadata: UsageMetadata;
}

/** One line of Vertex AI batch output. */
export interface PredictionLine {
  status: string;
  processed_time: string;
  request: unknown;
  response?: ModelResponse;
}

/** A successful prediction line. */
export function answeredLine(processedTime: string, request: unknown, response: ModelResponse): PredictionLine {
  return { status: '', processed_time: processedTime, request, response };
}

/** A failed prediction line: the `status` says why, and there is no `response`. */
export function failedLine(status: string, processedTime: string, request: unknown): PredictionLine {
  return { status, processed_time: processedTime, request };
}

/** A GenerateContentResponse. */
export function modelResponse(candidates: ModelCandidate[], modelVersion: string, usage: UsageMetadata): ModelResponse {
  return { candidates, modelVersion, usageMetadata: usage };
}

/** A candidate answering `texts`, one part each. */
export function modelCandidate(texts: readonly string[], finishReason: string): ModelCandidate {
  return { content: { role: 'model', parts: texts.map((text) => ({ text })) }, finishReason };
}

/** Token counts; the total is their sum unless the model reported its own. */
export function usageMetadata(
  promptTokenCount: number,
  candidatesTokenCount: number,
  totalTokenCount = promptTokenCount + candidatesTokenCount,
): UsageMetadata {
  return { promptTokenCount, candidatesTokenCount, totalTokenCount };
}

/** `2024-11-13T14:04:28.376+00:00`, the form of Vertex AI's `processed_time`. */
export function vertexTime(d: Date): string {
  return d.toISOString().replace('Z', '+00:00');
}

/** An input line's request, or why the line has none (with what to echo as its `request`). */
export type InputLine = { readonly request: Record<string, unknown> } | { readonly status: string; readonly echo: unknown };

/** Reads one input line, text or already parsed. */
export function readInputLine(line: string | unknown): InputLine {
  let parsed: unknown = line;
  if (typeof line === 'string') {
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      return { status: `Invalid JSON in the input line: ${(e as Error).message}`, echo: line };
    }
  }
  const request = (parsed as { request?: unknown } | null)?.request;
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    return { status: 'The input line has no "request" object.', echo: request ?? null };
  }
  return { request: request as Record<string, unknown> };
}

/**
 * A field of the request, by its camelCase name or its snake_case one: Vertex AI takes either, and
 * re-serialised requests come back in snake_case.
 */
export function fieldOf(o: Record<string, unknown>, camelName: string): unknown {
  return o[camelName] ?? o[snakeCase(camelName)];
}

/** The text of a content part, when it is a text part. */
export function partText(part: unknown): string | undefined {
  const text = (part as { text?: unknown } | null | undefined)?.text;
  return typeof text === 'string' ? text : undefined;
}

/** The parts of a `Content` (`contents[i]`, `systemInstruction`). */
export function partsOf(content: unknown): unknown[] {
  const parts = (content as { parts?: unknown } | null | undefined)?.parts;
  return Array.isArray(parts) ? parts : [];
}

/** The record-id marker parts the generator adds; they are not transcript. */
const MARKER_PART = /^\s*\[record:[A-Za-z0-9_-]+\]\s*$/;

/** What the user says in `contents`, one line per text part, without the record-id marker parts. */
export function userTextOf(contents: unknown[]): string {
  const texts: string[] = [];
  for (const c of contents) {
    if ((c as { role?: unknown }).role !== undefined && (c as { role?: unknown }).role !== 'user') continue;
    for (const p of partsOf(c)) {
      const text = partText(p);
      if (text !== undefined && !MARKER_PART.test(text)) texts.push(text);
    }
  }
  return texts.join('\n');
}

/** The transcript inside a prompt: what follows a `Transcript:` heading, or the whole text. */
export function transcriptOf(prompt: string): string {
  const match = /(^|\n)[ \t]*transcript[ \t]*:[ \t]*\n?/gi;
  let last = -1;
  for (let m = match.exec(prompt); m; m = match.exec(prompt)) last = m.index + m[0].length;
  return (last >= 0 ? prompt.slice(last) : prompt).trim();
}

/** Keys in snake_case, except the keys of maps (labels, schema properties), which are data. */
export function snakeKeys(value: unknown, parentKey = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => snakeKeys(v, ''));
  if (value === null || typeof value !== 'object') return value;
  const isMap = parentKey === 'labels' || parentKey === 'properties';
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = isMap ? k : snakeCase(k);
    out[key] = snakeKeys(v, isMap ? '' : key);
  }
  return out;
}

function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The lines of a stream, without their `\r\n` or `\n`; unlike `readline`, it rejects when the stream fails. */
export async function* linesOf(input: Readable): AsyncGenerator<string> {
  input.setEncoding('utf8');
  let rest = '';
  for await (const chunk of input as AsyncIterable<string>) {
    rest += chunk;
    let nl = rest.indexOf('\n');
    let from = 0;
    while (nl >= 0) {
      yield rest.slice(from, nl).replace(/\r$/, '');
      from = nl + 1;
      nl = rest.indexOf('\n', from);
    }
    rest = rest.slice(from);
  }
  if (rest !== '') yield rest.replace(/\r$/, '');
}

export interface PredictionsFileOptions {
  /** The clock for the output folder's name. @default - the system clock */
  readonly now?: () => Date;
  /**
   * Lines answered at once. Above 1, output order is not input order, as with Vertex AI.
   * @default 1
   */
  readonly concurrency?: number;
  /**
   * Called with every output line before it is written: return it (changed or not), a raw string
   * to write instead, or null to drop it. The counts are of the lines as answered.
   */
  readonly onLine?: (line: PredictionLine, index: number) => PredictionLine | string | null;
}

export interface PredictionsFileResult {
  /** The `prediction-model-<timestamp>` folder (Vertex AI's `outputInfo.gcsOutputDirectory`). */
  readonly outputDirectory: string;
  /** The predictions object. */
  readonly predictionsPath: string;
  /** Input lines read. */
  readonly lines: number;
  /** Lines answered with a response. */
  readonly succeeded: number;
  /** Lines answered with an error status. */
  readonly failed: number;
  readonly promptTokens: number;
  readonly candidatesTokens: number;
}

/**
 * Answers every non-blank line of `inputPath` with `answer`, into
 * `outputDir/prediction-model-<timestamp>/predictions.jsonl`, as a Vertex AI batch prediction job
 * does with its `outputUriPrefix`. Streams both objects.
 */
export async function writePredictions(
  store: ObjectStore,
  inputPath: string,
  outputDir: string,
  answer: (line: string) => PredictionLine | Promise<PredictionLine>,
  options: PredictionsFileOptions = {},
): Promise<PredictionsFileResult> {
  const now = options.now ?? (() => new Date());
  const outputDirectory = `${outputDir.replace(/\/+$/, '')}/prediction-model-${now().toISOString()}`;
  const predictionsPath = `${outputDirectory}/predictions.jsonl`;
  const out = store.openWrite(predictionsPath);
  const input = store.openRead(inputPath);
  const limit = Math.max(1, options.concurrency ?? 1);
  const totals = { lines: 0, succeeded: 0, failed: 0, promptTokens: 0, candidatesTokens: 0 };
  const write = (s: string): Promise<void> | undefined =>
    out.write(s)
      ? undefined
      : new Promise<void>((resolve, reject) => {
          const onError = (e: Error): void => reject(e);
          out.once('error', onError);
          out.once('drain', () => {
            out.off('error', onError);
            resolve();
          });
        });
  const emit = async (line: PredictionLine, index: number): Promise<void> => {
    if (line.response) {
      totals.succeeded++;
      totals.promptTokens += line.response.usageMetadata.promptTokenCount;
      totals.candidatesTokens += line.response.usageMetadata.candidatesTokenCount;
    } else {
      totals.failed++;
    }
    const shaped = options.onLine ? options.onLine(line, index) : line;
    // A line answered after the output failed has nowhere to go.
    if (shaped === null || out.destroyed) return;
    await write(`${typeof shaped === 'string' ? shaped : JSON.stringify(shaped)}\n`);
  };
  // Tasks never reject, so that one still in flight when another fails is not an unhandled rejection.
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  try {
    for await (const text of linesOf(input)) {
      if (text.trim() === '') continue;
      const index = totals.lines++;
      const task: Promise<void> = (async () => emit(await answer(text), index))()
        .catch((error: unknown) => void (failure ??= { error }))
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
      if (inFlight.size >= limit) await Promise.race(inFlight);
      if (failure) throw failure.error;
    }
    await Promise.all(inFlight);
    if (failure) throw failure.error;
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
