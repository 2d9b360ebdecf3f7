import { Command } from '../command';
import { UsageError } from '../../ops/errors';
import { DEFAULT_AVG_CHARS, estimate, parsePrice } from '../../ops/estimate';
import { BATCH_PRICES, DEFAULT_ANALYSIS, DEFAULTS, LIMITS, PRICES_AS_OF } from '../../contract';
import { integer as count, usd } from '../../ops/format';
import { decimal, integer, options, parseOptions, text, toggle, usageText } from '../options';

const ESTIMATE_OPTIONS = options({
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
    value: 'N',
    min: 1,
    max: LIMITS.maxConcurrentBatches,
    default: DEFAULTS.maxConcurrentBatches,
    help: 'batches at once, which auto sizes the batches for',
  }),
  'output-tokens': decimal({ value: 'T', min: 0, help: 'expected output tokens per record (default a third of maxOutputTokens)' }),
  price: text({ value: 'IN,OUT', help: `USD per million input and output tokens, instead of the table of ${PRICES_AS_OF}` }),
  json: toggle('print the estimate as JSON'),
});

const usage = usageText(
  'usage: tapctl estimate --records N [options]',
  `Estimates a run before you start it: tokens, cost at the Vertex AI batch price, and the number of
batches and Vertex AI batch prediction jobs. Nothing is contacted.`,
  [['Options', ESTIMATE_OPTIONS]],
);

export const command: Command = {
  name: 'estimate',
  summary: 'Estimate tokens, cost, batches and Vertex AI jobs for N records.',
  usage,
  async run(argv, io) {
    const { values } = parseOptions(argv, ESTIMATE_OPTIONS);
    let result;
    try {
      result = estimate({
        records: values.records,
        avgChars: values['avg-chars'],
        model: values.model,
        batchSize: values['batch-size'],
        maxConcurrentBatches: values['max-concurrent-batches'],
        outputTokensPerRecord: values['output-tokens'],
        price: values.price === undefined ? undefined : parsePrice(values.price),
      });
    } catch (error) {
      if (error instanceof RangeError) throw new UsageError(error.message);
      throw error;
    }
    if (values.json) {
      io.stdout.write(JSON.stringify(result, null, 2) + '\n');
      return 0;
    }
    const e = result;
    io.stdout.write(
      [
        `Estimate for ${count(e.records)} records with ${e.model}`,
        `  batches            ${count(e.batches)} of up to ${count(e.batchSize)} records`,
        `  Vertex AI jobs     ${count(e.vertexJobs)} (one per batch, more if batches are retried)`,
        `  input tokens       about ${count(e.inputTokens)} (${count(e.overheadTokensPerRecord)} per record of instructions and schema)`,
        `  output tokens      about ${count(e.outputTokens)} (at most ${count(e.maxOutputTokens)})`,
        `  cost (batch price) about ${usd(e.costUsd)} (at most ${usd(e.maxCostUsd)})`,
        `  price              $${e.price.inputPerMillion} in / $${e.price.outputPerMillion} out per million tokens, ${e.priceSource}`,
        '',
      ].join('\n'),
    );
    return 0;
  },
};
