/** The construct's `redaction`: the DLP API, the generator's role and nobody else's, the analysis it carries. */
import { App, TerraformStack } from 'cdktf';
import { analysisVersion, DEFAULT_ANALYSIS, DEFAULT_INFO_TYPES, JOB_ENV, resolveRedaction } from '../../runtime/contract';
import { PropError, TranscriptAnalysisPipeline, TranscriptAnalysisPipelineProps } from '../../lib';
import { BASE, resources, synthPipelines, TfJson } from './helpers';

const dlpBindings = (json: TfJson) =>
  resources(json, 'google_project_iam_member')
    .map(([, b]) => b)
    .filter((b) => String(b.role).startsWith('roles/dlp.'));

const jobAnalysis = (json: TfJson, kind: string) => {
  const [, job] = resources(json, 'google_cloud_run_v2_job').find(([, j]) => String(j.name).endsWith(kind))!;
  const env = job.template.template.containers[0].env as { name: string; value: string }[];
  return JSON.parse(env.find((e) => e.name === JOB_ENV.analysis)!.value);
};

describe('redaction off (the default)', () => {
  const { json } = synthPipelines({ image: 'example/image:1' });
  test('enables no DLP API and grants no DLP role', () => {
    expect(resources(json, 'google_project_service').map(([, s]) => s.service)).not.toContain('dlp.googleapis.com');
    expect(dlpBindings(json)).toEqual([]);
  });
});

describe('redaction on', () => {
  const s = synthPipelines({
    image: 'example/image:1',
    redaction: {
      inspectTemplate: 'projects/privacy-hub/locations/europe-west1/inspectTemplates/calls',
      deidentifyTemplate: 'projects/privacy-hub/locations/europe-west1/deidentifyTemplates/tags',
    },
  });
  const generator = resources(s.json, 'google_service_account').find(([, a]) => String(a.account_id).endsWith('generator'))!;

  test('enables the DLP API, kept on destroy', () => {
    const api = resources(s.json, 'google_project_service').find(([, a]) => a.service === 'dlp.googleapis.com');
    expect(api?.[1]).toMatchObject({ disable_on_destroy: false });
  });

  test("grants roles/dlp.user to the generator's account only, and the readers of the templates on their project", () => {
    const member = `serviceAccount:\${google_service_account.${generator[0]}.email}`;
    expect(
      dlpBindings(s.json)
        .map((b) => [b.role, b.project, b.member])
        .sort(),
    ).toEqual([
      ['roles/dlp.deidentifyTemplatesReader', 'privacy-hub', member],
      ['roles/dlp.inspectTemplatesReader', 'privacy-hub', member],
      ['roles/dlp.user', 'my-project-123', member],
    ]);
  });

  test('every job reads the resolved redaction in its analysis, and the version includes it', () => {
    const expected = resolveRedaction({
      inspectTemplate: 'projects/privacy-hub/locations/europe-west1/inspectTemplates/calls',
      deidentifyTemplate: 'projects/privacy-hub/locations/europe-west1/deidentifyTemplates/tags',
    });
    for (const kind of ['planner', 'generator', 'processor', 'reporter']) expect(jobAnalysis(s.json, kind).redaction).toEqual(expected);
    expect(expected.infoTypes).toEqual(DEFAULT_INFO_TYPES);
    const version = s.pipelines[0]!.analysisVersion;
    expect(version).toBe(analysisVersion({ ...DEFAULT_ANALYSIS, redaction: expected }));
    expect(version).not.toBe(analysisVersion(DEFAULT_ANALYSIS));
  });
});

describe('redaction validation', () => {
  const build = (props: Partial<TranscriptAnalysisPipelineProps>) => () =>
    new TranscriptAnalysisPipeline(new TerraformStack(new App(), 'test'), 'Pipeline', { ...BASE, image: 'example/image:1', ...props });

  test('names a bad info type and a bad template with the value received', () => {
    expect(build({ redaction: { infoTypes: ['phone'] } })).toThrow(PropError);
    expect(build({ redaction: { infoTypes: ['phone'] } })).toThrow('redaction.infoTypes holds "phone", which is not an info type name');
    expect(build({ redaction: { deidentifyTemplate: 'tags' } })).toThrow(
      'redaction.deidentifyTemplate must be a template resource name like projects/P/locations/L/deidentifyTemplates/T, got "tags"',
    );
  });

  test('refuses redaction given both as a prop and in the analysis', () => {
    const analysis = { ...DEFAULT_ANALYSIS, redaction: resolveRedaction({}) };
    expect(build({ redaction: {}, analysis })).toThrow('redaction must be given once');
  });
});
