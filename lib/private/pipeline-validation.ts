/**
 * The pipeline's prop rules, as one table, checked before any resource is created.
 */
import type { TranscriptAnalysisPipelineProps } from '../constructs/transcript-analysis-pipeline';
import { AnalysisSpec, DEFAULT_ANALYSIS } from '../../runtime/contract/analysis';
import { checkAnalysis, describeProblem } from '../../runtime/contract/analysis-check';
import { checkAnalyses, PRIMARY_ANALYSIS } from '../../runtime/contract/analyses';
import { LIMITS } from '../../runtime/contract/limits';
import { redactionProblems } from '../../runtime/contract/redaction';
import { SOURCE_TABLE } from '../../runtime/contract/tables';
import {
  checkLabels,
  checkOneOf,
  checkPattern,
  checkRange,
  CRON,
  DATASET_ID,
  fail,
  IDENTIFIER,
  IMAGE,
  PropError,
  NAME_PREFIX,
  NOTIFICATION_CHANNEL,
  PROJECT_ID,
  QUALIFIED_TABLE,
  REGION,
} from './validation';

type NumericProp = {
  [K in keyof TranscriptAnalysisPipelineProps]-?: TranscriptAnalysisPipelineProps[K] extends number | undefined ? K : never;
}[keyof TranscriptAnalysisPipelineProps];

/** Range rules: [prop, min, max, why]. */
const RANGES: ReadonlyArray<readonly [NumericProp, number, number, string?]> = [
  ['maxConcurrentBatches', 1, LIMITS.maxConcurrentBatches, 'the Workflows limit of concurrent iterations'],
  ['maxBatchAttempts', 1, LIMITS.maxBatchAttempts],
  ['maxRecordAttempts', 1, LIMITS.maxRecordAttempts],
  ['pollIntervalSeconds', LIMITS.minPollIntervalSeconds, LIMITS.maxPollIntervalSeconds],
  ['maxTranscriptChars', 1, LIMITS.maxTranscriptChars],
  ['maxRequestBytes', LIMITS.minRequestBytes, LIMITS.maxRequestBytes],
  ['jobMemoryMiB', 512, 32768, 'Cloud Run allows up to 32 GiB'],
  ['jobTimeoutSeconds', 60, 86400, 'one task attempt, at most a day'],
  ['jobMaxRetries', 0, 10],
  ['workRetentionDays', 1, 3650],
];

/** The longest a workflow waits for one job (the `run_job` connector timeout in the workflows). */
const WORKFLOW_JOB_WAIT_SECONDS = 86400;

/**
 * The analysis, with the contract's one checker (the jobs and `tapctl` use the same). When the
 * pipeline creates the source table its columns are known, so the prompt's placeholders are checked
 * against them too.
 */
export function validateAnalysis(analysis: AnalysisSpec, sourceColumns?: readonly string[]): void {
  const [first] = checkAnalysis(analysis, { sourceColumns });
  if (first) throw new PropError(describeProblem(first, 'analysis'));
}

/** Checks every prop; throws with a message naming the prop, the value and what is allowed. */
export function validatePipelineProps(props: TranscriptAnalysisPipelineProps): void {
  if (props.projectId === undefined || props.projectId === '')
    fail('projectId', props.projectId, 'a GCP project id', 'projectId is required');
  checkPattern('projectId', props.projectId, PROJECT_ID, 'a GCP project id: 6-30 lowercase letters, digits or -, starting with a letter');
  if (props.region === undefined || props.region === '')
    fail('region', props.region, 'a GCP region such as "europe-west1"', 'region is required');
  checkPattern('region', props.region, REGION, 'a GCP region such as "europe-west1"');
  checkPattern('vertexRegion', props.vertexRegion, REGION, 'a GCP region such as "europe-west1"');
  checkPattern(
    'namePrefix',
    props.namePrefix,
    NAME_PREFIX,
    '1-20 lowercase letters, digits or -, starting with a letter and not ending with -',
    'It starts every resource name, and service account ids allow 30 characters',
  );
  checkPattern('datasetId', props.datasetId, DATASET_ID, 'a BigQuery dataset id: letters, digits and _, not starting with a digit');
  for (const [prop, min, max, why] of RANGES) checkRange(prop, props[prop], min, max, { why });
  if (props.batchSize !== 'auto') {
    checkRange('batchSize', props.batchSize, 1, LIMITS.maxBatchSize, {
      why: 'Vertex AI takes at most 200,000 requests per batch job; or give "auto"',
    });
  }
  checkOneOf('jobCpu', props.jobCpu, [1, 2, 4, 6, 8], 'the CPU counts Cloud Run jobs allow');
  const taskSeconds = props.jobTimeoutSeconds ?? 3600;
  const tasks = (props.jobMaxRetries ?? 3) + 1;
  if (taskSeconds * tasks > WORKFLOW_JOB_WAIT_SECONDS) {
    fail(
      'jobTimeoutSeconds × (jobMaxRetries + 1)',
      `${taskSeconds} × ${tasks} = ${taskSeconds * tasks}`,
      `at most ${WORKFLOW_JOB_WAIT_SECONDS} s, the longest a workflow waits for a job`,
      'Lower jobTimeoutSeconds or jobMaxRetries',
    );
  }
  checkPattern('image', props.image, IMAGE, 'a container image reference such as REGION-docker.pkg.dev/PROJECT/REPO/IMAGE:TAG');
  checkLabels('labels', props.labels);
  checkPattern('schedule', props.schedule, CRON, 'a unix-cron expression with five fields, such as "0 2 * * *"');
  if (props.scheduleTimeZone !== undefined && props.schedule === undefined) {
    fail('scheduleTimeZone', props.scheduleTimeZone, 'set only together with schedule');
  }
  (props.notificationChannels ?? []).forEach((channel, i) =>
    checkPattern(`notificationChannels[${i}]`, channel, NOTIFICATION_CHANNEL, 'a channel name projects/PROJECT/notificationChannels/ID'),
  );
  if (props.notificationChannels?.length && props.monitoring === false) {
    fail('notificationChannels', props.notificationChannels, 'empty when monitoring is false', 'Turn monitoring on or drop the channels');
  }
  const rate = props.batchFailureRateThreshold;
  if (rate !== undefined && !(typeof rate === 'number' && rate > 0 && rate <= 1)) {
    fail('batchFailureRateThreshold', rate, 'a number above 0 and at most 1 (a share of batch attempts)');
  }
  if (props.source !== undefined) {
    checkPattern('source.table', props.source.table, QUALIFIED_TABLE, 'a fully qualified table "project.dataset.table"');
    checkPattern(
      'source.idColumn',
      props.source.idColumn,
      IDENTIFIER,
      'a column name: a lowercase letter, then lowercase letters, digits or _',
    );
    checkPattern(
      'source.textColumn',
      props.source.textColumn,
      IDENTIFIER,
      'a column name: a lowercase letter, then lowercase letters, digits or _',
    );
    checkPattern(
      'source.ingestedColumn',
      props.source.ingestedColumn,
      IDENTIFIER,
      'a column name: a lowercase letter, then lowercase letters, digits or _',
    );
  }
  if (props.price !== undefined) {
    checkRange('price.inputPerMillion', props.price.inputPerMillion, 0, 1000, { integer: false });
    checkRange('price.outputPerMillion', props.price.outputPerMillion, 0, 1000, { integer: false });
  }
  if (props.redaction !== undefined) {
    if (props.analysis?.redaction !== undefined) {
      fail('redaction', props.redaction, 'given once', 'Give either the redaction prop or analysis.redaction, not both');
    }
    const problems = redactionProblems(props.redaction);
    if (problems.length > 0) throw new PropError(problems.join('; '));
  }
  if (props.analysis !== undefined) {
    validateAnalysis(props.analysis, props.source === undefined ? SOURCE_TABLE.columns.map((c) => c.name) : undefined);
  }
  if (props.analyses !== undefined) {
    if (props.analysis !== undefined && PRIMARY_ANALYSIS in props.analyses) {
      throw new PropError(
        `give analysis or analyses.${PRIMARY_ANALYSIS}, not both: analysis is the shorthand for analyses.${PRIMARY_ANALYSIS}. Move it into analyses, or leave ${PRIMARY_ANALYSIS} out of analyses`,
      );
    }
    const all = { [PRIMARY_ANALYSIS]: props.analysis ?? DEFAULT_ANALYSIS, ...props.analyses };
    const [first, ...rest] = checkAnalyses(all, props.source === undefined ? SOURCE_TABLE.columns.map((c) => c.name) : undefined);
    if (first) {
      throw new PropError(
        describeProblem(first) + (rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : ''),
      );
    }
  }
}
