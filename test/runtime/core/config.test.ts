import { DEFAULT_ANALYSIS } from '../../../runtime/contract';
import { batchRef, commonConfig, ConfigError, maxRecordAttempts, parseAnalysis, templateColumns } from '../../../runtime/core/config';
import { jobEnv } from '../../fakes/harness';

const env = (extra: Record<string, string | undefined> = {}) => ({ ...jobEnv(), TAP_EXECUTION_ID: 'run-1', ...extra });

function failure(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('job configuration', () => {
  test('reads a complete environment', () => {
    const cfg = commonConfig(env());
    expect(cfg).toMatchObject({
      projectId: 'test-project',
      dataset: 'tap',
      sourceIdColumn: 'transcript_id',
      sourceTextColumn: 'transcript',
    });
    expect(cfg.analysis).toEqual(DEFAULT_ANALYSIS);
  });

  test.each([
    ['TAP_PROJECT_ID', undefined, /is required/],
    ['TAP_DATASET', 'my-dataset', /not a valid identifier/],
    ['TAP_WORK_BUCKET', 'Bad_Bucket!', /not a bucket name/],
    ['TAP_SOURCE_TABLE', 'just_a_table', /qualified table name/],
    ['TAP_SOURCE_ID_COLUMN', 'id; DROP TABLE x', /not a valid identifier/],
    ['TAP_ANALYSIS', '{not json', /not valid JSON/],
    ['TAP_ANALYSIS', JSON.stringify({ ...DEFAULT_ANALYSIS, promptTemplate: 'no placeholder' }), /\{transcript\}/],
    [
      'TAP_ANALYSIS',
      JSON.stringify({ ...DEFAULT_ANALYSIS, fields: [{ name: 'model', type: 'string', description: 'x' }] }),
      /none of the results table's own columns/,
    ],
    [
      'TAP_ANALYSIS',
      JSON.stringify({ ...DEFAULT_ANALYSIS, fields: [{ name: 'x', type: 'date', description: 'x' }] }),
      /fields\[0\]\.type must be one of string, integer, number, boolean, string_array, got "date"/,
    ],
    ['TAP_EXECUTION_ID', 'has spaces', /letters, digits/],
    ['TAP_MAX_RECORD_ATTEMPTS', '0', /between 1 and 10,/],
  ])('fails naming %s when it is %p', (variable, value, message) => {
    const e = failure(() => {
      commonConfig(env({ [variable]: value }));
      maxRecordAttempts(env({ [variable]: value }));
    });
    expect(e.variable).toBe(variable);
    expect(e.message).toMatch(message);
    expect(e.message.startsWith(`${variable}: `)).toBe(true);
  });

  test('a batch is a number, optionally with the plan rows of it the attempt covers', () => {
    expect(batchRef({ TAP_BATCH_ID: '4' })).toEqual({ batchId: 4 });
    expect(batchRef({ TAP_BATCH_ID: '1', TAP_START_ROW: '11', TAP_END_ROW: '20' })).toEqual({
      batchId: 1,
      rows: { startRow: 11, endRow: 20 },
    });
    expect(failure(() => batchRef({ TAP_BATCH_ID: '4', TAP_START_ROW: '1' })).message).toMatch(/give both/);
    expect(failure(() => batchRef({ TAP_BATCH_ID: '4', TAP_START_ROW: '5', TAP_END_ROW: '2' })).variable).toBe('TAP_END_ROW');
    expect(failure(() => batchRef({ TAP_START_ROW: '11', TAP_END_ROW: '20' })).variable).toBe('TAP_BATCH_ID');
    expect(failure(() => batchRef({})).variable).toBe('TAP_BATCH_ID');
  });

  test('template columns are the placeholders other than {transcript}', () => {
    expect(templateColumns('{channel} {transcript} {agent_id} {channel}')).toEqual(['agent_id', 'channel']);
    expect(() =>
      parseAnalysis({ TAP_ANALYSIS: JSON.stringify({ ...DEFAULT_ANALYSIS, promptTemplate: '{transcript} {ok_col}' }) }),
    ).not.toThrow();
  });
});
