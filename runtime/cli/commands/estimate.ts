import { Command } from '../command';
import { UsageError } from '../../ops/errors';
import { describeLayout } from '../../core/batch-size';
import { DEFAULT_AVG_CHARS, Estimate, estimate, EstimateInput, OVERRIDABLE, parseOverrides, parsePrice } from '../../ops/estimate';
import { BATCH_PRICES, CLOUD_PRICES_AS_OF, DEFAULT_ANALYSIS, DEFAULTS, LIMITS, PRICES_AS_OF } from '../../contract';
import { integer as count, table, usd } from '../../ops/format';
import { decimal, integer, list, options, parseOptions, text, toggle, usageText, type Values } from '../options';

/** The run's size, model and settings: what `estimate` and `rehearse` both take. */
export const ESTIMATE_OPTIONS = options({
  records: integer({ value: 'N', min: 0, required: true, help: 'records to analyse' }),
  'avg-chars': decimal({ value: 'C', min: 0, default: DEFAULT_AVG_CHARS, help: 'average transcript length in characters' }),
  model: text({
    value: 'M',
    help: `Gemini model id (default ${DEFAULT_ANALYSIS.model}, the package's analysis's); priced models: ${Object.keys(BATCH_PRICES).join(', ')}`,
  }),
  'batch-size': integer({
    value: 'B',
    min: 1,
    max: LIMITS.maxBatchSize,
    words: ['auto'],
    default: DEFAULTS.batchSize,
    help: "records per batch; auto: the planner's choice for these records",
  }),
  'max-concurrent-batches': integer({
    value: 'K',
    min: 1,
    max: LIMITS.maxConcurrentBatches,
    default: DEFAULTS.maxConcurrentBatches,
    help: 'batches at once, which auto sizes the batches for',
  }),
  'poll-interval': integer({
    value: 'S',
    min: LIMITS.minPollIntervalSeconds,
    max: LIMITS.maxPollIntervalSeconds,
    default: DEFAULTS.pollIntervalSeconds,
    help: 'seconds between two polls of a Vertex AI job',
  }),
  'ledger-records': integer({
    value: 'N',
    min: 0,
    default: 0,
    help: 'records already in the ledger tables from earlier runs (each batch looks them up)',
  }),
  'work-retention-days': integer({
    value: 'D',
    min: 1,
    default: DEFAULTS.workRetentionDays,
    help: "the deployment's workRetentionDays: how long the transcripts staged for a run are kept",
  }),
  'output-tokens': decimal({ value: 'T', min: 0, help: 'expected output tokens per record (default a third of maxOutputTokens)' }),
  price: text({ value: 'IN,OUT', help: `USD per million input and output tokens, instead of the table of ${PRICES_AS_OF}` }),
  set: list(
    `a cloud price or an assumption of the cost model instead of the table of ${CLOUD_PRICES_AS_OF}; names: ${Object.keys(OVERRIDABLE).join(', ')}`,
    'NAME=VALUE',
  ),
  json: toggle('print the estimate as JSON'),
});

const usage = usageText(
  'usage: tapctl estimate --records N [options]',
  `Estimates a run before you start it: tokens and cost at the Vertex AI batch price, the pipeline's
own cost (BigQuery, Cloud Run, Workflows, Cloud Storage at list prices) and its ratio to the model's,
the number of batches and Vertex AI batch prediction jobs, and the expected duration. Nothing is
contacted. Prices and assumptions live in runtime/contract/cloud-prices.ts; --set replaces any of them.`,
  [['Options', ESTIMATE_OPTIONS]],
);

export const SERVICE_NAMES = {
  bigquery: 'BigQuery',
  cloud_run: 'Cloud Run',
  workflows: 'Workflows',
  cloud_storage: 'Cloud Storage',
} as const;

/** The run the estimate options describe, for `estimate` and `rehearse` alike. Throws RangeError on a bad value. */
export function estimateInput(values: Values<typeof ESTIMATE_OPTIONS>): EstimateInput {
  const overrides = parseOverrides(values.set);
  return {
    records: values.records,
    avgChars: values['avg-chars'],
    model: values.model,
    batchSize: values['batch-size'],
    maxConcurrentBatches: values['max-concurrent-batches'],
    pollIntervalSeconds: values['poll-interval'],
    ledgerRecords: values['ledger-records'],
    workRetentionDays: values['work-retention-days'],
    outputTokensPerRecord: values['output-tokens'],
    price: values.price === undefined ? undefined : parsePrice(values.price),
    cloudPrices: overrides.cloudPrices,
    assumptions: overrides.assumptions,
  };
}

/** The estimate as `--json` prints it: the library's fields, and the snake_case summary scripts read. */
export function estimateJson(e: Estimate): Record<string, unknown> {
  return {
    ...e,
    model_cost_usd: e.modelCostUsd,
    pipeline_cost_usd: e.pipelineCostUsd,
    pipeline_cost_breakdown: e.pipeline.byService,
    overhead_ratio: e.overheadRatio,
    vertex_jobs: e.vertexJobs,
    expected_hours: e.expectedHours,
  };
}

function ratioText(ratio: number): string {
  return `${(ratio * 100).toFixed(2)}%`;
}

export const command: Command = {
  name: 'estimate',
  summary: "Estimate tokens, the model's and the pipeline's cost, batches, Vertex AI jobs and duration for N records.",
  usage,
  async run(argv, io) {
    const { values } = parseOptions(argv, ESTIMATE_OPTIONS);
    let result;
    try {
      result = estimate(estimateInput(values));
    } catch (error) {
      if (error instanceof RangeError) throw new UsageError(error.message);
      throw error;
    }
    if (values.json) {
      io.stdout.write(JSON.stringify(estimateJson(result), null, 2) + '\n');
      return 0;
    }
    const e = result;
    const p = e.pipeline;
    const rows = p.items.map((i) => [SERVICE_NAMES[i.service], i.item, count(i.quantity), i.unit, usd(i.usd)]);
    io.stdout.write(
      [
        `Estimate for ${count(e.records)} records with ${e.model}`,
        e.layout.tailFirstBatch < e.batches
          ? `  batches            ${count(e.batches)}: ${describeLayout(e.layout, count)} records (the last ones smaller, so that the lanes end together)`
          : `  batches            ${count(e.batches)} of up to ${count(e.batchSize)} records`,
        `  Vertex AI jobs     ${count(e.vertexJobs)} (one per batch, more if batches are retried)`,
        `  input tokens       about ${count(e.inputTokens)} (${count(e.overheadTokensPerRecord)} per record of instructions and schema)`,
        `  output tokens      about ${count(e.outputTokens)} (at most ${count(e.maxOutputTokens)})`,
        `  cost (batch price) about ${usd(e.costUsd)} (at most ${usd(e.maxCostUsd)})`,
        `  price              $${e.price.inputPerMillion} in / $${e.price.outputPerMillion} out per million tokens, ${e.priceSource}`,
        `  pipeline cost      about ${usd(e.pipelineCostUsd)} (${Object.entries(p.byService)
          .map(([s, v]) => `${SERVICE_NAMES[s as keyof typeof SERVICE_NAMES]} ${usd(v)}`)
          .join(', ')})`,
        `  overhead           ${ratioText(e.overheadRatio)} of the model's cost`,
        `  expected duration  about ${e.expectedHours.toFixed(1)} hours (each batch about ${count(p.batchSeconds.total / 60)} min, ` +
          `${values['max-concurrent-batches']} at once, started at the master's ${count(p.masterLooks)} looks, paced by the batches' time)`,
        ...e.warnings.map((w) => `  warning            ${w}`),
        '',
        `Pipeline cost by line item (cloud prices of ${CLOUD_PRICES_AS_OF}, runtime/contract/cloud-prices.ts; --set NAME=VALUE overrides):`,
        '',
        table(['service', 'item', 'quantity', 'unit', 'USD'], rows),
      ].join('\n'),
    );
    return 0;
  },
};
