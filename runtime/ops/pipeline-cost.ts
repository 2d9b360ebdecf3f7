/**
 * The pipeline's own cost and duration for one run, beside the model's: what BigQuery, Cloud Run,
 * Workflows and Cloud Storage charge for the work the jobs and workflows do, priced from the
 * dated table in `runtime/contract/cloud-prices.ts`. Pure: no cloud is contacted.
 *
 * What a run does, as the code does it (first attempts only; retried batches cost their share
 * again):
 * - the planner job scans the source's referenced columns once and writes the plan
 *   (`runtime/core/sql.ts`: plan_skipped, under `auto` plan_measure, plan_assign, plan_stage,
 *   plan_counts, plan_events, the `executions` row);
 * - per batch, the batch workflow (`workflows/batch.yaml`) claims the attempt, runs the generator
 *   (one `batch_records` query; the requests JSONL to Cloud Storage), creates the Vertex AI job,
 *   polls it every `pollIntervalSeconds`, runs the processor (`batch_planned` twice: once to plan
 *   the matching, once to settle; it reads the outputs and commits with one load job per table
 *   that has rows) and records a `submitted` event with a streaming insert;
 * - the master (`workflows/master-orchestrator.yaml`) starts each batch's execution and looks at
 *   its running children with a pause that grows with the round's age;
 * - the reporter job runs the report queries once.
 *
 * The ledger lookups of `batch_records` and `batch_planned` (`processed_records`, the results and
 * `error_tracking`, joined on record id) cannot prune by cluster, so each reads the ids and
 * versions of the whole ledger: billed bytes grow with batches x ledger rows. They are priced as
 * full scans of the columns they read, an upper bound.
 */
import {
  analysisVersion,
  CHARS_PER_TOKEN,
  CLOUD_PRICES,
  CloudPrices,
  CONNECTOR_POLLING,
  DEFAULT_ANALYSIS,
  DEFAULTS,
  RUN_ASSUMPTIONS,
  RunAssumptions,
  TABLE_NAMES,
} from '../contract';
import { batchSizes, uniformLayout, type BatchLayout } from '../core/batch-size';

/**
 * Steps of one attempt of the batch workflow on its success path, besides its polls of the Vertex
 * AI job, and the steps of one poll (`poll_check` to `poll_limits`). Counted by running
 * `workflows/batch.yaml` on the local engine (the test of this module runs it again).
 */
export const BATCH_WORKFLOW_STEPS = { perAttempt: 69, perPoll: 6 } as const;

/** The master's own account of its steps (`run_round`'s `steps` and `init_rounds`'s `steps_spent`). */
export const MASTER_STEPS = { outsideRounds: 100, perRound: 10, perBatch: 2, perLook: 6, perFailedPage: 5 } as const;

/** Where a round of the master stands when it pauses before its next look at its children. */
export interface RoundPace {
  /** Seconds waited so far in the round. */
  readonly waited: number;
  /** Batches of the round, and those finished (started and no longer running). */
  readonly count: number;
  readonly finished: number;
  readonly lanes: number;
  /** Looks so far, and the round's budget of them (`lookBudget`). */
  readonly looks: number;
  readonly lookBudget: number;
}

/** Looks the master allows a round: what its batches leave of 75,000 steps in the first, 2,000 in a retry round. */
export function lookBudget(round: number, count: number): number {
  return round === 1 ? Math.max(2000, Math.floor((75_000 - 2 * count) / 6)) : 2000;
}

/**
 * The master's pause between two looks at its running children (`wait` in run_round,
 * workflows/master-orchestrator.yaml, computes the same): until a batch has finished, a
 * two-hundredth of the round's age; then a fortieth of a batch's time as the round has seen it, or
 * the age's two-hundredth when smaller, but never so short that the looks left would run out before
 * the time the round still needs; from a minute to an hour.
 */
export function masterPauseSeconds(p: RoundPace): number {
  const age = Math.floor(p.waited / 200);
  const finished = Math.max(1, p.finished);
  const paced = Math.max(
    Math.min(age, Math.floor((p.waited * p.lanes) / (40 * finished))),
    Math.floor(((p.count - p.finished) * p.waited) / (finished * Math.max(1, p.lookBudget - p.looks))),
  );
  return Math.min(3600, Math.max(60, p.finished === 0 ? age : paced));
}

/** The services a run pays for besides the model, as `--json`'s `pipeline_cost_breakdown` names them. */
export type Service = 'bigquery' | 'cloud_run' | 'workflows' | 'cloud_storage';

/** One priced quantity of a run: what is counted, how much of it, and what it costs. */
export interface LineItem {
  readonly service: Service;
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number;
}

/** A run to price: its size, its settings, and any price or assumption to use instead of the defaults. */
export interface PipelineCostInput {
  /** Records the plan takes. */
  readonly records: number;
  /** Records per batch, and so per Vertex AI job. */
  readonly batchSize: number;
  /** How the plan's rows fall into batches, when not all batches hold `batchSize` (`auto`). */
  readonly layout?: BatchLayout;
  /** Whether the planner measures the plan's records and text first (`plan_measure`, under `auto`). @default false */
  readonly measured?: boolean;
  /** Average transcript length in characters. */
  readonly avgChars: number;
  /** Characters every request carries besides the transcript: instructions, prompt, schema. */
  readonly overheadChars: number;
  /** Expected output tokens per record (thinking included). */
  readonly outputTokensPerRecord: number;
  /** @default DEFAULTS.maxConcurrentBatches */
  readonly maxConcurrentBatches?: number;
  /** @default DEFAULTS.pollIntervalSeconds */
  readonly pollIntervalSeconds?: number;
  /** Records already in the ledger tables (earlier runs, all versions) when the run starts. @default 0 */
  readonly ledgerRecords?: number;
  /**
   * Whether each generator joins the whole source table, as it did before the planner staged the
   * batch inputs (a baseline for comparison). By default a generator reads only its own batch's
   * rows of `batch_inputs`, clustered by (execution_id, batch_id).
   * @default false
   */
  readonly generatorReadsSource?: boolean;
  /** How results are committed: load jobs (today) or the Storage Write API. @default 'load-jobs' */
  readonly commit?: 'load-jobs' | 'storage-write-api';
  /** @default DEFAULTS.jobCpu */
  readonly jobCpu?: number;
  /** @default DEFAULTS.jobMemoryMiB */
  readonly jobMemoryMiB?: number;
  /** @default DEFAULTS.workRetentionDays */
  readonly workRetentionDays?: number;
  /** Prices to use instead of the table's. */
  readonly prices?: Partial<CloudPrices>;
  /** Assumptions to use instead of the defaults. */
  readonly assumptions?: Partial<RunAssumptions>;
}

/** The run's own cost by line item and service, its counts, and its expected duration. */
export interface PipelineCost {
  /** USD, all services together. */
  readonly usd: number;
  readonly commit: 'load-jobs' | 'storage-write-api';
  /** Whether the planner measured the plan first (`auto`). */
  readonly measured: boolean;
  readonly byService: Readonly<Record<Service, number>>;
  readonly items: readonly LineItem[];
  readonly batches: number;
  readonly vertexJobs: number;
  readonly bigqueryBytesBilled: number;
  readonly loadJobs: number;
  readonly workflowSteps: number;
  /** Seconds one batch takes from its generator's start to its processor's end. */
  readonly batchSeconds: { readonly generator: number; readonly vertex: number; readonly processor: number; readonly total: number };
  /** Looks of the master at its running children over the run's first round. */
  readonly masterLooks: number;
  /** Batches started in the run's first 24 hours: each loads every table it writes once. */
  readonly batchesFirstDay: number;
  readonly expectedHours: number;
  readonly prices: CloudPrices;
  readonly assumptions: RunAssumptions;
}

const SERVICES: readonly Service[] = ['bigquery', 'cloud_run', 'workflows', 'cloud_storage'];
const TIB = 2 ** 40;
const GIB = 2 ** 30;

/** BigQuery's size of a STRING value: 2 bytes plus its UTF-8 bytes. */
const stringBytes = (chars: number) => 2 + chars;
const INT64_BYTES = 8;
/** `processed_records.status`, read by the reporter: a short STRING. */
const STATUS_BYTES = stringBytes(9);
/** A `processed_records` row as a staged JSON line. */
const PROCESSED_ROW_JSON_BYTES = 250;

/** Sum over i = 0..n-1 of max(floor, a + b*i), for b >= 0. */
export function sumFloored(a: number, b: number, n: number, floor: number): number {
  if (n <= 0) return 0;
  const below = b > 0 ? Math.min(n, Math.max(0, Math.ceil((floor - a) / b))) : a < floor ? n : 0;
  const rest = n - below;
  return below * floor + rest * a + (b * (n * (n - 1) - below * (below - 1))) / 2;
}

/** Polls a connector makes while it waits `seconds` for a long-running operation. */
export function connectorPolls(seconds: number): number {
  let waited = 0;
  let delay: number = CONNECTOR_POLLING.initialDelaySeconds;
  let polls = 0;
  while (waited < seconds) {
    waited += delay;
    polls++;
    delay = Math.min(CONNECTOR_POLLING.maxDelaySeconds, delay * CONNECTOR_POLLING.multiplier);
  }
  return polls;
}

/**
 * The master's first round as `run_round` runs it: start batches while lanes are free, pause, list
 * the running children, again. Returns the round's seconds and looks, and the batches started in
 * its first 24 hours, every batch taking `batchSeconds`.
 */
export function simulateRound(
  batches: number,
  lanes: number,
  batchSeconds: number | readonly number[],
): { seconds: number; looks: number; startedFirstDay: number } {
  const took = (b: number) => (typeof batchSeconds === 'number' ? batchSeconds : batchSeconds[b]!);
  const ends: number[] = [];
  let t = 0;
  let waited = 0;
  let looks = 0;
  let finished = 0;
  let running = 0;
  let startedFirstDay = 0;
  for (;;) {
    if (ends.length < batches && running < lanes) {
      const upto = Math.min(batches, ends.length + lanes - running);
      if (t < 86400) startedFirstDay += upto - ends.length;
      while (ends.length < upto) ends.push(t + took(ends.length));
    } else if (ends.length >= batches && running === 0) {
      return { seconds: t, looks, startedFirstDay };
    }
    const pause = masterPauseSeconds({ waited, count: batches, finished, lanes, looks, lookBudget: lookBudget(1, batches) });
    waited += pause;
    looks++;
    t += pause;
    finished = ends.filter((end) => end <= t).length;
    running = ends.length - finished;
  }
}

/**
 * Prices one run's own work (first attempts) and estimates its duration.
 *
 * @see the module comment for what is counted, and `runtime/contract/cloud-prices.ts` for the
 * prices and assumptions.
 */
export function pipelineCost(input: PipelineCostInput): PipelineCost {
  const prices: CloudPrices = { ...CLOUD_PRICES, ...input.prices };
  const a: RunAssumptions = { ...RUN_ASSUMPTIONS, ...input.assumptions };
  if (!(a.jobBytesPerSecond > 0)) throw new RangeError(`jobBytesPerSecond must be more than 0, got ${a.jobBytesPerSecond}`);
  if (!(a.errorFraction >= 0 && a.errorFraction <= 1)) throw new RangeError(`errorFraction must be from 0 to 1, got ${a.errorFraction}`);
  const lanes = input.maxConcurrentBatches ?? DEFAULTS.maxConcurrentBatches;
  const pollInterval = input.pollIntervalSeconds ?? DEFAULTS.pollIntervalSeconds;
  const ledger0 = input.ledgerRecords ?? 0;
  const cpu = input.jobCpu ?? DEFAULTS.jobCpu;
  const memoryGiB = (input.jobMemoryMiB ?? DEFAULTS.jobMemoryMiB) / 1024;
  const retentionDays = input.workRetentionDays ?? DEFAULTS.workRetentionDays;
  const n = input.records;
  const sizes = batchSizes(input.layout ?? uniformLayout(n, input.batchSize));
  const batches = sizes.length;
  const perBatch = batches === 0 ? 0 : n / batches;
  const min = prices.bigqueryMinBytesPerTable;
  const items: LineItem[] = [];
  const add = (service: Service, item: string, quantity: number, unit: string, usd: number) =>
    items.push({ service, item, quantity, unit, usd });

  const m = jobWork(input);
  const { key, assignment, sourceRow, requestBytes, outputBytes, errorsPer } = m.sizes;
  const plannerBytes = m.planner(n, ledger0).bytesBilled;
  // Per batch: the ledger tables hold what earlier batches committed, a linear growth by batch;
  // summed in closed form here (the same sums as m.generator and m.processor batch by batch).
  const ledgerRows = (i0: number, perStep: number, bytes: number) => ({ a: i0 * bytes, b: perStep * bytes });
  const keys = ledgerRows(ledger0, perBatch, key);
  const errors = ledgerRows(ledger0 * errorsPer, perBatch * errorsPer, a.errorRowBytes);
  const ledgerScan = (rows: { a: number; b: number }) => sumFloored(rows.a, rows.b, batches, min);
  const ledgerPerLookup = 2 * ledgerScan(keys) + ledgerScan(errors);
  const batchOwn = batches * Math.max(min, perBatch * assignment);
  const generatorInput = input.generatorReadsSource
    ? batches * Math.max(min, (ledger0 + n) * sourceRow)
    : batches * Math.max(min, perBatch * sourceRow);
  const generatorBytes = ledgerPerLookup + batchOwn + generatorInput;
  const processorBytes = 2 * (ledgerPerLookup + batchOwn);
  const reporterBytes = m.reporter(n, ledger0).bytesBilled;
  const queryUsd = (bytes: number) => (bytes / TIB) * prices.bigqueryOnDemandPerTiB;
  add('bigquery', 'planner queries (source scanned once)', plannerBytes, 'bytes', queryUsd(plannerBytes));
  add('bigquery', 'generator queries (batch rows + ledger lookups)', generatorBytes, 'bytes', queryUsd(generatorBytes));
  add('bigquery', 'processor queries (2 per batch, ledger lookups)', processorBytes, 'bytes', queryUsd(processorBytes));
  add('bigquery', 'reporter queries', reporterBytes, 'bytes', queryUsd(reporterBytes));
  const eventRows = batches;
  add(
    'bigquery',
    'batch events (streaming inserts)',
    eventRows,
    'rows',
    ((eventRows * prices.bigqueryStreamingMinRowBytes) / 200e6) * prices.bigqueryStreamingInsertPer200MB,
  );
  // The processor loads results, processed records and its event, and errors when it has some;
  // the generator loads only rows a first attempt rarely has (records it cannot send, repairs).
  const loadJobs = batches * m.processor(perBatch, ledger0).loads.length;
  const committedBytes = n * (a.resultRowBytes + PROCESSED_ROW_JSON_BYTES) + n * errorsPer * a.errorRowBytes;
  if (input.commit === 'storage-write-api') {
    add('bigquery', 'commits (Storage Write API)', committedBytes, 'bytes', (committedBytes / GIB) * prices.bigqueryStorageWritePerGiB);
  } else {
    add('bigquery', 'commits (load jobs, free)', loadJobs, 'load jobs', loadJobs * prices.bigqueryLoadJob);
  }

  // Cloud Run: seconds each job runs, billed per 100 ms.
  const plannerSeconds = m.planner(n, ledger0).seconds;
  const generatorSeconds = m.generator(perBatch, ledger0).seconds;
  const processorSeconds = m.processor(perBatch, ledger0).seconds;
  const reporterSeconds = m.reporter(n, ledger0).seconds;
  const runUsd = (s: number) => s * (cpu * prices.cloudRunVcpuSecond + memoryGiB * prices.cloudRunGibSecond);
  const jobSeconds = plannerSeconds + reporterSeconds + batches * (generatorSeconds + processorSeconds);
  add('cloud_run', `job executions (${cpu} vCPU, ${memoryGiB} GiB)`, jobSeconds, 'seconds', runUsd(jobSeconds));

  // Workflows: the batch workflow's steps and polls, the master's steps and looks, connector polls.
  // Batch by batch, since `auto` ends a plan in smaller batches.
  const vertexSeconds = batches === 0 ? 0 : a.vertexQueueSeconds + perBatch * a.vertexSecondsPerRecord;
  const batchTotal = generatorSeconds + vertexSeconds + processorSeconds;
  const timeline = sizes.map((size) => {
    const generator = m.generator(size, ledger0).seconds;
    const vertex = a.vertexQueueSeconds + size * a.vertexSecondsPerRecord;
    const processor = m.processor(size, ledger0).seconds;
    const steps =
      BATCH_WORKFLOW_STEPS.perAttempt +
      BATCH_WORKFLOW_STEPS.perPoll * Math.max(1, Math.ceil(vertex / pollInterval)) +
      connectorPolls(generator) +
      connectorPolls(processor);
    return { seconds: generator + vertex + processor, steps };
  });
  const round =
    batches === 0
      ? { seconds: 0, looks: 0, startedFirstDay: 0 }
      : simulateRound(
          batches,
          lanes,
          timeline.map((b) => b.seconds),
        );
  const batchSteps = timeline.reduce((total, b) => total + b.steps, 0);
  const masterSteps =
    MASTER_STEPS.outsideRounds +
    MASTER_STEPS.perRound +
    MASTER_STEPS.perBatch * batches +
    MASTER_STEPS.perLook * round.looks +
    MASTER_STEPS.perFailedPage +
    connectorPolls(plannerSeconds) +
    connectorPolls(reporterSeconds);
  const stepUsd = (steps: number) => (steps / 1000) * prices.workflowsInternalPerThousandSteps;
  add('workflows', 'batch workflow steps (Vertex AI polls included)', batchSteps, 'steps', stepUsd(batchSteps));
  add('workflows', 'master workflow steps', masterSteps, 'steps', stepUsd(masterSteps));
  // Every call the workflows make goes to *.googleapis.com: no external steps.
  add('workflows', 'external HTTP calls', 0, 'steps', 0);

  // Cloud Storage: objects written and read per batch and per run, and what the work bucket keeps.
  const ops = WORKFLOW_OBJECT_OPERATIONS;
  const gen = m.generator(perBatch, ledger0);
  const proc = m.processor(perBatch, ledger0);
  const perRun = (k: 'classA' | 'classB') => m.planner(n, ledger0)[k] + m.reporter(n, ledger0)[k] + ops.master[k];
  const perBatchOps = (k: 'classA' | 'classB') => gen[k] + proc[k] + ops.batch[k] + ops.vertexJob[k];
  const classA = batches * perBatchOps('classA') + perRun('classA');
  const classB = batches * perBatchOps('classB') + perRun('classB');
  add('cloud_storage', 'Class A operations', classA, 'operations', (classA / 1000) * prices.storageClassAPerThousand);
  add('cloud_storage', 'Class B operations', classB, 'operations', (classB / 1000) * prices.storageClassBPerThousand);
  const storedBytes = n * (requestBytes + outputBytes + a.resultRowBytes + PROCESSED_ROW_JSON_BYTES);
  const gbMonths = (storedBytes / 1e9) * (retentionDays / 30);
  add('cloud_storage', `work bucket storage (${retentionDays} days)`, gbMonths, 'GB-months', gbMonths * prices.storageGbMonth);

  const byService = Object.fromEntries(
    SERVICES.map((s) => [s, items.filter((i) => i.service === s).reduce((t, i) => t + i.usd, 0)]),
  ) as Record<Service, number>;
  return {
    commit: input.commit ?? 'load-jobs',
    measured: input.measured ?? false,
    usd: SERVICES.reduce((t, s) => t + byService[s], 0),
    byService,
    items,
    batches,
    vertexJobs: batches,
    bigqueryBytesBilled: plannerBytes + generatorBytes + processorBytes + reporterBytes,
    loadJobs,
    workflowSteps: batchSteps + masterSteps,
    batchSeconds: { generator: generatorSeconds, vertex: vertexSeconds, processor: processorSeconds, total: batchTotal },
    masterLooks: round.looks,
    batchesFirstDay: round.startedFirstDay,
    expectedHours: (plannerSeconds + round.seconds + reporterSeconds) / 3600,
    prices,
    assumptions: a,
  };
}

/** The sizes, in bytes, that a run's statements and files are priced by. */
export interface RecordSizes {
  /** A record id as BigQuery stores it. */
  readonly id: number;
  /** A record id and an analysis version: what the ledger lookups read per row. */
  readonly key: number;
  /** A `batch_assignments` row's columns the statements read. */
  readonly assignment: number;
  /** A source row's id and text. */
  readonly sourceRow: number;
  /** One request line of `input.jsonl`. */
  readonly requestBytes: number;
  /** One line of Vertex AI's output: the echoed request and the answer. */
  readonly outputBytes: number;
  /** `error_tracking` rows per record. */
  readonly errorsPer: number;
}

/** What one job run is billed for: query bytes, seconds of Cloud Run, and the tables it loads. */
export interface JobWork {
  readonly bytesBilled: number;
  /** Seconds the execution runs, rounded up to Cloud Run's 100 ms. */
  readonly seconds: number;
  /** The tables it loads, one load job (one table operation) each. */
  readonly loads: readonly string[];
  /** Cloud Storage objects it writes or lists (Class A) and reads (Class B). */
  readonly classA: number;
  readonly classB: number;
}

/**
 * Cloud Storage operations besides the jobs': the batch workflow claims an attempt and reads its
 * manifest and result; the master reads the plan and the summary; a Vertex AI job reads its input
 * and writes its output file.
 */
export const WORKFLOW_OBJECT_OPERATIONS = {
  batch: { classA: 1, classB: 2 },
  master: { classA: 0, classB: 2 },
  vertexJob: { classA: 1, classB: 1 },
} as const;

/** The work of each job of a run, for `records` records when the ledger holds `ledgerRows` rows. */
export interface JobWorkModel {
  readonly sizes: RecordSizes;
  planner(records: number, ledgerRows: number): JobWork;
  generator(records: number, ledgerRows: number): JobWork;
  processor(records: number, ledgerRows: number): JobWork;
  reporter(records: number, ledgerRows: number): JobWork;
}

/**
 * Each job's billable work, statement by statement, as `pipelineCost` sums it for a whole run and
 * `tapctl rehearse` counts it job by job. `records` is what the job works on (the plan for the
 * planner and the reporter, one batch for the others); `ledgerRows` the rows the ledger tables hold
 * when it starts (earlier runs and batches).
 */
export function jobWork(input: PipelineCostInput): JobWorkModel {
  const prices: CloudPrices = { ...CLOUD_PRICES, ...input.prices };
  const a: RunAssumptions = { ...RUN_ASSUMPTIONS, ...input.assumptions };
  const min = prices.bigqueryMinBytesPerTable;
  // Sizes of the columns each statement reads (BigQuery bills logical bytes of the columns read).
  const id = stringBytes(a.recordIdChars);
  const version = stringBytes(analysisVersion(DEFAULT_ANALYSIS).length);
  const key = id + version;
  const assignment = stringBytes(a.executionIdChars) + 2 * INT64_BYTES + key;
  const sourceRow = id + stringBytes(input.avgChars);
  const requestBytes = (input.overheadChars + input.avgChars) * a.requestBytesPerChar;
  const outputBytes = requestBytes + input.outputTokensPerRecord * CHARS_PER_TOKEN + a.outputLineOverheadBytes;
  const errorsPer = a.errorFraction;
  const errorRow = a.errorRowBytes;
  // BigQuery queries, table by table, each at least the minimum.
  const billed = (...tables: number[]) => tables.reduce((sum, bytes) => sum + Math.max(min, bytes), 0);
  const seconds = (queries: number, loads: number, bytes: number) =>
    Math.ceil((a.jobStartSeconds + queries * a.querySeconds + loads * a.loadJobSeconds + bytes / a.jobBytesPerSecond) * 10) / 10;
  // The ledger lookups of `batch_records` and `batch_planned`: ids and versions of processed
  // records and results, and the error rows, whole (they cannot prune by cluster).
  const lookup = (ledger: number) => billed(ledger * key, ledger * key, ledger * errorsPer * errorRow);
  const processorLoads = (records: number): string[] => [
    TABLE_NAMES.results,
    TABLE_NAMES.processedRecords,
    TABLE_NAMES.batchEvents,
    ...(records * errorsPer >= 1 ? [TABLE_NAMES.errorTracking] : []),
  ];
  return {
    sizes: { id, key, assignment, sourceRow, requestBytes, outputBytes, errorsPer },
    planner: (n, ledger) => ({
      bytesBilled:
        // Each statement that chooses records also reads `forgotten` (at its minimum).
        billed((ledger + n) * id, ledger * (key + STATUS_BYTES), 0) + // plan_skipped
        // plan_measure, under auto: the eligible records and the bytes of their text.
        (input.measured ? billed((ledger + n) * sourceRow, ledger * key, ledger * errorsPer * errorRow, 0) : 0) +
        billed((ledger + n) * id, ledger * key, ledger * errorsPer * errorRow, ledger * assignment, 0) + // plan_assign
        // plan_stage: the batch inputs staged once, clustered by (execution_id, batch_id).
        (input.generatorReadsSource ? 0 : billed((ledger + n) * sourceRow, n * assignment)) +
        billed(n * assignment) + // plan_counts
        billed(n * assignment, 0) + // plan_events
        billed(0) + // plan_execution
        billed(0), // report_plan, read by the planner first
      seconds: seconds(input.measured ? 8 : 7, 0, 0),
      loads: [],
      // plan.json; its commit plan checked.
      classA: 1,
      classB: 0,
    }),
    generator: (records, ledger) => ({
      // Its own batch's staged rows (a cluster of batch_inputs) and its assignments, and the
      // ledger lookups; generatorReadsSource prices the former join of the whole source instead.
      bytesBilled:
        lookup(ledger) +
        billed(records * assignment) +
        billed(input.generatorReadsSource ? ((input.ledgerRecords ?? 0) + input.records) * sourceRow : records * sourceRow),
      seconds: seconds(1, 0, records * (sourceRow + requestBytes)),
      loads: [],
      // input.jsonl, two staged files and their commit plan, manifest.json; the commit plan checked.
      classA: 5,
      classB: 1,
    }),
    processor: (records, ledger) => ({
      // batch_planned twice: to plan the matching, and to settle.
      bytesBilled: 2 * (lookup(ledger) + billed(records * assignment)),
      seconds: seconds(2, processorLoads(records).length, records * (outputBytes + a.resultRowBytes + PROCESSED_ROW_JSON_BYTES)),
      loads: processorLoads(records),
      // The output listed; four staged files, their commit plan, result.json. The commit plan
      // checked twice, the output read, each load's staged file read.
      classA: 7,
      classB: 3 + processorLoads(records).length,
    }),
    reporter: (n, ledger) => ({
      bytesBilled:
        billed(0) + // report_plan
        billed(n * assignment, (ledger + n) * key, (ledger + n) * (key + STATUS_BYTES)) + // report_records
        billed(0) + // report_batches
        billed((ledger + n) * errorsPer * errorRow) + // report_errors
        billed(0) + // report_usage
        billed(0), // report_execution
      seconds: seconds(7, 0, 0),
      loads: [],
      // summary.json.
      classA: 1,
      classB: 0,
    }),
  };
}
