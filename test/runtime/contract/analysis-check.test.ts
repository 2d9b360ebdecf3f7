/**
 * The one analysis checker (runtime/contract/analysis-check.ts), used by the construct, the jobs and
 * `tapctl local run --analysis`: each case gives one message naming where, what was found, what is
 * allowed and how to fix it.
 */
import { checkAnalysis, DEFAULT_ANALYSIS, describeProblem, LIMITS, SOURCE_TABLE } from '../../../runtime/contract';
import { parseAnalysis } from '../../../runtime/core/config';

const columns = SOURCE_TABLE.columns.map((c) => c.name);
const messages = (spec: unknown) => checkAnalysis(spec, { sourceColumns: columns }).map((p) => describeProblem(p, 'analysis'));
const withField = (field: unknown) => ({ ...DEFAULT_ANALYSIS, fields: [...DEFAULT_ANALYSIS.fields, field] });
const n = DEFAULT_ANALYSIS.fields.length;

describe('checkAnalysis', () => {
  test('the default analysis has no problem', () => {
    expect(messages(DEFAULT_ANALYSIS)).toEqual([]);
  });

  test.each<[string, unknown, string]>([
    [
      'a field without a description',
      withField({ name: 'churn', type: 'boolean' }),
      `analysis.fields[${n}].description must be a non-empty description (the model reads it), got nothing`,
    ],
    [
      'an enum that is not of strings',
      withField({ name: 'score', type: 'string', description: 'x', enum: [1, null] }),
      `analysis.fields[${n}].enum must be a non-empty list of non-empty strings, got [1,null]`,
    ],
    [
      'an enum on a number field',
      withField({ name: 'score', type: 'integer', description: 'x', enum: ['a'] }),
      `analysis.fields[${n}].enum must be absent for a field of type integer (enums are for string fields), got ["a"]`,
    ],
    [
      'a field that is null',
      { ...DEFAULT_ANALYSIS, fields: [null] },
      'analysis.fields[0] must be an object with name, type and description, got null',
    ],
    [
      'an unknown key of a field',
      withField({ name: 'x', type: 'string', description: 'x', format: 'email' }),
      `analysis.fields[${n}].format must be absent, got "email". A field has name, type, description, required, enum`,
    ],
    [
      'an unknown top-level key',
      { ...DEFAULT_ANALYSIS, temperature: 0.5 },
      'analysis.temperature must be absent, got 0.5. Known keys: systemInstruction, promptTemplate, model, generationConfig, fields',
    ],
    [
      'a placeholder naming no column',
      { ...DEFAULT_ANALYSIS, promptTemplate: '{transcript} {nonexistent_col}' },
      'analysis.promptTemplate must be a placeholder naming a source column',
    ],
    [
      'a temperature that is not a number',
      { ...DEFAULT_ANALYSIS, generationConfig: { temperature: 'hot' } },
      'analysis.generationConfig.temperature must be a number from 0 to 2, got "hot"',
    ],
    [
      'a negative maxOutputTokens',
      { ...DEFAULT_ANALYSIS, generationConfig: { maxOutputTokens: -5 } },
      `analysis.generationConfig.maxOutputTokens must be an integer from 1 to ${LIMITS.maxOutputTokens}, got -5`,
    ],
    [
      'an unknown generation setting',
      { ...DEFAULT_ANALYSIS, generationConfig: { candidateCount: 2 } },
      'analysis.generationConfig.candidateCount must be absent, got 2. The pipeline passes on temperature, topP, topK, maxOutputTokens, seed',
    ],
    [
      'a field name too long for the tables',
      withField({ name: 'x'.repeat(64), type: 'string', description: 'x' }),
      `analysis.fields[${n}].name must be a column name: a lowercase letter, then up to 62 lowercase letters, digits or _`,
    ],
    [
      'a reserved field name',
      withField({ name: 'model', type: 'string', description: 'x' }),
      `analysis.fields[${n}].name must be none of the results table's own columns`,
    ],
    [
      'a prompt without {transcript}',
      { ...DEFAULT_ANALYSIS, promptTemplate: 'Analyse the call.' },
      'analysis.promptTemplate must be a string containing {transcript}, got "Analyse the call.". Put {transcript} where the call text goes',
    ],
    [
      'not an object',
      [1, 2],
      'analysis must be an object with systemInstruction, promptTemplate, model, generationConfig and fields, got [1,2]',
    ],
  ])('%s', (_case, spec, message) => {
    const found = messages(spec);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(message);
  });

  test('a placeholder is checked against the source only when its columns are known', () => {
    const spec = { ...DEFAULT_ANALYSIS, promptTemplate: 'Agent {agent_id} on {channel}: {transcript} {custom_col}' };
    expect(checkAnalysis(spec).map((p) => p.path)).toEqual([]);
    expect(messages(spec)).toEqual([expect.stringContaining('got "{custom_col}"')]);
  });

  test('the jobs read TAP_ANALYSIS with the same checker, naming the variable', () => {
    const spec = withField({ name: 'churn', type: 'boolean' });
    expect(() => parseAnalysis({ TAP_ANALYSIS: JSON.stringify(spec) })).toThrow(
      `TAP_ANALYSIS: analysis.fields[${n}].description must be a non-empty description (the model reads it), got nothing`,
    );
  });
});
