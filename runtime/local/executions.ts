/**
 * The Workflow Executions API of the local twin: the executions a workflow started with the
 * `googleapis.workflowexecutions.v1` connector, as that API shows them.
 *
 * - `executions.create` takes `{argument: JSON string, labels}`; with `skip_polling: true` it
 *   returns the new `Execution` at once while the child runs on the shared clock, otherwise it
 *   waits for the child's end ("Method: googleapis.workflowexecutions.v1...executions.create").
 * - `executions.run` starts a child and returns its result, or raises its error.
 * - `executions.list` returns `{executions, nextPageToken}`, newest first, filtered by the
 *   documented subset of AIP-160 the package uses: `state`, `labels.KEY`, `executionId`, compared
 *   with `=` or `!=` to a quoted string, joined by `AND`, `OR` and parentheses; `pageSize` is at
 *   most 1000 for the BASIC view (name, startTime, endTime, duration, state, workflowRevisionId)
 *   and 100 for FULL (also argument, result, error, labels). BASIC is the default.
 *
 * @see https://cloud.google.com/workflows/docs/reference/googleapis/workflowexecutions/v1/projects.locations.workflows.executions/list
 * @see https://cloud.google.com/workflows/docs/reference/executions/rest/v1/projects.locations.workflows.executions#Execution
 */
import type { ExecutionOutcome, HandlerContext, Workflow } from './engine';

export type ExecutionState = 'QUEUED' | 'ACTIVE' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'UNAVAILABLE';

export interface LocalExecution {
  readonly name: string;
  readonly workflowId: string;
  readonly argument: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly startTime: number;
  readonly seq: number;
  state: ExecutionState;
  endTime?: number;
  outcome?: ExecutionOutcome;
}

/** An error the API answers, as the connector raises it (`HttpError` with the status code). */
function httpError(code: number, message: string): { code: number; message: string; tags: string[] } {
  return { code, message, tags: ['HttpError'] };
}

const LABEL = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;

export class LocalExecutions {
  private readonly known: LocalExecution[] = [];
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    /** The workflows children can be started of, by workflow id. */
    private readonly workflows: Readonly<Record<string, Workflow>>,
    private readonly project: string,
    private readonly region: string,
  ) {}

  private workflow(id: string): Workflow {
    const workflow = this.workflows[id];
    if (!workflow) throw httpError(404, `Workflow ${id} not found`);
    return workflow;
  }

  private parent(workflowId: string): string {
    return `projects/${this.project}/locations/${this.region}/workflows/${workflowId}`;
  }

  /** `executions.create`: starts the child; with `skip` returns at once, else waits for its end. */
  async create(
    parent: string,
    body: { argument?: unknown; labels?: unknown },
    ctx: HandlerContext,
    skip: boolean,
  ): Promise<Record<string, unknown>> {
    const workflowId = this.workflowIdOf(parent);
    const workflow = this.workflow(workflowId);
    if (body.argument !== undefined && typeof body.argument !== 'string') throw httpError(400, 'argument must be a JSON string');
    let argument: unknown = null;
    try {
      argument = body.argument === undefined ? null : JSON.parse(body.argument);
    } catch {
      throw httpError(400, 'argument is not valid JSON');
    }
    const labels = (body.labels ?? {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(labels)) {
      if (!LABEL.test(key) || typeof value !== 'string' || !LABEL_VALUE.test(value)) {
        throw httpError(
          400,
          `invalid label ${key}=${String(value)}: keys and values hold at most 63 lowercase letters, digits, _ or -, and keys start with a letter`,
        );
      }
    }
    const { id, outcome } = ctx.startChild(workflow, argument, { workflowId });
    const execution: LocalExecution = {
      name: `${this.parent(workflowId)}/executions/${id}`,
      workflowId,
      argument: body.argument === undefined ? 'null' : (body.argument as string),
      labels: labels as Record<string, string>,
      startTime: ctx.now(),
      seq: this.known.length,
      state: 'ACTIVE',
    };
    this.known.push(execution);
    const ended = outcome.then(
      (o) => {
        execution.state = o.state;
        execution.outcome = o;
        execution.endTime = ctx.clock.now();
      },
      (error: unknown) => {
        // A definition problem of the child: Workflows would refuse to deploy it; here it ends the child.
        execution.state = 'FAILED';
        execution.outcome = { state: 'FAILED', error: { message: String((error as Error)?.message ?? error) } } as ExecutionOutcome;
        execution.endTime = ctx.clock.now();
      },
    );
    this.running.add(ended);
    void ended.finally(() => this.running.delete(ended));
    if (!skip) await ctx.waitFor(ended);
    return this.view(execution, 'FULL');
  }

  /** `executions.run`: starts the child and returns its result, or raises its error. */
  async run(workflowId: string, argument: unknown, ctx: HandlerContext): Promise<unknown> {
    const outcome = await ctx.runChild(this.workflow(workflowId), argument ?? null, { workflowId });
    if (outcome.state === 'SUCCEEDED') return outcome.result;
    const error = outcome.error;
    if (error !== null && typeof error === 'object') throw error;
    throw { message: String(error), tags: ['OperationError'] };
  }

  /** `executions.list` over the children this twin started of one workflow. */
  list(parent: string, args: { filter?: unknown; pageSize?: unknown; pageToken?: unknown; view?: unknown }): Record<string, unknown> {
    const workflowId = this.workflowIdOf(parent);
    const view = args.view === undefined ? 'BASIC' : String(args.view);
    if (view !== 'BASIC' && view !== 'FULL') throw httpError(400, `view must be BASIC or FULL, got ${view}`);
    const max = view === 'BASIC' ? 1000 : 100;
    const size = args.pageSize === undefined ? 100 : Math.min(max, Math.max(1, Number(args.pageSize)));
    const test = args.filter === undefined || args.filter === '' ? () => true : compileFilter(String(args.filter));
    const matching = this.known
      .filter((e) => e.workflowId === workflowId && test(e))
      .sort((a, b) => b.startTime - a.startTime || b.seq - a.seq);
    const offset = args.pageToken === undefined || args.pageToken === '' ? 0 : Number(args.pageToken);
    if (!Number.isInteger(offset) || offset < 0) throw httpError(400, 'invalid page token');
    const page = matching.slice(offset, offset + size);
    const next = offset + size < matching.length ? String(offset + size) : undefined;
    return { executions: page.map((e) => this.view(e, view)), ...(next ? { nextPageToken: next } : {}) };
  }

  /** Every execution this twin started, in the order it started them. */
  all(): readonly LocalExecution[] {
    return this.known;
  }

  /** Whether this twin started executions of the workflow `parent` names. */
  knows(parent: string): boolean {
    const id = /\/workflows\/([^/]+)$/.exec(parent)?.[1];
    return id !== undefined && this.workflows[id] !== undefined;
  }

  /** Resolves when every child started so far has ended. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private workflowIdOf(parent: string): string {
    const m = /^projects\/([^/]+)\/locations\/([^/]+)\/workflows\/([^/]+)$/.exec(parent);
    if (!m) throw httpError(400, `parent must be projects/PROJECT/locations/LOCATION/workflows/WORKFLOW, got ${parent}`);
    return m[3]!;
  }

  private view(e: LocalExecution, view: 'BASIC' | 'FULL' | string): Record<string, unknown> {
    const time = (t: number) => new Date(t * 1000).toISOString();
    const basic: Record<string, unknown> = {
      name: e.name,
      state: e.state,
      startTime: time(e.startTime),
      workflowRevisionId: '000001-local',
      ...(e.endTime !== undefined ? { endTime: time(e.endTime), duration: `${e.endTime - e.startTime}s` } : {}),
    };
    if (view !== 'FULL') return basic;
    const o = e.outcome;
    return {
      ...basic,
      argument: e.argument,
      labels: { ...e.labels },
      ...(o?.state === 'SUCCEEDED' ? { result: JSON.stringify(o.result ?? null) } : {}),
      ...(o?.state === 'FAILED' ? { error: { payload: JSON.stringify(o.error ?? null), context: '' } } : {}),
    };
  }
}

/** A filter term's field, as the executions a term is checked against expose it. */
function fieldOf(e: LocalExecution, field: string): string | undefined {
  if (field === 'state') return e.state;
  if (field === 'executionId') return e.name.split('/').pop();
  return e.labels[field.slice('labels.'.length)];
}

/**
 * Compiles the subset of AIP-160 described above into a test. Anything else is an HTTP 400, as the
 * API answers a filter it cannot read, so that a workflow never relies on what the twin guesses.
 */
export function compileFilter(filter: string): (e: LocalExecution) => boolean {
  const tokens = filter.match(/\s*(\(|\)|!=|=|"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_.-]*)\s*/gy);
  if (!tokens || tokens.join('').length !== filter.length) throw httpError(400, `invalid filter: ${filter}`);
  const words = tokens.map((t) => t.trim());
  let at = 0;
  const peek = () => words[at];
  const take = (want?: string) => {
    const w = words[at++];
    if (w === undefined || (want !== undefined && w !== want)) throw httpError(400, `invalid filter: ${filter}`);
    return w;
  };
  type Test = (e: LocalExecution) => boolean;
  const term = (): Test => {
    if (peek() === '(') {
      take('(');
      const inner = or();
      take(')');
      return inner;
    }
    const field = take();
    if (field !== 'state' && field !== 'executionId' && !/^labels\.[a-z][a-z0-9_-]*$/.test(field)) {
      throw httpError(400, `the local twin does not filter on ${field} (it knows state, executionId and labels.KEY)`);
    }
    const op = take();
    const literal = take();
    if ((op !== '=' && op !== '!=') || !literal.startsWith('"')) throw httpError(400, `invalid filter: ${filter}`);
    const value = JSON.parse(literal) as string;
    return op === '=' ? (e) => fieldOf(e, field) === value : (e) => fieldOf(e, field) !== value;
  };
  const and = (): Test => {
    const parts = [term()];
    while (peek() === 'AND') {
      take('AND');
      parts.push(term());
    }
    return (e) => parts.every((p) => p(e));
  };
  const or = (): Test => {
    const parts = [and()];
    while (peek() === 'OR') {
      take('OR');
      parts.push(and());
    }
    return (e) => parts.some((p) => p(e));
  };
  const test = or();
  if (at !== words.length) throw httpError(400, `invalid filter: ${filter}`);
  return test;
}
