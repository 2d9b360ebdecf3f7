/**
 * Parallel steps and the virtual clock: branches and iterations interleave at sys.sleep and connector
 * calls, shared variables, concurrency_limit, the per-execution cap, UnhandledBranchError, nesting.
 */
import {
  ConnectorHandler,
  HandlerContext,
  VirtualClock,
  WorkflowDefinitionError,
  lintSource,
  parseWorkflow,
} from '../../../../runtime/local/engine';
import { failure, result, run } from './helpers';

/** A handler that records how many calls run at once, each taking `seconds` of virtual time. */
function concurrencyProbe(seconds: number): { handler: ConnectorHandler; max: () => number; calls: () => number } {
  let active = 0;
  let max = 0;
  let calls = 0;
  return {
    handler: async (_args, ctx) => {
      active++;
      calls++;
      max = Math.max(max, active);
      await ctx.sleep(seconds);
      active--;
      return { done: true };
    },
    max: () => max,
    calls: () => calls,
  };
}

describe('parallel branches', () => {
  test('branches run at the same time: total time is the longest branch, not the sum', async () => {
    const r = await result(`
main:
  steps:
    - init:
        assign:
          - start: \${sys.now()}
    - par:
        parallel:
          branches:
            - a:
                steps:
                  - s:
                      call: sys.sleep
                      args: {seconds: 100}
            - b:
                steps:
                  - s:
                      call: sys.sleep
                      args: {seconds: 250}
    - out:
        return: \${sys.now() - start}
`);
    expect(r).toBe(250);
  });

  test('branches interleave at sys.sleep', async () => {
    const r = await result(`
main:
  steps:
    - init:
        assign:
          - order: []
    - par:
        parallel:
          shared: [order]
          branches:
            - a:
                steps:
                  - a1:
                      assign:
                        - order: \${list.concat(order, "a1")}
                  - s:
                      call: sys.sleep
                      args: {seconds: 10}
                  - a2:
                      assign:
                        - order: \${list.concat(order, "a2")}
            - b:
                steps:
                  - b1:
                      assign:
                        - order: \${list.concat(order, "b1")}
                  - s:
                      call: sys.sleep
                      args: {seconds: 5}
                  - b2:
                      assign:
                        - order: \${list.concat(order, "b2")}
    - out:
        return: \${order}
`);
    expect(r).toEqual(['a1', 'b1', 'b2', 'a2']);
  });

  test('branches interleave at connector calls', async () => {
    const calls: string[] = [];
    const handlers = {
      'http.get': async (args: Record<string, unknown>, ctx: HandlerContext) => {
        const which = String(args.url).split('/').pop();
        calls.push(`start ${which}`);
        await ctx.sleep(which === 'slow' ? 60 : 1);
        calls.push(`end ${which}`);
        return { body: which };
      },
    };
    await result(
      `
main:
  steps:
    - par:
        parallel:
          branches:
            - a:
                steps:
                  - g:
                      call: http.get
                      args: {url: "https://example.invalid/slow"}
            - b:
                steps:
                  - g:
                      call: http.get
                      args: {url: "https://example.invalid/fast"}
`,
      { handlers },
    );
    expect(calls).toEqual(['start slow', 'start fast', 'end fast', 'end slow']);
  });

  test('a shared variable keeps what branches wrote', async () => {
    const r = await result(`
main:
  steps:
    - init:
        assign:
          - results: {}
    - par:
        parallel:
          shared: [results]
          for:
            value: i
            in: [1, 2, 3]
            steps:
              - put:
                  assign:
                    - results[string(i)]: \${i * i}
    - out:
        return: \${results}
`);
    expect(r).toEqual({ '1': 1, '2': 4, '3': 9 });
  });

  test('an assignment to a shared variable is atomic: no update is lost when branches wake together', async () => {
    const r = await result(`
main:
  steps:
    - init:
        assign:
          - count: 0
    - par:
        parallel:
          shared: [count]
          for:
            value: i
            range: [1, 15]
            steps:
              - s:
                  call: sys.sleep
                  args: {seconds: 10}
              - inc:
                  assign:
                    - count: \${count + 1}
    - out:
        return: \${count}
`);
    expect(r).toBe(15);
  });

  test('variables created in a branch do not exist after the parallel step', async () => {
    const e = await failure(`
main:
  steps:
    - par:
        parallel:
          branches:
            - a:
                steps:
                  - s:
                      assign:
                        - local: 1
            - b:
                steps:
                  - s:
                      assign:
                        - other: 2
    - out:
        return: \${local}
`);
    expect(e.tags).toContain('KeyError');
  });

  test('branches read the variables of the enclosing scope', async () => {
    const r = await result(`
main:
  steps:
    - init:
        assign:
          - base: 10
          - out: []
    - par:
        parallel:
          shared: [out]
          for:
            value: v
            range: [1, 3]
            steps:
              - add:
                  assign:
                    - out: \${list.concat(out, base + v)}
    - done:
        return: \${out}
`);
    expect(r).toEqual([11, 12, 13]);
  });

  const nonShared = `
main:
  steps:
    - init:
        assign:
          - counter: 0
    - par:
        parallel:
          branches:
            - a:
                steps:
                  - w:
                      assign:
                        - counter: 1
            - b:
                steps:
                  - w:
                      assign:
                        - counter: 2
`;
  test('writing a non-shared outer variable in a branch is a linter error', () => {
    expect(lintSource(nonShared).map((f) => f.rule)).toContain('parallel-write');
  });

  test('writing a non-shared outer variable in a branch is refused when run', async () => {
    await expect(run(nonShared)).rejects.toThrow(WorkflowDefinitionError);
  });

  test('a shared variable must exist before the parallel step', async () => {
    const wf =
      'main:\n  steps:\n    - par:\n        parallel:\n          shared: [later]\n          branches:\n            - a:\n                steps:\n                  - s:\n                      assign:\n                        - later: 1\n            - b:\n                steps:\n                  - s:\n                      assign:\n                        - later: 2\n';
    await expect(run(wf)).rejects.toThrow(/must exist before/);
  });

  test('more than 10 branches are refused', () => {
    const branches = Array.from(
      { length: 11 },
      (_, i) =>
        `            - b${i}:\n                steps:\n                  - s:\n                      assign:\n                        - x: 1`,
    ).join('\n');
    expect(() => parseWorkflow(`main:\n  steps:\n    - p:\n        parallel:\n          branches:\n${branches}\n`)).toThrow(
      /at most 10 branches/,
    );
  });

  test('three levels of nested parallel steps are refused', () => {
    const level = (depth: number): string => {
      const pad = ' '.repeat(depth * 12);
      if (depth === 3) return `${pad}- leaf:\n${pad}    assign:\n${pad}      - x: 1`;
      return `${pad}- p${depth}:\n${pad}    parallel:\n${pad}      for:\n${pad}        value: v${depth}\n${pad}        in: [1]\n${pad}        steps:\n${level(depth + 1)}`;
    };
    expect(() => parseWorkflow(`main:\n  steps:\n${level(0).replace(/^/gm, '    ')}\n`)).toThrow(/nest at most 2/);
  });

  test('nesting through subworkflow calls beyond 2 levels raises ParallelNestingError', async () => {
    const e = await failure(`
main:
  steps:
    - c:
        call: fan
        args: {depth: 3}
fan:
  params: [depth]
  steps:
    - stop:
        switch:
          - condition: \${depth == 0}
            return: 0
    - p:
        parallel:
          for:
            value: v
            in: [1]
            steps:
              - c:
                  call: fan
                  args: {depth: '\${depth - 1}'}
`);
    expect(e.tags).toContain('UnhandledBranchError');
    expect(JSON.stringify(e)).toContain('ParallelNestingError');
  });

  test('return inside a branch is refused', () => {
    expect(() =>
      parseWorkflow(
        'main:\n  steps:\n    - p:\n        parallel:\n          for:\n            value: v\n            in: [1]\n            steps:\n              - r:\n                  return: 1\n',
      ),
    ).toThrow(/return is not allowed inside a parallel/);
  });
});

describe('concurrency', () => {
  const fanOut = (n: number, limit?: number): string => `
main:
  steps:
    - par:
        parallel:
          ${limit ? `concurrency_limit: ${limit}` : ''}
          for:
            value: i
            range: [1, ${n}]
            steps:
              - work:
                  call: googleapis.run.v2.projects.locations.jobs.run
                  args:
                    name: \${"job-" + string(i)}
`;

  test('concurrency_limit caps the iterations running at once', async () => {
    const probe = concurrencyProbe(30);
    await result(fanOut(12, 3), { handlers: { 'googleapis.run.v2.projects.locations.jobs.run': probe.handler } });
    expect(probe.calls()).toBe(12);
    expect(probe.max()).toBe(3);
  });

  test('queued iterations start as others finish: 12 jobs of 30 s at 3 at a time take 120 s', async () => {
    const probe = concurrencyProbe(30);
    const out = await run(fanOut(12, 3), { handlers: { 'googleapis.run.v2.projects.locations.jobs.run': probe.handler } });
    expect(out.stats.endTime - out.stats.startTime).toBe(120);
  });

  test('one execution runs at most 20 branches and iterations at once', async () => {
    const probe = concurrencyProbe(10);
    await result(fanOut(45), { handlers: { 'googleapis.run.v2.projects.locations.jobs.run': probe.handler } });
    expect(probe.calls()).toBe(45);
    expect(probe.max()).toBe(20);
  });

  test('a concurrency_limit below 1 raises ValueError', async () => {
    expect(
      (await failure(fanOut(2, -1), { handlers: { 'googleapis.run.v2.projects.locations.jobs.run': concurrencyProbe(1).handler } })).tags,
    ).toContain('ValueError');
  });
});

describe('UnhandledBranchError', () => {
  const wf = `
main:
  steps:
    - init:
        assign:
          - done: []
    - par:
        parallel:
          shared: [done]
          for:
            value: i
            in: [1, 2, 3, 4]
            steps:
              - wait:
                  call: sys.sleep
                  args: {seconds: '\${i}'}
              - check:
                  switch:
                    - condition: \${i % 2 == 0}
                      raise: {message: '\${"failed " + string(i)}', tags: ["ValueError"]}
              - ok:
                  assign:
                    - done: \${list.concat(done, i)}
`;
  test('the other branches finish, then the step raises UnhandledBranchError listing the failures', async () => {
    const e = await failure(wf);
    expect(e.tags).toEqual(['UnhandledBranchError']);
    expect(e.branches).toEqual([
      { id: '1', error: { message: 'failed 2', tags: ['ValueError'] } },
      { id: '3', error: { message: 'failed 4', tags: ['ValueError'] } },
    ]);
  });

  test("the surviving branches' shared writes are kept and the error can be caught", async () => {
    const body = wf.split('\n    - par:\n')[1]!.replace(/^/gm, '        ');
    const caught =
      wf.split('\n    - par:\n')[0] +
      '\n    - t:\n        try:\n          steps:\n            - par:\n' +
      body +
      '\n        except:\n          as: e\n          steps:\n            - r:\n                return: {done: "${done}", tag: "${e.tags[0]}"}\n';
    expect(await result(caught)).toEqual({ done: [1, 3], tag: 'UnhandledBranchError' });
  });
});

describe('connectors', () => {
  test('a handler gets the args with connector_params as written and its result is stored', async () => {
    let seen: Record<string, unknown> | undefined;
    const r = await result(
      `
main:
  steps:
    - run:
        call: googleapis.run.v2.projects.locations.jobs.run
        args:
          name: projects/p/locations/l/jobs/planner
          body:
            overrides:
              containerOverrides:
                - env:
                    - name: TAP_EXECUTION_ID
                      value: e1
          connector_params:
            timeout: 3600
        result: execution
    - out:
        return: \${execution.status}
`,
      {
        handlers: {
          'googleapis.run.v2.projects.locations.jobs.run': (args) => {
            seen = args;
            return { status: 'SUCCEEDED' };
          },
        },
      },
    );
    expect(r).toBe('SUCCEEDED');
    expect(seen).toEqual({
      name: 'projects/p/locations/l/jobs/planner',
      body: { overrides: { containerOverrides: [{ env: [{ name: 'TAP_EXECUTION_ID', value: 'e1' }] }] } },
      connector_params: { timeout: 3600 },
    });
  });

  test('an error map thrown by a handler becomes the workflow error, catchable by tag', async () => {
    const r = await result(
      `
main:
  steps:
    - t:
        try:
          call: googleapis.storage.v1.objects.get
          args: {bucket: b, object: o}
        except:
          as: e
          steps:
            - r:
                return: [\${e.code}, \${"HttpError" in e.tags}]
`.replace('[${e.code}, ${"HttpError" in e.tags}]', `['\${e.code}', '\${"HttpError" in e.tags}']`),
      {
        handlers: {
          'googleapis.storage.v1.objects.get': () => {
            throw { message: 'Not Found', code: 404, tags: ['HttpError'], headers: {}, body: 'no such object' };
          },
        },
      },
    );
    expect(r).toEqual([404, true]);
  });

  test('an Error thrown by a handler becomes a SystemError', async () => {
    const e = await failure('- c:\n    call: http.get\n    args: {url: "https://example.invalid/x"}\n', {
      handlers: {
        'http.get': () => {
          throw new Error('disk on fire');
        },
      },
    });
    expect(e).toEqual({ message: 'connector handler failed: disk on fire', tags: ['SystemError'] });
  });

  test('a connector with no handler fails with an error naming it', async () => {
    const e = await failure(
      '- c:\n    call: googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.create\n    args: {parent: p}\n',
    );
    expect(e.message).toContain('googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.create');
  });

  test('an http.* call with no handler fails naming it', async () => {
    const e = await failure('- c:\n    call: http.post\n    args: {url: "https://example.invalid"}\n');
    expect(e.message).toContain('http.post');
  });

  test('a handler can run a child execution on the same clock and await it', async () => {
    const child = parseWorkflow(
      `
main:
  params: [args]
  steps:
    - s:
        call: sys.sleep
        args: {seconds: '\${args.seconds}'}
    - r:
        return: {slept: '\${args.seconds}', id: '\${sys.get_env("GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID")}'}
`.replace(
        '{slept: ${args.seconds}, id: ${sys.get_env("GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID")}}',
        `{slept: '\${args.seconds}', id: '\${sys.get_env("GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID")}'}`,
      ),
      'child.yaml',
    );
    const handlers = {
      'googleapis.workflowexecutions.v1.projects.locations.workflows.executions.run': async (
        args: Record<string, unknown>,
        ctx: HandlerContext,
      ) => {
        const out = await ctx.runChild(child, args.argument);
        if (out.state === 'FAILED') throw out.error;
        return out.result;
      },
    };
    const out = await run(
      `
main:
  steps:
    - par:
        parallel:
          branches:
            - a:
                steps:
                  - c:
                      call: googleapis.workflowexecutions.v1.projects.locations.workflows.executions.run
                      args: {workflow_id: child, argument: {seconds: 300}}
            - b:
                steps:
                  - c:
                      call: googleapis.workflowexecutions.v1.projects.locations.workflows.executions.run
                      args: {workflow_id: child, argument: {seconds: 200}}
                      result: r
                  - log:
                      call: sys.log
                      args: {data: '\${r}'}
`,
      { handlers },
    );
    expect(out.state).toBe('SUCCEEDED');
    expect(out.stats.endTime - out.stats.startTime).toBe(300);
    expect(out.logs[0]!.payload).toEqual({ slept: 200, id: 'test-execution-2' });
  });

  test('a handler awaiting real I/O holds virtual time still', async () => {
    const r = await result(
      `
main:
  steps:
    - par:
        parallel:
          shared: [held]
          branches:
            - io:
                steps:
                  - c:
                      call: http.get
                      args: {url: "https://example.invalid/x"}
                      result: held
            - sleeper:
                steps:
                  - s:
                      call: sys.sleep
                      args: {seconds: 5}
    - out:
        return: \${held}
`
        .replace('          shared: [held]', '          shared: [held]')
        .replace('    - par:', '    - init:\n        assign:\n          - held: null\n    - par:'),
      {
        handlers: {
          'http.get': async (_args, ctx) => {
            const before = ctx.now();
            await new Promise((resolve) => setTimeout(resolve, 20));
            return ctx.now() - before;
          },
        },
      },
    );
    expect(r).toBe(0);
  });

  test('the same inputs give the same interleaving', async () => {
    const wf = `
main:
  steps:
    - par:
        parallel:
          for:
            value: i
            range: [1, 8]
            steps:
              - s:
                  call: sys.sleep
                  args: {seconds: '\${(i * 7) % 5}'}
              - l:
                  call: sys.log
                  args: {data: '\${i}'}
`;
    const a = await run(wf);
    const b = await run(wf);
    expect(a.logs.map((l) => l.payload)).toEqual([5, 3, 8, 1, 6, 4, 2, 7]);
    expect(b.logs).toEqual(a.logs);
  });

  test('executions can share one clock', async () => {
    const clock = new VirtualClock(1000);
    const wf = '- s:\n    call: sys.sleep\n    args: {seconds: 50}\n- r:\n    return: ${sys.now()}\n';
    const [a, b] = await Promise.all([run(wf, { clock }), run(wf.replace('50', '70'), { clock })]);
    expect([a.state === 'SUCCEEDED' && a.result, b.state === 'SUCCEEDED' && b.result]).toEqual([1050, 1070]);
    expect(clock.now()).toBe(1070);
  });
});

describe('VirtualClock', () => {
  test('a year of sleeping takes no real time and lands exactly', async () => {
    const r = await result(
      '- init:\n    assign:\n      - t0: ${sys.now()}\n- l:\n    for:\n      value: d\n      range: [1, 365]\n      steps:\n        - s:\n            call: sys.sleep\n            args: {seconds: 86400}\n- r:\n    return: ${sys.now() - t0}\n',
    );
    expect(r).toBe(365 * 86400);
  });

  test('wake-ups at the same instant happen in the order they were scheduled', async () => {
    const clock = new VirtualClock(0);
    const order: string[] = [];
    clock.enter();
    clock.enter();
    const a = clock.sleep(10).then(() => {
      order.push('a');
      clock.leave();
    });
    const b = clock.sleep(10).then(() => {
      order.push('b');
      clock.leave();
    });
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'b']);
    expect(clock.now()).toBe(10);
  });
});
