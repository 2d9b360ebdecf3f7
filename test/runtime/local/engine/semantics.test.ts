/**
 * Conformance with the semantics Google's pages answer: parallel branches under continueAll, call
 * depth, variable scope of loops and except blocks, resource limits that cannot be caught, what an
 * expression may call, and the limit on user environment variables. Each test names its page.
 */
import { lintSource, parseWorkflow } from '../../../../runtime/local/engine';
import { failure, result, run } from './helpers';

describe('parallel steps: continueAll', () => {
  // https://cloud.google.com/workflows/docs/reference/syntax/parallel-steps: continueAll is the only
  // policy; when a branch raises an unhandled exception the other branches still run, and the
  // error surfaced is tagged UnhandledBranchError (WD/access-execution-results).
  const wf = `
main:
  steps:
    - init:
        assign:
          - done: []
    - par:
        try:
          parallel:
            shared: [done]
            branches:
              - fails:
                  steps:
                    - boom:
                        raise: "how odd"
              - slow:
                  steps:
                    - wait:
                        call: sys.sleep
                        args: {seconds: 60}
                    - note:
                        assign:
                          - done: \${list.concat(done, "slow")}
              - quick:
                  steps:
                    - note:
                        assign:
                          - done: \${list.concat(done, "quick")}
        except:
          as: e
          steps:
            - out:
                return: {tags: '\${e.tags}', done: '\${done}', waited: '\${sys.now() - 1767225600}'}
`;

  test('a failing branch does not stop the others: they finish and keep their shared writes, then UnhandledBranchError is raised', async () => {
    expect(await result(wf)).toEqual({ tags: ['UnhandledBranchError'], done: ['quick', 'slow'], waited: 60 });
  });

  test('exception_policy: continueAll is accepted, any other policy is refused', () => {
    const step = (policy: string): string =>
      `- p:\n    parallel:\n      exception_policy: ${policy}\n      branches:\n        - a:\n            steps:\n              - s:\n                  assign:\n                    - x: 1\n        - b:\n            steps:\n              - s:\n                  assign:\n                    - y: 1\n`;
    expect(() => parseWorkflow(step('continueAll'))).not.toThrow();
    expect(() => parseWorkflow(step('stopAll'))).toThrow(/continueAll/);
  });
});

describe('call depth', () => {
  // https://cloud.google.com/workflows/quotas: at most 20 levels of calls; beyond, RecursionError
  // (WD/access-execution-results), which is not a resource limit and can be caught.
  const recurse = (depth: number): string => `
main:
  steps:
    - go:
        try:
          call: down
          args: {n: ${depth}}
          result: r
        except:
          as: e
          steps:
            - caught:
                return: \${e.tags}
    - out:
        return: \${r}
down:
  params: [n]
  steps:
    - stop:
        switch:
          - condition: \${n <= 1}
            return: "bottom"
    - deeper:
        return: \${down(n - 1)}
`;

  test('main and 19 nested calls (20 levels) run', async () => {
    expect(await result(recurse(19))).toBe('bottom');
  });

  test('a 21st level raises RecursionError, which try/except catches', async () => {
    expect(await result(recurse(20))).toEqual(['RecursionError']);
  });
});

describe('variable scope', () => {
  // https://cloud.google.com/workflows/docs/reference/syntax/variables: a variable created inside a
  // for loop belongs to the loop and reading it after the loop is an error when deploying; a
  // variable that existed before the loop keeps the changes made inside it. The same holds for a
  // variable created inside an except block (…/syntax/catching-errors).
  const loop = `
- init:
    assign:
      - total: 0
- loop:
    for:
      value: v
      in: [1, 2, 3]
      steps:
        - add:
            assign:
              - total: \${total + v}
              - inner: \${v}
`;

  test('a variable that existed before the loop keeps its changes', async () => {
    expect(await result(`${loop}- out:\n    return: \${total}\n`)).toBe(6);
  });

  test.each([
    ['a variable first assigned in the loop body', 'inner'],
    ['the loop value', 'v'],
  ])('%s is refused after the loop, at deployment (a linter error)', (_name, name) => {
    const findings = lintSource(`${loop}- out:\n    return: \${${name}}\n`, 'scope.yaml');
    expect(findings).toEqual([expect.objectContaining({ rule: 'undefined-variable', blocksDeployment: true, step: 'out', line: 14 })]);
  });

  const except = (after: string): string => `
- init:
    assign:
      - note: "none"
- t:
    try:
      raise: "boom"
    except:
      as: e
      steps:
        - keep:
            assign:
              - note: \${e}
              - local: 1
- out:
    return: \${${after}}
`;

  test('an except block may change a variable assigned before it', async () => {
    expect(await result(except('note'))).toBe('boom');
  });

  test.each([
    ['a variable first assigned in an except block', 'local'],
    ['the except variable', 'e'],
  ])('%s is refused after the block (a linter error)', (_name, name) => {
    expect(lintSource(except(name), 'except.yaml')).toEqual([expect.objectContaining({ rule: 'undefined-variable', step: 'out' })]);
  });
});

describe('resource limits cannot be caught', () => {
  // WD/access-execution-results: a ResourceLimitError raised by the runtime cannot be caught; the
  // execution fails at once. https://cloud.google.com/workflows/quotas: 100,000 steps per execution.
  const caught = (body: string): string =>
    `- t:\n    try:\n      steps:\n${body}\n    except:\n      as: e\n      steps:\n        - r:\n            return: "caught"\n`;

  test('running out of steps ends the execution despite try/except', async () => {
    const e = await failure(caught('        - a:\n            next: a'), { limits: { steps: 300 } });
    expect(e.tags).toEqual(['ResourceLimitError']);
  });

  test('running out of memory ends the execution despite try/except', async () => {
    const e = await failure(caught('        - a:\n            assign:\n              - l: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]'), {
      limits: { memoryBytes: 64 },
    });
    expect(e.tags).toEqual(['ResourceLimitError']);
  });

  test('a ResourceLimitError raised by the workflow itself is an ordinary error and can be caught', async () => {
    expect(await result(caught('        - a:\n            raise: {message: "mine", tags: ["ResourceLimitError"]}'))).toBe('caught');
  });
});

describe('what an expression may call', () => {
  // https://cloud.google.com/workflows/docs/reference/syntax/expressions: blocking calls
  // (events.await_callback, experimental.executions.map/run, googleapis.*, http.*, sys.log,
  // sys.sleep) must be made from a call step. GA/secretmanager/Overview allows the helper
  // accessString inside an expression.
  test.each([
    'sys.sleep(1)',
    'sys.log("x")',
    'http.get("https://example.invalid")',
    'events.await_callback({"url": "u"})',
    'experimental.executions.run("w")',
    'googleapis.storage.v1.objects.get("b", "o")',
    'gke.request("c", "/")',
  ])('%s inside an expression is refused, naming the file, step and line', (expr) => {
    const findings = lintSource(`- a:\n    assign:\n      - x: 1\n- b:\n    assign:\n      - y: '\${${expr}}'\n`, 'calls.yaml');
    expect(findings).toEqual([
      expect.objectContaining({
        rule: 'definition',
        file: 'calls.yaml',
        step: 'b',
        line: 6,
        message: expect.stringMatching(/blocking call: make it from a call step/),
      }),
    ]);
  });

  test('the Secret Manager helper accessString runs inside an expression, by position (secret_id, version, project_id)', async () => {
    const seen: unknown[] = [];
    const r = await result(
      '- s:\n    return: ${googleapis.secretmanager.v1.projects.secrets.versions.accessString("api-key", "3", "p")}\n',
      {
        handlers: {
          'googleapis.secretmanager.v1.projects.secrets.versions.accessString': (args) => {
            seen.push(args);
            return 'sesame';
          },
        },
      },
    );
    expect(r).toBe('sesame');
    expect(seen).toEqual([{ secret_id: 'api-key', version: '3', project_id: 'p' }]);
  });

  test.each(['type(1)', 'bool("true")', 'math.ceil(1.5)', 'text.trim(" a ")', 'list.slice([1], 0, 1)', 'map.keys({})'])(
    '%s: a function Google does not document is refused',
    (expr) => {
      const [f] = lintSource(`- a:\n    return: \${${expr}}\n`, 'f.yaml');
      expect(f).toMatchObject({
        rule: 'definition',
        file: 'f.yaml',
        step: 'a',
        line: 2,
        message: expect.stringMatching(/unknown function/),
      });
      expect(() => parseWorkflow(`- a:\n    return: \${${expr}}\n`, 'f.yaml')).toThrow(/f\.yaml:2: step "a": unknown function/);
    },
  );
});

describe('user environment variables', () => {
  // The Workflows API field userEnvVars takes at most 20 variables (audit: "the API limit of 20");
  // names may not start with GOOGLE_ or WORKFLOWS_ (…/reference/environment-variables).
  const env = (n: number): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`VAR_${i}`, String(i)]));

  test('20 user variables are allowed', async () => {
    expect(await result('- r:\n    return: ${sys.get_env("VAR_19")}\n', { env: env(20) })).toBe('19');
  });

  test('a 21st is refused with a message naming the limit and the count', async () => {
    await expect(run('- r:\n    return: 1\n', { env: env(21) })).rejects.toThrow(
      'a workflow has at most 20 user environment variables, got 21',
    );
  });

  test.each(['GOOGLE_X', 'WORKFLOWS_X'])('a name starting like %s is refused', async (name) => {
    await expect(run('- r:\n    return: 1\n', { env: { [name]: '1' } })).rejects.toThrow(new RegExp(name));
  });
});
