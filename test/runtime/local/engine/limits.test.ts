/**
 * Error tags and execution limits (workflows-language.md, "Errors" and "Limits").
 */
import { ERROR_TAGS } from '../../../../runtime/local/engine';
import { failure, result, run } from './helpers';

describe('each error tag', () => {
  test.each([
    ['IndexError: a list index out of range', '- a:\n    return: ${[1][2]}\n', 'IndexError'],
    ['KeyError: a missing map key', '- a:\n    return: \'${{"a": 1}.b}\'\n', 'KeyError'],
    ['TypeError: string + int', '- a:\n    return: ${"a" + 1}\n', 'TypeError'],
    ['ValueError: int() of text', '- a:\n    return: ${int("x")}\n', 'ValueError'],
    ['ZeroDivisionError: division by zero', '- a:\n    return: ${1 // 0}\n', 'ZeroDivisionError'],
    [
      'RecursionError: unbounded recursion',
      'main:\n  steps:\n    - a:\n        return: ${f(1)}\nf:\n  params: [n]\n  steps:\n    - r:\n        return: ${f(n + 1)}\n',
      'RecursionError',
    ],
    ['ResourceLimitError: too many steps', '- a:\n    next: a\n', 'ResourceLimitError'],
    ['SystemError: a connector with no handler', '- a:\n    call: googleapis.storage.v1.objects.get\n', 'SystemError'],
  ])('%s', async (_name, yaml, tag) => {
    expect((await failure(yaml)).tags).toContain(tag);
  });

  // Tags that only Google's services raise reach the workflow through the handlers, unchanged.
  test.each(['AuthError', 'ConnectionError', 'ConnectionFailedError', 'HttpError', 'OperationError', 'ResponseTypeError', 'TimeoutError'])(
    '%s raised by a connector is caught by its tag',
    async (tag) => {
      const r = await result(
        `- t:\n    try:\n      call: googleapis.run.v2.projects.locations.jobs.run\n      args: {name: j}\n    except:\n      as: e\n      steps:\n        - r:\n            return: \${"${tag}" in e.tags}\n`,
        {
          handlers: {
            'googleapis.run.v2.projects.locations.jobs.run': () => {
              throw { message: 'failed', tags: [tag] };
            },
          },
        },
      );
      expect(r).toBe(true);
    },
  );

  test('the engine knows every tag Google documents', () => {
    expect([...ERROR_TAGS].sort()).toEqual(
      [
        'AuthError',
        'ConnectionError',
        'ConnectionFailedError',
        'HttpError',
        'IndexError',
        'KeyError',
        'OperationError',
        'ParallelNestingError',
        'RecursionError',
        'ResourceLimitError',
        'ResponseTypeError',
        'SystemError',
        'TimeoutError',
        'TypeError',
        'UnhandledBranchError',
        'ValueError',
        'ZeroDivisionError',
      ].sort(),
    );
  });
});

describe('limits', () => {
  test('100,000 steps are allowed and the 100,001st fails the execution', async () => {
    // init (1) + for (1) + 49,998 iterations of 2 steps = 99,998; return makes 99,999; so 100,000 runs fit.
    const wf = (n: number): string =>
      `- init:\n    assign:\n      - x: 0\n- l:\n    for:\n      value: v\n      range: [1, ${n}]\n      steps:\n        - a:\n            assign:\n              - x: \${x + 1}\n        - b:\n            assign:\n              - x: \${x + 1}\n- r:\n    return: \${x}\n`;
    const ok = await run(wf(49_998) + '- extra:\n    return: 0\n');
    expect(ok.state).toBe('SUCCEEDED');
    expect(ok.stats.steps).toBe(99_999);
    const tooMany = await run(wf(50_000));
    expect(tooMany.state).toBe('FAILED');
    expect(tooMany.state === 'FAILED' && tooMany.error).toMatchObject({ tags: ['ResourceLimitError'] });
  });

  test('every step counts once, containers included; an inline try body is part of its try step', async () => {
    const out = await run(
      '- t:\n    try:\n      call: sys.now\n      result: now\n- s:\n    steps:\n      - a:\n          assign:\n            - x: 1\n- r:\n    return: ${now}\n',
    );
    expect(out.stats.steps).toBe(4);
  });

  test('the step limit cannot be caught by try', async () => {
    const e = await failure(
      '- t:\n    try:\n      steps:\n        - a:\n            next: a\n    except:\n      as: e\n      steps:\n        - r:\n            return: "caught"\n',
      { limits: { steps: 500 } },
    );
    expect(e.tags).toEqual(['ResourceLimitError']);
  });

  test('variables over 512 KB in total fail with ResourceLimitError', async () => {
    const wf = `
- init:
    assign:
      - chunk: "${'x'.repeat(1000)}"
      - parts: []
- grow:
    for:
      value: i
      range: [1, 600]
      steps:
        - add:
            assign:
              - parts: \${list.concat(parts, chunk)}
`;
    const e = await failure(wf);
    expect(e.tags).toEqual(['ResourceLimitError']);
    expect(e.message).toMatch(/limit is 524288/);
  });

  test('variables just under 512 KB are fine, and freed loop variables do not count', async () => {
    const wf = `
- init:
    assign:
      - chunk: "${'x'.repeat(1000)}"
      - parts: []
- grow:
    for:
      value: i
      range: [1, 400]
      steps:
        - add:
            assign:
              - parts: \${list.concat(parts, chunk)}
              - temp: \${chunk + chunk}
- r:
    return: \${len(parts)}
`;
    const out = await run(wf);
    expect(out.state).toBe('SUCCEEDED');
    expect(out.stats.peakMemoryBytes).toBeGreaterThan(400_000);
    expect(out.stats.peakMemoryBytes).toBeLessThan(512 * 1024);
  });

  test('a string over 256 KB fails with ResourceLimitError', async () => {
    const e = await failure(`
- init:
    assign:
      - s: "${'y'.repeat(1024)}"
- grow:
    for:
      value: i
      range: [1, 9]
      steps:
        - double:
            assign:
              - s: \${s + s}
`);
    expect(e.tags).toEqual(['ResourceLimitError']);
    expect(e.message).toMatch(/string/);
  });

  test('an execution argument over 32 KB fails with ResourceLimitError', async () => {
    const out = await run('main:\n  params: [args]\n  steps:\n    - r:\n        return: 1\n', {
      argument: { blob: 'z'.repeat(33 * 1024) },
    });
    expect(out.state === 'FAILED' && out.error).toMatchObject({ tags: ['ResourceLimitError'] });
  });

  test('a path write into a large map is accounted by its delta (10,000 entries stay under 512 KB)', async () => {
    const out = await run(`
- init:
    assign:
      - outcomes: {}
- fill:
    for:
      value: i
      range: [0, 9999]
      steps:
        - put:
            assign:
              - outcomes[string(i)]: "ok"
- r:
    return: \${len(outcomes)}
`);
    expect(out.state === 'SUCCEEDED' && out.result).toBe(10000);
    expect(out.stats.peakMemoryBytes).toBeGreaterThan(10000 * 20);
    expect(out.stats.peakMemoryBytes).toBeLessThan(512 * 1024);
  });

  test('an execution that lasts more than a year of virtual time fails with ResourceLimitError', async () => {
    const e = await failure(
      '- l:\n    for:\n      value: v\n      range: [1, 3]\n      steps:\n        - s:\n            call: sys.sleep\n            args: {seconds: 17280000}\n',
    );
    expect(e).toEqual({ message: 'the execution ran longer than 31536000 seconds', tags: ['ResourceLimitError'] });
  });

  test('lowered limits apply (tests and benchmarks use them)', async () => {
    expect(
      (await failure('- a:\n    assign:\n      - l: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n', { limits: { memoryBytes: 64 } })).tags,
    ).toEqual(['ResourceLimitError']);
  });
});
