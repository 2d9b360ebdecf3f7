import { analysisVersion, DEFAULT_ANALYSIS, resultsTable, responseSchema, canonicalJson } from '../../../runtime/contract';

describe('analysis declaration', () => {
  test('the default analysis has a required summary', () => {
    expect(DEFAULT_ANALYSIS.fields.find((f) => f.name === 'summary')?.required).toBe(true);
  });

  test('the version changes with the prompt, a field, the model or the generation config', () => {
    const base = analysisVersion(DEFAULT_ANALYSIS);
    expect(analysisVersion({ ...DEFAULT_ANALYSIS, promptTemplate: DEFAULT_ANALYSIS.promptTemplate + '!' })).not.toBe(base);
    expect(analysisVersion({ ...DEFAULT_ANALYSIS, systemInstruction: 'x' })).not.toBe(base);
    expect(analysisVersion({ ...DEFAULT_ANALYSIS, model: 'gemini-2.5-pro' })).not.toBe(base);
    expect(analysisVersion({ ...DEFAULT_ANALYSIS, generationConfig: { temperature: 0.3 } })).not.toBe(base);
    expect(
      analysisVersion({ ...DEFAULT_ANALYSIS, fields: [...DEFAULT_ANALYSIS.fields, { name: 'x', type: 'boolean', description: 'x' }] }),
    ).not.toBe(base);
  });

  test('the version ignores key order', () => {
    const reordered = { ...DEFAULT_ANALYSIS, generationConfig: { maxOutputTokens: 1024, topP: 0.95, temperature: 0.2 } };
    expect(analysisVersion(reordered)).toBe(analysisVersion(DEFAULT_ANALYSIS));
    expect(canonicalJson({ b: 1, a: [2, { d: 1, c: 2 }] })).toBe('{"a":[2,{"c":2,"d":1}],"b":1}');
  });

  test('fields become result columns and the response schema', () => {
    const table = resultsTable(DEFAULT_ANALYSIS);
    expect(table.columns.find((c) => c.name === 'topics')).toMatchObject({ type: 'STRING', mode: 'REPEATED' });
    const schema = responseSchema(DEFAULT_ANALYSIS);
    expect(schema.required).toEqual(['summary', 'sentiment']);
    expect(schema.properties?.sentiment).toMatchObject({ type: 'STRING', enum: ['positive', 'neutral', 'negative', 'mixed'] });
  });
});
