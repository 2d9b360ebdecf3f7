/**
 * The pipeline's prop rules, as one table, checked before any resource is created.
 */
import type { TranscriptAnalysisPipelineProps } from '../constructs/transcript-analysis-pipeline';
import { AnalysisSpec, RESERVED_FIELD_NAMES } from '../../runtime/contract/analysis';
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
  MODEL,
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
  ['batchSize', 1, 200_000, 'Vertex AI takes at most 200,000 requests per batch job'],
  ['maxConcurrentBatches', 1, 20, 'the Workflows limit of concurrent iterations'],
  ['maxBatchAttempts', 1, 10],
  ['maxRecordAttempts', 1, 10],
  ['pollIntervalSeconds', 10, 3600],
  ['maxTranscriptChars', 1, 4_000_000],
  ['maxRequestBytes', 1024, 10_000_000],
  ['jobMemoryMiB', 512, 32768, 'Cloud Run allows up to 32 GiB'],
  ['jobTimeoutSeconds', 60, 86400, 'one task attempt, at most a day'],
  ['jobMaxRetries', 0, 10],
  ['workRetentionDays', 1, 3650],
];

/** The longest a workflow waits for one job (the `run_job` connector timeout in the workflows). */
const WORKFLOW_JOB_WAIT_SECONDS = 86400;

export function validateAnalysis(analysis: AnalysisSpec): void {
  if (typeof analysis.systemInstruction !== 'string') fail('analysis.systemInstruction', analysis.systemInstruction, 'a string');
  if (typeof analysis.promptTemplate !== 'string' || !analysis.promptTemplate.includes('{transcript}')) {
    fail('analysis.promptTemplate', analysis.promptTemplate, 'a template containing {transcript}', 'Put {transcript} where the call text goes');
  }
  checkPattern('analysis.model', analysis.model, MODEL, 'a Gemini model id such as "gemini-2.5-flash" or a model resource name');
  const g = analysis.generationConfig ?? {};
  checkRange('analysis.generationConfig.temperature', g.temperature, 0, 2, { integer: false });
  checkRange('analysis.generationConfig.topP', g.topP, 0, 1, { integer: false });
  checkRange('analysis.generationConfig.topK', g.topK, 1, 1000);
  checkRange('analysis.generationConfig.maxOutputTokens', g.maxOutputTokens, 1, 65536);
  if (!Array.isArray(analysis.fields) || analysis.fields.length === 0) {
    fail('analysis.fields', analysis.fields, 'a non-empty list of output fields');
  }
  const seen = new Set<string>();
  analysis.fields.forEach((field, i) => {
    const at = `analysis.fields[${i}]`;
    checkPattern(`${at}.name`, field.name, IDENTIFIER, 'a column name: a lowercase letter, then lowercase letters, digits or _');
    if (RESERVED_FIELD_NAMES.has(field.name)) {
      fail(`${at}.name`, field.name, `none of the results table's own columns (${[...RESERVED_FIELD_NAMES].join(', ')})`, 'Rename the field');
    }
    if (seen.has(field.name)) fail(`${at}.name`, field.name, 'unique among the fields');
    seen.add(field.name);
    checkOneOf(`${at}.type`, field.type, ['string', 'integer', 'number', 'boolean', 'string_array'] as const);
    if (typeof field.description !== 'string' || field.description.trim() === '') {
      fail(`${at}.description`, field.description, 'a non-empty description (the model reads it)');
    }
    if (field.enum !== undefined) {
      if (field.type !== 'string') fail(`${at}.enum`, field.enum, `absent for a ${field.type} field (enums are for string fields)`);
      if (field.enum.length === 0 || new Set(field.enum).size !== field.enum.length) {
        fail(`${at}.enum`, field.enum, 'a non-empty list of distinct values');
      }
    }
  });
}

/** Checks every prop; throws with a message naming the prop, the value and what is allowed. */
export function validatePipelineProps(props: TranscriptAnalysisPipelineProps): void {
  if (props.projectId === undefined || props.projectId === '') fail('projectId', props.projectId, 'a GCP project id', 'projectId is required');
  checkPattern('projectId', props.projectId, PROJECT_ID, 'a GCP project id: 6-30 lowercase letters, digits or -, starting with a letter');
  if (props.region === undefined || props.region === '') fail('region', props.region, 'a GCP region such as "europe-west1"', 'region is required');
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
    checkPattern('source.idColumn', props.source.idColumn, IDENTIFIER, 'a column name: a lowercase letter, then lowercase letters, digits or _');
    checkPattern('source.textColumn', props.source.textColumn, IDENTIFIER, 'a column name: a lowercase letter, then lowercase letters, digits or _');
  }
  if (props.price !== undefined) {
    checkRange('price.inputPerMillion', props.price.inputPerMillion, 0, 1000, { integer: false });
    checkRange('price.outputPerMillion', props.price.outputPerMillion, 0, 1000, { integer: false });
  }
  if (props.analysis !== undefined) {
    validateAnalysis(props.analysis);
    const size = JSON.stringify(props.analysis).length;
    if (size > 32768) fail('analysis', `${size} characters of JSON`, 'at most 32768 characters (a Cloud Run environment variable)');
  }
}
