import { estimate, parsePrice, tokensOfChars } from '../../../runtime/ops/estimate';
import { BATCH_PRICES, CHARS_PER_TOKEN, DEFAULT_ANALYSIS, responseSchema } from '../../../runtime/contract';

describe('estimate', () => {
  test('counts batches and Vertex AI jobs by rounding up', () => {
    expect(estimate({ records: 2500, batchSize: 1000 })).toMatchObject({ batches: 3, vertexJobs: 3 });
    expect(estimate({ records: 2000, batchSize: 1000 })).toMatchObject({ batches: 2 });
    expect(estimate({ records: 0 })).toMatchObject({ batches: 0, inputTokens: 0, costUsd: 0 });
  });

  test('input tokens are the transcript plus the fixed instructions, prompt and schema', () => {
    const overheadChars =
      DEFAULT_ANALYSIS.systemInstruction.length +
      DEFAULT_ANALYSIS.promptTemplate.replace('{transcript}', '').length +
      JSON.stringify(responseSchema(DEFAULT_ANALYSIS)).length;
    const e = estimate({ records: 10, avgChars: 4000 });
    expect(e.overheadTokensPerRecord).toBe(Math.ceil(overheadChars / CHARS_PER_TOKEN));
    expect(e.inputTokens).toBe(10 * (e.overheadTokensPerRecord + 1000));
  });

  test('cost uses the batch price of the model', () => {
    const e = estimate({ records: 1000, avgChars: 4000, model: 'gemini-2.5-pro', outputTokensPerRecord: 200 });
    const p = BATCH_PRICES['gemini-2.5-pro']!;
    expect(e.costUsd).toBeCloseTo((e.inputTokens * p.inputPerMillion + 200_000 * p.outputPerMillion) / 1e6, 10);
    expect(e.maxCostUsd).toBeGreaterThan(e.costUsd);
    expect(e.priceSource).toMatch(/price table of \d{4}-\d\d-\d\d/);
  });

  test('a model missing from the table is priced as Flash and says so', () => {
    const e = estimate({ records: 10, model: 'gemini-9-ultra' });
    expect(e.price).toEqual(BATCH_PRICES['gemini-2.5-flash']);
    expect(e.priceSource).toMatch(/no price for gemini-9-ultra/);
  });

  test('a given price replaces the table', () => {
    const e = estimate({ records: 1_000_000, avgChars: 0, outputTokensPerRecord: 0, price: { inputPerMillion: 1, outputPerMillion: 0 } });
    expect(e.costUsd).toBeCloseTo(e.inputTokens / 1e6, 10);
  });

  test('rejects batch sizes Vertex AI does not take', () => {
    expect(() => estimate({ records: 1, batchSize: 200_001 })).toThrow(/at most 200000/);
    expect(() => estimate({ records: 1, batchSize: 0 })).toThrow(/batch size must be an integer of at least 1, got 0/);
    expect(() => estimate({ records: -1 })).toThrow(/records/);
  });

  test('parses prices as a pair or JSON, and rejects anything else', () => {
    expect(parsePrice('0.1,2')).toEqual({ inputPerMillion: 0.1, outputPerMillion: 2 });
    expect(parsePrice('{"inputPerMillion":3,"outputPerMillion":4}')).toEqual({ inputPerMillion: 3, outputPerMillion: 4 });
    expect(() => parsePrice('cheap')).toThrow(/INPUT,OUTPUT/);
  });

  test('tokensOfChars rounds up', () => {
    expect(tokensOfChars(1)).toBe(1);
    expect(tokensOfChars(8)).toBe(2);
  });
});
