import {
  analysisExecutionId,
  analysisVersion,
  AnalysesError,
  AnalysisSpec,
  checkAnalyses,
  DEFAULT_ANALYSIS,
  describeProblem,
  planAnalyses,
  resultsTableName,
  SOURCE_TABLE,
  TABLE_NAMES,
  upstreamPlaceholders,
} from '../../../runtime/contract';

const chained = (after: string, template = `Summary: {${after}.summary}`): AnalysisSpec => ({
  ...DEFAULT_ANALYSIS,
  after,
  promptTemplate: template,
});
const messages = (analyses: Record<string, unknown>, columns?: readonly string[]) =>
  checkAnalyses(analyses, columns).map((p) => describeProblem(p));

describe('results table names', () => {
  test('pass1 keeps the seed table, other analyses get <name>_results', () => {
    expect(resultsTableName('pass1')).toBe(TABLE_NAMES.results);
    expect(resultsTableName('qa')).toBe('qa_results');
  });

  test('pass1 keeps the execution id, others add their name', () => {
    expect(analysisExecutionId('run-1', 'pass1')).toBe('run-1');
    expect(analysisExecutionId('run-1', 'qa')).toBe('run-1-qa');
  });
});

describe('versions', () => {
  test("pass1's version is its declaration's alone, as before several analyses", () => {
    const [pass1] = planAnalyses({ pass1: DEFAULT_ANALYSIS, qa: DEFAULT_ANALYSIS });
    expect(pass1!.version).toBe(analysisVersion(DEFAULT_ANALYSIS));
  });

  test('two analyses declared alike have different versions', () => {
    const planned = planAnalyses({ pass1: DEFAULT_ANALYSIS, qa: DEFAULT_ANALYSIS, reasons: DEFAULT_ANALYSIS });
    expect(new Set(planned.map((a) => a.version)).size).toBe(3);
  });

  test("a chained analysis's version changes with its upstream's and nothing else's", () => {
    const base = { pass1: DEFAULT_ANALYSIS, qa: DEFAULT_ANALYSIS, next: chained('pass1') };
    const before = Object.fromEntries(planAnalyses(base).map((a) => [a.name, a.version]));
    const changed = { ...base, pass1: { ...DEFAULT_ANALYSIS, systemInstruction: 'Something else.' } };
    const after = Object.fromEntries(planAnalyses(changed).map((a) => [a.name, a.version]));
    expect(after.pass1).not.toBe(before.pass1);
    expect(after.next).not.toBe(before.next);
    expect(after.qa).toBe(before.qa);
  });
});

describe('run order', () => {
  test('upstreams run first; otherwise pass1 first, then by name', () => {
    const planned = planAnalyses({ zeta: chained('beta'), beta: chained('pass1'), alpha: DEFAULT_ANALYSIS, pass1: DEFAULT_ANALYSIS });
    expect(planned.map((a) => a.name)).toEqual(['pass1', 'alpha', 'beta', 'zeta']);
    expect(planned.find((a) => a.name === 'zeta')!.needs).toEqual(['pass1', 'beta', 'zeta']);
    expect(planned.find((a) => a.name === 'zeta')!.upstream).toMatchObject({ name: 'beta', resultsTable: 'beta_results' });
  });

  test('upstream placeholders are listed as analysis.field', () => {
    expect(upstreamPlaceholders('{pass1.summary} {transcript} {channel} {pass1.topics} {pass1.summary}')).toEqual([
      'pass1.summary',
      'pass1.topics',
    ]);
  });
});

describe('checks', () => {
  test('refuses a cycle, naming it', () => {
    expect(messages({ pass1: DEFAULT_ANALYSIS, a: chained('b'), b: chained('a') })).toEqual([
      'analyses.a.after must be a chain without a cycle (an analysis cannot read its own results, even through others), got "a -> b -> a". Remove `after` from one analysis of the cycle',
    ]);
    expect(() => planAnalyses({ pass1: chained('pass1') })).toThrow(AnalysesError);
  });

  test('refuses an upstream that is not an analysis of the pipeline', () => {
    expect(messages({ pass1: DEFAULT_ANALYSIS, next: chained('pass2') })).toContain(
      'analyses.next.after must be the name of another analysis of the pipeline (pass1), got "pass2"',
    );
  });

  test('refuses a placeholder naming a field the upstream does not have', () => {
    expect(messages({ pass1: DEFAULT_ANALYSIS, next: chained('pass1', '{pass1.churn}') })).toEqual([
      `analyses.next.promptTemplate must be a placeholder naming a field of pass1: ${DEFAULT_ANALYSIS.fields.map((f) => f.name).join(', ')}, got "{pass1.churn}"`,
    ]);
  });

  test('refuses an upstream placeholder without after, and says how to read that analysis', () => {
    expect(messages({ pass1: DEFAULT_ANALYSIS, next: { ...DEFAULT_ANALYSIS, promptTemplate: '{transcript} {pass1.summary}' } })).toEqual([
      'analyses.next.promptTemplate must be a placeholder naming a source column, got "{pass1.summary}". Set "after": "pass1" to read that analysis\'s results',
    ]);
  });

  test('a chained prompt needs no {transcript}, an unchained one does', () => {
    expect(messages({ pass1: DEFAULT_ANALYSIS, next: chained('pass1') })).toEqual([]);
    expect(messages({ pass1: DEFAULT_ANALYSIS, next: { ...DEFAULT_ANALYSIS, promptTemplate: 'nothing' } })).toEqual([
      'analyses.next.promptTemplate must be a string containing {transcript}, got "nothing". Put {transcript} where the call text goes',
    ]);
  });

  test('refuses names that cannot name a table or fit an execution id', () => {
    expect(messages({ pass1: DEFAULT_ANALYSIS, 'QA-Score': DEFAULT_ANALYSIS, ['x'.repeat(27)]: DEFAULT_ANALYSIS })).toEqual([
      'analyses must be an analysis name: a lowercase letter, then up to 25 lowercase letters, digits or _, got "QA-Score"',
      `analyses must be an analysis name: a lowercase letter, then up to 25 lowercase letters, digits or _, got "${'x'.repeat(27)}"`,
    ]);
  });

  test('refuses analyses too large to travel together as one environment variable', () => {
    const big = { ...DEFAULT_ANALYSIS, systemInstruction: 'x'.repeat(20_000) };
    expect(messages({ pass1: big, a: big })).toEqual([]);
    expect(messages({ pass1: DEFAULT_ANALYSIS, a: big, b: big })[0]).toMatch(
      /^analyses must be at most 32768 characters \(they travel together as one Cloud Run environment variable\), got "\d+ characters of JSON besides pass1"/,
    );
  });

  test('checks source placeholders against the source columns when given', () => {
    const columns = SOURCE_TABLE.columns.map((c) => c.name);
    expect(
      messages({ pass1: DEFAULT_ANALYSIS, qa: { ...DEFAULT_ANALYSIS, promptTemplate: '{transcript} {region}' } }, columns),
    ).toHaveLength(1);
  });
});
