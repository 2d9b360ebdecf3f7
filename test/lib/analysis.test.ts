/** The analysis declaration flows from one prop into the results table, the jobs and the version. */
import { DEFAULT_ANALYSIS, JOB_ENV, responseSchema, TABLE_NAMES } from '../../runtime/contract';
import type { AnalysisSpec } from '../../runtime/contract';
import { findResource, synthPipelines, Props } from './helpers';

/** What a deployment carries of the analysis: the version output, the jobs' TAP_ANALYSIS, the model, the results columns. */
function deployed(props: Props) {
  const s = synthPipelines({ image: 'example/image:1', ...props });
  const job = findResource(s.json, 'google_cloud_run_v2_job', (j) => j.name.endsWith('processor'));
  const env = Object.fromEntries(job.template.template.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
  const version = Object.entries(s.json.output ?? {}).find(([id]) => id.includes('analysis_version'))![1].value;
  const results = findResource(s.json, 'google_bigquery_table', (t) => t.table_id === TABLE_NAMES.results);
  const master = findResource(s.json, 'google_workflows_workflow', (w) => w.name.endsWith('master-orchestrator'));
  return {
    version,
    analysis: JSON.parse(env[JOB_ENV.analysis]) as AnalysisSpec,
    columns: JSON.parse(results.schema).map((c: { name: string }) => c.name),
    model: master.user_env_vars.TAP_MODEL as string,
    pipeline: s.pipelines[0]!,
  };
}

describe('analysis_version', () => {
  const base = deployed({});

  test.each<[string, AnalysisSpec]>([
    ['the prompt', { ...DEFAULT_ANALYSIS, promptTemplate: `${DEFAULT_ANALYSIS.promptTemplate}\nAnswer in English.` }],
    ['the system instruction', { ...DEFAULT_ANALYSIS, systemInstruction: 'You analyse sales calls.' }],
    [
      'a field',
      {
        ...DEFAULT_ANALYSIS,
        fields: DEFAULT_ANALYSIS.fields.map((f) => (f.name === 'summary' ? { ...f, description: 'One sentence.' } : f)),
      },
    ],
    ['the model', { ...DEFAULT_ANALYSIS, model: 'gemini-2.5-pro' }],
    ['the generation config', { ...DEFAULT_ANALYSIS, generationConfig: { ...DEFAULT_ANALYSIS.generationConfig, temperature: 0 } }],
  ])('changes when %s changes', (_what, analysis) => {
    const changed = deployed({ analysis });
    expect(changed.version).toMatch(/^v-[0-9a-f]{16}$/);
    expect(changed.version).not.toBe(base.version);
    expect(changed.pipeline.analysisVersion).toBe(changed.version);
    expect(changed.analysis).toEqual(analysis);
  });

  test('does not change with labels, names or sizes', () => {
    const other = deployed({ labels: { team: 'x' }, namePrefix: 'other', batchSize: 10, jobMemoryMiB: 2048 });
    expect(other.version).toBe(base.version);
  });

  test('the same declaration in another key order has the same version', () => {
    const reordered = deployed({
      analysis: { ...DEFAULT_ANALYSIS, generationConfig: { maxOutputTokens: 1024, topP: 0.95, temperature: 0.2 } },
    });
    expect(reordered.version).toBe(base.version);
  });
});

describe('one declaration, every consumer', () => {
  test('a new field becomes a results column, a response schema property and part of the jobs configuration', () => {
    const analysis: AnalysisSpec = {
      ...DEFAULT_ANALYSIS,
      model: 'gemini-2.5-flash-lite',
      fields: [...DEFAULT_ANALYSIS.fields, { name: 'churn_risk', type: 'string', enum: ['low', 'high'], description: 'Risk of leaving.' }],
    };
    const d = deployed({ analysis });
    expect(d.columns).toContain('churn_risk');
    expect(d.columns.indexOf('churn_risk')).toBeLessThan(d.columns.indexOf('model'));
    expect(responseSchema(d.analysis).properties?.churn_risk).toMatchObject({ type: 'STRING', enum: ['low', 'high'] });
    expect(d.model).toBe('publishers/google/models/gemini-2.5-flash-lite');
  });
});
