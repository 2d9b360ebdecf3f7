/**
 * The reporter job: computes the run's summary from the tables (`runtime/core/summary.ts`, the same
 * computation `tapctl report` makes), writes `summary.json` and appends an `executions` row with the
 * outcome.
 */
import { layout, LOG_EVENTS, SummaryDocument } from '../contract';
import { CommonConfig, commonConfig } from '../core/config';
import { nowOf } from '../core/jobkit';
import type { JobEnv, JobRun } from '../core/ports';
import { insertExecution } from '../core/sql';
import { runSummary } from '../core/summary';

export type ReporterConfig = CommonConfig;

export function config(env: JobEnv): ReporterConfig {
  return commonConfig(env);
}

export const run: JobRun<SummaryDocument> = async (env, ports) => {
  const cfg = config(env);
  const { warehouse: wh, store, log } = ports;
  const now = nowOf(ports);
  log.log('INFO', 'reporting', { event: LOG_EVENTS.jobStarted });
  const summary = await runSummary(wh, cfg.executionId, now);
  await store.writeText(layout.summary(cfg.executionId), JSON.stringify(summary, null, 2) + '\n');
  await wh.query(
    insertExecution(
      (id) => wh.table(id),
      {
        executionId: cfg.executionId,
        status: summary.status,
        analysisVersion: summary.analysis_version,
        params: null,
        recordsTotal: summary.records_total,
        skippedDedup: summary.skipped_dedup,
        batchCount: summary.batches,
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
