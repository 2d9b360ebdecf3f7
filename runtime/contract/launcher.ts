/**
 * The launcher: a fifth Cloud Run job, `<prefix>-run`, that starts a run the way schedulers start
 * batch work (Cloud Scheduler, Composer's `CloudRunExecuteJobOperator`, `gcloud run jobs execute
 * --wait`): it starts the master workflow with the run's settings from its environment, follows it
 * to the end, and exits with the run's outcome.
 */
import { JOB_ENV, RUN_ENV } from './env';

/** The launcher's kind (its entry point is `runtime/jobs/launcher.ts`) and job name before the prefix. */
export const LAUNCHER = { kind: 'launcher', jobName: 'run' } as const;

/**
 * The launcher's variables. The construct sets where the master workflow is; the run's settings are
 * left unset (the deployment's defaults hold) so that `gcloud run jobs execute --update-env-vars`
 * can give them per execution.
 */
export const LAUNCHER_ENV = {
  projectId: JOB_ENV.projectId,
  region: JOB_ENV.region,
  /** Short name (workflow id) of the master workflow. */
  masterWorkflow: 'TAP_MASTER_WORKFLOW',
  /** The analyses the pipeline has, comma-separated, in run order. */
  analyses: 'TAP_ANALYSIS_NAMES',
  /** The run's settings: the master workflow's argument. */
  limit: RUN_ENV.limit,
  batchSize: RUN_ENV.batchSize,
  maxConcurrentBatches: RUN_ENV.maxConcurrentBatches,
  dryRun: RUN_ENV.dryRun,
  /**
   * `true`: when another run is active, end quietly (exit 0, the master's `run_skipped`) instead of
   * failing; for a schedule that may fire during a long run.
   */
  skipIfBusy: 'TAP_SKIP_IF_BUSY',
  /** The analysis to run, one of `TAP_ANALYSES`. */
  analysis: 'TAP_RUN_ANALYSIS',
  /** Seconds between two looks at the execution. */
  pollSeconds: 'TAP_POLL_SECONDS',
  /** Another Workflows Executions API root (`http://host:port`), for an emulator or a test. */
  workflowsEndpoint: 'TAP_WORKFLOWS_ENDPOINT',
} as const;

/** How the launcher ends: its exit code is the run's outcome. */
export const LAUNCHER_EXIT = {
  /** The run succeeded (or was skipped because another run was active, or was a dry run). */
  succeeded: 0,
  /** The run failed, was cancelled, or could not be started. */
  failed: 1,
  /** The run ended with batches left failed or unfinished: recover them. */
  batchesLeft: 3,
} as const;

/** Seconds between two looks at the execution, by default and at least. */
export const LAUNCHER_POLL_SECONDS = { default: 30, min: 1, max: 3600 } as const;

/**
 * What the launcher's own identity may do, and nothing else: start and read executions. Workflows
 * grants roles only on the project (https://cloud.google.com/workflows/docs/access-control), so the
 * construct binds a custom role with exactly these on the project.
 */
export const LAUNCHER_PERMISSIONS = ['workflows.executions.create', 'workflows.executions.get'] as const;
