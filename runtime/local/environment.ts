/**
 * The laptop pipeline's deployment: the same names and environment variables the construct gives
 * the Cloud Run jobs and the workflows, with local values.
 */
import {
  AnalysisSpec,
  DEFAULTS,
  DEFAULT_JOB_NAMES,
  DEFAULT_WORKFLOW_NAMES,
  jobEnvironment,
  JobKind,
  LOCAL_LAYOUT,
  PRIMARY_ANALYSIS,
  SOURCE_TABLE,
  TABLE_NAMES,
  workflowEnvironment,
  type BatchSizeSetting,
} from '../contract';

export interface LocalSettings {
  /** The `pass1` analysis. */
  readonly analysis: AnalysisSpec;
  /** The pipeline's other analyses, by name. @default - none */
  readonly analyses?: Readonly<Record<string, AnalysisSpec>>;
  readonly batchSize: BatchSizeSetting;
  readonly maxConcurrentBatches: number;
  readonly maxBatchAttempts: number;
  readonly maxRecordAttempts: number;
  /** Virtual seconds between two polls of a Vertex AI job. */
  readonly pollIntervalSeconds: number;
}

/** The deployed defaults, but for smaller batches and fewer lanes: a laptop run is small. */
export const DEFAULT_LOCAL_SETTINGS: Omit<LocalSettings, 'analysis' | 'analyses'> = {
  batchSize: 50,
  maxConcurrentBatches: 4,
  maxBatchAttempts: DEFAULTS.maxBatchAttempts,
  maxRecordAttempts: DEFAULTS.maxRecordAttempts,
  pollIntervalSeconds: DEFAULTS.pollIntervalSeconds,
};

export const LOCAL_JOB_NAMES: Readonly<Record<JobKind, string>> = DEFAULT_JOB_NAMES;

const LOCAL_TARGET = {
  projectId: LOCAL_LAYOUT.projectId,
  region: LOCAL_LAYOUT.region,
  dataset: LOCAL_LAYOUT.dataset,
  workBucket: LOCAL_LAYOUT.bucketName,
};

/** The environment the construct would set on a job, for the local deployment. */
export function localJobEnv(settings: LocalSettings): Record<string, string> {
  return jobEnvironment({
    ...LOCAL_TARGET,
    sourceTable: `${LOCAL_LAYOUT.projectId}.${LOCAL_LAYOUT.dataset}.${TABLE_NAMES.source}`,
    sourceIdColumn: 'transcript_id',
    sourceTextColumn: 'transcript',
    sourceIngestedColumn: SOURCE_TABLE.partitionColumn,
    analysis: settings.analysis,
    analyses: settings.analyses,
    maxRecordAttempts: settings.maxRecordAttempts,
  });
}

/** The user environment variables the construct would set on both workflows. */
export function localWorkflowEnv(settings: LocalSettings): Record<string, string> {
  return workflowEnvironment({
    ...LOCAL_TARGET,
    jobs: LOCAL_JOB_NAMES,
    batchWorkflow: DEFAULT_WORKFLOW_NAMES.batch,
    model: settings.analysis.model,
    vertexRegion: LOCAL_LAYOUT.region,
    batchSize: settings.batchSize,
    maxConcurrentBatches: settings.maxConcurrentBatches,
    maxBatchAttempts: settings.maxBatchAttempts,
    pollIntervalSeconds: settings.pollIntervalSeconds,
    labels: { 'tap-env': 'local' },
    analyses: { ...settings.analyses, [PRIMARY_ANALYSIS]: settings.analysis },
  });
}
