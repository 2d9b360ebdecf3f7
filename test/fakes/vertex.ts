/**
 * A stand-in for a Vertex AI batch prediction job over Cloud Storage: reads `input.jsonl`, and
 * writes output lines in the documented shape (`{"status":"","processed_time":…,"request":{echo},
 * "response":{"candidates":[{"content":{"parts":[{"text":…}],"role":"model"},"finishReason":"STOP"}],
 * "modelVersion":…,"usageMetadata":{"promptTokenCount":…,"candidatesTokenCount":…,"totalTokenCount":…}}}`)
 * under `{outputUriPrefix}/prediction-model-<ts>/`, in several files and out of order if asked.
 */
import { parseGsUri } from '../../runtime/contract';
import type { ManifestDocument } from '../../runtime/contract';
import { parseRecordMarker } from '../../runtime/core/requests';
import type { ObjectStore } from '../../runtime/core/ports';

export type Behaviour =
  | { kind: 'ok'; answer?: Record<string, unknown> }
  | { kind: 'text'; text: string; finishReason?: string }
  | { kind: 'status'; status: unknown }
  | { kind: 'safety' }
  | { kind: 'max_tokens' }
  | { kind: 'drop' }
  | { kind: 'twice'; first: Behaviour; second: Behaviour };

export const OK_ANSWER = { summary: 'The customer asked about a bill; the agent fixed it.', sentiment: 'positive', topics: ['billing'] };

/** Re-serialises keys to snake_case, as the echoed request may come back. */
export function snakeKeys(value: unknown, inMap = false): unknown {
  if (Array.isArray(value)) return value.map((v) => snakeKeys(v));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const key = inMap ? k : k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      out[key] = snakeKeys(v, k === 'labels');
    }
    return out;
  }
  return value;
}

export function outputLine(request: unknown, behaviour: Behaviour): string[] {
  const usage = { promptTokenCount: 100, candidatesTokenCount: 20, totalTokenCount: 120 };
  const base = { status: '', processed_time: '2026-11-28T10:00:00.000+00:00', request };
  const answer = (text: string, finishReason = 'STOP') => ({
    ...base,
    response: {
      candidates: [{ content: { parts: [{ text }], role: 'model' }, finishReason }],
      modelVersion: 'gemini-2.5-flash-001',
      usageMetadata: usage,
    },
  });
  switch (behaviour.kind) {
    case 'ok':
      return [JSON.stringify(answer(JSON.stringify(behaviour.answer ?? OK_ANSWER)))];
    case 'text':
      return [JSON.stringify(answer(behaviour.text, behaviour.finishReason))];
    case 'status':
      return [JSON.stringify({ ...base, status: behaviour.status })];
    case 'safety':
      return [JSON.stringify({ ...base, response: { candidates: [{ finishReason: 'SAFETY' }], usageMetadata: usage } })];
    case 'max_tokens':
      return [JSON.stringify(answer('{"summary": "The cust', 'MAX_TOKENS'))];
    case 'drop':
      return [];
    case 'twice':
      return [...outputLine(request, behaviour.first), ...outputLine(request, behaviour.second)];
  }
}

export interface VertexOptions {
  /** How each record is answered. @default ok */
  readonly behave?: (recordId: string) => Behaviour;
  /** Output files to spread lines over. @default 1 */
  readonly files?: number;
  /** Reverse the line order. @default false */
  readonly reverse?: boolean;
  /** Echo the request in snake_case. @default false */
  readonly snakeCase?: boolean;
}

/** Runs the fake batch job for a manifest; returns the `gcsOutputDirectory` URI. */
export async function runVertex(
  store: Pick<ObjectStore, 'readText' | 'writeText'>,
  manifest: ManifestDocument,
  options: VertexOptions = {},
): Promise<string> {
  const outDir = `${manifest.output_uri_prefix}/prediction-model-2026-11-28T10:00:00.000000Z`;
  const { path: outPath } = parseGsUri(outDir);
  const lines: string[] = [];
  if (manifest.input_uri !== '') {
    const { path } = parseGsUri(manifest.input_uri);
    for (const text of (await store.readText(path)).split('\n')) {
      if (text === '') continue;
      const request = (JSON.parse(text) as { request: { contents: { parts: { text: string }[] }[] } }).request;
      const recordId = parseRecordMarker(request.contents[0]!.parts.at(-1)!.text)!;
      const echo = options.snakeCase ? snakeKeys(request) : request;
      lines.push(...outputLine(echo, options.behave?.(recordId) ?? { kind: 'ok' }));
    }
  }
  if (options.reverse) lines.reverse();
  const files = options.files ?? 1;
  for (let f = 0; f < files; f++) {
    const part = lines.filter((_, i) => i % files === f);
    await store.writeText(`${outPath}/predictions_${String(f + 1).padStart(4, '0')}.jsonl`, part.map((l) => l + '\n').join(''));
  }
  return outDir;
}
