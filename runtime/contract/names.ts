/** Default names of the deployed pieces, as the seed design named them. */

/** The four runtime entry points, each a Cloud Run job and a file `runtime/jobs/<name>.ts`. */
export const JOB_KINDS = ['planner', 'generator', 'processor', 'reporter'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** Default Cloud Run job names (before the construct's name prefix). */
export const DEFAULT_JOB_NAMES: Readonly<Record<JobKind, string>> = {
  planner: 'pass1-batch-planner',
  generator: 'pass1-batch-generator',
  processor: 'pass1-batch-processor',
  reporter: 'pass1-batch-reporter',
};

/** Default workflow names (before the construct's name prefix). */
export const DEFAULT_WORKFLOW_NAMES = {
  master: 'master-orchestrator',
  batch: 'ta-sub-workflow',
} as const;

/** Workflow source files, relative to the package root. */
export const WORKFLOW_FILES = {
  master: 'workflows/master-orchestrator.yaml',
  batch: 'workflows/batch.yaml',
} as const;
