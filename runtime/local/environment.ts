/**
 * The laptop pipeline's deployment: the same names and environment variables the construct gives
 * the Cloud Run jobs and the workflows, with local values.
 */
import {
  AnalysisSpec,
  DEFAULT_JOB_NAMES,
  DEFAULT_WORKFLOW_NAMES,
  JOB_ENV,
  JobKind,
  LOCAL_LAYOUT,
  modelResource,
  TABLE_NAMES,
  WORKFLOW_ENV,
} from '../contract';

export interface LocalSettings {
  readonly analysis: AnalysisSpec;
  readonly batchSize: number;
  readonly maxConcurrentBatches: number;
  readonly maxBatchAttempts: number;
  readonly maxRecordAttempts: number;
  /** Virtual seconds between two polls of a Vertex AI job. */
  readonly pollIntervalSeconds: number;
}

export const DEFAULT_LOCAL_SETTINGS: Omit<LocalSettings, 'analysis'> = {
  batchSize: 50,
  maxConcurrentBatches: 4,
  maxBatchAttempts: 3,
  maxRecordAttempts: 3,
  pollIntervalSeconds: 60,
};

export const LOCAL_JOB_NAMES: Readonly<Record<JobKind, string>> = DEFAULT_JOB_NAMES;

/** The environment the construct would set on a job, for the local deployment. */
export function localJobEnv(settings: LocalSettings): Record<string, string> {
  return {
    [JOB_ENV.projectId]: LOCAL_LAYOUT.projectId,
    [JOB_ENV.region]: LOCAL_LAYOUT.region,
    [JOB_ENV.dataset]: LOCAL_LAYOUT.dataset,
    [JOB_ENV.workBucket]: LOCAL_LAYOUT.bucketName,
    [JOB_ENV.sourceTable]: `${LOCAL_LAYOUT.projectId}.${LOCAL_LAYOUT.dataset}.${TABLE_NAMES.source}`,
    [JOB_ENV.sourceIdColumn]: 'transcript_id',
    [JOB_ENV.sourceTextColumn]: 'transcript',
    [JOB_ENV.analysis]: JSON.stringify(settings.analysis),
    [JOB_ENV.maxRecordAttempts]: String(settings.maxRecordAttempts),
  };
}

/** The user environment variables the construct would set on both workflows. */
export function localWorkflowEnv(settings: LocalSettings): Record<string, string> {
  return {
    [WORKFLOW_ENV.projectId]: LOCAL_LAYOUT.projectId,
    [WORKFLOW_ENV.region]: LOCAL_LAYOUT.region,
    [WORKFLOW_ENV.dataset]: LOCAL_LAYOUT.dataset,
    [WORKFLOW_ENV.workBucket]: LOCAL_LAYOUT.bucketName,
    [WORKFLOW_ENV.plannerJob]: LOCAL_JOB_NAMES.planner,
    [WORKFLOW_ENV.generatorJob]: LOCAL_JOB_NAMES.generator,
    [WORKFLOW_ENV.processorJob]: LOCAL_JOB_NAMES.processor,
    [WORKFLOW_ENV.reporterJob]: LOCAL_JOB_NAMES.reporter,
    [WORKFLOW_ENV.batchWorkflow]: DEFAULT_WORKFLOW_NAMES.batch,
    [WORKFLOW_ENV.model]: modelResource(settings.analysis.model),
    [WORKFLOW_ENV.vertexRegion]: LOCAL_LAYOUT.region,
    [WORKFLOW_ENV.batchSize]: String(settings.batchSize),
    [WORKFLOW_ENV.maxConcurrentBatches]: String(settings.maxConcurrentBatches),
    [WORKFLOW_ENV.maxBatchAttempts]: String(settings.maxBatchAttempts),
    [WORKFLOW_ENV.pollIntervalSeconds]: String(settings.pollIntervalSeconds),
    [WORKFLOW_ENV.labels]: JSON.stringify({ 'tap-env': 'local' }),
  };
}
