import { Command, UsageError } from '../command';
import { parseArgs } from '../args';
import { DEFAULT_AVG_CHARS, estimate, parsePrice } from '../../ops/estimate';
import { DEFAULTS, LIMITS } from '../../contract';
import { integer, usd } from '../../ops/format';
import { BATCH_PRICES, DEFAULT_MODEL, PRICES_AS_OF } from '../../contract';

const usage = `usage: tapctl estimate --records N [--avg-chars C] [--model M] [--batch-size B]
                        [--output-tokens T] [--price IN,OUT] [--json]

Estimates a run before you start it: tokens, cost at the Vertex AI batch price, and the number of
batches and Vertex AI batch prediction jobs. Nothing is contacted.

  --records N        records to analyse
  --avg-chars C      average transcript length in characters (default ${DEFAULT_AVG_CHARS})
  --model M          Gemini model id (default ${DEFAULT_MODEL}); priced models: ${Object.keys(BATCH_PRICES).join(', ')}
  --batch-size B     records per batch (default ${DEFAULTS.batchSize}, at most ${LIMITS.maxBatchSize})
  --output-tokens T  expected output tokens per record (default a third of maxOutputTokens)
  --price IN,OUT     USD per million input and output tokens, instead of the table of ${PRICES_AS_OF}
  --json             print the estimate as JSON`;

export const command: Command = {
  name: 'estimate',
  summary: 'Estimate tokens, cost, batches and Vertex AI jobs for N records.',
  usage,
  async run(argv, io) {
    const { flags, positionals } = parseArgs(argv, {
      records: 'number',
      'avg-chars': 'number',
      model: 'string',
      'batch-size': 'number',
      'output-tokens': 'number',
      price: 'string',
      json: 'boolean',
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (flags.records === undefined) throw new UsageError('--records is required');
    let result;
    try {
      result = estimate({
        records: flags.records as number,
        avgChars: flags['avg-chars'] as number | undefined,
        model: flags.model as string | undefined,
        batchSize: flags['batch-size'] as number | undefined,
        outputTokensPerRecord: flags['output-tokens'] as number | undefined,
        price: flags.price === undefined ? undefined : parsePrice(flags.price as string),
      });
    } catch (error) {
      if (error instanceof RangeError) throw new UsageError(error.message);
      throw error;
    }
    if (flags.json) {
      io.stdout.write(JSON.stringify(result, null, 2) + '\n');
      return 0;
    }
    const e = result;
    io.stdout.write(
      [
        `Estimate for ${integer(e.records)} records with ${e.model}`,
        `  batches            ${integer(e.batches)} of up to ${integer(e.batchSize)} records`,
        `  Vertex AI jobs     ${integer(e.vertexJobs)} (one per batch, more if batches are retried)`,
        `  input tokens       about ${integer(e.inputTokens)} (${integer(e.overheadTokensPerRecord)} per record of instructions and schema)`,
        `  output tokens      about ${integer(e.outputTokens)} (at most ${integer(e.maxOutputTokens)})`,
        `  cost (batch price) about ${usd(e.costUsd)} (at most ${usd(e.maxCostUsd)})`,
        `  price              $${e.price.inputPerMillion} in / $${e.price.outputPerMillion} out per million tokens, ${e.priceSource}`,
        '',
      ].join('\n'),
    );
    return 0;
  },
};
