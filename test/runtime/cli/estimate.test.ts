import { cli } from './run-cli';
import { estimate } from '../../../runtime/ops/estimate';
import { estimateJson } from '../../../runtime/cli/commands/estimate';

describe('tapctl estimate', () => {
  test('prints batches, jobs, tokens and cost', async () => {
    const r = await cli([
      'estimate',
      '--records',
      '250000',
      '--avg-chars',
      '8000',
      '--model',
      'gemini-2.5-flash-lite',
      '--batch-size',
      '1000',
    ]);
    expect(r.code).toBe(0);
    const e = estimate({ records: 250000, avgChars: 8000, model: 'gemini-2.5-flash-lite', batchSize: 1000 });
    expect(r.stdout).toContain('batches            250 of up to 1,000 records');
    expect(r.stdout).toContain('Vertex AI jobs     250');
    expect(r.stdout).toContain(`about ${e.inputTokens.toLocaleString('en-US')}`);
    expect(r.stdout).toMatch(/cost \(batch price\) about \$[\d,]+\.\d\d/);
    expect(r.stdout).toContain(`pipeline cost      about $${e.pipelineCostUsd.toFixed(2)} (BigQuery $`);
    expect(r.stdout).toContain(`overhead           ${(e.overheadRatio * 100).toFixed(2)}% of the model's cost`);
    expect(r.stdout).toContain(`expected duration  about ${e.expectedHours.toFixed(1)} hours`);
    expect(r.stdout).toMatch(/^Workflows +batch workflow steps \(Vertex AI polls included\) +[\d,]+ +steps +\$[\d.]+$/m);
  });

  test('prints the warning of a plan too large for one run', async () => {
    const r = await cli(['estimate', '--records', '100000000', '--batch-size', '1000']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/warning +100000 batches: one run takes at most 25000/);
  });

  test('by default (auto) the batches are four waves over the lanes, the last third in smaller batches, within the input limit of a job', async () => {
    const lanes = await cli(['estimate', '--records', '250000', '--avg-chars', '8000']);
    // The last third and more (85,927 rows after 21 whole batches) in batches of 5,000: half of
    // 7,813 would be under the smallest batch auto makes.
    expect(lanes.stdout).toContain('batches            39: 21 x 7,813 + 18 x 5,000 records (the last ones smaller');
    const four = await cli(['estimate', '--records', '250000', '--avg-chars', '8000', '--max-concurrent-batches', '4']);
    expect(four.stdout).toContain('batches            22: 10 x 15,625 + 12 x 7,813 records');
    // 1M transcripts of 40,000 characters are 40 GB: over 8 files of 1 GB, so more, smaller jobs.
    const long = estimate({ records: 1_000_000, avgChars: 40_000 });
    expect(long.batches).toBeGreaterThan(40);
    expect(long.batchSize * 40_000).toBeLessThan(1_000_000_000);
  });

  test('--json prints the same numbers as the library', async () => {
    const r = await cli(['estimate', '--records', '1234', '--batch-size', '100', '--json', '--price', '1,2']);
    expect(r.code).toBe(0);
    const e = estimate({ records: 1234, batchSize: 100, price: { inputPerMillion: 1, outputPerMillion: 2 } });
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(json).toEqual(JSON.parse(JSON.stringify(estimateJson(e))));
    expect(json).toMatchObject({
      costUsd: e.costUsd,
      vertexJobs: 13,
      model_cost_usd: e.costUsd,
      pipeline_cost_usd: e.pipelineCostUsd,
      pipeline_cost_breakdown: e.pipeline.byService,
      overhead_ratio: e.pipelineCostUsd / e.costUsd,
      vertex_jobs: 13,
      expected_hours: e.expectedHours,
    });
    expect(Object.keys(json.pipeline_cost_breakdown as object)).toEqual(['bigquery', 'cloud_run', 'workflows', 'cloud_storage']);
  });

  test('--set, --max-concurrent-batches and --poll-interval reach the model', async () => {
    const r = await cli([
      'estimate',
      '--records',
      '100000',
      '--json',
      '--set',
      'bigqueryOnDemandPerTiB=0',
      '--set',
      'vertexQueueSeconds=60',
      '--max-concurrent-batches',
      '20',
      '--poll-interval',
      '300',
    ]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { pipeline_cost_breakdown: { bigquery: number }; expected_hours: number };
    const e = estimate({
      records: 100000,
      maxConcurrentBatches: 20,
      pollIntervalSeconds: 300,
      cloudPrices: { bigqueryOnDemandPerTiB: 0 },
      assumptions: { vertexQueueSeconds: 60 },
    });
    expect(json.pipeline_cost_breakdown.bigquery).toBeLessThan(0.001);
    expect(json.expected_hours).toBe(e.expectedHours);
  });

  test('an unknown --set name is a usage error that lists the names', async () => {
    const r = await cli(['estimate', '--records', '5', '--set', 'cheap=1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--set takes NAME=VALUE with NAME one of bigqueryOnDemandPerTiB, .*vertexQueueSeconds.*; got "cheap=1"/);
  });

  test('a missing --records is a usage error', async () => {
    const r = await cli(['estimate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--records is required');
  });

  test('a batch size over the Vertex AI limit is a usage error', async () => {
    const r = await cli(['estimate', '--records', '5', '--batch-size', '300000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--batch-size must be a whole number from 1 to 200000 or auto, got 300000/);
    const word = await cli(['estimate', '--records', '5', '--batch-size', 'big']);
    expect(word.code).toBe(2);
    expect(word.stderr).toContain('--batch-size must be a whole number from 1 to 200000 or auto, got "big"');
  });
});
