/**
 * Connector polls as steps. Google (https://cloud.google.com/workflows/docs/connectors, "Long-running
 * operations"): a connector polls a long-running operation starting at 1 s, multiplying the delay by
 * 1.25, up to 60 s between polls, and each poll is a billable step; `connector_params` can set
 * `polling_policy {initial_delay, multiplier, max_delay}` or `skip_polling`
 * (https://cloud.google.com/workflows/docs/reference/googleapis, "Invoke a connector call"). An
 * execution runs at most 100,000 steps (https://cloud.google.com/workflows/quotas).
 */
import { ConnectorHandlers, LONG_RUNNING_CONNECTORS, parseWorkflow, pollsFor } from '../../../../runtime/local/engine';
import { failure, run } from './helpers';

const JOBS_RUN = 'googleapis.run.v2.projects.locations.jobs.run';

/** A connector that runs for `seconds` of virtual time. */
function lasting(seconds: number, names: string[] = [JOBS_RUN]): ConnectorHandlers {
  return Object.fromEntries(
    names.map((n) => [
      n,
      async (_args: Record<string, unknown>, ctx: { sleep(s: number): Promise<void> }) => {
        await ctx.sleep(seconds);
        return { done: true };
      },
    ]),
  );
}

/** One connector call step (2 steps with the return), with optional `connector_params` (YAML flow). */
function oneCall(call = JOBS_RUN, params?: string): string {
  return `- run:\n    call: ${call}\n    args:\n      name: projects/p/locations/l/jobs/j\n${params ? `      connector_params: ${params}\n` : ''}    result: r\n- out:\n    return: \${r}\n`;
}

describe('the number of polls', () => {
  test.each([
    // Delays 1, 1.25, 1.5625, ...: polls at 1, 2.25, 3.8125, ... seconds.
    [0, 0],
    [0.5, 1],
    [1, 1],
    [2, 2],
    [2.25, 2],
    [3, 3],
    // 19 growing delays (1.25^18 < 60 <= 1.25^19) sum to 273.6 s, then one poll a minute.
    [7200, 135],
  ])('an operation of %s s is polled %s times under the default policy', (seconds, polls) => {
    expect(pollsFor(seconds)).toBe(polls);
  });

  test('a policy with multiplier 1 polls at a fixed interval', () => {
    expect(pollsFor(100, { initialDelay: 10, multiplier: 1, maxDelay: 60 })).toBe(10);
  });

  test('a year-long operation is counted arithmetically, at once', () => {
    const started = Date.now();
    expect(pollsFor(365 * 86400)).toBe(19 + Math.ceil((365 * 86400 - 273.5880602) / 60));
    expect(Date.now() - started).toBeLessThan(50);
  });
});

describe('polls in an execution', () => {
  test('a 2-hour jobs.run adds 135 poll steps to the 2 steps of the workflow', async () => {
    const out = await run(oneCall(), { handlers: lasting(7200) });
    expect(out.state).toBe('SUCCEEDED');
    expect(out.stats).toMatchObject({ steps: 137, pollSteps: 135, stepLimit: 100_000 });
  });

  test('connector_params.polling_policy changes the schedule: 60 s, x2, at most 900 s over 2 hours is 11 polls', async () => {
    const out = await run(oneCall(JOBS_RUN, '{polling_policy: {initial_delay: 60, multiplier: 2, max_delay: 900}}'), {
      handlers: lasting(7200),
    });
    // Polls at 60, 180, 420, 900, 1800, 2700, ... 7200: 4 growing delays, then 7 of 900 s.
    expect(out.stats.pollSteps).toBe(11);
  });

  test("fields the policy leaves out keep Google's defaults", async () => {
    const out = await run(oneCall(JOBS_RUN, '{polling_policy: {max_delay: 1}}'), { handlers: lasting(100) });
    expect(out.stats.pollSteps).toBe(100);
  });

  test('skip_polling: true makes no polls', async () => {
    const out = await run(oneCall(JOBS_RUN, '{skip_polling: true}'), { handlers: lasting(7200) });
    expect(out.stats).toMatchObject({ steps: 2, pollSteps: 0 });
  });

  test('a connector that is not long-running makes no polls, however long its handler takes', async () => {
    const out = await run(oneCall('googleapis.storage.v1.objects.get'), { handlers: lasting(7200, ['googleapis.storage.v1.objects.get']) });
    expect(out.stats.pollSteps).toBe(0);
  });

  test.each(['googleapis.workflowexecutions.v1.projects.locations.workflows.executions.run', 'googleapis.bigquery.v2.jobs.insert'])(
    '%s is long-running',
    async (call) => {
      expect(LONG_RUNNING_CONNECTORS.has(call)).toBe(true);
      const out = await run(oneCall(call), { handlers: lasting(60, [call]) });
      expect(out.stats.pollSteps).toBe(pollsFor(60));
    },
  );

  test('a caller can name other long-running connectors', async () => {
    const call = 'googleapis.example.v1.projects.things.create';
    const out = await run(oneCall(call), { handlers: lasting(60, [call]), longRunningConnectors: [call] });
    expect(out.stats.pollSteps).toBe(pollsFor(60));
  });

  test('a failed operation still counts the polls it took', async () => {
    const out = await run(oneCall(), {
      handlers: {
        [JOBS_RUN]: async (_args, ctx) => {
          await ctx.sleep(60);
          throw { message: 'Cloud Run long-running operation failed.', tags: ['OperationError'] };
        },
      },
    });
    expect(out.state).toBe('FAILED');
    expect(out.stats.pollSteps).toBe(pollsFor(60));
  });

  test('a child execution run through executions.run counts its own steps; its parent counts the polls', async () => {
    const call = 'googleapis.workflowexecutions.v1.projects.locations.workflows.executions.run';
    const child = parseWorkflow('- wait:\n    call: sys.sleep\n    args: {seconds: 3600}\n- done:\n    return: 1\n', 'child.yaml');
    let childSteps = -1;
    const out = await run(oneCall(call), {
      handlers: {
        [call]: async (_args, ctx) => {
          const outcome = await ctx.runChild(child, null);
          childSteps = outcome.stats.steps;
          return outcome.state === 'SUCCEEDED' ? outcome.result : null;
        },
      },
    });
    expect(childSteps).toBe(2);
    expect(out.stats).toMatchObject({ steps: 2 + pollsFor(3600), pollSteps: pollsFor(3600) });
  });

  test('polls count toward the step limit: past it the execution fails, and try cannot catch it', async () => {
    const wf = `- t:\n    try:\n      call: ${JOBS_RUN}\n      args: {name: j}\n    except:\n      as: e\n      steps:\n        - r:\n            return: "caught"\n`;
    const e = await failure(wf, { handlers: lasting(7200), limits: { steps: 100 } });
    expect(e.tags).toEqual(['ResourceLimitError']);
    expect(e.message).toMatch(/more than 100 steps \(135 of them polls/);
  });

  test('a loop of long jobs runs out of the 100,000 steps Google allows', async () => {
    // The for step, then per iteration the call step and 135 polls of a 2-hour job: after k
    // iterations 1 + 136k steps, over 100,000 at k = 736.
    const wf = `- l:\n    for:\n      value: i\n      range: [1, 800]\n      steps:\n        - run:\n            call: ${JOBS_RUN}\n            args: {name: j}\n`;
    const out = await run(wf, { handlers: lasting(7200) });
    expect(out.state).toBe('FAILED');
    expect(out.state === 'FAILED' && out.error).toMatchObject({ tags: ['ResourceLimitError'] });
    expect(out.stats.steps).toBeGreaterThan(100_000);
    expect(out.stats.pollSteps).toBe(135 * 736);
  });

  test.each([
    ['a polling_policy that is not a map', '{polling_policy: 5}', 'TypeError'],
    ['an initial_delay that is not a number', '{polling_policy: {initial_delay: soon}}', 'TypeError'],
    ['a multiplier below 1', '{polling_policy: {multiplier: 0.5}}', 'ValueError'],
    ['a field Google does not list', '{polling_policy: {jitter: 1}}', 'ValueError'],
    ['skip_polling that is not a bool', '{skip_polling: "yes"}', 'TypeError'],
  ])('%s raises %s', async (_name, params, tag) => {
    expect((await failure(oneCall(JOBS_RUN, params), { handlers: lasting(1) })).tags).toEqual([tag]);
  });
});
