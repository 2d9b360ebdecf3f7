/** Control flow across nested blocks: next, break and return through try, switch and nested steps. */
import { failure, result } from './helpers';

test('next inside a try body jumps to a step after the try', async () => {
  expect(
    await result(
      '- t:\n    try:\n      steps:\n        - j:\n            next: after\n    except:\n      as: e\n      steps:\n        - x:\n            return: "caught"\n- skipped:\n    return: "skipped"\n- after:\n    return: "after"\n',
    ),
  ).toBe('after');
});

test('break inside a try inside a for leaves the loop', async () => {
  const r = await result(`
- init:
    assign:
      - n: 0
- l:
    for:
      value: v
      range: [1, 10]
      steps:
        - t:
            try:
              steps:
                - count:
                    assign:
                      - n: \${n + 1}
                - stop:
                    switch:
                      - condition: \${v == 3}
                        next: break
            except:
              as: e
              steps:
                - r:
                    raise: \${e}
- r:
    return: \${n}
`);
  expect(r).toBe(3);
});

test('an error caught in one iteration does not stop the loop', async () => {
  const r = await result(`
- init:
    assign:
      - failed: []
- l:
    for:
      value: v
      in: [1, 0, 2, 0]
      steps:
        - t:
            try:
              steps:
                - d:
                    assign:
                      - q: \${10 / v}
            except:
              as: e
              steps:
                - note:
                    assign:
                      - failed: \${list.concat(failed, v)}
- r:
    return: \${len(failed)}
`);
  expect(r).toBe(2);
});

test('return inside nested steps inside a switch ends the subworkflow', async () => {
  expect(
    await result(
      '- s:\n    switch:\n      - condition: true\n        steps:\n          - inner:\n              steps:\n                - deep:\n                    return: "deep"\n- after:\n    return: "after"\n',
    ),
  ).toBe('deep');
});

test('next: end inside a subworkflow returns null to the caller, not the end of main', async () => {
  expect(
    await result(
      'main:\n  steps:\n    - c:\n        call: f\n        result: r\n    - out:\n        return: ${r == null}\nf:\n  steps:\n    - e:\n        next: end\n    - never:\n        return: 1\n',
    ),
  ).toBe(true);
});

test("an error raised in a subworkflow is caught by the caller's try", async () => {
  expect(
    await result(
      'main:\n  steps:\n    - t:\n        try:\n          call: f\n        except:\n          as: e\n          steps:\n            - r:\n                return: ${e.message}\nf:\n  steps:\n    - boom:\n        raise: {message: "from f"}\n',
    ),
  ).toBe('from f');
});

test('an error raised inside except propagates', async () => {
  expect(
    await failure(
      '- t:\n    try:\n      steps:\n        - a:\n            raise: "first"\n    except:\n      as: e\n      steps:\n        - b:\n            raise: ${"second after " + e}\n',
    ),
  ).toBe('second after first');
});

test('keys with dots are reachable with []', async () => {
  expect(await result('- a:\n    assign:\n      - m: {}\n      - m["a.b"]: 1\n- r:\n    return: ${m["a.b"] + len(keys(m))}\n')).toBe(2);
});

test('a step may combine a body with next', async () => {
  expect(await result('- a:\n    assign:\n      - x: 1\n    next: c\n- b:\n    assign:\n      - x: 2\n- c:\n    return: ${x}\n')).toBe(1);
});
