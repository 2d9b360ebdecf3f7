/**
 * The jobs with several analyses: the planner plans the one TAP_ANALYSIS_NAME names; the generator
 * takes the analysis its plan was made for, and refuses a plan whose analysis's declaration is gone.
 */
import { DEFAULT_ANALYSIS, JOB_ENV, layout, planAnalyses, resultsTable, resultsTableName, RUN_ENV } from '../../../runtime/contract';
import { Harness } from '../../fakes/harness';

const QA = { ...DEFAULT_ANALYSIS, systemInstruction: 'Score the call against the scorecard.', model: 'gemini-2.5-pro' };
const withQa = (qa = QA) => ({ [JOB_ENV.analyses]: JSON.stringify({ qa }) });

async function plannedForQa() {
  const h = await Harness.create();
  await h.engine.createTable(resultsTable(QA, resultsTableName('qa')));
  await h.addTranscripts([
    { id: 'a', text: 'hello there' },
    { id: 'b', text: 'second call' },
  ]);
  const plan = await h.plan('run-1-qa', { ...withQa(), [RUN_ENV.analysisName]: 'qa' });
  return { h, plan };
}

describe('jobs with several analyses', () => {
  test("the planner plans the named analysis under its own version, and keeps the analysis's name", async () => {
    const { h, plan } = await plannedForQa();
    const qa = planAnalyses({ pass1: DEFAULT_ANALYSIS, qa: QA }).find((a) => a.name === 'qa')!;
    expect(plan).toMatchObject({ execution_id: 'run-1-qa', analysis: 'qa', analysis_version: qa.version, records: 2 });
    const [row] = await h.rows('executions');
    expect(JSON.parse(String(row!.params))).toMatchObject({ analysis: 'qa', model: 'gemini-2.5-pro' });
  });

  test("the generator writes the requests of the plan's analysis, with its model in the manifest", async () => {
    const { h } = await plannedForQa();
    const manifest = await h.generate('run-1-qa', 0, 1, withQa());
    expect(manifest).toMatchObject({ requests: 2, analysis: 'qa', model: 'publishers/google/models/gemini-2.5-pro' });
    const first = JSON.parse(
      h.store.objects
        .get(layout.input('run-1-qa', '0', 1))!
        .toString('utf8')
        .split('\n')[0]!,
    );
    expect(first.request.systemInstruction.parts[0].text).toBe(QA.systemInstruction);
  });

  test('a plan whose analysis changed since is refused, saying what to do', async () => {
    const { h } = await plannedForQa();
    await expect(h.generate('run-1-qa', 0, 1, withQa({ ...QA, systemInstruction: 'Changed.' }))).rejects.toThrow(
      /execution run-1-qa was planned for the analysis qa at version v-[0-9a-f]{16}, which this deployment no longer has .*: its open records are planned again by a new run/,
    );
  });

  test('a TAP_ANALYSIS_NAME the pipeline does not have is a configuration error naming the variable', async () => {
    const h = await Harness.create();
    await expect(h.plan('run-2', { ...withQa(), [RUN_ENV.analysisName]: 'reasons' })).rejects.toThrow(
      'TAP_ANALYSIS_NAME: "reasons" is not an analysis of this pipeline (pass1, qa)',
    );
  });
});
