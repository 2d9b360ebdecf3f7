/**
 * The run report: the summary (computed from the tables as they are now, by the same code as the
 * reporter job's), the batches' outcomes over time and the errors by type. Rendered as text by
 * `tapctl report` and as an offline HTML page by `tapctl report --html`.
 */
import { ERROR_TYPE_NAMES, SummaryDocument } from '../contract';
import { BatchOutcome, ExecutionRecord, OpsQueries } from './queries';
import { duration, integer, percent, table, usd } from './format';

export interface RunReport {
  readonly executionId: string;
  readonly generatedAt: string;
  /** The run's state: its final status, `running`, or `interrupted` (a laptop run whose process died). */
  readonly state: string;
  /** True when the run has finished (the reporter wrote its summary). */
  readonly final: boolean;
  /**
   * How the summary relates to the run's own: the run has not finished (`live`), it says what the
   * reporter said at the end (`reporter`), or the tables changed since, by a recovery or a
   * clear-history (`recomputed`).
   */
  readonly basis: 'reporter' | 'live' | 'recomputed';
  readonly summary: SummaryDocument;
  readonly outcomes: readonly BatchOutcome[];
  readonly start: string | null;
  readonly end: string | null;
  /** The command that recovers the execution, ready to copy (`recoverCommand`). */
  readonly recover?: string;
}

/** An execution the tables do not know. */
export class UnknownExecutionError extends Error {
  constructor(
    readonly executionId: string,
    readonly recent: readonly string[],
    where: string,
  ) {
    super(
      `no execution "${executionId}" in ${where}. ` +
        (recent.length > 0
          ? `Recent executions: ${recent.join(', ')}. `
          : 'No execution has been planned there yet: start one with `tapctl run`. ') +
        'Check the id, and that --project/--dataset (or --local) point at the right pipeline.',
    );
    this.name = 'UnknownExecutionError';
  }
}

/** Reads everything the report shows. The summary is always computed from the tables as they are now. */
export async function loadReport(
  queries: OpsQueries,
  executionId: string,
  where: string,
  now = new Date(),
  known?: ExecutionRecord,
): Promise<RunReport> {
  const execution = known ?? (await queries.execution(executionId));
  if (!execution) {
    const recent = await queries.recentExecutions();
    throw new UnknownExecutionError(
      executionId,
      recent.map((e) => e.executionId),
      where,
    );
  }
  const [summary, outcomes, span] = await Promise.all([
    queries.summary(executionId, now),
    queries.outcomes(executionId),
    queries.span(executionId),
  ]);
  const stored = execution.summary;
  return {
    executionId,
    generatedAt: now.toISOString(),
    state: execution.status,
    final: stored !== null,
    basis: stored === null ? 'live' : sameFigures(stored, summary) ? 'reporter' : 'recomputed',
    summary,
    outcomes,
    start: span.start ?? execution.plannedAt,
    end: span.end ?? execution.finishedAt,
  };
}

/** Whether two summaries of a run say the same, but for when they were computed. */
function sameFigures(a: SummaryDocument, b: SummaryDocument): boolean {
  const { duration_seconds: _a, ...restA } = a;
  const { duration_seconds: _b, ...restB } = b;
  return JSON.stringify(restA, Object.keys(restA).sort()) === JSON.stringify(restB, Object.keys(restA).sort());
}

/** One figure of the summary as the report shows it: the raw value and its text. */
export interface Figure {
  readonly key: string;
  readonly label: string;
  readonly value: number;
  readonly text: string;
}

/** The figures both renderings show, in order, formatted once so text and HTML cannot disagree. */
export function figures(s: SummaryDocument): Figure[] {
  const f = (key: string, label: string, value: number, text: string): Figure => ({ key, label, value, text });
  return [
    f('records_total', 'Records planned', s.records_total, integer(s.records_total)),
    f('records_succeeded', 'Records analysed', s.records_succeeded, integer(s.records_succeeded)),
    f('records_failed', 'Records in error', s.records_failed, integer(s.records_failed)),
    f('records_open', 'Records open (next run)', s.records_open, integer(s.records_open)),
    f('skipped_dedup', 'Skipped (already analysed)', s.skipped_dedup, integer(s.skipped_dedup)),
    f('batches', 'Batches', s.batches, integer(s.batches)),
    f('batches_succeeded', 'Batches succeeded', s.batches_succeeded, integer(s.batches_succeeded)),
    f('batches_failed', 'Batches failed', s.batches_failed, integer(s.batches_failed)),
    f('batches_unfinished', 'Batches unfinished', s.batches_unfinished, integer(s.batches_unfinished)),
    f('batches_recovered', 'Batches recovered', s.batches_recovered, integer(s.batches_recovered)),
    f('tokens_in', 'Input tokens', s.tokens_in, integer(s.tokens_in)),
    f('tokens_out', 'Output tokens', s.tokens_out, integer(s.tokens_out)),
    f('estimated_cost_usd', 'Estimated cost', s.estimated_cost_usd, usd(s.estimated_cost_usd)),
    f('duration_seconds', 'Duration', s.duration_seconds, duration(s.duration_seconds)),
  ];
}

/**
 * The five key success metrics, as the `pipeline_metrics` view defines them, from the summary and
 * the batches' outcomes: batch success rate, processing rate (batches per hour of the run), record
 * error rate, deduplication rate, and the mean recovery time from a batch's first failure to its
 * success.
 */
export function keyMetrics(report: Pick<RunReport, 'summary' | 'outcomes'>): Figure[] {
  const s = report.summary;
  const f = (key: string, label: string, value: number | null, text: string): Figure => ({ key, label, value: value ?? NaN, text });
  const ratio = (a: number, b: number) => (b > 0 ? a / b : null);
  const firstFailure = new Map<number, number>();
  const recovered: number[] = [];
  for (const o of report.outcomes) {
    const t = Date.parse(o.eventTime);
    if (o.status === 'failed' && !firstFailure.has(o.batchId)) firstFailure.set(o.batchId, t);
    if (o.status === 'succeeded' && firstFailure.has(o.batchId)) {
      recovered.push((t - firstFailure.get(o.batchId)!) / 1000);
      firstFailure.set(o.batchId, Infinity);
    }
  }
  const recoveries = recovered.filter((x) => x >= 0 && Number.isFinite(x));
  const recovery = recoveries.length > 0 ? recoveries.reduce((a, b) => a + b, 0) / recoveries.length : null;
  const successRate = ratio(s.batches_succeeded, s.batches);
  const perHour = ratio(s.batches, s.duration_seconds / 3600);
  const errorRate = ratio(s.records_failed, s.records_total);
  const dedupRate = ratio(s.skipped_dedup, s.records_total + s.skipped_dedup);
  return [
    f('batch_success_rate', 'Batch success rate', successRate, percent(successRate)),
    f('batches_per_hour', 'Batches per hour', perHour, perHour === null ? '-' : perHour.toFixed(1)),
    f('record_error_rate', 'Record error rate', errorRate, percent(errorRate)),
    f('deduplication_rate', 'Deduplication rate', dedupRate, percent(dedupRate)),
    f('recovery_seconds', 'Mean recovery time', recovery, duration(recovery)),
  ];
}

/** Error types in the taxonomy's order, then any unknown ones, with their counts. */
export function errorBars(s: SummaryDocument): { type: string; count: number }[] {
  const entries = Object.entries(s.errors_by_type).filter(([, n]) => (n ?? 0) > 0) as [string, number][];
  const rank = (t: string) => {
    const i = (ERROR_TYPE_NAMES as string[]).indexOf(t);
    return i === -1 ? ERROR_TYPE_NAMES.length : i;
  };
  return entries.sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0])).map(([type, count]) => ({ type, count }));
}

export interface TimeBucket {
  readonly start: number;
  readonly end: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly records: number;
}

/** The run's span cut into `n` equal intervals, counting batch outcomes and records analysed. */
export function timeBuckets(report: Pick<RunReport, 'outcomes' | 'start' | 'end'>, n = 24): TimeBucket[] {
  if (report.outcomes.length === 0) return [];
  const times = report.outcomes.map((o) => Date.parse(o.eventTime));
  const start = Math.min(report.start ? Date.parse(report.start) : Infinity, ...times);
  const end = Math.max(report.end ? Date.parse(report.end) : -Infinity, ...times);
  const width = Math.max(1, end - start) / n;
  const buckets = Array.from({ length: n }, (_, i) => ({
    start: start + i * width,
    end: start + (i + 1) * width,
    succeeded: 0,
    failed: 0,
    records: 0,
  }));
  report.outcomes.forEach((o, k) => {
    const b = buckets[Math.min(n - 1, Math.floor((times[k]! - start) / width))]!;
    if (o.status === 'failed') b.failed++;
    else {
      b.succeeded++;
      b.records += o.succeeded;
    }
  });
  return buckets;
}

const BASIS_NOTE: Readonly<Record<RunReport['basis'], string>> = {
  reporter: '',
  live: ' (summary so far, computed from the tables)',
  recomputed: " (computed from the tables: they changed after the run's own summary, by a recovery or clear-history)",
};

/** The report as text for a terminal. */
export function reportText(report: RunReport): string {
  const s = report.summary;
  const lines = [
    `Execution ${report.executionId}: ${report.final ? s.status : report.state}${BASIS_NOTE[report.basis]}`,
    `Analysis version ${s.analysis_version}`,
    '',
    table(
      ['', ''],
      [...figures(s), ...keyMetrics(report)].map((f) => [f.label, f.text]),
    )
      .split('\n')
      .slice(2)
      .join('\n'),
  ];
  const errors = errorBars(s);
  if (errors.length > 0) {
    lines.push(
      'Errors by type',
      table(
        ['error type', 'count'],
        errors.map((e) => [e.type, integer(e.count)]),
      ),
    );
  }
  if (s.failed_batches.length > 0) {
    lines.push(`Failed batches: ${s.failed_batches.join(', ')}`, ...(report.recover ? [`  re-run them with: ${report.recover}`] : []), '');
  }
  return lines.join('\n');
}
