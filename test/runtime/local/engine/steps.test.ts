/**
 * Steps: assign, call, switch, next, for, subworkflows, try/retry/except, raise, return, nested
 * steps (workflows-language.md, "Program shape" and "Steps").
 */
import { WorkflowDefinitionError, parseWorkflow } from '../../../../runtime/local/engine';
import { failure, result, run } from './helpers';

describe('program shape', () => {
  test('a definition that is only a list of steps is main', async () => {
    expect(await result('- a:\n    return: 7\n')).toBe(7);
  });

  test('main receives the execution argument as its one param', async () => {
    expect(await result('main:\n  params: [args]\n  steps:\n    - a:\n        return: ${args.n * 2}\n', { argument: { n: 21 } })).toBe(42);
  });

  test('main without a return value ends with null', async () => {
    expect(await result('main:\n  steps:\n    - a:\n        assign:\n          - x: 1\n')).toBeNull();
  });

  test('main with two params is refused', () => {
    expect(() => parseWorkflow('main:\n  params: [a, b]\n  steps:\n    - a:\n        return: 1\n')).toThrow(WorkflowDefinitionError);
  });

  test('a definition without main is refused', () => {
    expect(() => parseWorkflow('other:\n  steps:\n    - a:\n        return: 1\n')).toThrow(/no "main"/);
  });
});

describe('assign', () => {
  test('later entries see earlier ones', async () => {
    expect(await result('- a:\n    assign:\n      - x: 2\n      - y: ${x * 10}\n- b:\n    return: ${y}\n')).toBe(20);
  });

  test('assigns into paths: a.b["c"][0]', async () => {
    const r = await result(`
- a:
    assign:
      - m: {b: {c: [1, 2]}}
      - m.b["c"][0]: 9
      - m.b.d: "new"
- b:
    return: \${m}
`);
    expect(r).toEqual({ b: { c: [9, 2], d: 'new' } });
  });

  test('assignment copies: changing the copy leaves the original', async () => {
    const r = await result(`
- a:
    assign:
      - orig: {k: [1]}
      - copy: \${orig}
      - copy.k[0]: 2
- b:
    return: ["\${orig.k[0]}", "\${copy.k[0]}"]
`);
    expect(r).toEqual([1, 2]);
  });

  test('a list index out of range in a target raises IndexError', async () => {
    expect((await failure('- a:\n    assign:\n      - l: [1]\n      - l[5]: 2\n')).tags).toContain('IndexError');
  });

  test('more than 50 assignments in one step are refused', () => {
    const entries = Array.from({ length: 51 }, (_, i) => `      - v${i}: ${i}`).join('\n');
    expect(() => parseWorkflow(`- a:\n    assign:\n${entries}\n`)).toThrow(/at most 50/);
  });
});

describe('switch and next', () => {
  const classify = `
main:
  params: [args]
  steps:
    - decide:
        switch:
          - condition: \${args.n < 0}
            next: negative
          - condition: \${args.n == 0}
            return: "zero"
          - condition: \${args.n > 100}
            steps:
              - big:
                  assign:
                    - label: "big"
            next: done
    - small:
        assign:
          - label: "small"
        next: done
    - negative:
        assign:
          - label: "negative"
    - done:
        return: \${label}
`;
  test.each([
    ['the first true condition wins and jumps with next', -5, 'negative'],
    ['a condition may return directly', 0, 'zero'],
    ['a condition may run nested steps, then its next', 500, 'big'],
    ['with no match, the step after switch runs', 7, 'small'],
  ])('%s', async (_name, n, expected) => {
    expect(await result(classify, { argument: { n } })).toBe(expected);
  });

  test('next: end ends the subworkflow with null', async () => {
    expect(await result('- a:\n    next: end\n- b:\n    return: 1\n')).toBeNull();
  });

  test('next can jump backwards to make a loop', async () => {
    const r = await result(`
- init:
    assign:
      - i: 0
- inc:
    assign:
      - i: \${i + 1}
- check:
    switch:
      - condition: \${i < 5}
        next: inc
- out:
    return: \${i}
`);
    expect(r).toBe(5);
  });

  test('next may leave nested steps for a step of the enclosing list', async () => {
    expect(
      await result('- outer:\n    steps:\n      - inner:\n          next: target\n- skipped:\n    return: 1\n- target:\n    return: 2\n'),
    ).toBe(2);
  });

  test('a non-bool condition raises TypeError', async () => {
    expect((await failure('- a:\n    switch:\n      - condition: ${1}\n        return: 1\n')).tags).toContain('TypeError');
  });

  test('next to an unknown step is refused with its line', () => {
    try {
      parseWorkflow('- a:\n    assign:\n      - x: 1\n- b:\n    next: nowhere\n', 'f.yaml');
      throw new Error('not refused');
    } catch (e) {
      expect(e).toBeInstanceOf(WorkflowDefinitionError);
      expect((e as WorkflowDefinitionError).step).toBe('b');
      expect((e as WorkflowDefinitionError).line).toBe(5);
    }
  });

  test('next: break outside a for loop is refused', () => {
    expect(() => parseWorkflow('- a:\n    next: break\n')).toThrow(/only allowed inside a for loop/);
  });

  test('more than 50 switch conditions are refused', () => {
    const conds = Array.from({ length: 51 }, () => '      - condition: true\n        return: 1').join('\n');
    expect(() => parseWorkflow(`- a:\n    switch:\n${conds}\n`)).toThrow(/at most 50/);
  });
});

describe('for', () => {
  test('iterates over a list with value and index', async () => {
    const r = await result(`
- init:
    assign:
      - out: []
- loop:
    for:
      value: v
      index: i
      in: ["a", "b"]
      steps:
        - add:
            assign:
              - out: \${list.concat(out, string(i) + v)}
- done:
    return: \${out}
`);
    expect(r).toEqual(['0a', '1b']);
  });

  test('iterates over a map through keys()', async () => {
    const r = await result(`
- init:
    assign:
      - m: {x: 1, y: 2}
      - total: 0
- loop:
    for:
      value: k
      in: \${keys(m)}
      steps:
        - add:
            assign:
              - total: \${total + m[k]}
- done:
    return: \${total}
`);
    expect(r).toBe(3);
  });

  test('iterating a map directly raises TypeError', async () => {
    expect(
      (
        await failure(
          '- a:\n    assign:\n      - m: {x: 1}\n- l:\n    for:\n      value: k\n      in: ${m}\n      steps:\n        - s:\n            assign:\n              - y: 1\n',
        )
      ).tags,
    ).toContain('TypeError');
  });

  test.each([
    ['range is inclusive at both ends', '[1, 4]', [1, 2, 3, 4]],
    ['a range with doubles steps by 1', '[0.5, 2.5]', [0.5, 1.5, 2.5]],
    ['an empty range runs no iteration', '[3, 1]', []],
  ])('%s', async (_name, range, expected) => {
    const r = await result(`
- init:
    assign:
      - out: []
- loop:
    for:
      value: v
      range: ${range}
      steps:
        - add:
            assign:
              - out: \${list.concat(out, v)}
- done:
    return: \${out}
`);
    expect(r).toEqual(expected);
  });

  const scoping = (ret: string): string => `
- init:
    assign:
      - before: 0
- loop:
    for:
      value: v
      in: [1, 2]
      steps:
        - body:
            assign:
              - before: \${before + v}
              - inside: \${v}
- done:
    return: \${${ret}}
`;
  test('variables that existed before the loop keep their changes', async () => {
    expect(await result(scoping('before'))).toBe(3);
  });

  test('variables created inside the loop do not exist after it', async () => {
    expect((await failure(scoping('inside'))).tags).toContain('KeyError');
  });

  test('the loop variable does not exist after the loop', async () => {
    expect((await failure(scoping('v'))).tags).toContain('KeyError');
  });

  test('break leaves the loop and continue skips to the next value', async () => {
    const r = await result(`
- init:
    assign:
      - seen: []
- loop:
    for:
      value: v
      range: [1, 10]
      steps:
        - skip_even:
            switch:
              - condition: \${v % 2 == 0}
                next: continue
              - condition: \${v > 6}
                next: break
        - add:
            assign:
              - seen: \${list.concat(seen, v)}
- done:
    return: \${seen}
`);
    expect(r).toEqual([1, 3, 5]);
  });

  test('return inside a loop ends the subworkflow', async () => {
    expect(
      await result(
        '- l:\n    for:\n      value: v\n      in: [1, 2, 3]\n      steps:\n        - r:\n            switch:\n              - condition: ${v == 2}\n                return: ${v * 100}\n- d:\n    return: 0\n',
      ),
    ).toBe(200);
  });
});

describe('subworkflows', () => {
  const wf = `
main:
  steps:
    - named:
        call: greet
        args:
          name: "Ada"
        result: a
    - defaulted:
        call: greet
        args:
          name: "Bob"
          greeting: "Hi"
        result: b
    - out:
        return: ["\${a}", "\${b}", '\${greet("Cy")}', '\${greet("Di", "Yo")}']
greet:
  params: [name, greeting: "Hello"]
  steps:
    - r:
        return: \${greeting + " " + name}
`;
  test('called by call step with named args and in expressions with positional args; defaults apply when omitted', async () => {
    expect(await result(wf)).toEqual(['Hello Ada', 'Hi Bob', 'Hello Cy', 'Yo Di']);
  });

  test('a missing required argument raises TypeError', async () => {
    expect(
      (
        await failure(
          'main:\n  steps:\n    - c:\n        call: f\n        result: r\nf:\n  params: [x]\n  steps:\n    - r:\n        return: ${x}\n',
        )
      ).tags,
    ).toContain('TypeError');
  });

  test("a subworkflow does not see the caller's variables", async () => {
    expect(
      (
        await failure(
          'main:\n  steps:\n    - a:\n        assign:\n          - secret: 1\n    - c:\n        call: f\n        result: r\nf:\n  steps:\n    - r:\n        return: ${secret}\n',
        )
      ).tags,
    ).toContain('KeyError');
  });

  test('recursion works below the call-depth limit', async () => {
    const fact = `
main:
  steps:
    - r:
        return: \${fact(10)}
fact:
  params: [n]
  steps:
    - base:
        switch:
          - condition: \${n <= 1}
            return: 1
    - rec:
        return: \${n * fact(n - 1)}
`;
    expect(await result(fact)).toBe(3628800);
  });

  test('call depth beyond 20 raises RecursionError', async () => {
    const deep = `
main:
  steps:
    - r:
        return: \${down(25)}
down:
  params: [n]
  steps:
    - base:
        switch:
          - condition: \${n == 0}
            return: 0
    - rec:
        return: \${down(n - 1)}
`;
    expect((await failure(deep)).tags).toContain('RecursionError');
  });

  test('call depth of exactly 20 is allowed', async () => {
    // main is depth 1, so down(18) reaches depth 20.
    expect(
      await result(
        'main:\n  steps:\n    - r:\n        return: ${down(18)}\ndown:\n  params: [n]\n  steps:\n    - b:\n        switch:\n          - condition: ${n == 0}\n            return: 0\n    - r:\n        return: ${down(n - 1)}\n',
      ),
    ).toBe(0);
  });
});

describe('raise, try, retry, except', () => {
  test('raise of a string is caught as that string', async () => {
    expect(
      await result(
        '- t:\n    try:\n      steps:\n        - r:\n            raise: "boom"\n    except:\n      as: e\n      steps:\n        - o:\n            return: ${e}\n',
      ),
    ).toBe('boom');
  });

  test('raise of a map keeps its fields', async () => {
    const r = await result(
      '- t:\n    try:\n      steps:\n        - r:\n            raise:\n              code: 55\n              message: "custom"\n              tags: ["MyError"]\n    except:\n      as: e\n      steps:\n        - o:\n            return: ${e}\n',
    );
    expect(r).toEqual({ code: 55, message: 'custom', tags: ['MyError'] });
  });

  test('an uncaught raise fails the execution with the raised value', async () => {
    expect(await failure('- r:\n    raise:\n      code: 7\n      message: "no"\n')).toEqual({ code: 7, message: 'no' });
  });

  test('raise ${e} re-raises the caught error', async () => {
    expect(
      await failure(
        '- t:\n    try:\n      steps:\n        - r:\n            raise: {message: "inner", tags: ["ValueError"]}\n    except:\n      as: e\n      steps:\n        - again:\n            raise: ${e}\n',
      ),
    ).toEqual({ message: 'inner', tags: ['ValueError'] });
  });

  test('tags can be tested with "Tag" in e.tags', async () => {
    expect(
      await result(
        '- t:\n    try:\n      steps:\n        - r:\n            assign:\n              - x: ${1 / 0}\n    except:\n      as: e\n      steps:\n        - o:\n            return: ${"ZeroDivisionError" in e.tags}\n',
      ),
    ).toBe(true);
  });

  const flaky = (retry: string, failures: number): string => `
main:
  steps:
    - init:
        assign:
          - attempts: 0
          - start: \${sys.now()}
    - t:
        try:
          steps:
            - count:
                assign:
                  - attempts: \${attempts + 1}
            - maybe:
                switch:
                  - condition: \${attempts <= ${failures}}
                    raise: {code: 503, message: "unavailable", tags: ["HttpError"]}
        retry: ${retry}
        except:
          as: e
          steps:
            - gave_up:
                return: {attempts: "\${attempts}", waited: "\${sys.now() - start}", gave_up: true}
    - ok:
        return: {attempts: "\${attempts}", waited: "\${sys.now() - start}", gave_up: false}
custom:
  params: [e]
  steps:
    - r:
        return: \${e.code == 503}
`;
  test('each retry re-runs the whole try block, with backoff observed on the virtual clock', async () => {
    const policy =
      '\n          predicate: ${custom}\n          max_retries: 5\n          backoff:\n            initial_delay: 2\n            max_delay: 10\n            multiplier: 3';
    // Delays 2, 6, then 18 capped at 10.
    expect(await result(flaky(policy, 3))).toEqual({ attempts: 4, waited: 18, gave_up: false });
  });

  test('when max_retries is used up the error reaches except', async () => {
    const policy =
      '\n          predicate: ${custom}\n          max_retries: 2\n          backoff:\n            initial_delay: 1\n            max_delay: 100\n            multiplier: 2';
    expect(await result(flaky(policy, 10))).toEqual({ attempts: 3, waited: 3, gave_up: true });
  });

  test('a custom predicate returning false stops retrying at once', async () => {
    const policy =
      '\n          predicate: ${never_retry}\n          max_retries: 5\n          backoff:\n            initial_delay: 1\n            max_delay: 100\n            multiplier: 2';
    const wf = flaky(policy, 10) + 'never_retry:\n  params: [e]\n  steps:\n    - r:\n        return: false\n';
    expect(await result(wf)).toEqual({ attempts: 1, waited: 0, gave_up: true });
  });

  test('${http.default_retry} retries a 503 up to 5 times with the default backoff', async () => {
    // 1 + 1.25 + 1.5625 + 1.953125 + 2.44140625
    expect(await result(flaky('${http.default_retry}', 10))).toEqual({ attempts: 6, waited: 8.20703125, gave_up: true });
  });

  test('${http.default_retry_non_idempotent} also retries a 503', async () => {
    expect(await result(flaky('${http.default_retry_non_idempotent}', 2))).toEqual({ attempts: 3, waited: 2.25, gave_up: false });
  });

  test('${retry.never} does not retry', async () => {
    expect(await result(flaky('${retry.never}', 1))).toEqual({ attempts: 1, waited: 0, gave_up: true });
  });

  test('${retry.always} retries whatever the error', async () => {
    expect(await result(flaky('${retry.always}', 2))).toEqual({ attempts: 3, waited: 2.25, gave_up: false });
  });

  test('a predicate that returns a non-bool raises TypeError', async () => {
    const policy =
      '\n          predicate: ${bad}\n          max_retries: 5\n          backoff:\n            initial_delay: 1\n            max_delay: 100\n            multiplier: 2';
    const wf =
      flaky(policy, 10).replace(
        '        except:\n          as: e\n          steps:\n            - gave_up:\n                return: {attempts: "${attempts}", waited: "${sys.now() - start}", gave_up: true}\n',
        '',
      ) + 'bad:\n  params: [e]\n  steps:\n    - r:\n        return: 1\n';
    expect((await failure(wf)).tags).toContain('TypeError');
  });

  test('a retry policy without backoff is refused', () => {
    expect(() =>
      parseWorkflow(
        'main:\n  steps:\n    - t:\n        try:\n          call: sys.now\n        retry:\n          predicate: ${p}\n          max_retries: 1\np:\n  params: [e]\n  steps:\n    - r:\n        return: true\n',
      ),
    ).toThrow(/backoff/);
  });

  test('try may wrap a single call', async () => {
    expect(await result('- t:\n    try:\n      call: sys.now\n      result: now\n- o:\n    return: ${now > 0}\n')).toBe(true);
  });
});

test('YAML anchors and aliases stand for the anchored value', async () => {
  expect(
    await result('- a:\n    assign:\n      - policy: &p {max: 3}\n      - again: *p\n- r:\n    return: ${again.max + policy.max}\n'),
  ).toBe(6);
});

describe('definition checks', () => {
  test.each([
    ['an unknown step field', '- a:\n    asign:\n      - x: 1\n', /unknown step field "asign"/],
    ['two bodies in one step', '- a:\n    assign:\n      - x: 1\n    return: 1\n', /one body/],
    ['args without call', '- a:\n    args: {x: 1}\n', /needs "call"/],
    ['an unknown function in a call step', '- a:\n    call: sys.sleeep\n', /unknown function "sys.sleeep"/],
    ['an unknown function in an expression', '- a:\n    return: ${nope(1)}\n', /unknown function "nope"/],
    ['a connector inside an expression', '- a:\n    return: ${http.get("u")}\n', /call step/],
    ['an expression over 400 characters', `- a:\n    return: \${${'1 + '.repeat(100)}1}\n`, /at most 400/],
    ['a duplicated step name', '- a:\n    return: 1\n- a:\n    return: 2\n', /used twice/],
    ['invalid YAML', '- a:\n  - b: [\n', /invalid YAML/],
    ['a syntax error in an expression', '- a:\n    return: ${1 +}\n', /unexpected/],
  ])('refuses %s', (_name, yaml, message) => {
    expect(() => parseWorkflow(yaml)).toThrow(message);
  });

  test('a source over 128 KB is refused', () => {
    const big = '- a:\n    return: "' + 'x'.repeat(130 * 1024) + '"\n';
    expect(() => parseWorkflow(big)).toThrow(/at most 131072/);
  });

  test('errors name the line of the offending step', async () => {
    const out = await run('- a:\n    assign:\n      - x: 1\n- b:\n    return: 1\n');
    expect(out.state).toBe('SUCCEEDED');
    try {
      parseWorkflow('- a:\n    assign:\n      - x: 1\n- b:\n    call: nothing.here\n', 'w.yaml');
    } catch (e) {
      expect((e as Error).message).toBe(
        'w.yaml:5: step "b": unknown function "nothing.here": it is neither a subworkflow nor a function of Google\'s Workflows standard library',
      );
    }
  });
});
