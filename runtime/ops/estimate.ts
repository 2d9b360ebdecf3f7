/**
 * Pure estimate of a run before it starts: tokens, batch-price cost, batches and Vertex AI jobs,
 * and the pipeline's own cost and expected duration beside the model's (`pipeline-cost.ts`).
 *
 * Token counts are approximations: Gemini counts about four characters of English text per token
 * (Google's own rule of thumb for Gemini models), so the estimate says "about", never "exactly".
 */
import { autoBatchLayout, batchCount, uniformLayout, type BatchLayout } from '../core/batch-size';
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
  CloudPrices,
  RunAssumptions,
  CLOUD_PRICES,
  RUN_ASSUMPTIONS,
  stagedInputsDays,
} from '../contract';
import { PipelineCost, PipelineCostInput, pipelineCost } from './pipeline-cost';

/** Typical length of a call transcript (about ten minutes of conversation). */
export const DEFAULT_AVG_CHARS = 6000;

/** The run to estimate; the pipeline's settings are those of `pipelineCost`. */
export interface EstimateInput extends Pick<
  PipelineCostInput,
  'pollIntervalSeconds' | 'ledgerRecords' | 'generatorReadsSource' | 'assumptions'
> {
  readonly records: number;
  /** Average transcript length in characters. @default DEFAULT_AVG_CHARS */
  readonly avgChars?: number;
  /** Model id. @default - the analysis's model */
  readonly model?: string;
  /** A number, or `auto`: the planner's choice for these records. @default DEFAULTS.batchSize */
  readonly batchSize?: BatchSizeSetting;
  /** The plan's batches, instead of what `batchSize` would plan (its records must be `records`). */
  readonly layout?: BatchLayout;
  /**
   * Days the transcripts staged for a run are kept (the deployment's `workRetentionDays`): a run
   * expected to outlast them is warned about. @default DEFAULTS.workRetentionDays
   */
  readonly workRetentionDays?: number;
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
  /** Cloud prices to use instead of the table's (`runtime/contract/cloud-prices.ts`). */
  readonly cloudPrices?: Partial<CloudPrices>;
}

export interface Estimate {
  readonly records: number;
  /** Average transcript length in characters. */
  readonly avgChars: number;
  /** Characters every request carries besides the transcript: instructions, prompt, response schema. */
  readonly overheadChars: number;
  readonly model: string;
  /** Records per batch, before the plan's tail of smaller batches (`layout`). */
  readonly batchSize: number;
  readonly layout: BatchLayout;
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
  /** The model's cost at the batch price: `costUsd`, named beside the pipeline's. */
  readonly modelCostUsd: number;
  /** What BigQuery, Cloud Run, Workflows and Cloud Storage charge for the run's own work. */
  readonly pipelineCostUsd: number;
  /** Pipeline cost over model cost (0 when the model costs nothing). */
  readonly overheadRatio: number;
  readonly expectedHours: number;
  readonly pipeline: PipelineCost;
  /** What the estimate found that would keep the run from going as estimated. */
  readonly warnings: readonly string[];
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
  if (input.layout && input.layout.records !== input.records) {
    throw new RangeError(`a layout of ${input.layout.records} records for an estimate of ${input.records}`);
  }
  const layout =
    input.layout ??
    (setting === 'auto'
      ? autoBatchLayout({
          records: input.records,
          textBytes: input.records * avgChars,
          requestOverheadBytes: overheadChars,
          maxConcurrentBatches: input.maxConcurrentBatches ?? DEFAULTS.maxConcurrentBatches,
        })
      : uniformLayout(input.records, setting));
  const batchSize = layout.batchSize;
  requirePositiveInteger('batch size', batchSize, 1);
  if (batchSize > LIMITS.maxBatchSize) {
    throw new RangeError(`batch size must be at most ${LIMITS.maxBatchSize} (Vertex AI's requests per job), got ${batchSize}`);
  }
  if (!(avgChars >= 0)) throw new RangeError(`average characters must be 0 or more, got ${avgChars}`);
  const maxOut = analysis.generationConfig.maxOutputTokens ?? 8192;
  const outPerRecord = input.outputTokensPerRecord ?? Math.ceil(maxOut / 3);
  if (!(outPerRecord >= 0)) throw new RangeError(`output tokens per record must be 0 or more, got ${outPerRecord}`);
  const lanes = input.maxConcurrentBatches ?? DEFAULTS.maxConcurrentBatches;
  requirePositiveInteger('max concurrent batches', lanes, 1);
  if (lanes > LIMITS.maxConcurrentBatches) {
    throw new RangeError(`max concurrent batches must be at most ${LIMITS.maxConcurrentBatches} (the Workflows limit), got ${lanes}`);
  }
  const pollInterval = input.pollIntervalSeconds ?? DEFAULTS.pollIntervalSeconds;
  if (!(pollInterval >= LIMITS.minPollIntervalSeconds && pollInterval <= LIMITS.maxPollIntervalSeconds)) {
    throw new RangeError(
      `poll interval must be from ${LIMITS.minPollIntervalSeconds} to ${LIMITS.maxPollIntervalSeconds} seconds, got ${pollInterval}`,
    );
  }

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
  const batches = batchCount(layout);
  const costUsd = estimateCostUsd(price, inputTokens, outputTokens);
  const pipeline = pipelineCost({
    records: input.records,
    batchSize,
    layout,
    measured: setting === 'auto' && !input.layout,
    avgChars,
    overheadChars,
    outputTokensPerRecord: outPerRecord,
    maxConcurrentBatches: lanes,
    pollIntervalSeconds: pollInterval,
    ledgerRecords: input.ledgerRecords,
    generatorReadsSource: input.generatorReadsSource,
    workRetentionDays: input.workRetentionDays,
    prices: input.cloudPrices,
    assumptions: input.assumptions,
  });
  const warnings: string[] = [];
  if (batches > LIMITS.maxBatchesPerRun) {
    const fits = Math.ceil(input.records / LIMITS.maxBatchesPerRun);
    warnings.push(
      `${batches} batches: one run takes at most ${LIMITS.maxBatchesPerRun} (the master's step budget); ` +
        `use a batch size of at least ${fits}, or split the records into runs with --limit`,
    );
  }
  if (pipeline.commit === 'load-jobs' && pipeline.batchesFirstDay > LIMITS.bigqueryTableOperationsPerDay) {
    warnings.push(
      `about ${pipeline.batchesFirstDay} batches in the first day, each loading every table it writes: BigQuery allows ` +
        `${LIMITS.bigqueryTableOperationsPerDay} table operations per table per day; use larger batches`,
    );
  }
  const stagedDays = stagedInputsDays(input.workRetentionDays ?? DEFAULTS.workRetentionDays);
  if (pipeline.expectedHours > stagedDays * 24) {
    warnings.push(
      `the run is expected to take about ${Math.ceil(pipeline.expectedHours / 24)} days, but the transcripts staged for it are kept for as ` +
        `little as ${stagedDays} days (workRetentionDays ${input.workRetentionDays ?? DEFAULTS.workRetentionDays}, from the start of the day ` +
        `it was planned): batches started later would find their inputs expired. Raise workRetentionDays or max concurrent batches, ` +
        `or split the records into runs with --limit`,
    );
  }
  return {
    records: input.records,
    avgChars,
    overheadChars,
    model,
    batchSize,
    layout,
    batches,
    vertexJobs: batches,
    overheadTokensPerRecord,
    inputTokens,
    outputTokens,
    maxOutputTokens,
    costUsd,
    maxCostUsd: estimateCostUsd(price, inputTokens, maxOutputTokens),
    price,
    priceSource,
    modelCostUsd: costUsd,
    pipelineCostUsd: pipeline.usd,
    overheadRatio: costUsd > 0 ? pipeline.usd / costUsd : 0,
    expectedHours: pipeline.expectedHours,
    pipeline,
    warnings,
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

/** The names `--set` takes: every figure of the cloud price table and of the run assumptions. */
export const OVERRIDABLE = { ...CLOUD_PRICES, ...RUN_ASSUMPTIONS } as const;

/**
 * Parses `NAME=VALUE` overrides of the cloud price table and the run assumptions (`tapctl estimate
 * --set`), each a name of `CLOUD_PRICES` or `RUN_ASSUMPTIONS` and a number of 0 or more.
 */
export function parseOverrides(texts: readonly string[]): { cloudPrices: Partial<CloudPrices>; assumptions: Partial<RunAssumptions> } {
  const cloudPrices: Record<string, number> = {};
  const assumptions: Record<string, number> = {};
  for (const text of texts) {
    const match = /^\s*([A-Za-z]+)\s*=\s*(\S+)\s*$/.exec(text);
    const name = match?.[1];
    const value = Number(match?.[2]);
    if (!match || !name || !(name in OVERRIDABLE)) {
      throw new RangeError(`--set takes NAME=VALUE with NAME one of ${Object.keys(OVERRIDABLE).join(', ')}; got "${text}"`);
    }
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`--set ${name} must be a number of 0 or more, got "${match[2]}"`);
    if (name in CLOUD_PRICES) cloudPrices[name] = value;
    else assumptions[name] = value;
  }
  return { cloudPrices, assumptions };
}
