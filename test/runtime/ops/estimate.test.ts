import { estimate, parseOverrides, parsePrice, tokensOfChars } from '../../../runtime/ops/estimate';
import { pipelineCost } from '../../../runtime/ops/pipeline-cost';
import { BATCH_PRICES, CHARS_PER_TOKEN, DEFAULT_ANALYSIS, LIMITS, responseSchema } from '../../../runtime/contract';

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

  test("the pipeline's cost is the model of pipeline-cost.ts for the same run, beside the model's", () => {
    const e = estimate({ records: 50_000, avgChars: 3000, batchSize: 5000, maxConcurrentBatches: 4, pollIntervalSeconds: 120 });
    const overheadChars =
      DEFAULT_ANALYSIS.systemInstruction.length +
      DEFAULT_ANALYSIS.promptTemplate.replace('{transcript}', '').length +
      JSON.stringify(responseSchema(DEFAULT_ANALYSIS)).length;
    const p = pipelineCost({
      records: 50_000,
      batchSize: 5000,
      avgChars: 3000,
      overheadChars,
      outputTokensPerRecord: e.outputTokens / 50_000,
      maxConcurrentBatches: 4,
      pollIntervalSeconds: 120,
    });
    expect(e.pipeline).toEqual(p);
    expect(e.modelCostUsd).toBe(e.costUsd);
    expect(e.pipelineCostUsd).toBe(p.usd);
    expect(e.overheadRatio).toBeCloseTo(p.usd / e.costUsd, 12);
    expect(e.expectedHours).toBe(p.expectedHours);
    expect(e.vertexJobs).toBe(p.vertexJobs);
  });

  test('the overhead falls as the batch size grows', () => {
    const ratios = [1000, 5000, 20_000, 100_000].map((batchSize) => estimate({ records: 1_000_000, batchSize }).overheadRatio);
    for (let i = 1; i < ratios.length; i++) expect(ratios[i]).toBeLessThan(ratios[i - 1]!);
  });

  test('the scale goal: at 1M transcripts of 6,000 characters the defaults stay under 0.5%; batches of 1,000 miss it, led by the Vertex AI polls', () => {
    const defaults = estimate({ records: 1_000_000, avgChars: 6000 });
    expect(defaults.overheadRatio).toBeLessThan(0.005);
    // 21 batches of 31,250 (four waves over 8 lanes would be 32), then the last third in batches of half that.
    expect(defaults.layout).toEqual({ records: 1_000_000, batchSize: 31_250, tailFirstBatch: 21, tailBatchSize: 15_625 });
    expect(defaults.vertexJobs).toBe(21 + 22);
    const small = estimate({ records: 1_000_000, avgChars: 6000, batchSize: 1000 });
    expect(small.overheadRatio).toBeGreaterThan(0.005);
    const largest = [...small.pipeline.items].sort((x, y) => y.usd - x.usd)[0];
    expect(largest?.item).toMatch(/^batch workflow steps/);
    expect(estimate({ records: 100_000_000, avgChars: 6000 }).overheadRatio).toBeLessThan(0.005);
  });

  test('warns when the plan has more batches than one run takes, and says which batch size fits', () => {
    expect(estimate({ records: 100_000_000, batchSize: 1000 }).warnings).toEqual([
      expect.stringMatching(/100000 batches: one run takes at most 25000.*at least 4000/),
      // Such a run would also outlast its staged transcripts.
      expect.stringMatching(/about \d+ days.*kept for as little as 29 days/),
    ]);
    expect(estimate({ records: 100_000_000 }).warnings).toEqual([]);
    // The most batches one run takes: no warning about them (its months of running are another matter).
    const most = estimate({ records: LIMITS.maxBatchesPerRun * 1000, batchSize: 1000 }).warnings;
    expect(most).toEqual([expect.stringMatching(/about \d+ days.*kept for as little as 29 days/)]);
  });

  test('zero records: no batch and no Vertex AI job; the planner and the reporter still run, and the ratio is 0', () => {
    const e = estimate({ records: 0 });
    expect(e).toMatchObject({ modelCostUsd: 0, overheadRatio: 0, vertexJobs: 0 });
    expect(e.pipelineCostUsd).toBeGreaterThan(0);
    expect(e.pipeline.items.find((i) => i.item.startsWith('batch workflow steps'))?.quantity).toBe(0);
    // The reporter's 31 s; the planner's 34 s: under auto it measures the plan first, one query more.
    expect(e.expectedHours).toBeCloseTo((31 + 34) / 3600, 9);
    expect(estimate({ records: 0, batchSize: 10 }).expectedHours).toBeCloseTo((2 * 31) / 3600, 9);
  });

  test('rejects concurrency and poll intervals the workflows do not take', () => {
    expect(() => estimate({ records: 1, maxConcurrentBatches: 21 })).toThrow(/at most 20 \(the Workflows limit\), got 21/);
    expect(() => estimate({ records: 1, maxConcurrentBatches: 0 })).toThrow(
      /max concurrent batches must be an integer of at least 1, got 0/,
    );
    expect(() => estimate({ records: 1, pollIntervalSeconds: 5 })).toThrow(/poll interval must be from 10 to 3600 seconds, got 5/);
  });

  test('overrides name a cloud price or an assumption, and change the estimate', () => {
    expect(parseOverrides(['bigqueryOnDemandPerTiB=5', ' vertexQueueSeconds = 60 '])).toEqual({
      cloudPrices: { bigqueryOnDemandPerTiB: 5 },
      assumptions: { vertexQueueSeconds: 60 },
    });
    expect(() => parseOverrides(['cheap=1'])).toThrow(/NAME one of bigqueryOnDemandPerTiB, .*; got "cheap=1"/);
    expect(() => parseOverrides(['storageGbMonth=-1'])).toThrow(/storageGbMonth must be a number of 0 or more, got "-1"/);
    const base = estimate({ records: 100_000 });
    const faster = estimate({ records: 100_000, ...parseOverrides(['vertexQueueSeconds=60']) });
    expect(faster.expectedHours).toBeLessThan(base.expectedHours);
    expect(faster.pipelineCostUsd).toBeLessThan(base.pipelineCostUsd);
    const dearer = estimate({ records: 100_000, ...parseOverrides(['workflowsInternalPerThousandSteps=0.02']) });
    expect(dearer.pipeline.byService.workflows).toBeCloseTo(2 * base.pipeline.byService.workflows, 12);
  });

  test('warns when the batches would load each table more often than BigQuery allows a day', () => {
    const fast = { records: 200_000, batchSize: 10, maxConcurrentBatches: 20, assumptions: { vertexQueueSeconds: 0 } };
    expect(estimate(fast).warnings).toEqual([
      expect.stringMatching(
        /batches in the first day, each loading every table it writes: BigQuery allows 1500 table operations per table per day/,
      ),
    ]);
    expect(estimate({ ...fast, batchSize: 1000 }).warnings).toEqual([]);
  });
});
