/**
 * The local analyzer: Gemini's stand-in on a laptop. It answers each line of a Vertex AI batch
 * `input.jsonl` (`{"request": GenerateContentRequest}`) with a line in Vertex AI's own output format
 * (`vertex-batch-format.ts`), so the processor reads its predictions exactly as it reads Vertex's.
 *
 * The answers come from real, deterministic natural language processing of the transcript
 * (`transcript-nlp.ts`), shaped into the fields the request's `responseSchema` declares
 * (`schema-fill.ts`). Token counts are estimated from characters, and an answer longer than
 * `maxOutputTokens` is cut there, as the model cuts it.
 *
 * The request is opaque except for its `responseSchema`, `maxOutputTokens` and the user's text.
 */
import { CHARS_PER_TOKEN } from '../../contract';
import type { ObjectStore } from '../../core/ports';
import { fillSchema } from './schema-fill';
import { analyseTranscript } from './transcript-nlp';
import {
  answeredLine,
  failedLine,
  fieldOf,
  modelCandidate,
  modelResponse,
  partsOf,
  partText,
  readInputLine,
  snakeKeys,
  transcriptOf,
  usageMetadata,
  userTextOf,
  vertexTime,
  writePredictions,
  type PredictionLine,
  type PredictionsFileResult,
  type SchemaNode,
} from './vertex-batch-format';

export { analyseTranscript, type TranscriptAnalysis } from './transcript-nlp';
export { transcriptOf, type PredictionLine, type PredictionsFileResult as AnalyzeFileResult, type SchemaNode } from './vertex-batch-format';

/** `modelVersion` of every answer. */
export const LOCAL_MODEL_VERSION = 'local-analyzer-1';

export interface AnalyzerOptions {
  /** The clock for `processed_time` and the output folder's name. @default - the system clock */
  readonly now?: () => Date;
  /**
   * How the request is echoed. Vertex AI re-serialises it; `snake` echoes snake_case keys, as
   * its output has been seen to do, to exercise matching that does not depend on key style.
   * @default 'camel'
   */
  readonly echo?: 'camel' | 'snake';
}

export interface AnalyzeFileOptions extends AnalyzerOptions {
  /**
   * Called with every output line before it is written: return it (changed or not), a raw string
   * to write instead, or null to drop it. The local twin's faults hook in here.
   */
  readonly onLine?: (line: PredictionLine, index: number) => PredictionLine | string | null;
}

/** Answers one input line (text or parsed). Never throws: a bad line gets an error `status`. */
export function analyzeLine(line: string | unknown, options: AnalyzerOptions = {}): PredictionLine {
  const processedTime = vertexTime((options.now ?? (() => new Date()))());
  const input = readInputLine(line);
  if ('status' in input) return failedLine(input.status, processedTime, input.echo);
  const r = input.request;
  const echoed = options.echo === 'snake' ? snakeKeys(r) : r;
  const config = (fieldOf(r, 'generationConfig') ?? {}) as Record<string, unknown>;
  const schema = fieldOf(config, 'responseSchema') as SchemaNode | undefined;
  const contents = r.contents;
  if (!Array.isArray(contents) || contents.length === 0) {
    return failedLine('Invalid request: contents is required.', processedTime, echoed);
  }

  const analysis = analyseTranscript(transcriptOf(userTextOf(contents)));
  const answer = schema ? fillSchema(schema, analysis) : { summary: analysis.summary };
  let text = JSON.stringify(answer);

  const systemText = joinedText(fieldOf(r, 'systemInstruction'));
  const promptTokens = tokensOf(
    systemText.length + contents.map(joinedText).join('\n').length + (schema ? JSON.stringify(schema).length : 0),
  );
  let candidatesTokens = tokensOf(text.length);
  let finishReason = 'STOP';
  const maxOut = Number(fieldOf(config, 'maxOutputTokens'));
  if (Number.isInteger(maxOut) && maxOut > 0 && candidatesTokens > maxOut) {
    // As the model does: the answer stops at the limit, mid-JSON.
    text = text.slice(0, maxOut * CHARS_PER_TOKEN);
    candidatesTokens = maxOut;
    finishReason = 'MAX_TOKENS';
  }
  return answeredLine(
    processedTime,
    echoed,
    modelResponse([modelCandidate([text], finishReason)], LOCAL_MODEL_VERSION, usageMetadata(promptTokens, candidatesTokens)),
  );
}

/**
 * Answers every line of `inputPath` into `outputDir/prediction-model-<timestamp>/predictions.jsonl`,
 * as a Vertex AI batch prediction job does with its `outputUriPrefix`, in input order. Streams both
 * files.
 */
export async function analyzeFile(
  store: ObjectStore,
  inputPath: string,
  outputDir: string,
  options: AnalyzeFileOptions = {},
): Promise<PredictionsFileResult> {
  return writePredictions(store, inputPath, outputDir, (text) => analyzeLine(text, options), { now: options.now, onLine: options.onLine });
}

/** The estimate the local analyzer reports for Vertex AI's token counts. */
function tokensOf(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/** A content's text as the token estimate counts it: every part, text or not, on its own line. */
function joinedText(content: unknown): string {
  return partsOf(content)
    .map((p) => partText(p) ?? '')
    .join('\n');
}
