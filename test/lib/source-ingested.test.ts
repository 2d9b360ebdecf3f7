/** The jobs learn from the construct which source column says when a row was written (for `tapctl forget`). */
import { JOB_ENV, SOURCE_TABLE } from '../../runtime/contract';
import { findResource, synthPipelines } from './helpers';

const plannerEnv = (props: Parameters<typeof synthPipelines>[0]) => {
  const s = synthPipelines(props);
  const job = findResource(s.json, 'google_cloud_run_v2_job', (j) => j.labels?.['tap-job'] === 'planner');
  return Object.fromEntries(job.template.template.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
};

test("the pipeline's own source table names its ingestion column", () => {
  expect(plannerEnv({})[JOB_ENV.sourceIngestedColumn]).toBe(SOURCE_TABLE.partitionColumn);
});

test('a source of your own has one only when given, checked like the other columns', () => {
  expect(plannerEnv({ source: { table: 'data-1.calls.transcripts' } })[JOB_ENV.sourceIngestedColumn]).toBeUndefined();
  expect(plannerEnv({ source: { table: 'data-1.calls.transcripts', ingestedColumn: 'loaded_at' } })[JOB_ENV.sourceIngestedColumn]).toBe(
    'loaded_at',
  );
  expect(() => synthPipelines({ source: { table: 'data-1.calls.transcripts', ingestedColumn: 'Loaded At' } })).toThrow(
    /source\.ingestedColumn/,
  );
});
