import {
  BATCH_WORKFLOW_STEPS,
  connectorPolls,
  lookBudget,
  masterPauseSeconds,
  PipelineCostInput,
  pipelineCost,
  simulateRound,
  sumFloored,
} from '../../../runtime/ops/pipeline-cost';
import { CLOUD_PRICES } from '../../../runtime/contract';
import { ScriptedCloud } from '../../workflows/scripted-cloud';

const MIB = 1024 * 1024;
const TIB = 2 ** 40;

/** Two batches of 1,000 short records, with ids and execution ids of 8 characters: easy to count by hand. */
const SMALL: PipelineCostInput = {
  records: 2000,
  batchSize: 1000,
  avgChars: 998,
  overheadChars: 2,
  outputTokensPerRecord: 100,
  assumptions: { recordIdChars: 8, executionIdChars: 8 },
};

const item = (cost: ReturnType<typeof pipelineCost>, prefix: string) => {
  const found = cost.items.find((i) => i.item.startsWith(prefix));
  if (!found) throw new Error(`no line item ${prefix}`);
  return found;
};

describe('pipelineCost', () => {
  test('the breakdown by service sums the line items, and the total sums the services', () => {
    for (const input of [SMALL, { ...SMALL, records: 1_000_000, avgChars: 6000 }, { ...SMALL, records: 0 }]) {
      const cost = pipelineCost(input);
      for (const [service, usd] of Object.entries(cost.byService)) {
        expect(usd).toBeCloseTo(
          cost.items.filter((i) => i.service === service).reduce((t, i) => t + i.usd, 0),
          12,
        );
      }
      expect(cost.usd).toBeCloseTo(
        cost.items.reduce((t, i) => t + i.usd, 0),
        12,
      );
    }
  });

  test('every line item of a small run, counted by hand from the price table', () => {
    const cost = pipelineCost(SMALL);
    const p = CLOUD_PRICES;
    // Every table every query reads is under 10 MB, so each is billed 10 MB: the planner reads 15
    // tables in 7 statements (`forgotten` in the two that choose records), each generator 5, each
    // processor 2 x 4, the reporter 8 in 6.
    expect(item(cost, 'planner queries').quantity).toBe(15 * 10 * MIB);
    // Measuring the plan first (auto) reads 4 more.
    expect(item(pipelineCost({ ...SMALL, measured: true }), 'planner queries').quantity).toBe(19 * 10 * MIB);
    expect(item(cost, 'generator queries').quantity).toBe(2 * 5 * 10 * MIB);
    expect(item(cost, 'processor queries').quantity).toBe(2 * 8 * 10 * MIB);
    expect(item(cost, 'reporter queries').quantity).toBe(8 * 10 * MIB);
    expect(item(cost, 'generator queries').usd).toBeCloseTo(((100 * MIB) / TIB) * 6.25, 12);
    expect(cost.byService.bigquery).toBeCloseTo(((41 + 8) * 10 * MIB * 6.25) / TIB + (2 * 1024 * 0.01) / 200e6, 12);
    expect(item(cost, 'commits (load jobs')).toMatchObject({ quantity: 8, usd: 0 });

    // Generator: 10 s start + 1 query (3 s) + 1,000 x (1,010 source + 1,050 request bytes) at 10 MB/s = 13.206 -> 13.3 s.
    // Processor: 10 s + 2 queries (6 s) + 4 loads (12 s) + 1,000 x (1,850 output + 600 + 250 staged) at 10 MB/s = 28.27 -> 28.3 s.
    // Planner and reporter: 10 s + 7 queries = 31 s each.
    expect(cost.batchSeconds).toMatchObject({ generator: 13.3, processor: 28.3, vertex: 900 + 1000 * 0.1 });
    expect(item(cost, 'job executions').quantity).toBeCloseTo(31 + 31 + 2 * (13.3 + 28.3), 9);
    expect(cost.byService.cloud_run).toBeCloseTo(145.2 * (0.000018 + 0.000002), 12);

    // Batch workflow: 69 steps + 17 polls of 6 (1,000 s at 60 s) + 7 and 10 polls of the jobs' runs.
    expect(item(cost, 'batch workflow steps').quantity).toBe(2 * (69 + 17 * 6 + 7 + 10));
    // Master: 100 + 10 a round + 2 per batch + 6 per look (18 looks of 60 s, the first >= 1,041.6 s) + 5 for the
    // failed page + 10 polls for each of the planner's and the reporter's runs.
    expect(cost.masterLooks).toBe(18);
    expect(item(cost, 'master workflow steps').quantity).toBe(100 + 10 + 4 + 6 * 18 + 5 + 20);
    expect(cost.byService.workflows).toBeCloseTo((376 + 247) * (0.01 / 1000), 12);
    expect(cost.workflowSteps).toBe(623);

    expect(item(cost, 'Class A').quantity).toBe(2 * 14 + 2);
    expect(item(cost, 'Class B').quantity).toBe(2 * 11 + 2);
    // 2,000 records x (1,050 request + 1,850 output + 600 result + 250 processed bytes), kept 30 days.
    expect(item(cost, 'work bucket storage').quantity).toBeCloseTo(0.0075, 12);
    expect(cost.byService.cloud_storage).toBeCloseTo((30 * 0.005) / 1000 + (24 * 0.0004) / 1000 + 0.0075 * 0.02, 12);

    expect(cost.expectedHours).toBeCloseTo((31 + 1080 + 31) / 3600, 12);
    expect(cost.prices).toEqual(p);
  });

  test('a table read by a query is billed 10 MB however little of it is read, and its bytes above that', () => {
    const small = pipelineCost({ ...SMALL, records: 10, batchSize: 10 });
    expect(item(small, 'generator queries').quantity).toBe(5 * 10 * MIB);
    const noMinimum = pipelineCost({ ...SMALL, records: 10, batchSize: 10, prices: { bigqueryMinBytesPerTable: 0 } });
    // One batch, an empty ledger: the batch's plan rows (10 x 56 bytes) and its staged rows (10 x 1,010 bytes).
    expect(item(noMinimum, 'generator queries').quantity).toBe(10 * 56 + 10 * 1010);
    // 100,000 records of 19,998 characters: a batch's own staged rows (20 MB) are over the minimum.
    const big = pipelineCost({ ...SMALL, records: 100_000, batchSize: 1000, avgChars: 19_998 });
    const batches = 100;
    const ledger = sumFloored(0, 1000 * 30, batches, 10 * MIB);
    const errors = sumFloored(0, 10 * 200, batches, 10 * MIB);
    expect(item(big, 'generator queries').quantity).toBe(2 * ledger + errors + batches * 10 * MIB + batches * 1000 * 20_010);
  });

  test('the ledger lookups grow with batches times ledger rows: ten times the records at the same batch size cost about a hundred times the bytes', () => {
    const prices = { bigqueryMinBytesPerTable: 0 };
    const one = pipelineCost({ ...SMALL, records: 1_000_000, prices });
    const ten = pipelineCost({ ...SMALL, records: 10_000_000, prices });
    const ratio = item(ten, 'processor queries').quantity / item(one, 'processor queries').quantity;
    expect(ratio).toBeGreaterThan(95);
    expect(ratio).toBeLessThan(101);
    const earlier = pipelineCost({ ...SMALL, records: 1_000_000, ledgerRecords: 5_000_000, prices });
    expect(item(earlier, 'processor queries').quantity).toBeGreaterThan(5 * item(one, 'processor queries').quantity);
  });

  test('a generator that joins the whole source (today) reads it once per batch; the staged inputs only its batch', () => {
    const staged = pipelineCost({ ...SMALL, records: 1_000_000, avgChars: 6000 });
    const whole = pipelineCost({ ...SMALL, records: 1_000_000, avgChars: 6000, generatorReadsSource: true });
    const sourceBytes = 1_000_000 * (10 + 6002);
    expect(item(whole, 'generator queries').quantity - item(staged, 'generator queries').quantity).toBe(
      1000 * sourceBytes - 1000 * Math.max(10 * MIB, 1000 * (10 + 6002)),
    );
  });

  test('overrides of prices and assumptions change the result, and only what they price', () => {
    const base = pipelineCost(SMALL);
    const dearer = pipelineCost({ ...SMALL, prices: { bigqueryOnDemandPerTiB: 12.5 } });
    expect(dearer.byService.bigquery).toBeCloseTo(2 * base.byService.bigquery - (2 * 1024 * 0.01) / 200e6, 12);
    expect(dearer.byService.workflows).toBe(base.byService.workflows);
    const slower = pipelineCost({ ...SMALL, assumptions: { ...SMALL.assumptions, vertexQueueSeconds: 3600 } });
    expect(slower.workflowSteps).toBeGreaterThan(base.workflowSteps);
    expect(slower.expectedHours).toBeGreaterThanOrEqual(base.expectedHours + 0.75 - 1e-9);
    const written = pipelineCost({ ...SMALL, commit: 'storage-write-api' });
    expect(item(written, 'commits (Storage Write API)').usd).toBeCloseTo(((2000 * 850 + 20 * 200) / 2 ** 30) * 0.025, 12);
  });

  test('refuses assumptions it cannot compute with', () => {
    expect(() => pipelineCost({ ...SMALL, assumptions: { jobBytesPerSecond: 0 } })).toThrow(/jobBytesPerSecond must be more than 0, got 0/);
    expect(() => pipelineCost({ ...SMALL, assumptions: { errorFraction: 2 } })).toThrow(/errorFraction must be from 0 to 1, got 2/);
  });
});

describe('the parts of the model', () => {
  test('sumFloored is the sum of max(floor, a + b i) over i', () => {
    for (const [a, b, n, floor] of [
      [0, 3, 10, 7],
      [5, 0, 4, 7],
      [9, 0, 4, 7],
      [0, 2.5, 7, 6],
      [20, 1, 5, 7],
      [0, 1, 0, 7],
    ] as const) {
      let loop = 0;
      for (let i = 0; i < n; i++) loop += Math.max(floor, a + b * i);
      expect(sumFloored(a, b, n, floor)).toBeCloseTo(loop, 9);
    }
  });

  test('a connector polls after 1 s, then 1.25 times longer each time, at most 60 s apart', () => {
    expect(connectorPolls(0)).toBe(0);
    expect(connectorPolls(1)).toBe(1);
    expect(connectorPolls(2.25)).toBe(2);
    expect(connectorPolls(2.26)).toBe(3);
    // The delays reach 60 s after 20 polls (about 236 s waited); an hour later, 60 more.
    expect(connectorPolls(3600 + 236) - connectorPolls(236)).toBe(60);
  });

  test("the master starts batches only when it looks, and paces its looks by the round's age, then by its batches' time", () => {
    expect(simulateRound(3, 1, 30)).toEqual({ seconds: 180, looks: 3, startedFirstDay: 3 });
    expect(simulateRound(3, 3, 30)).toEqual({ seconds: 60, looks: 1, startedFirstDay: 3 });
    const pace = { count: 921, finished: 0, lanes: 8, looks: 0, lookBudget: lookBudget(1, 921) };
    // Before a batch has finished: a two-hundredth of the round's age, from a minute to an hour.
    expect(masterPauseSeconds({ ...pace, waited: 0 })).toBe(60);
    expect(masterPauseSeconds({ ...pace, waited: 24_000 })).toBe(120);
    expect(masterPauseSeconds({ ...pace, waited: 10 ** 7 })).toBe(3600);
    // After two days, 96 batches finished on 8 lanes: 4 hours a batch, so every 6 minutes (the
    // age alone would say 14).
    expect(masterPauseSeconds({ ...pace, waited: 172_800, finished: 96, looks: 500 })).toBe(360);
    // The largest plan, a thousand of its 25,000 batches done after ten days: the looks its budget
    // leaves must last the 240 days still needed, so once an hour.
    expect(lookBudget(1, 25_000)).toBe(4166);
    expect(masterPauseSeconds({ waited: 864_000, count: 25_000, finished: 1000, lanes: 8, looks: 1000, lookBudget: 4166 })).toBe(3600);
    expect(lookBudget(2, 250)).toBe(2000);
    // 921 batches of about 4 hours on 8 lanes (100M records): lanes idle under 4% of the time, in
    // under 5,000 looks.
    const big = simulateRound(921, 8, 15_000);
    expect(big.seconds / ((921 / 8) * 15_000)).toBeLessThan(1.04);
    expect(big.looks).toBeLessThan(5000);
    // 100 batches of 10 minutes on one lane: looked at every minute, none waits.
    const round = simulateRound(100, 1, 600);
    expect(round.seconds).toBe(100 * 600);
    expect(round.looks).toBeLessThanOrEqual(lookBudget(1, 100));
    expect(round.startedFirstDay).toBe(100);
  });

  test.each([0, 1, 4])('the batch workflow takes %i running polls in the steps the model counts (local engine)', async (running) => {
    const states = ['JOB_STATE_QUEUED', ...Array<string>(running).fill('JOB_STATE_RUNNING'), 'JOB_STATE_SUCCEEDED'];
    const cloud = new ScriptedCloud({ batchCount: 1, vertex: () => states });
    const outcome = await cloud.run(cloud.batch, { execution_id: 'x', batch_id: 0, attempt: 1 });
    expect(outcome.state).toBe('SUCCEEDED');
    expect(outcome.stats.steps).toBe(BATCH_WORKFLOW_STEPS.perAttempt + BATCH_WORKFLOW_STEPS.perPoll * (running + 1));
  });
});
