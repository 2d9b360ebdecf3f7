/**
 * The reporter job: computes the run's summary from the tables (its start is the planner's
 * `executions` row), writes `summary.json` and appends an `executions` row with the outcome.
 */
import { ErrorType, estimateCostUsd, layout, LOG_EVENTS, SummaryDocument } from '../contract';
import { CommonConfig, commonConfig, modelPrice } from '../core/config';
import { iso, nowOf, num } from '../core/jobkit';
import type { JobEnv, JobRun } from '../core/ports';
import { insertExecution, reportBatches, reportErrors, reportFailedRecords, reportPlan, reportResults } from '../core/sql';
import { ModelPrice } from '../contract';

export interface ReporterConfig extends CommonConfig {
  readonly price: ModelPrice;
}

export function config(env: JobEnv): ReporterConfig {
  const common = commonConfig(env);
  return { ...common, price: modelPrice(env, common.analysis.model) };
}

export interface BatchOutcome {
  readonly batchId: number;
  readonly succeeded: boolean;
  readonly everFailed: boolean;
}

/** The batch part of the summary, from the plan's batch count and each batch's events. */
export function batchSummary(batchCount: number, outcomes: readonly BatchOutcome[]) {
  const byId = new Map(outcomes.map((o) => [o.batchId, o]));
  const failed: number[] = [];
  let succeeded = 0;
  let recovered = 0;
  for (let id = 0; id < batchCount; id++) {
    const o = byId.get(id);
    if (o?.succeeded) {
      succeeded++;
      if (o.everFailed) recovered++;
    } else {
      failed.push(id);
    }
  }
  return { batches: batchCount, batches_succeeded: succeeded, batches_failed: failed.length, batches_recovered: recovered, failed_batches: failed };
}

export const run: JobRun<SummaryDocument> = async (env, ports) => {
  const cfg = config(env);
  const { warehouse: wh, store, log } = ports;
  const t = (id: string) => wh.table(id);
  const now = nowOf(ports);
  log.log('INFO', 'reporting', { event: LOG_EVENTS.jobStarted });

  const [plan] = await wh.query(reportPlan(t, cfg.executionId));
  if (!plan) throw new Error(`execution ${cfg.executionId} has no planned row in executions: was it planned?`);
  const version = String(plan.analysis_version);
  const batchCount = num(plan.batch_count) ?? 0;
  const startedAt = iso(plan.event_time)!;

  const outcomes = (await wh.query(reportBatches(t, cfg.executionId))).map((r) => ({
    batchId: num(r.batch_id) ?? -1,
    succeeded: num(r.succeeded) === 1,
    everFailed: num(r.ever_failed) === 1,
  }));
  const [results] = await wh.query(reportResults(t, cfg.executionId, version));
  const errorsByType: Partial<Record<ErrorType, number>> = {};
  for (const r of await wh.query(reportErrors(t, cfg.executionId))) errorsByType[r.error_type as ErrorType] = num(r.records) ?? 0;
  const [failed] = await wh.query(reportFailedRecords(t, cfg.executionId, version));

  const tokensIn = num(results?.tokens_in) ?? 0;
  const tokensOut = num(results?.tokens_out) ?? 0;
  const batches = batchSummary(batchCount, outcomes);
  const summary: SummaryDocument = {
    execution_id: cfg.executionId,
    analysis_version: version,
    status: batches.batches_failed === 0 ? 'succeeded' : 'failed',
    records_total: num(plan.records_total) ?? 0,
    skipped_dedup: num(plan.skipped_dedup) ?? 0,
    ...batches,
    records_succeeded: num(results?.records_succeeded) ?? 0,
    records_failed: num(failed?.records_failed) ?? 0,
    errors_by_type: errorsByType,
    tokens_in: tokensIn,
    tokens_out: tokensOut,
    estimated_cost_usd: Math.round(estimateCostUsd(cfg.price, tokensIn, tokensOut) * 1e6) / 1e6,
    duration_seconds: Math.max(0, Math.round((now.getTime() - Date.parse(startedAt)) / 1000)),
  };
  await store.writeText(layout.summary(cfg.executionId), JSON.stringify(summary, null, 2) + '\n');
  await wh.query(
    insertExecution(
      t,
      {
        executionId: cfg.executionId,
        status: summary.status,
        analysisVersion: version,
        params: null,
        recordsTotal: summary.records_total,
        skippedDedup: summary.skipped_dedup,
        batchCount,
        summary: JSON.stringify(summary),
        eventTime: now.toISOString(),
      },
      false,
    ),
  );
  log.log(summary.status === 'succeeded' ? 'INFO' : 'WARNING', `run ${summary.status}`, { event: LOG_EVENTS.jobFinished, ...summary });
  return summary;
};

if (require.main === module) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  void require('../adapters/gcp/main').runAsMain('reporter', run);
}
