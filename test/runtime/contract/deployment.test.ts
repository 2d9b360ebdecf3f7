import { DEFAULT_ANALYSIS, JOB_ENV, jobEnvironment, WORKFLOW_ENV, workflowEnvironment } from '../../../runtime/contract';

const target = { projectId: 'p', region: 'r', dataset: 'd', workBucket: 'b' };

describe('deployment environment', () => {
  test('jobs get every JOB_ENV variable when every setting is given', () => {
    const env = jobEnvironment({
      ...target,
      sourceTable: 'p.d.t',
      sourceIdColumn: 'id',
      sourceTextColumn: 'text',
      sourceIngestedColumn: 'loaded_at',
      analysis: DEFAULT_ANALYSIS,
      analyses: { qa: { ...DEFAULT_ANALYSIS, promptTemplate: 'Score: {transcript}' } },
      maxRecordAttempts: 3,
      maxTranscriptChars: 10,
      maxRequestBytes: 20,
      price: { inputPerMillion: 1, outputPerMillion: 2 },
    });
    expect(Object.keys(env).sort()).toEqual(Object.values(JOB_ENV).sort());
    expect(JSON.parse(env[JOB_ENV.analysis]!)).toEqual(DEFAULT_ANALYSIS);
    expect(Object.keys(JSON.parse(env[JOB_ENV.analyses]!))).toEqual(['qa']);
  });

  test('jobs get no TAP_ANALYSES when pass1 is the only analysis', () => {
    const env = jobEnvironment({
      ...target,
      sourceTable: 'p.d.t',
      sourceIdColumn: 'id',
      sourceTextColumn: 'text',
      analysis: DEFAULT_ANALYSIS,
      maxRecordAttempts: 3,
    });
    expect(env[JOB_ENV.analyses]).toBeUndefined();
  });

  test('workflows get every WORKFLOW_ENV variable, the model as a Vertex AI resource', () => {
    const env = workflowEnvironment({
      ...target,
      jobs: { planner: 'a', generator: 'b', processor: 'c', reporter: 'd' },
      batchWorkflow: 'w',
      model: 'gemini-2.5-flash',
      vertexRegion: 'r',
      batchSize: 1,
      maxConcurrentBatches: 2,
      maxBatchAttempts: 3,
      pollIntervalSeconds: 4,
      jobTimeoutSeconds: 5,
      labels: { a: 'b' },
    });
    expect(Object.keys(env).sort()).toEqual(Object.values(WORKFLOW_ENV).sort());
    expect(env[WORKFLOW_ENV.model]).toBe('publishers/google/models/gemini-2.5-flash');
    expect(env[WORKFLOW_ENV.labels]).toBe('{"a":"b"}');
    expect(JSON.parse(env[WORKFLOW_ENV.analysisRuns]!)).toEqual({
      order: ['pass1'],
      runs: { pass1: { needs: ['pass1'], execution_suffix: '' } },
    });
  });

  test('workflows get the analyses in run order, upstreams first, with what each needs', () => {
    const chained = { ...DEFAULT_ANALYSIS, after: 'pass1', promptTemplate: 'Summary: {pass1.summary}' };
    const env = workflowEnvironment({
      ...target,
      jobs: { planner: 'a', generator: 'b', processor: 'c', reporter: 'd' },
      batchWorkflow: 'w',
      model: 'gemini-2.5-flash',
      vertexRegion: 'r',
      batchSize: 1,
      maxConcurrentBatches: 2,
      maxBatchAttempts: 3,
      pollIntervalSeconds: 4,
      labels: {},
      analyses: {
        zeta: { ...chained, after: 'alpha', promptTemplate: 'Reason: {alpha.summary}' },
        alpha: chained,
        pass1: DEFAULT_ANALYSIS,
      },
    });
    expect(JSON.parse(env[WORKFLOW_ENV.analysisRuns]!)).toEqual({
      order: ['pass1', 'alpha', 'zeta'],
      runs: {
        pass1: { needs: ['pass1'], execution_suffix: '' },
        alpha: { needs: ['pass1', 'alpha'], execution_suffix: '-alpha' },
        zeta: { needs: ['pass1', 'alpha', 'zeta'], execution_suffix: '-zeta' },
      },
    });
  });
});
