import { anyFault, chance, NO_FAULTS, parseFaults } from '../../../runtime/local/faults';

describe('faults', () => {
  test('parses every named fault', () => {
    const f = parseFaults(
      'vertex-job-fail:2,vertex-job-expire:1,vertex-job-partial:3,line-error-rate:0.1,model-unavailable-rate:0.05,malformed-json-rate:0.2,missing-summary-rate:0.3,processor-crash-after:processed,generator-crash:4',
      7,
    );
    expect(f).toEqual({
      vertexJobFail: 2,
      vertexJobExpire: 1,
      vertexJobPartial: 3,
      lineErrorRate: 0.1,
      modelUnavailableRate: 0.05,
      malformedJsonRate: 0.2,
      missingSummaryRate: 0.3,
      processorCrashAfter: 'processed',
      generatorCrash: 4,
      crashAfterWrites: null,
      crashAfterCommits: null,
      seed: 7,
    });
    expect(anyFault(f)).toBe(true);
  });

  test('no list means no fault', () => {
    expect(parseFaults(undefined)).toEqual(NO_FAULTS);
    expect(anyFault(parseFaults(''))).toBe(false);
  });

  test.each([
    ['vertex-job-fail:x', /whole number/],
    ['vertex-job-fail:-1', /whole number/],
    ['line-error-rate:1.5', /between 0 and 1/],
    ['malformed-json-rate:', /between 0 and 1/],
    ['processor-crash-after:everything', /results, processed, errors/],
    ['cosmic-ray:1', /unknown fault "cosmic-ray"; known faults: vertex-job-fail:N/],
  ])('rejects %s with a message saying what is allowed', (list, message) => {
    expect(() => parseFaults(list)).toThrow(message);
  });

  test('chance depends on the seed and the key only', () => {
    expect(chance(1, 'a', 2)).toBe(chance(1, 'a', 2));
    expect(chance(1, 'a', 2)).not.toBe(chance(2, 'a', 2));
    expect(chance(1, 'a', 2)).not.toBe(chance(1, 'a', 3));
    const draws = Array.from({ length: 2000 }, (_, i) => chance(3, i));
    const share = draws.filter((d) => d < 0.25).length / draws.length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.3);
  });
});
