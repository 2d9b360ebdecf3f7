/**
 * The run summary, computed from the tables: one computation for the reporter job (which stores it
 * when the run ends) and for `tapctl report` (which computes it again whenever it is asked, so that
 * a recovery after the end shows).
 *
 * Records: where the run's planned records stand now (analysed, settled by an error, or open); they
 * add up to the plan. Batches: each batch's current status, its latest attempt over the whole batch.
 * Tokens and cost: every answer the run's Vertex AI jobs returned, valid or not, as Vertex AI bills
 * them, at the price the run was planned with.
 */
import { ErrorType, estimateCostUsd, ModelPrice, priceOf, PRIMARY_ANALYSIS, resultsTableName, SummaryDocument } from '../contract';
import { iso, num } from './jobkit';
import type { Warehouse } from './ports';
import { reportBatches, reportErrors, reportPlan, reportRecords, reportUsage } from './sql';

/** One batch's current status, and whether an attempt of it ever failed. */
export interface BatchOutcome {
  readonly batchId: number;
  readonly status: string;
  readonly everFailed: boolean;
}

/** The batch part of the summary, from the plan's batch count and each batch's current status. */
export function batchSummary(batchCount: number, outcomes: readonly BatchOutcome[]) {
  const byId = new Map(outcomes.map((o) => [o.batchId, o]));
  const failed: number[] = [];
  let succeeded = 0;
  let recovered = 0;
  let unfinished = 0;
  for (let id = 0; id < batchCount; id++) {
    const o = byId.get(id);
    if (o?.status === 'succeeded' || o?.status === 'empty') {
      succeeded++;
      if (o.everFailed) recovered++;
    } else if (o?.status === 'failed') {
      failed.push(id);
    } else {
      unfinished++;
    }
  }
  return {
    batches: batchCount,
    batches_succeeded: succeeded,
    batches_failed: failed.length,
    batches_unfinished: unfinished,
    batches_recovered: recovered,
    failed_batches: failed,
  };
}

/** The price a run was planned with (the planner keeps it in its parameters), or the price table's. */
export function plannedPrice(params: Record<string, unknown>, model: string | undefined): ModelPrice {
  const price = params.price as ModelPrice | undefined;
  if (price && typeof price.inputPerMillion === 'number' && typeof price.outputPerMillion === 'number') return price;
  return priceOf(typeof params.model === 'string' ? params.model : (model ?? ''));
}

/** The planner's row of a run, or undefined when the run was never planned. */
export async function plannedRun(
  warehouse: Pick<Warehouse, 'table' | 'query'>,
  executionId: string,
): Promise<
  { analysisVersion: string; batchCount: number; skippedDedup: number; params: Record<string, unknown>; plannedAt: string } | undefined
> {
  const [plan] = await warehouse.query(reportPlan((id) => warehouse.table(id), executionId));
  if (!plan) return undefined;
  let params: Record<string, unknown> = {};
  try {
    params = typeof plan.params === 'string' && plan.params ? (JSON.parse(plan.params) as Record<string, unknown>) : {};
  } catch {
    params = {};
  }
  return {
    analysisVersion: String(plan.analysis_version),
    batchCount: num(plan.batch_count) ?? 0,
    skippedDedup: num(plan.skipped_dedup) ?? 0,
    params,
    plannedAt: iso(plan.event_time)!,
  };
}

/**
 * The summary of a run as the tables tell it now. Throws when the run was never planned.
 * `now` stands for the end of a run that has no batch event yet.
 */
export async function runSummary(warehouse: Pick<Warehouse, 'table' | 'query'>, executionId: string, now: Date): Promise<SummaryDocument> {
  const t = (id: string) => warehouse.table(id);
  const plan = await plannedRun(warehouse, executionId);
  if (!plan) throw new Error(`execution ${executionId} has no planned row in executions: was it planned?`);
  // The planner keeps the analysis's name with the plan (runs from before several analyses: pass1).
  const analysis = typeof plan.params.analysis === 'string' ? plan.params.analysis : PRIMARY_ANALYSIS;
  const [[records], batchRows, errorRows, [usage]] = await Promise.all([
    // The planner keeps the analysis's name with the plan (runs before several analyses: pass1).
    warehouse.query(
      reportRecords(t, executionId, resultsTableName(typeof plan.params.analysis === 'string' ? plan.params.analysis : PRIMARY_ANALYSIS)),
    ),
    warehouse.query(reportBatches(t, executionId)),
    warehouse.query(reportErrors(t, executionId)),
    warehouse.query(reportUsage(t, executionId)),
  ]);
  const outcomes = batchRows.map((r) => ({
    batchId: num(r.batch_id) ?? -1,
    status: String(r.status),
    everFailed: num(r.ever_failed) === 1,
  }));
  const errorsByType: Partial<Record<ErrorType, number>> = {};
  for (const r of errorRows) errorsByType[r.error_type as ErrorType] = num(r.records) ?? 0;
  const total = num(records?.records_total) ?? 0;
  const succeeded = num(records?.records_succeeded) ?? 0;
  const failed = num(records?.records_failed) ?? 0;
  const tokensIn = num(usage?.tokens_in) ?? 0;
  const tokensOut = num(usage?.tokens_out) ?? 0;
  const batches = batchSummary(plan.batchCount, outcomes);
  const end = iso(usage?.last_event) ?? now.toISOString();
  const price = plannedPrice(plan.params, undefined);
  return {
    execution_id: executionId,
    analysis,
    analysis_version: plan.analysisVersion,
    status: batches.batches_failed === 0 && batches.batches_unfinished === 0 ? 'succeeded' : 'failed',
    records_total: total,
    skipped_dedup: plan.skippedDedup,
    ...batches,
    records_succeeded: succeeded,
    records_failed: failed,
    records_open: total - succeeded - failed,
    errors_by_type: errorsByType,
    tokens_in: tokensIn,
    tokens_out: tokensOut,
    estimated_cost_usd: Math.round(estimateCostUsd(price, tokensIn, tokensOut) * 1e6) / 1e6,
    duration_seconds: Math.max(0, Math.round((Date.parse(end) - Date.parse(plan.plannedAt)) / 1000)),
  };
}
