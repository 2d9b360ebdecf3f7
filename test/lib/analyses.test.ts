import 'cdktf/lib/testing/adapters/jest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import {
  AnalysisSpec,
  DEFAULT_ANALYSIS,
  JOB_ENV,
  LAUNCHER_ENV,
  planAnalyses,
  resultsTable,
  resultsTableName,
  TABLE_NAMES,
  WORKFLOW_ENV,
} from '../../runtime/contract';
import { findResource, resources, synthPipelines, Synthesized } from './helpers';

Testing.setupJest();

const example = (file: string) =>
  JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'examples', 'analyses', file), 'utf8')) as AnalysisSpec;
const ANALYSES = { qa: example('qa-scorecard.json'), reasons: example('call-reasons.json'), followup: example('follow-up.json') };

const tableOf = (s: Synthesized, name: string) => findResource(s.json, 'google_bigquery_table', (t) => t.table_id === name);
const jobEnv = (s: Synthesized, kind: string) =>
  Object.fromEntries(
    findResource(s.json, 'google_cloud_run_v2_job', (j) => j.name === `tap-pass1-batch-${kind}`).template.template.containers[0].env.map(
      (e: { name: string; value: string }) => [e.name, e.value],
    ),
  );
/** Roles bound on a table to the identity whose logical id holds `role`. */
const rolesOn = (s: Synthesized, table: string, role: string) =>
  resources(s.json, 'google_bigquery_table_iam_member')
    .filter(([, g]) => String(g.table_id).includes(`Table-results-${table}`) || g.table_id === table)
    .filter(([, g]) => String(g.member).includes(`_${role}_`))
    .map(([, g]) => g.role);

describe('TranscriptAnalysisPipeline with several analyses', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthPipelines({ analyses: ANALYSES });
  });

  test('gives each analysis its <name>_latest view over its own results table, and the launcher job every name', () => {
    expect(Object.keys(s.pipelines[0]!.warehouse.latestViews).sort()).toEqual(['followup', 'pass1', 'qa', 'reasons']);
    for (const name of Object.keys(ANALYSES)) {
      expect(String(tableOf(s, `${name}_latest`).view.query)).toContain(`${name}_results`);
    }
    const launcher = findResource(s.json, 'google_cloud_run_v2_job', (j) => j.labels?.['tap-job'] === 'launcher');
    const env = Object.fromEntries(
      launcher.template.template.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    expect(String(env[LAUNCHER_ENV.analyses]).split(',').sort()).toEqual(['followup', 'pass1', 'qa', 'reasons']);
  });

  test('creates a results table per analysis, its columns from its fields; pass1 keeps the seed table', () => {
    expect(tableOf(s, TABLE_NAMES.results)).toBeDefined();
    for (const [name, spec] of Object.entries(ANALYSES)) {
      const table = tableOf(s, `${name}_results`);
      expect(JSON.parse(table.schema).map((c: { name: string }) => c.name)).toEqual(
        resultsTable(spec, resultsTableName(name)).columns.map((c) => c.name),
      );
      expect(table.clustering).toEqual(['analysis_version', 'record_id']);
    }
  });

  test('gives the jobs the other analyses and the workflows the run order', () => {
    const env = jobEnv(s, 'planner');
    expect(JSON.parse(env[JOB_ENV.analysis])).toEqual(DEFAULT_ANALYSIS);
    expect(JSON.parse(env[JOB_ENV.analyses])).toEqual(ANALYSES);
    for (const [, wf] of resources(s.json, 'google_workflows_workflow')) {
      expect(JSON.parse(wf.user_env_vars[WORKFLOW_ENV.analysisRuns]).order).toEqual(['pass1', 'followup', 'qa', 'reasons']);
    }
  });

  test('outputs every analysis with its version and table, and keeps pass1 as the analysis', () => {
    const planned = planAnalyses({ pass1: DEFAULT_ANALYSIS, ...ANALYSES });
    const output = Object.entries(s.json.output ?? {}).find(([id]) => id.includes('analyses'))![1];
    expect(JSON.parse(output.value)).toEqual(
      Object.fromEntries(planned.map((a) => [a.name, { version: a.version, results_table: a.resultsTable }])),
    );
    expect(s.pipelines[0]!.analysisVersion).toBe(planned[0]!.version);
    expect(s.pipelines[0]!.analyses.map((a) => a.name)).toEqual(['pass1', 'followup', 'qa', 'reasons']);
  });

  test("the processor appends to every results table, the generator and reporter read them, the planner reads the upstream's", () => {
    for (const name of ['qa', 'reasons', 'followup']) {
      expect(rolesOn(s, name, 'processor')).toEqual(['roles/bigquery.dataEditor']);
      expect(rolesOn(s, name, 'generator')).toEqual(['roles/bigquery.dataViewer']);
      expect(rolesOn(s, name, 'reporter')).toEqual(['roles/bigquery.dataViewer']);
      expect(rolesOn(s, name, 'planner')).toEqual([]);
    }
    const upstreamGrants = resources(s.json, 'google_bigquery_table_iam_member').filter(([id]) =>
      id.includes('planner-read-results-pass1'),
    );
    expect(upstreamGrants).toHaveLength(1);
    expect(upstreamGrants[0]![1].role).toBe('roles/bigquery.dataViewer');
  });
});

describe('analyses validation', () => {
  test('refuses a chain with a cycle, naming it', () => {
    const a = { ...ANALYSES.followup, after: 'b', promptTemplate: '{b.summary}' };
    const b = { ...ANALYSES.followup, after: 'a', promptTemplate: '{a.summary}' };
    expect(() =>
      synthPipelines({ analyses: { a: { ...a, fields: DEFAULT_ANALYSIS.fields }, b: { ...b, fields: DEFAULT_ANALYSIS.fields } } }),
    ).toThrow(
      'analyses.a.after must be a chain without a cycle (an analysis cannot read its own results, even through others), got "a -> b -> a". Remove `after` from one analysis of the cycle',
    );
  });

  test('refuses analysis together with analyses.pass1', () => {
    expect(() => synthPipelines({ analysis: DEFAULT_ANALYSIS, analyses: { pass1: DEFAULT_ANALYSIS } })).toThrow(
      'give analysis or analyses.pass1, not both: analysis is the shorthand for analyses.pass1. Move it into analyses, or leave pass1 out of analyses',
    );
  });

  test('refuses a name that cannot name a table', () => {
    expect(() => synthPipelines({ analyses: { 'QA-Score': DEFAULT_ANALYSIS } })).toThrow(
      'analyses must be an analysis name: a lowercase letter, then up to 25 lowercase letters, digits or _, got "QA-Score"',
    );
  });

  test('refuses an upstream field the upstream does not declare', () => {
    const followup = { ...ANALYSES.followup, promptTemplate: 'Summary: {pass1.churn}' };
    expect(() => synthPipelines({ analyses: { followup } })).toThrow(
      /analyses\.followup\.promptTemplate must be a placeholder naming a field of pass1: summary, /,
    );
  });

  test('analyses.pass1 replaces the default analysis, like analysis', () => {
    const pass1 = { ...DEFAULT_ANALYSIS, systemInstruction: 'Other.' };
    const [viaAnalyses] = synthPipelines({ analyses: { pass1 } }).pipelines;
    expect(viaAnalyses!.analysis).toEqual(pass1);
  });
});
