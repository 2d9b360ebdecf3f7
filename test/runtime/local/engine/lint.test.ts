/**
 * The linter: every finding of a file (not only the first), with its file, step and line; the
 * programs Google publishes accepted (every connector family, helper methods inside expressions);
 * and the structural rules of Google's JSON Schema for Workflows, written here as facts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConnectorHandlers, lintSource, parseWorkflow, runWorkflow } from '../../../../runtime/local/engine';

function rules(yaml: string): string[] {
  return lintSource(yaml, 'lint.yaml').map((f) => f.rule);
}

describe('linter', () => {
  test.each([
    ['an undefined variable', '- a:\n    return: ${missing}\n', 'undefined-variable'],
    [
      'a variable created inside a loop, used after it',
      '- l:\n    for:\n      value: v\n      in: [1]\n      steps:\n        - a:\n            assign:\n              - inner: 1\n- r:\n    return: ${inner}\n',
      'undefined-variable',
    ],
    [
      'the loop variable used after the loop',
      '- l:\n    for:\n      value: v\n      in: [1]\n      steps:\n        - a:\n            assign:\n              - x: ${v}\n- r:\n    return: ${v}\n',
      'undefined-variable',
    ],
    ['an assignment into an undefined map', '- a:\n    assign:\n      - m.k: 1\n', 'undefined-variable'],
    [
      'a write to a non-shared outer variable in a parallel branch',
      'main:\n  steps:\n    - i:\n        assign:\n          - n: 0\n    - p:\n        parallel:\n          branches:\n            - a:\n                steps:\n                  - w:\n                      assign:\n                        - n: 1\n            - b:\n                steps:\n                  - w:\n                      assign:\n                        - m: 1\n',
      'parallel-write',
    ],
    [
      'a write to a non-shared outer variable in a parallel for, inside a nested loop',
      'main:\n  steps:\n    - i:\n        assign:\n          - n: 0\n    - p:\n        parallel:\n          for:\n            value: v\n            in: [1]\n            steps:\n              - l:\n                  for:\n                    value: w\n                    in: [1]\n                    steps:\n                      - s:\n                          assign:\n                            - n: ${w}\n',
      'parallel-write',
    ],
    [
      'a call result stored in a non-shared outer variable',
      'main:\n  steps:\n    - i:\n        assign:\n          - r: 0\n    - p:\n        parallel:\n          for:\n            value: v\n            in: [1]\n            steps:\n              - c:\n                  call: sys.now\n                  result: r\n',
      'parallel-write',
    ],
    [
      'a shared variable that is never assigned before',
      'main:\n  steps:\n    - p:\n        parallel:\n          shared: [ghost]\n          for:\n            value: v\n            in: [1]\n            steps:\n              - c:\n                  assign:\n                    - ghost: 1\n',
      'shared-variable',
    ],
    ['text with ${ inside a longer string', '- a:\n    return: "batch ${id}"\n', 'interpolation'],
    [
      'an unknown argument to a subworkflow',
      'main:\n  steps:\n    - c:\n        call: f\n        args: {x: 1, y: 2}\nf:\n  params: [x]\n  steps:\n    - r:\n        return: ${x}\n',
      'call-arguments',
    ],
    [
      'a missing required argument to a subworkflow',
      'main:\n  steps:\n    - c:\n        call: f\nf:\n  params: [x]\n  steps:\n    - r:\n        return: ${x}\n',
      'call-arguments',
    ],
    [
      'a subworkflow called in an expression with too many arguments',
      'main:\n  steps:\n    - r:\n        return: ${f(1, 2)}\nf:\n  params: [x]\n  steps:\n    - r:\n        return: ${x}\n',
      'call-arguments',
    ],
    ['a standard-library function called with too few arguments', '- r:\n    return: ${text.split("a")}\n', 'call-arguments'],
    ['an unknown argument to a standard-library function', '- s:\n    call: sys.sleep\n    args: {secs: 1}\n', 'call-arguments'],
    ['a structural error, reported as a definition finding', '- a:\n    nxt: b\n', 'definition'],
  ])('flags %s', (_name, yaml, rule) => {
    expect(rules(yaml)).toContain(rule);
  });

  test.each([
    [
      'params, assignments, loop variables and except variables in scope',
      'main:\n  params: [args]\n  steps:\n    - a:\n        assign:\n          - total: 0\n    - l:\n        for:\n          value: v\n          index: i\n          in: ${args.items}\n          steps:\n            - s:\n                assign:\n                  - total: ${total + v + i}\n    - t:\n        try:\n          call: sys.now\n          result: now\n        except:\n          as: e\n          steps:\n            - r:\n                raise: ${e}\n    - r:\n        return: ${total + now}\n',
    ],
    [
      'shared variables written in branches',
      'main:\n  steps:\n    - i:\n        assign:\n          - n: 0\n    - p:\n        parallel:\n          shared: [n]\n          for:\n            value: v\n            in: [1, 2]\n            steps:\n              - w:\n                  assign:\n                    - n: ${n + v}\n              - local:\n                  assign:\n                    - mine: ${v}\n',
    ],
    [
      'a variable assigned in one switch branch and read later',
      '- s:\n    switch:\n      - condition: true\n        assign:\n          - x: 1\n- r:\n    return: ${x}\n',
    ],
    [
      'a retry policy naming a built-in predicate',
      '- t:\n    try:\n      call: sys.now\n    retry:\n      predicate: ${http.default_retry_predicate}\n      max_retries: 3\n      backoff: {initial_delay: 1, max_delay: 10, multiplier: 2}\n',
    ],
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

describe('every finding of a file', () => {
  test('problems the compiler finds are all reported, each with its step and line, together with the other checks', () => {
    const yaml = [
      '- a:',
      '    assign:',
      '      - x: ${math.ceil(1.5)}',
      '- b:',
      '    call: text.trim',
      '    args: {source: " a "}',
      '- c:',
      '    nxt: d',
      '- d:',
      '    next: nowhere',
      '- e:',
      '    return: ${y + "${"}',
      '- f:',
      '    return: ${missing}',
      '',
    ].join('\n');
    expect(lintSource(yaml, 'many.yaml').map((f) => [f.line, f.step, f.rule])).toEqual([
      [3, 'a', 'definition'],
      [5, 'b', 'definition'],
      [8, 'c', 'definition'],
      [10, 'd', 'definition'],
      [11, 'e', 'undefined-variable'],
      [13, 'f', 'undefined-variable'],
    ]);
  });

  test('a step that cannot be compiled does not make the variables it would define look undefined', () => {
    const yaml = '- a:\n    for:\n      value: v\n- b:\n    assign:\n      - x: 1\n- c:\n    return: ${x}\n';
    expect(rules(yaml)).toEqual(['definition']);
  });

  test('parseWorkflow, which runs nothing that is not valid, throws the first problem', () => {
    expect(() => parseWorkflow('- a:\n    call: text.trim\n- b:\n    call: math.round\n', 'w.yaml')).toThrow(
      'w.yaml:2: step "a": unknown function "text.trim"',
    );
  });
});

describe('functions and connectors', () => {
  test.each([
    ['a function Google does not document', '- a:\n    call: list.slice\n    args: {objs: [1]}\n', /unknown function "list\.slice"/],
    ['a name Google lists without a signature', '- a:\n    call: experimental.executions.execution_error\n', /documents no arguments/],
    ['an object used as a function', '- a:\n    call: http.default_retry\n', /an object \(a retry policy or backoff\), not a function/],
    [
      'a googleapis name that is not SERVICE.VERSION.RESOURCE.METHOD',
      '- a:\n    call: googleapis.storage\n',
      /not a connector method name/,
    ],
    [
      'gke.* with arguments by position (its documented order changed)',
      '- a:\n    args: [c, j]\n    call: gke.delete_job\n',
      /args of gke\.delete_job must be a map/,
    ],
    ['a connector with arguments by position', '- a:\n    args: [b, o]\n    call: googleapis.storage.v1.objects.get\n', /must be a map/],
    [
      'addVersionString inside an expression (its positional order is not documented)',
      '- a:\n    return: ${googleapis.secretmanager.v1.projects.secrets.addVersionString("s", "p", "d")}\n',
      /blocking call/,
    ],
  ])('refuses %s, naming the step and line', (_name, yaml, message) => {
    const [f] = lintSource(yaml, 'calls.yaml');
    expect(f).toMatchObject({ rule: 'definition', file: 'calls.yaml', step: 'a', line: 2, message: expect.stringMatching(message) });
  });

  // The families Google documents: googleapis.* (GA/), gke.* (CN/gke), events.*, http.*,
  // experimental.executions.* and sys.* (SL/overview).
  test.each([
    [
      'googleapis.*',
      '- a:\n    call: googleapis.bigquery.v2.jobs.insert\n    args: {projectId: p, body: {}, connector_params: {timeout: 600, polling_policy: {initial_delay: 2, multiplier: 1.5, max_delay: 60}, skip_polling: false, scopes: [x]}}\n',
    ],
    [
      'gke.*',
      '- a:\n    call: gke.request\n    args: {cluster_id: c, path: /api, method: GET, location: l, project: p, timeout: 30, body: {}, headers: {}, query: {}}\n',
    ],
    [
      'events.*',
      '- a:\n    call: events.create_callback_endpoint\n    args: {http_callback_method: GET}\n    result: cb\n- b:\n    call: events.await_callback\n    args: {callback: "${cb}", timeout: 60}\n',
    ],
    ['http.*', '- a:\n    call: http.request\n    args: {method: GET, url: "https://example.invalid", auth: {type: OIDC}}\n'],
    [
      'experimental.executions.*',
      '- a:\n    call: experimental.executions.run\n    args: {workflow_id: w, argument: {}}\n- b:\n    call: experimental.executions.map\n    args: {workflow_id: w, arguments: [{}]}\n',
    ],
    ['sys.log with args by position', '- a:\n    call: sys.log\n    args: ["${1}", "ERROR"]\n'],
    [
      'a retry policy with ${retry.default_backoff}',
      '- t:\n    try:\n      call: sys.now\n    retry:\n      predicate: ${retry.always}\n      max_retries: 2\n      backoff: ${retry.default_backoff}\n',
    ],
  ])('accepts %s', (_name, yaml) => {
    expect(lintSource(yaml, 'ok.yaml')).toEqual([]);
  });

  test('a positional args list needs the required arguments', () => {
    expect(lintSource('- a:\n    call: text.split\n    args: ["a,b"]\n', 'f.yaml')).toEqual([
      expect.objectContaining({ rule: 'call-arguments', step: 'a', message: expect.stringMatching(/needs at least 2 arguments/) }),
    ]);
  });

  test('a connector_params field Google does not document is a warning', () => {
    expect(
      lintSource(
        '- a:\n    call: googleapis.run.v2.projects.locations.jobs.run\n    args: {name: j, connector_params: {timeout_seconds: 60}}\n',
        'f.yaml',
      ),
    ).toEqual([
      expect.objectContaining({
        rule: 'call-arguments',
        severity: 'warning',
        blocksDeployment: false,
        message: expect.stringMatching(/timeout_seconds/),
      }),
    ]);
  });
});

describe("workflows in the style of Google's published samples", () => {
  const fixture = (name: string): string => fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8');
  const JOB = { metadata: { name: 'countdown' }, status: { succeeded: 1 } };

  test.each(['gke.yaml', 'secret-manager.yaml', 'callback.yaml'])('%s lints clean', (name) => {
    expect(lintSource(fixture(name), name)).toEqual([]);
  });

  test('gke.yaml runs: the cluster and the job are created, awaited and removed', async () => {
    const calls: string[] = [];
    const record = (name: string, answer: unknown) => (args: Record<string, unknown>) => {
      calls.push(`${name} ${JSON.stringify(args.job_name ?? args.clusterId ?? args.zone ?? '')}`);
      return answer;
    };
    const handlers: ConnectorHandlers = {
      'googleapis.container.v1.projects.zones.clusters.create': async (args, ctx) => {
        await ctx.sleep(300);
        return record('create cluster', {})(args);
      },
      'googleapis.container.v1.projects.zones.clusters.get': record('get cluster', { status: 'RUNNING' }),
      'googleapis.container.v1.projects.zones.clusters.delete': record('delete cluster', {}),
      'gke.create_job': record('create job', JOB),
      'gke.await_job': record('await job', JOB),
      'gke.delete_job': record('delete job', JOB),
    };
    const out = await runWorkflow(parseWorkflow(fixture('gke.yaml'), 'gke.yaml'), { handlers });
    expect(out.state === 'SUCCEEDED' && out.result).toEqual({ succeeded: 1 });
    expect(calls).toEqual([
      'create cluster "europe-west1-b"',
      'get cluster "scratch-cluster"',
      'create job ""',
      'await job "countdown"',
      'delete job "countdown"',
      'delete cluster "scratch-cluster"',
    ]);
    // Creating the cluster is long-running: 300 s of polls at 1 s, x1.25, at most 60 s.
    expect(out.stats.pollSteps).toBe(20);
  });

  test('gke.yaml turns a FailedJobError into a message naming the job', async () => {
    const handlers: ConnectorHandlers = {
      'googleapis.container.v1.projects.zones.clusters.create': () => ({}),
      'googleapis.container.v1.projects.zones.clusters.get': () => ({ status: 'RUNNING' }),
      'gke.create_job': () => JOB,
      'gke.await_job': () => {
        throw { message: 'job failed', tags: ['FailedJobError'], job: JOB };
      },
    };
    const out = await runWorkflow(parseWorkflow(fixture('gke.yaml'), 'gke.yaml'), { handlers });
    expect(out.state === 'FAILED' && out.error).toBe('job countdown failed');
  });

  test('secret-manager.yaml runs: the three ways of reading agree', async () => {
    let stored = '';
    const handlers: ConnectorHandlers = {
      'googleapis.secretmanager.v1.projects.secrets.addVersionString': (args) => {
        stored = String(args.data);
        return {};
      },
      'googleapis.secretmanager.v1.projects.secrets.versions.accessString': () => stored,
      'googleapis.secretmanager.v1.projects.secrets.versions.access': () => ({ payload: { data: Buffer.from(stored).toString('base64') } }),
    };
    const out = await runWorkflow(parseWorkflow(fixture('secret-manager.yaml'), 'secret-manager.yaml'), { handlers, executionId: 'e1' });
    expect(out.state === 'SUCCEEDED' && out.result).toBe(true);
  });

  test('callback.yaml runs: an answer is read from http_request, and no answer ends in a TimeoutError caught by tag', async () => {
    const wf = parseWorkflow(fixture('callback.yaml'), 'callback.yaml');
    const handlers: ConnectorHandlers = {
      'events.await_callback': async (_args, ctx) => {
        await ctx.sleep(120);
        return { http_request: { method: 'POST', body: { approved: true, reviewer: 'ana' } } };
      },
    };
    const answered = await runWorkflow(wf, { argument: { run_id: 'r1' }, handlers });
    expect(answered.state === 'SUCCEEDED' && answered.result).toEqual({ run: 'r1', approved: true, by: 'ana' });
    expect(answered.logs[0]).toMatchObject({
      severity: 'NOTICE',
      payload: expect.stringMatching(/^Approve run r1 by POSTing to https:\/\/workflowexecutions/),
    });
    const unanswered = await runWorkflow(wf, { argument: { run_id: 'r2', wait_seconds: 60 } });
    expect(unanswered.state === 'SUCCEEDED' && unanswered.result).toEqual({ run: 'r2', approved: false, reason: 'no answer in time' });
  });
});

describe("the structural rules of Google's JSON Schema for Workflows", () => {
  // Facts from jsonschema/workflows.json of github.com/GoogleCloudPlatform/workflows-samples: what
  // it accepts and what it refuses. The engine refuses the same definitions.
  const valid: [string, string][] = [
    ['a list of steps', '- a:\n    return: 1\n'],
    [
      'subworkflows with params and defaults',
      'main:\n  params: [args]\n  steps:\n    - c:\n        call: f\n        args: {x: 1}\n        result: r\n    - r:\n        return: ${r}\nf:\n  params: [x, y: 2]\n  steps:\n    - r:\n        return: ${x + y}\n',
    ],
    [
      'switch, for, parallel, try/retry/except',
      'main:\n  steps:\n    - i:\n        assign:\n          - acc: []\n    - s:\n        switch:\n          - condition: ${len(acc) == 0}\n            next: l\n    - l:\n        for:\n          value: v\n          range: [1, 3]\n          steps:\n            - a:\n                assign:\n                  - acc: ${list.concat(acc, v)}\n    - p:\n        parallel:\n          shared: [acc]\n          concurrency_limit: 2\n          branches:\n            - b1:\n                steps:\n                  - x:\n                      assign:\n                        - acc: ${list.concat(acc, 9)}\n            - b2:\n                steps:\n                  - x:\n                      call: sys.sleep\n                      args: {seconds: 1}\n    - t:\n        try:\n          call: http.get\n          args: {url: "https://example.invalid"}\n        retry:\n          predicate: ${http.default_retry_predicate}\n          max_retries: 3\n          backoff: {initial_delay: 1, max_delay: 30, multiplier: 2}\n        except:\n          as: e\n          steps:\n            - r:\n                raise: ${e}\n',
    ],
  ];
  const invalid: [string, string][] = [
    ['an unknown step field', '- a:\n    asign:\n      - x: 1\n'],
    ['a step with two names', '- a:\n    return: 1\n  b:\n    return: 2\n'],
    ['result without call', '- a:\n    result: r\n'],
    ['except without try', '- a:\n    except:\n      as: e\n      steps:\n        - r:\n            return: 1\n'],
    ['a for loop without steps', '- a:\n    for:\n      value: v\n      in: [1]\n'],
    [
      'a for loop with both in and range',
      '- a:\n    for:\n      value: v\n      in: [1]\n      range: [1, 2]\n      steps:\n        - s:\n            return: 1\n',
    ],
    [
      'a parallel step with one branch',
      '- p:\n    parallel:\n      branches:\n        - a:\n            steps:\n              - s:\n                  return: 1\n',
    ],
    [
      'an exception policy other than continueAll',
      '- p:\n    parallel:\n      exception_policy: stopAll\n      for:\n        value: v\n        in: [1]\n        steps:\n          - s:\n              assign:\n                - x: 1\n',
    ],
    ['main with two params', 'main:\n  params: [a, b]\n  steps:\n    - r:\n        return: 1\n'],
    [
      'an except block with an unknown field',
      '- t:\n    try:\n      call: sys.now\n    except:\n      as: e\n      catch: all\n      steps:\n        - r:\n            return: 1\n',
    ],
    ['more than 50 assignments', `- a:\n    assign:\n${Array.from({ length: 51 }, (_, i) => `      - v${i}: 1`).join('\n')}\n`],
  ];

  test.each(valid)('the engine accepts %s', (_name, yaml) => {
    expect(() => parseWorkflow(yaml)).not.toThrow();
  });

  test.each(invalid)('the engine refuses %s', (_name, yaml) => {
    expect(() => parseWorkflow(yaml)).toThrow();
  });
});
