/**
 * Pure estimate of a run before it starts: tokens, batch-price cost, batches and Vertex AI jobs.
 *
 * Token counts are approximations: Gemini counts about four characters of English text per token
 * (Google's own rule of thumb for Gemini models), so the estimate says "about", never "exactly".
 */
import { autoBatchSize } from '../core/batch-size';
import {
  AnalysisSpec,
  BatchSizeSetting,
  DEFAULT_ANALYSIS,
  ModelPrice,
  PRICES_AS_OF,
  estimateCostUsd,
  priceOf,
  BATCH_PRICES,
  responseSchema,
  CHARS_PER_TOKEN,
  DEFAULTS,
  LIMITS,
} from '../contract';

/** Typical length of a call transcript (about ten minutes of conversation). */
export const DEFAULT_AVG_CHARS = 6000;

export interface EstimateInput {
  readonly records: number;
  /** Average transcript length in characters. @default DEFAULT_AVG_CHARS */
  readonly avgChars?: number;
  /** Model id. @default - the analysis's model */
  readonly model?: string;
  /** A number, or `auto`: the planner's choice for these records. @default DEFAULTS.batchSize */
  readonly batchSize?: BatchSizeSetting;
  /** Batches in flight, which `auto` sizes the batches for. @default DEFAULTS.maxConcurrentBatches */
  readonly maxConcurrentBatches?: number;
  /**
   * Expected output tokens per record (thinking included).
   * @default - a third of the analysis's maxOutputTokens
   */
  readonly outputTokensPerRecord?: number;
  /** @default DEFAULT_ANALYSIS */
  readonly analysis?: AnalysisSpec;
  /** A price to use instead of the table's. */
  readonly price?: ModelPrice;
}

export interface Estimate {
  readonly records: number;
  readonly model: string;
  readonly batchSize: number;
  readonly batches: number;
  /** One Vertex AI batch prediction job per batch (first attempts only). */
  readonly vertexJobs: number;
  /** Tokens sent with every request besides the transcript: instructions, prompt, response schema. */
  readonly overheadTokensPerRecord: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Output tokens if every answer used all of maxOutputTokens: the cost ceiling. */
  readonly maxOutputTokens: number;
  readonly costUsd: number;
  readonly maxCostUsd: number;
  readonly price: ModelPrice;
  /** Where the price came from: the table (with its date) or an override. */
  readonly priceSource: string;
}

export function tokensOfChars(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

function requirePositiveInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer of at least ${min}, got ${value}`);
  }
}

export function estimate(input: EstimateInput): Estimate {
  const analysis = input.analysis ?? DEFAULT_ANALYSIS;
  const model = input.model ?? analysis.model;
  const avgChars = input.avgChars ?? DEFAULT_AVG_CHARS;
  requirePositiveInteger('records', input.records, 0);
  const template = analysis.promptTemplate.replace('{transcript}', '');
  const overheadChars = analysis.systemInstruction.length + template.length + JSON.stringify(responseSchema(analysis)).length;
  const setting = input.batchSize ?? DEFAULTS.batchSize;
  const batchSize =
    setting === 'auto'
      ? autoBatchSize({
          records: input.records,
          textBytes: input.records * avgChars,
          requestOverheadBytes: overheadChars,
          maxConcurrentBatches: input.maxConcurrentBatches ?? DEFAULTS.maxConcurrentBatches,
        })
      : setting;
  requirePositiveInteger('batch size', batchSize, 1);
  if (batchSize > LIMITS.maxBatchSize) {
    throw new RangeError(`batch size must be at most ${LIMITS.maxBatchSize} (Vertex AI's requests per job), got ${batchSize}`);
  }
  if (!(avgChars >= 0)) throw new RangeError(`average characters must be 0 or more, got ${avgChars}`);
  const maxOut = analysis.generationConfig.maxOutputTokens ?? 8192;
  const outPerRecord = input.outputTokensPerRecord ?? Math.ceil(maxOut / 3);
  if (!(outPerRecord >= 0)) throw new RangeError(`output tokens per record must be 0 or more, got ${outPerRecord}`);

  const overheadTokensPerRecord = tokensOfChars(overheadChars);
  const inputTokens = input.records * (overheadTokensPerRecord + tokensOfChars(avgChars));
  const outputTokens = input.records * outPerRecord;
  const maxOutputTokens = input.records * Math.max(outPerRecord, maxOut);
  const price = input.price ?? priceOf(model);
  const id = model.split('/').pop() ?? model;
  const priceSource = input.price
    ? 'price given on the command line'
    : BATCH_PRICES[id]
      ? `batch price table of ${PRICES_AS_OF} (runtime/contract/prices.ts)`
      : `no price for ${id} in the table of ${PRICES_AS_OF}: priced as gemini-2.5-flash`;
  const batches = Math.ceil(input.records / batchSize);
  return {
    records: input.records,
    model,
    batchSize,
    batches,
    vertexJobs: batches,
    overheadTokensPerRecord,
    inputTokens,
    outputTokens,
    maxOutputTokens,
    costUsd: estimateCostUsd(price, inputTokens, outputTokens),
    maxCostUsd: estimateCostUsd(price, inputTokens, maxOutputTokens),
    price,
    priceSource,
  };
}

/** Parses a `--price` value: `{"inputPerMillion":0.15,"outputPerMillion":1.25}` or `0.15,1.25`. */
export function parsePrice(text: string): ModelPrice {
  const pair = /^\s*([\d.]+)\s*,\s*([\d.]+)\s*$/.exec(text);
  let value: unknown;
  if (pair) value = { inputPerMillion: Number(pair[1]), outputPerMillion: Number(pair[2]) };
  else {
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
  }
  const p = value as Partial<ModelPrice> | undefined;
  if (
    !p ||
    typeof p.inputPerMillion !== 'number' ||
    typeof p.outputPerMillion !== 'number' ||
    !(p.inputPerMillion >= 0) ||
    !(p.outputPerMillion >= 0)
  ) {
    throw new RangeError(
      `price must be "INPUT,OUTPUT" in USD per million tokens or {"inputPerMillion":N,"outputPerMillion":N}, got ${text}`,
    );
  }
  return { inputPerMillion: p.inputPerMillion, outputPerMillion: p.outputPerMillion };
}
