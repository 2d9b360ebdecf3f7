/**
 * The planner job: assigns every source record not yet settled for the analysis version to a batch,
 * in one statement (the plan snapshot), stages the planned records' text for the generators in
 * another (`batch_inputs`: the run's one read of the source's text), records the run, and writes
 * `plan.json` for the master workflow. Running it again for the same master execution (a retried task) changes nothing and
 * writes the same plan; a different master execution reusing the execution id is refused, since
 * the records it was meant to plan would not be in the old plan.
 */
import { BatchSizeSetting, DEFAULTS, layout, LIMITS, LOG_EVENTS, ModelPrice, PlanDocument, RUN_ENV } from '../contract';
import {
  autoBatchLayout,
  batchCount as batchesOf,
  describeLayout,
  describeSizes,
  layoutOfShape,
  sameBatches,
  uniformLayout,
  type BatchLayout,
} from '../core/batch-size';
import {
  CommonConfig,
  commonConfig,
  ConfigError,
  maxRecordAttempts,
  modelPrice,
  optionalBool,
  optionalInt,
  promptInputs,
  sourceRef,
  templateColumns,
  upstreamFields,
} from '../core/config';
import { iso, nowOf, num } from '../core/jobkit';
import type { JobEnv, JobRun } from '../core/ports';
import { generate, requestTemplate } from '../core/requests';
import {
  insertExecution,
  planAssign,
  planCounts,
  planEvents,
  planMeasure,
  planPreview,
  planSkipped,
  planStage,
  reportPlan,
  type PlanParams,
} from '../core/sql';

export interface PlannerConfig extends CommonConfig {
  readonly batchSize: BatchSizeSetting;
  readonly maxConcurrentBatches: number;
  readonly limit: number | null;
  readonly dryRun: boolean;
  readonly maxRecordAttempts: number;
  /** The master workflow execution that runs this planner, when one does. */
  readonly masterExecution: string | null;
  /** The model's price, kept with the plan so that every report of the run prices it alike. */
  readonly price: ModelPrice;
}

export function config(env: JobEnv): PlannerConfig {
  const common = commonConfig(env);
  return {
    ...common,
    batchSize:
      env[RUN_ENV.batchSize]?.trim() === 'auto'
        ? 'auto'
        : (optionalInt(env, RUN_ENV.batchSize, 1, LIMITS.maxBatchSize) ?? DEFAULTS.batchSize),
    maxConcurrentBatches: optionalInt(env, RUN_ENV.maxConcurrentBatches, 1, LIMITS.maxConcurrentBatches) ?? DEFAULTS.maxConcurrentBatches,
    limit: optionalInt(env, RUN_ENV.limit, 1, Number.MAX_SAFE_INTEGER) ?? null,
    dryRun: optionalBool(env, RUN_ENV.dryRun),
    maxRecordAttempts: maxRecordAttempts(env),
    masterExecution: env[RUN_ENV.masterExecution]?.trim() || null,
    price: modelPrice(env, common.analysis.model),
  };
}

/** A run whose execution id another run already planned. */
export class ExecutionReusedError extends ConfigError {
  constructor(executionId: string, plannedAt: string) {
    super(
      RUN_ENV.executionId,
      `execution ${executionId} was already planned at ${plannedAt} by another run, and a plan is never changed: ` +
        `give a new execution id to plan what is waiting now, or continue that run with tapctl recover --execution ${executionId} --all-failed`,
    );
    this.name = 'ExecutionReusedError';
  }
}

/**
 * Bytes of a request whose text is one character, less that character: what every request adds to
 * its text (instruction, schema, labels, the record part), for a 36-character record id.
 */
function requestOverheadBytes(cfg: PlannerConfig): number {
  const columns = Object.fromEntries(promptInputs(cfg.analysis.promptTemplate).map((c) => [c, '']));
  const limits = { maxTranscriptChars: LIMITS.maxTranscriptChars, maxRequestBytes: LIMITS.maxRequestBytes };
  const generated = generate(requestTemplate(cfg.analysis), { recordId: 'x'.repeat(36), transcript: 'x', columns }, limits);
  return generated.kind === 'request' ? Buffer.byteLength(generated.line) : 0;
}

export const run: JobRun<PlanDocument> = async (env, ports) => {
  const cfg = config(env);
  const { warehouse: wh, store, log } = ports;
  const t = (id: string) => wh.table(id);
  const now = nowOf(ports).toISOString();
  const source = sourceRef(cfg);
  log.log('INFO', 'planning', {
    event: LOG_EVENTS.jobStarted,
    analysis: cfg.analysisName,
    analysis_version: cfg.analysisVersion,
    batch_size: cfg.batchSize,
  });
  let planParams: PlanParams = {
    executionId: cfg.executionId,
    analysisVersion: cfg.analysisVersion,
    batchSize: typeof cfg.batchSize === 'number' ? cfg.batchSize : 1,
    limit: cfg.limit,
    plannedAt: now,
  };

  const [existing] = await wh.query(reportPlan(t, cfg.executionId));
  if (existing && !cfg.dryRun) {
    const params = typeof existing.params === 'string' ? (JSON.parse(existing.params) as { master_execution?: string | null }) : {};
    if (!cfg.masterExecution || params.master_execution !== cfg.masterExecution) {
      throw new ExecutionReusedError(cfg.executionId, iso(existing.event_time) ?? 'an earlier time');
    }
  }
  const [skipped] = await wh.query(planSkipped(t, source, cfg.analysisVersion));
  const skippedDedup = num(skipped?.skipped_dedup) ?? 0;
  const skippedExhausted = num(skipped?.skipped_exhausted) ?? 0;

  let chosen: BatchLayout | undefined;
  if (cfg.batchSize === 'auto') {
    const [m] = await wh.query(planMeasure(t, source, planParams));
    const measured = num(m?.records) ?? 0;
    const textBytes = num(m?.text_bytes) ?? 0;
    chosen = autoBatchLayout({
      records: measured,
      textBytes,
      requestOverheadBytes: requestOverheadBytes(cfg),
      maxConcurrentBatches: cfg.maxConcurrentBatches,
    });
    planParams = {
      ...planParams,
      batchSize: chosen.batchSize,
      tail: { firstBatch: chosen.tailFirstBatch, batchSize: chosen.tailBatchSize },
    };
    log.log('INFO', `batch size ${describeSizes(chosen)} chosen for ${measured} records of ${textBytes} bytes`, {
      records: measured,
      text_bytes: textBytes,
      batch_size: chosen.batchSize,
      tail_first_batch: chosen.tailFirstBatch,
      tail_batch_size: chosen.tailBatchSize,
      max_concurrent_batches: cfg.maxConcurrentBatches,
    });
  }

  let planned: BatchLayout;
  let createdAt = now;
  if (cfg.dryRun) {
    const records = chosen?.records ?? num((await wh.query(planPreview(t, source, planParams)))[0]?.records) ?? 0;
    planned = chosen ?? uniformLayout(records, planParams.batchSize);
  } else {
    await wh.query(planAssign(t, source, planParams));
    await wh.query(planStage(t, source, cfg.executionId, templateColumns(cfg.analysis.promptTemplate), upstreamFields(cfg)));
    const [counts] = await wh.query(planCounts(t, cfg.executionId));
    // The plan written is the truth: a retried planner whose `auto` would choose otherwise today
    // reports the layout its first try planned, read back from the sizes of its batches.
    const written = layoutOfShape({
      records: num(counts?.records) ?? 0,
      batchCount: num(counts?.batch_count) ?? 0,
      firstBatchRecords: num(counts?.first_batch_records) ?? 0,
      firstSmallerBatch: num(counts?.first_smaller_batch) ?? null,
      firstSmallerBatchRecords: num(counts?.first_smaller_batch_records) ?? null,
    });
    const records = written.records;
    // Said as asked when that is what was written (one batch of 5 under a batch size of 1,000).
    const asked = { ...(chosen ?? uniformLayout(records, planParams.batchSize)), records };
    planned = sameBatches(asked, written) ? asked : written;
    const version = counts?.analysis_version;
    if (records > 0 && version !== cfg.analysisVersion) {
      throw new Error(
        `execution ${cfg.executionId} was planned for analysis version ${String(version)}, not ${cfg.analysisVersion}; use a new execution id`,
      );
    }
    createdAt = iso(counts?.planned_at) ?? now;
    await wh.query(planEvents(t, cfg.executionId, createdAt));
    await wh.query(
      insertExecution(
        t,
        {
          executionId: cfg.executionId,
          status: 'planned',
          analysisVersion: cfg.analysisVersion,
          params: JSON.stringify({
            batch_size: planned.batchSize,
            tail_first_batch: planned.tailFirstBatch,
            tail_batch_size: planned.tailBatchSize,
            batch_size_setting: cfg.batchSize,
            limit: cfg.limit,
            max_record_attempts: cfg.maxRecordAttempts,
            model: cfg.analysis.model,
            analysis: cfg.analysisName,
            price: cfg.price,
            master_execution: cfg.masterExecution,
          }),
          recordsTotal: records,
          skippedDedup,
          batchCount: batchesOf(planned),
          summary: null,
          eventTime: createdAt,
        },
        true,
      ),
    );
  }

  const batchCount = batchesOf(planned);
  const plan: PlanDocument = {
    execution_id: cfg.executionId,
    analysis: cfg.analysisName,
    analysis_version: cfg.analysisVersion,
    batch_size: planned.batchSize,
    batch_count: batchCount,
    tail_first_batch: planned.tailFirstBatch,
    tail_batch_size: planned.tailBatchSize,
    records: planned.records,
    skipped_dedup: skippedDedup,
    skipped_exhausted: skippedExhausted,
    dry_run: cfg.dryRun,
    created_at: createdAt,
  };
  await store.writeText(layout.plan(cfg.executionId), JSON.stringify(plan, null, 2) + '\n');
  log.log('INFO', `planned ${planned.records} records in ${batchCount} batches (${describeLayout(planned)})`, {
    event: LOG_EVENTS.jobFinished,
    records: planned.records,
    batch_count: batchCount,
    skipped_dedup: skippedDedup,
    skipped_exhausted: skippedExhausted,
    dry_run: cfg.dryRun,
  });
  return plan;
};

if (require.main === module) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  void require('../adapters/gcp/main').runAsMain('planner', run);
}
