/**
 * The linter, and the engine's structural checks against Google's published JSON Schema for
 * Workflows (read from the shared reference folder beside the repository, never copied into it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import * as YAML from 'yaml';
import { lintSource, parseWorkflow } from '../../../../runtime/local/engine';

const repoRoot = path.join(__dirname, '..', '..', '..', '..');
const schemaPath = path.join(repoRoot, '..', 'shared', 'reference', 'workflows.schema.json');

function loadSchemaValidator(): (doc: unknown) => boolean {
  if (!fs.existsSync(schemaPath)) {
    throw new Error(`the Workflows JSON Schema is missing: expected ${schemaPath} (the shared reference folder beside the clone)`);
  }
  const ajv = new Ajv({ strict: false, allErrors: true });
  return ajv.compile(JSON.parse(fs.readFileSync(schemaPath, 'utf8')));
}

function rules(yaml: string): string[] {
  return lintSource(yaml, 'lint.yaml').map((f) => f.rule);
}

describe('linter', () => {
  test.each([
    ['an undefined variable', '- a:\n    return: ${missing}\n', 'undefined-variable'],
    ['a variable created inside a loop, used after it', '- l:\n    for:\n      value: v\n      in: [1]\n      steps:\n        - a:\n            assign:\n              - inner: 1\n- r:\n    return: ${inner}\n', 'undefined-variable'],
    ['the loop variable used after the loop', '- l:\n    for:\n      value: v\n      in: [1]\n      steps:\n        - a:\n            assign:\n              - x: ${v}\n- r:\n    return: ${v}\n', 'undefined-variable'],
    ['an assignment into an undefined map', '- a:\n    assign:\n      - m.k: 1\n', 'undefined-variable'],
    ['a write to a non-shared outer variable in a parallel branch', 'main:\n  steps:\n    - i:\n        assign:\n          - n: 0\n    - p:\n        parallel:\n          branches:\n            - a:\n                steps:\n                  - w:\n                      assign:\n                        - n: 1\n            - b:\n                steps:\n                  - w:\n                      assign:\n                        - m: 1\n', 'parallel-write'],
    ['a write to a non-shared outer variable in a parallel for, inside a nested loop', 'main:\n  steps:\n    - i:\n        assign:\n          - n: 0\n    - p:\n        parallel:\n          for:\n            value: v\n            in: [1]\n            steps:\n              - l:\n                  for:\n                    value: w\n                    in: [1]\n                    steps:\n                      - s:\n                          assign:\n                            - n: ${w}\n', 'parallel-write'],
    ['a call result stored in a non-shared outer variable', 'main:\n  steps:\n    - i:\n        assign:\n          - r: 0\n    - p:\n        parallel:\n          for:\n            value: v\n            in: [1]\n            steps:\n              - c:\n                  call: sys.now\n                  result: r\n', 'parallel-write'],
    ['a shared variable that is never assigned before', 'main:\n  steps:\n    - p:\n        parallel:\n          shared: [ghost]\n          for:\n            value: v\n            in: [1]\n            steps:\n              - c:\n                  assign:\n                    - ghost: 1\n', 'shared-variable'],
    ['text with ${ inside a longer string', '- a:\n    return: "batch ${id}"\n', 'interpolation'],
    ['an unknown argument to a subworkflow', 'main:\n  steps:\n    - c:\n        call: f\n        args: {x: 1, y: 2}\nf:\n  params: [x]\n  steps:\n    - r:\n        return: ${x}\n', 'call-arguments'],
    ['a missing required argument to a subworkflow', 'main:\n  steps:\n    - c:\n        call: f\nf:\n  params: [x]\n  steps:\n    - r:\n        return: ${x}\n', 'call-arguments'],
    ['a subworkflow called in an expression with too many arguments', 'main:\n  steps:\n    - r:\n        return: ${f(1, 2)}\nf:\n  params: [x]\n  steps:\n    - r:\n        return: ${x}\n', 'call-arguments'],
    ['a standard-library function called with too few arguments', '- r:\n    return: ${text.split("a")}\n', 'call-arguments'],
    ['an unknown argument to a standard-library function', '- s:\n    call: sys.sleep\n    args: {secs: 1}\n', 'call-arguments'],
    ['a structural error, reported as a definition finding', '- a:\n    nxt: b\n', 'definition'],
  ])('flags %s', (_name, yaml, rule) => {
    expect(rules(yaml)).toContain(rule);
  });

  test.each([
    ['params, assignments, loop variables and except variables in scope', 'main:\n  params: [args]\n  steps:\n    - a:\n        assign:\n          - total: 0\n    - l:\n        for:\n          value: v\n          index: i\n          in: ${args.items}\n          steps:\n            - s:\n                assign:\n                  - total: ${total + v + i}\n    - t:\n        try:\n          call: sys.now\n          result: now\n        except:\n          as: e\n          steps:\n            - r:\n                raise: ${e}\n    - r:\n        return: ${total + now}\n'],
    ['shared variables written in branches', 'main:\n  steps:\n    - i:\n        assign:\n          - n: 0\n    - p:\n        parallel:\n          shared: [n]\n          for:\n            value: v\n            in: [1, 2]\n            steps:\n              - w:\n                  assign:\n                    - n: ${n + v}\n              - local:\n                  assign:\n                    - mine: ${v}\n'],
    ['a variable assigned in one switch branch and read later', '- s:\n    switch:\n      - condition: true\n        assign:\n          - x: 1\n- r:\n    return: ${x}\n'],
    ['a retry policy naming a built-in predicate', '- t:\n    try:\n      call: sys.now\n    retry:\n      predicate: ${http.default_retry_predicate}\n      max_retries: 3\n      backoff: {initial_delay: 1, max_delay: 10, multiplier: 2}\n'],
  ])('accepts %s', (_name, yaml) => {
    expect(lintSource(yaml, 'ok.yaml')).toEqual([]);
  });

  test('findings carry the file, step and line', () => {
    const [f] = lintSource('- a:\n    assign:\n      - x: 1\n- b:\n    return: ${y}\n', 'f.yaml');
    expect(f).toMatchObject({ file: 'f.yaml', step: 'b', line: 4, severity: 'error', blocksDeployment: true });
  });

  test('interpolation findings do not block deployment (Workflows accepts the text as is)', () => {
    const [f] = lintSource('- a:\n    return: "id ${x}"\n');
    expect(f).toMatchObject({ rule: 'interpolation', blocksDeployment: false });
  });
});

describe('against Google\'s JSON Schema', () => {
  const validate = loadSchemaValidator();

  const valid: [string, string][] = [
    ['a list of steps', '- a:\n    return: 1\n'],
    ['subworkflows with params and defaults', 'main:\n  params: [args]\n  steps:\n    - c:\n        call: f\n        args: {x: 1}\n        result: r\n    - r:\n        return: ${r}\nf:\n  params: [x, y: 2]\n  steps:\n    - r:\n        return: ${x + y}\n'],
    ['switch, for, parallel, try/retry/except', 'main:\n  steps:\n    - i:\n        assign:\n          - acc: []\n    - s:\n        switch:\n          - condition: ${len(acc) == 0}\n            next: l\n    - l:\n        for:\n          value: v\n          range: [1, 3]\n          steps:\n            - a:\n                assign:\n                  - acc: ${list.concat(acc, v)}\n    - p:\n        parallel:\n          shared: [acc]\n          concurrency_limit: 2\n          branches:\n            - b1:\n                steps:\n                  - x:\n                      assign:\n                        - acc: ${list.concat(acc, 9)}\n            - b2:\n                steps:\n                  - x:\n                      call: sys.sleep\n                      args: {seconds: 1}\n    - t:\n        try:\n          call: http.get\n          args: {url: "https://example.invalid"}\n        retry:\n          predicate: ${http.default_retry_predicate}\n          max_retries: 3\n          backoff: {initial_delay: 1, max_delay: 30, multiplier: 2}\n        except:\n          as: e\n          steps:\n            - r:\n                raise: ${e}\n'],
  ];
  const invalid: [string, string][] = [
    ['an unknown step field', '- a:\n    asign:\n      - x: 1\n'],
    ['a step with two names', '- a:\n    return: 1\n  b:\n    return: 2\n'],
    ['result without call', '- a:\n    result: r\n'],
    ['except without try', '- a:\n    except:\n      as: e\n      steps:\n        - r:\n            return: 1\n'],
    ['a for loop without steps', '- a:\n    for:\n      value: v\n      in: [1]\n'],
    ['a for loop with both in and range', '- a:\n    for:\n      value: v\n      in: [1]\n      range: [1, 2]\n      steps:\n        - s:\n            return: 1\n'],
    ['a parallel step with one branch', '- p:\n    parallel:\n      branches:\n        - a:\n            steps:\n              - s:\n                  return: 1\n'],
    ['an exception policy other than continueAll', '- p:\n    parallel:\n      exception_policy: stopAll\n      for:\n        value: v\n        in: [1]\n        steps:\n          - s:\n              assign:\n                - x: 1\n'],
    ['main with two params', 'main:\n  params: [a, b]\n  steps:\n    - r:\n        return: 1\n'],
    ['an except block with an unknown field', '- t:\n    try:\n      call: sys.now\n    except:\n      as: e\n      catch: all\n      steps:\n        - r:\n            return: 1\n'],
    ['more than 50 assignments', `- a:\n    assign:\n${Array.from({ length: 51 }, (_, i) => `      - v${i}: 1`).join('\n')}\n`],
  ];

  test.each(valid)('the schema and the engine both accept %s', (_name, yaml) => {
    expect(validate(YAML.parse(yaml))).toBe(true);
    expect(() => parseWorkflow(yaml)).not.toThrow();
  });

  test.each(invalid)('the schema and the engine both refuse %s', (_name, yaml) => {
    expect(validate(YAML.parse(yaml))).toBe(false);
    expect(() => parseWorkflow(yaml)).toThrow();
  });

  const pipeline = ['workflows/master-orchestrator.yaml', 'workflows/batch.yaml'];
  test.each(pipeline)('%s validates against the schema and passes the linter', (file) => {
    const source = fs.readFileSync(path.join(repoRoot, file), 'utf8');
    expect(validate(YAML.parse(source))).toBe(true);
    expect(lintSource(source, file)).toEqual([]);
  });
});
