import { parseWorkflow, runWorkflow, VirtualClock, type ConnectorHandlers } from '../../../runtime/local/engine';
import { LocalExecutions } from '../../../runtime/local/executions';

const PARENT = 'projects/p/locations/r/workflows/child';

/** A child that sleeps the seconds it is given, then returns them or fails when told to. */
const CHILD = parseWorkflow(
  `main:
  params: [args]
  steps:
    - wait:
        call: sys.sleep
        args:
          seconds: \${args.seconds}
    - outcome:
        switch:
          - condition: \${map.get(args, "fail") == true}
            raise: "told to fail"
    - done:
        return: \${args.seconds}`,
  'child.yaml',
);

/** Runs a parent workflow whose connector calls go to a fresh executions twin. */
async function withParent(source: string) {
  const executions = new LocalExecutions({ child: CHILD }, 'p', 'r');
  const handlers: ConnectorHandlers = {
    'googleapis.workflowexecutions.v1.projects.locations.workflows.executions.create': (args, ctx) =>
      executions.create(
        String(args.parent),
        args.body as { argument: string; labels: unknown },
        ctx,
        (args.connector_params as { skip_polling?: boolean } | undefined)?.skip_polling === true,
      ),
    'googleapis.workflowexecutions.v1.projects.locations.workflows.executions.list': async (args) =>
      executions.list(String(args.parent), args),
  };
  const outcome = await runWorkflow(parseWorkflow(source, 'parent.yaml'), { handlers, clock: new VirtualClock(0) });
  await executions.settled();
  return { outcome, executions };
}

const create = (seconds: number, labels: string, extra = '') => `
    - start_${seconds}${extra ? '_f' : ''}:
        call: googleapis.workflowexecutions.v1.projects.locations.workflows.executions.create
        args:
          parent: ${PARENT}
          body:
            argument: '{"seconds": ${seconds}${extra}}'
            labels: ${labels}
          connector_params:
            skip_polling: true`;

describe('the Workflow Executions API of the local twin', () => {
  test('create with skip_polling returns the running Execution at once; list filters by label and state, newest first', async () => {
    const { outcome } = await withParent(`main:
  steps:${create(100, '{run: a, round: "1"}')}${create(200, '{run: a, round: "2"}')}${create(50, '{run: b, round: "1"}', ', "fail": true')}
    - look:
        call: googleapis.workflowexecutions.v1.projects.locations.workflows.executions.list
        args:
          parent: ${PARENT}
          filter: labels.run="a" AND (state="ACTIVE" OR state="QUEUED")
        result: running
    - later:
        call: sys.sleep
        args:
          seconds: 150
    - again:
        call: googleapis.workflowexecutions.v1.projects.locations.workflows.executions.list
        args:
          parent: ${PARENT}
          filter: state!="ACTIVE"
          view: FULL
        result: ended
    - done:
        return: \${[time.format(sys.now()), running, ended]}`);
    expect(outcome.state).toBe('SUCCEEDED');
    const [now, running, ended] = (
      outcome as { result: [string, { executions: { state: string }[] }, { executions: Record<string, unknown>[] }] }
    ).result;
    // Creating took no time: the parent went on while its children ran.
    expect(now).toBe('1970-01-01T00:02:30.000000Z');
    expect(running.executions.map((e) => e.state)).toEqual(['ACTIVE', 'ACTIVE']);
    expect(Object.keys(running.executions[0]!).sort()).toEqual(['name', 'startTime', 'state', 'workflowRevisionId']);
    expect(ended.executions).toEqual([
      expect.objectContaining({
        state: 'FAILED',
        labels: { run: 'b', round: '1' },
        argument: '{"seconds": 50, "fail": true}',
        duration: '50s',
      }),
      expect.objectContaining({ state: 'SUCCEEDED', labels: { run: 'a', round: '1' }, result: '100' }),
    ]);
  });

  test('pages hold at most pageSize executions, 1000 in the BASIC view and 100 in FULL', () => {
    const executions = new LocalExecutions({ child: CHILD }, 'p', 'r');
    expect(executions.list(PARENT, { pageSize: 5000 })).toEqual({ executions: [] });
    expect(() => executions.list(PARENT, { view: 'EVERYTHING' })).toThrow(expect.objectContaining({ code: 400 }));
  });

  test.each([
    ['an unknown field', 'createdBy="me"', /does not filter on createdBy/],
    ['a value without quotes', 'state=ACTIVE', /invalid filter/],
    ['an unclosed parenthesis', '(state="ACTIVE"', /invalid filter/],
    ['a dangling AND', 'state="ACTIVE" AND', /invalid filter/],
  ])('a filter with %s is an HTTP 400', (_name, filter, message) => {
    const executions = new LocalExecutions({ child: CHILD }, 'p', 'r');
    expect(() => executions.list(PARENT, { filter })).toThrow(
      expect.objectContaining({ code: 400, message: expect.stringMatching(message) }),
    );
  });

  test('labels that Workflows refuses are an HTTP 400, and nothing starts', async () => {
    const { outcome, executions } = await withParent(`main:
  steps:${create(10, '{Run: a}')}`);
    expect(outcome.state === 'FAILED' && outcome.error).toMatchObject({ code: 400, message: expect.stringMatching(/invalid label Run=a/) });
    expect(executions.list(PARENT, {})).toEqual({ executions: [] });
  });
});
