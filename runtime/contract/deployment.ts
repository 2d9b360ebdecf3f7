/**
 * The environment of a deployment, built in one place: what the construct sets on the Cloud Run
 * jobs and the workflows, and what the laptop twin gives them in-process.
 */
import { AnalysisSpec, modelResource } from './analysis';
import { analysisRuns, PRIMARY_ANALYSIS, planAnalyses } from './analyses';
import { JOB_ENV, WORKFLOW_ENV } from './env';
import type { JobKind } from './names';
import type { BatchSizeSetting } from './limits';
import type { ModelPrice } from './prices';

/** Where a deployment's pieces are. Values may be Terraform tokens. */
export interface DeploymentTarget {
  readonly projectId: string;
  readonly region: string;
  readonly dataset: string;
  readonly workBucket: string;
}

export interface JobEnvironment extends DeploymentTarget {
  /** `project.dataset.table` */
  readonly sourceTable: string;
  readonly sourceIdColumn: string;
  readonly sourceTextColumn: string;
  /** The source's column saying when each row was written, if it has one (`JOB_ENV.sourceIngestedColumn`). */
  readonly sourceIngestedColumn?: string;
  /** The `pass1` analysis. */
  readonly analysis: AnalysisSpec;
  /** The pipeline's other analyses, by name. @default - none */
  readonly analyses?: Readonly<Record<string, AnalysisSpec>>;
  readonly maxRecordAttempts: number;
  readonly maxTranscriptChars?: number;
  readonly maxRequestBytes?: number;
  readonly price?: ModelPrice;
}

/** The variables every job reads (JOB_ENV). */
export function jobEnvironment(e: JobEnvironment): Record<string, string> {
  return {
    [JOB_ENV.projectId]: e.projectId,
    [JOB_ENV.region]: e.region,
    [JOB_ENV.dataset]: e.dataset,
    [JOB_ENV.workBucket]: e.workBucket,
    [JOB_ENV.sourceTable]: e.sourceTable,
    [JOB_ENV.sourceIdColumn]: e.sourceIdColumn,
    [JOB_ENV.sourceTextColumn]: e.sourceTextColumn,
    ...(e.sourceIngestedColumn ? { [JOB_ENV.sourceIngestedColumn]: e.sourceIngestedColumn } : {}),
    [JOB_ENV.analysis]: JSON.stringify(e.analysis),
    ...(e.analyses && Object.keys(e.analyses).length > 0 ? { [JOB_ENV.analyses]: JSON.stringify(e.analyses) } : {}),
    [JOB_ENV.maxRecordAttempts]: String(e.maxRecordAttempts),
    ...(e.maxTranscriptChars !== undefined ? { [JOB_ENV.maxTranscriptChars]: String(e.maxTranscriptChars) } : {}),
    ...(e.maxRequestBytes !== undefined ? { [JOB_ENV.maxRequestBytes]: String(e.maxRequestBytes) } : {}),
    ...(e.price ? { [JOB_ENV.price]: JSON.stringify(e.price) } : {}),
  };
}

export interface WorkflowEnvironment extends DeploymentTarget {
  /** Cloud Run job names. */
  readonly jobs: Readonly<Record<JobKind, string>>;
  /** Workflow id of the batch workflow. */
  readonly batchWorkflow: string;
  /** Gemini model id or resource. */
  readonly model: string;
  readonly vertexRegion: string;
  readonly batchSize: BatchSizeSetting;
  readonly maxConcurrentBatches: number;
  readonly maxBatchAttempts: number;
  readonly pollIntervalSeconds: number;
  readonly jobTimeoutSeconds?: number;
  readonly labels: Readonly<Record<string, string>>;
  /** Every analysis of the pipeline, `pass1` included. @default - `pass1` alone */
  readonly analyses?: Readonly<Record<string, AnalysisSpec>>;
}

/** The workflows' user environment variables (WORKFLOW_ENV). */
export function workflowEnvironment(e: WorkflowEnvironment): Record<string, string> {
  return {
    [WORKFLOW_ENV.projectId]: e.projectId,
    [WORKFLOW_ENV.region]: e.region,
    [WORKFLOW_ENV.dataset]: e.dataset,
    [WORKFLOW_ENV.workBucket]: e.workBucket,
    [WORKFLOW_ENV.plannerJob]: e.jobs.planner,
    [WORKFLOW_ENV.generatorJob]: e.jobs.generator,
    [WORKFLOW_ENV.processorJob]: e.jobs.processor,
    [WORKFLOW_ENV.reporterJob]: e.jobs.reporter,
    [WORKFLOW_ENV.batchWorkflow]: e.batchWorkflow,
    [WORKFLOW_ENV.model]: modelResource(e.model),
    [WORKFLOW_ENV.vertexRegion]: e.vertexRegion,
    [WORKFLOW_ENV.batchSize]: String(e.batchSize),
    [WORKFLOW_ENV.maxConcurrentBatches]: String(e.maxConcurrentBatches),
    [WORKFLOW_ENV.maxBatchAttempts]: String(e.maxBatchAttempts),
    [WORKFLOW_ENV.pollIntervalSeconds]: String(e.pollIntervalSeconds),
    ...(e.jobTimeoutSeconds !== undefined ? { [WORKFLOW_ENV.jobTimeoutSeconds]: String(e.jobTimeoutSeconds) } : {}),
    [WORKFLOW_ENV.labels]: JSON.stringify(e.labels),
    [WORKFLOW_ENV.analysisRuns]: JSON.stringify(
      analysisRuns(e.analyses ? planAnalyses(e.analyses) : [{ name: PRIMARY_ANALYSIS, needs: [PRIMARY_ANALYSIS] }]),
    ),
  };
}
