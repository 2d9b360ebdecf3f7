/**
 * Resource names of one pipeline, all derived from its name prefix so that two pipelines (two
 * environments, or two instances in one project) never collide.
 */
import { DEFAULT_JOB_NAMES, DEFAULT_WORKFLOW_NAMES, JOB_KINDS, JobKind } from '../../runtime/contract/names';
import { LAUNCHER } from '../../runtime/contract/launcher';

/** Roles that get a service account of their own. */
export const IDENTITY_ROLES = ['workflows', ...JOB_KINDS, 'scheduler', LAUNCHER.kind] as const;
export type IdentityRole = (typeof IDENTITY_ROLES)[number];

export interface PipelineNames {
  readonly prefix: string;
  readonly dataset: string;
  readonly workBucket: string;
  readonly artifactsBucket: string;
  readonly jobs: Readonly<Record<JobKind, string>>;
  /** The launcher job, `<prefix>-run`. */
  readonly launcherJob: string;
  /** The launcher's custom role id (letters, digits, `_` and `.`). */
  readonly launcherRole: string;
  readonly masterWorkflow: string;
  readonly batchWorkflow: string;
  readonly serviceAccountId: (role: IdentityRole) => string;
  readonly metric: (name: string) => string;
  readonly scheduler: string;
}

/** `tap-dev` becomes `tap_dev`: the form BigQuery ids take. */
export function snake(prefix: string): string {
  return prefix.replace(/-/g, '_');
}

export function pipelineNames(prefix: string, projectId: string, datasetId?: string): PipelineNames {
  const jobs = Object.fromEntries(JOB_KINDS.map((kind) => [kind, `${prefix}-${DEFAULT_JOB_NAMES[kind]}`])) as Record<JobKind, string>;
  return {
    prefix,
    dataset: datasetId ?? `${snake(prefix)}_transcript_analysis`,
    // Bucket names are global: the project id makes them unique across projects, the prefix within one.
    workBucket: `${projectId}-${prefix}-work`,
    artifactsBucket: `${projectId}-${prefix}-artifacts`,
    jobs,
    launcherJob: `${prefix}-${LAUNCHER.jobName}`,
    launcherRole: `${snake(prefix)}_launcher`,
    masterWorkflow: `${prefix}-${DEFAULT_WORKFLOW_NAMES.master}`,
    batchWorkflow: `${prefix}-${DEFAULT_WORKFLOW_NAMES.batch}`,
    serviceAccountId: (role) => `${prefix}-${role}`,
    metric: (name) => `${prefix}-${name}`,
    scheduler: `${prefix}-master-schedule`,
  };
}
