import { App, TerraformStack } from 'cdktf';
import { DEFAULT_ANALYSIS } from '../../runtime/contract';
import { PropError, TranscriptAnalysisPipeline, TranscriptAnalysisPipelineProps } from '../../lib';
import { BASE } from './helpers';

/** Builds a pipeline (validation runs before any resource or bundle is made). */
function build(props: Partial<TranscriptAnalysisPipelineProps>): void {
  const stack = new TerraformStack(new App(), 'test');
  new TranscriptAnalysisPipeline(stack, 'Pipeline', { ...BASE, image: 'example/image:1', ...props } as TranscriptAnalysisPipelineProps);
}

const field = (over: Record<string, unknown>) => ({
  ...DEFAULT_ANALYSIS,
  fields: [{ name: 'summary', type: 'string', description: 'x', ...over }],
});

/** [case, props, every fragment the message must contain (prop, value, what is allowed)]. */
const CASES: Array<[string, Partial<TranscriptAnalysisPipelineProps> | Record<string, unknown>, string[]]> = [
  ['projectId is missing', { projectId: '' }, ['projectId', '""', 'GCP project id', 'required']],
  ['projectId has upper case', { projectId: 'My-Project' }, ['projectId', '"My-Project"', '6-30 lowercase']],
  ['region is not a region', { region: 'europe' }, ['region', '"europe"', 'europe-west1']],
  ['vertexRegion is not a region', { vertexRegion: 'EU' }, ['vertexRegion', '"EU"', 'GCP region']],
  [
    'namePrefix is too long',
    { namePrefix: 'a-very-long-prefix-for-this' },
    ['namePrefix', '"a-very-long-prefix-for-this"', '1-20 lowercase'],
  ],
  ['namePrefix ends with -', { namePrefix: 'tap-' }, ['namePrefix', '"tap-"', 'not ending with -']],
  ['datasetId has a hyphen', { datasetId: 'my-dataset' }, ['datasetId', '"my-dataset"', 'BigQuery dataset id']],
  ['batchSize is 0', { batchSize: 0 }, ['batchSize', 'got 0', 'between 1 and 200000', '200,000 requests']],
  ['batchSize is not an integer', { batchSize: 10.5 }, ['batchSize', 'got 10.5', 'an integer']],
  ['batchSize is a word other than auto', { batchSize: 'big' as never }, ['batchSize', 'got "big"', 'or give "auto"']],
  ['maxConcurrentBatches is 0', { maxConcurrentBatches: 0 }, ['maxConcurrentBatches', 'got 0', 'between 1 and 20', 'Workflows limit']],
  ['maxConcurrentBatches is 21', { maxConcurrentBatches: 21 }, ['maxConcurrentBatches', 'got 21', 'between 1 and 20']],
  ['maxBatchAttempts is 0', { maxBatchAttempts: 0 }, ['maxBatchAttempts', 'got 0', 'between 1 and 10']],
  ['maxRecordAttempts is 11', { maxRecordAttempts: 11 }, ['maxRecordAttempts', 'got 11', 'between 1 and 10']],
  ['pollIntervalSeconds is 5', { pollIntervalSeconds: 5 }, ['pollIntervalSeconds', 'got 5', 'between 10 and 3600']],
  ['jobMemoryMiB is 256', { jobMemoryMiB: 256 }, ['jobMemoryMiB', 'got 256', 'between 512 and 32768']],
  ['jobCpu is 3', { jobCpu: 3 }, ['jobCpu', 'got 3', 'one of 1, 2, 4, 6, 8']],
  ['jobCpu 4 with too little memory', { jobCpu: 4, jobMemoryMiB: 1024 }, ['jobMemoryMiB', '2048', 'jobCpu 4', 'got 1024']],
  ['jobMemoryMiB needs more CPU', { jobCpu: 1, jobMemoryMiB: 8192 }, ['jobCpu', 'at least 2', 'jobMemoryMiB 8192', 'got 1']],
  ['jobTimeoutSeconds is 30', { jobTimeoutSeconds: 30 }, ['jobTimeoutSeconds', 'got 30', 'between 60 and 86400']],
  [
    'task time exceeds what a workflow waits',
    { jobTimeoutSeconds: 40000, jobMaxRetries: 3 },
    ['jobTimeoutSeconds × (jobMaxRetries + 1)', '40000 × 4 = 160000', 'at most 86400'],
  ],
  ['jobMaxRetries is negative', { jobMaxRetries: -1 }, ['jobMaxRetries', 'got -1', 'between 0 and 10']],
  ['workRetentionDays is 0', { workRetentionDays: 0 }, ['workRetentionDays', 'got 0', 'between 1 and 3650']],
  ['image has a space', { image: 'my image' }, ['image', '"my image"', 'container image reference']],
  ['a label value has upper case', { labels: { env: 'Dev' } }, ['labels.env', '"Dev"', 'label value']],
  ['a label key starts with a digit', { labels: { '1env': 'dev' } }, ['labels key', '"1env"', 'label key']],
  ['schedule has four fields', { schedule: '0 2 * *' }, ['schedule', '"0 2 * *"', 'five fields']],
  [
    'scheduleTimeZone without schedule',
    { scheduleTimeZone: 'Europe/Paris' },
    ['scheduleTimeZone', '"Europe/Paris"', 'together with schedule'],
  ],
  [
    'a notification channel is not a channel name',
    { notificationChannels: ['email:me@example.com'] },
    ['notificationChannels[0]', '"email:me@example.com"', 'notificationChannels/ID'],
  ],
  [
    'notification channels with monitoring off',
    { monitoring: false, notificationChannels: ['projects/p/notificationChannels/1'] },
    ['notificationChannels', 'empty when monitoring is false'],
  ],
  ['batchFailureRateThreshold is 0', { batchFailureRateThreshold: 0 }, ['batchFailureRateThreshold', 'got 0', 'above 0 and at most 1']],
  [
    'batchFailureRateThreshold is 20 (a percentage)',
    { batchFailureRateThreshold: 20 },
    ['batchFailureRateThreshold', 'got 20', 'at most 1'],
  ],
  [
    'source.table is not qualified',
    { source: { table: 'calls.transcripts' } },
    ['source.table', '"calls.transcripts"', 'project.dataset.table'],
  ],
  [
    'source.idColumn has upper case',
    { source: { table: 'data-project-1.calls.t', idColumn: 'CallId' } },
    ['source.idColumn', '"CallId"', 'column name'],
  ],
  [
    'the prompt has no {transcript}',
    { analysis: { ...DEFAULT_ANALYSIS, promptTemplate: 'Analyse this call.' } },
    ['analysis.promptTemplate', '"Analyse this call."', '{transcript}'],
  ],
  [
    'the model id has a space',
    { analysis: { ...DEFAULT_ANALYSIS, model: 'gemini 2.5' } },
    ['analysis.model', '"gemini 2.5"', 'Gemini model id'],
  ],
  [
    'temperature is 3',
    { analysis: { ...DEFAULT_ANALYSIS, generationConfig: { temperature: 3 } } },
    ['analysis.generationConfig.temperature', 'got 3', 'a number from 0 to 2'],
  ],
  [
    'maxOutputTokens is 0',
    { analysis: { ...DEFAULT_ANALYSIS, generationConfig: { maxOutputTokens: 0 } } },
    ['analysis.generationConfig.maxOutputTokens', 'got 0', 'an integer from 1 to 65536'],
  ],
  ['there are no fields', { analysis: { ...DEFAULT_ANALYSIS, fields: [] } }, ['analysis.fields', 'got []', 'non-empty list']],
  ['a field name has upper case', { analysis: field({ name: 'Summary' }) }, ['analysis.fields[0].name', '"Summary"', 'column name']],
  [
    'a field takes a reserved column name',
    { analysis: field({ name: 'record_id' }) },
    ['analysis.fields[0].name', '"record_id"', "results table's own columns"],
  ],
  [
    'two fields share a name',
    { analysis: { ...DEFAULT_ANALYSIS, fields: [...DEFAULT_ANALYSIS.fields, DEFAULT_ANALYSIS.fields[0]!] } },
    ['analysis.fields[6].name', '"summary"', 'unique'],
  ],
  [
    'a field type is unknown',
    { analysis: field({ type: 'date' }) },
    ['analysis.fields[0].type', '"date"', 'one of string, integer, number, boolean, string_array'],
  ],
  [
    'an enum on a boolean field',
    { analysis: field({ type: 'boolean', enum: ['yes'] }) },
    ['analysis.fields[0].enum', '["yes"]', 'enums are for string fields'],
  ],
  [
    'a field without description',
    { analysis: field({ description: ' ' }) },
    ['analysis.fields[0].description', '" "', 'non-empty description'],
  ],
  [
    'a placeholder names no column of the created source table',
    { analysis: { ...DEFAULT_ANALYSIS, promptTemplate: '{transcript} {nonexistent_col}' } },
    ['analysis.promptTemplate', '"{nonexistent_col}"', '{agent_id}'],
  ],
  [
    'an unknown key in the analysis',
    { analysis: { ...DEFAULT_ANALYSIS, temperature: 0.5 } as never },
    ['analysis.temperature', 'must be absent', 'Known keys'],
  ],
  ['price is negative', { price: { inputPerMillion: -1, outputPerMillion: 1 } }, ['price.inputPerMillion', 'got -1', 'between 0 and 1000']],
  [
    'workflowsDir holds no workflows',
    { workflowsDir: '/nonexistent-workflows' },
    ['workflowsDir', 'workflow source not found', '/nonexistent-workflows/'],
  ],
  [
    'serviceAccounts has a bad email',
    { serviceAccounts: { planner: 'planner@example.com' } },
    ['serviceAccounts.planner', '"planner@example.com"', 'service account email'],
  ],
];

describe('prop validation', () => {
  test.each(CASES)('fails when %s', (_name, props, fragments) => {
    let message = '';
    try {
      build(props as Partial<TranscriptAnalysisPipelineProps>);
    } catch (error) {
      // Every mistake in the props is a PropError, so a program can tell them from its own bugs.
      expect(error).toBeInstanceOf(PropError);
      message = (error as Error).message;
    }
    expect(message).not.toBe('');
    for (const fragment of fragments) expect(message).toContain(fragment);
  });

  test('accepts the defaults and a full valid configuration', () => {
    expect(() => build({})).not.toThrow();
    expect(() => build({ batchSize: 'auto' })).not.toThrow();
    expect(() =>
      build({
        namePrefix: 'tap-x',
        batchSize: 200000,
        maxConcurrentBatches: 20,
        jobCpu: 8,
        jobMemoryMiB: 32768,
        jobTimeoutSeconds: 21600,
        jobMaxRetries: 3,
        schedule: '*/30 * * * *',
        scheduleTimeZone: 'Europe/Paris',
        labels: { team: 'cx-analytics', env: '' },
        notificationChannels: ['projects/p/notificationChannels/123'],
        batchFailureRateThreshold: 1,
        source: { table: 'data-project-1.calls.transcripts' },
      }),
    ).not.toThrow();
  });

  test('fails when two pipelines in one stack share a prefix', () => {
    const stack = new TerraformStack(new App(), 'test');
    new TranscriptAnalysisPipeline(stack, 'A', { ...BASE, image: 'example/image:1' });
    expect(() => new TranscriptAnalysisPipeline(stack, 'B', { ...BASE, image: 'example/image:1' })).toThrow(
      'namePrefix must differ between pipelines in one project, got "tap" for both test/A and test/B',
    );
  });
});
