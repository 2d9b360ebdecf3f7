import { cohensKappa, fieldAgreement, fieldKind, jaccard, stratifiedSample } from '../../../runtime/core/agreement';
import { DEFAULT_ANALYSIS } from '../../../runtime/contract';

describe('agreement figures', () => {
  test("Cohen's kappa of the textbook table: 0.7 observed, 0.5 by chance, kappa 0.4", () => {
    const pairs: [string, string][] = [
      ...Array.from({ length: 20 }, () => ['yes', 'yes'] as [string, string]),
      ...Array.from({ length: 5 }, () => ['yes', 'no'] as [string, string]),
      ...Array.from({ length: 10 }, () => ['no', 'yes'] as [string, string]),
      ...Array.from({ length: 15 }, () => ['no', 'no'] as [string, string]),
    ];
    expect(cohensKappa(pairs)).toBeCloseTo(0.4, 10);
    expect(
      cohensKappa([
        ['a', 'a'],
        ['b', 'b'],
      ]),
    ).toBe(1);
    expect(
      cohensKappa([
        ['a', 'a'],
        ['a', 'a'],
      ]),
    ).toBeUndefined();
  });

  test('jaccard of word sets, 1 for two empty ones', () => {
    expect(jaccard(new Set(['a', 'b']), new Set(['b', 'c']))).toBeCloseTo(1 / 3, 10);
    expect(jaccard(new Set(), new Set())).toBe(1);
  });

  test('fields are compared by kind: categories exactly, text and lists by overlap, numbers exactly with their mean difference', () => {
    const fields = [
      ...DEFAULT_ANALYSIS.fields.filter((f) => ['summary', 'sentiment', 'topics'].includes(f.name)),
      { name: 'score', type: 'number' as const, description: 'a score' },
    ];
    expect(fields.map(fieldKind)).toEqual(['text', 'categorical', 'list', 'number']);
    const pairs = [
      {
        recordId: 'a',
        baseline: { summary: 'A bill', sentiment: 'neutral', topics: ['bill'], score: 50 },
        candidate: { summary: 'a bill', sentiment: 'neutral', topics: ['Bill'], score: 50 },
      },
      {
        recordId: 'b',
        baseline: { summary: 'late order', sentiment: 'negative', topics: [], score: 10 },
        candidate: { summary: 'order', sentiment: 'mixed', topics: ['x'], score: 30 },
      },
      { recordId: 'c', baseline: { summary: 'x' }, candidate: null },
    ];
    const byName = Object.fromEntries(fieldAgreement(fields, pairs).map((f) => [f.name, f]));
    expect(byName.summary).toMatchObject({ agreement: 0.75, compared: 2 });
    expect(byName.sentiment).toMatchObject({
      agreement: 0.5,
      kappa: 0.333333,
      examples: [{ record_id: 'b', baseline: 'negative', candidate: 'mixed' }],
    });
    expect(byName.topics).toMatchObject({ agreement: 0.5 });
    expect(byName.score).toMatchObject({ agreement: 0.5, mean_absolute_difference: 10 });
  });
});

describe('the stratified sample', () => {
  const records = Array.from({ length: 100 }, (_, i) => ({
    recordId: `r${String(i).padStart(3, '0')}`,
    stratum: i < 80 ? 'common' : 'rare',
  }));

  test('is the same for the same seed, and another for another seed', () => {
    expect(stratifiedSample(records, 10, 1)).toEqual(stratifiedSample(records, 10, 1));
    expect(stratifiedSample(records, 10, 2)).not.toEqual(stratifiedSample(records, 10, 1));
  });

  test('takes each stratum in proportion to its size', () => {
    const sample = stratifiedSample(records, 10, 7);
    expect(sample).toHaveLength(10);
    expect(sample.filter((id) => Number(id.slice(1)) >= 80)).toHaveLength(2);
  });

  test('takes every record when asked for more', () => {
    expect(stratifiedSample(records.slice(0, 3), 10, 1)).toEqual(['r000', 'r001', 'r002']);
  });
});
