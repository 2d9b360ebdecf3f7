/**
 * Runs a parsed workflow: steps, scopes, subworkflow calls, try/retry/except, parallel branches on
 * the virtual clock, connectors through the caller's handlers, and the execution limits.
 */
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { VirtualClock } from './clock';
import { ForSpec, RetrySpec, Step, StepBody, StepList, Subworkflow, Target, Template, Workflow } from './definition';
import { FatalWorkflowError, WorkflowDefinitionError, WorkflowRaise, errorMap, fatal, raise } from './errors';
import { EvalScope, evaluate, evaluateAsync, index as readIndex } from './expression';
import { LONG_RUNNING_CONNECTORS, pollingParams, pollsFor } from './polling';
import { EXPRESSION_CONNECTORS, STDLIB, StdlibContext, checkArity, namedToPositional } from './stdlib';
import { Value, WfMap, deepCopy, fromJs, isNumber, sizeOf, toJs, typeName, utf8Length } from './values';

/** Limits one execution is held to (workflows-language.md, "Limits"). */
export interface ExecutionLimits {
  /** Steps per execution. @default 100000 */
  readonly steps: number;
  /** Bytes of all variables and arguments together. @default 524288 */
  readonly memoryBytes: number;
  /** Bytes of a single string. @default 262144 */
  readonly stringBytes: number;
  /** Bytes of the execution argument (as JSON). @default 32768 */
  readonly argumentBytes: number;
  /** Subworkflow call depth (main is depth 1). @default 20 */
  readonly callDepth: number;
  /** Branches and iterations running at once in one execution. @default 20 */
  readonly concurrentBranches: number;
  /** Nesting depth of parallel steps. @default 2 */
  readonly parallelNesting: number;
  /** Virtual seconds an execution may last. @default 31536000 (one year) */
  readonly durationSeconds: number;
}

export const DEFAULT_LIMITS: ExecutionLimits = {
  steps: 100_000,
  memoryBytes: 512 * 1024,
  stringBytes: 256 * 1024,
  argumentBytes: 32 * 1024,
  callDepth: 20,
  concurrentBranches: 20,
  parallelNesting: 2,
  durationSeconds: 365 * 86400,
};

/** What a connector handler receives besides its arguments. */
export interface HandlerContext {
  /** The call name (`googleapis.run.v2.projects.locations.jobs.run`, `http.get`, ...). */
  readonly name: string;
  /** The step making the call. */
  readonly step: string;
  /** Virtual epoch seconds. */
  now(): number;
  /** Sleeps on the virtual clock (an LRO being polled, a simulated job running). */
  sleep(seconds: number): Promise<void>;
  /** The environment as `sys.get_env` sees it: built-ins and user variables. */
  readonly env: Readonly<Record<string, string>>;
  /** The calling execution. */
  readonly execution: { readonly id: string; readonly workflowId: string };
  /** The clock shared by this execution, its branches and its children. */
  readonly clock: VirtualClock;
  /**
   * Runs another workflow as a child execution on the same clock and waits for its outcome (what the
   * `workflowexecutions...executions.run` connector does). Handlers, env and limits default to this
   * execution's; `executionId` defaults to a new id derived from this one.
   */
  runChild(workflow: Workflow, argument?: unknown, options?: Partial<RunOptions>): Promise<ExecutionOutcome>;
  /**
   * Starts another workflow as a child execution on the same clock and returns at once (what
   * `executions.create` with `skip_polling` does): the child runs alongside its parent, and its
   * outcome settles when it ends.
   */
  startChild(
    workflow: Workflow,
    argument?: unknown,
    options?: Partial<RunOptions>,
  ): { readonly id: string; readonly outcome: Promise<ExecutionOutcome> };
  /**
   * Awaits a promise that other tasks on the clock settle, letting virtual time move meanwhile.
   * (A plain `await` of such a promise would hold time still and never finish.)
   */
  waitFor<T>(promise: Promise<T>): Promise<T>;
}

/**
 * A connector: gets the call's `args` by name as plain JavaScript (including `connector_params` as
 * written) and returns the final result. For a long-running operation it sleeps on the virtual
 * clock for as long as the operation runs; the engine does not call it again, but counts the polls
 * Google's connector would have made in that time as steps. To fail, throw an error map
 * `{message, tags: [...], code?, ...}` (or a string); it becomes the workflow error as is. A thrown
 * `Error` without `tags` becomes a `SystemError`.
 *
 * Besides `googleapis.*` methods, handlers answer the standard-library calls that leave the engine:
 * `http.*`, `gke.*`, `experimental.executions.*` and, when given, `events.create_callback_endpoint`
 * and `events.await_callback` (without them, an endpoint nobody calls and a wait that times out).
 */
export type ConnectorHandler = (args: Record<string, unknown>, ctx: HandlerContext) => unknown;

/** Connector handlers by call name. */
export type ConnectorHandlers = Readonly<Record<string, ConnectorHandler>>;

export interface StepEvent {
  readonly executionId: string;
  readonly subworkflow: string;
  readonly step: string;
  readonly line: number;
  /** Virtual time when the step starts. */
  readonly time: number;
}

export interface LogEntry {
  readonly executionId: string;
  readonly time: number;
  readonly severity: string;
  readonly payload: unknown;
}

export interface RunOptions {
  /** The execution argument, given to main's parameter. @default - none (null) */
  readonly argument?: unknown;
  /** User environment variables (`sys.get_env`); names may not start with GOOGLE_ or WORKFLOWS_. @default {} */
  readonly env?: Readonly<Record<string, string>>;
  /** Built-in GOOGLE_CLOUD_* values to use instead of the local ones. */
  readonly builtins?: Readonly<Record<string, string>>;
  /** Connector handlers by call name. @default - none: every connector call fails */
  readonly handlers?: ConnectorHandlers;
  /** The clock. @default - a new VirtualClock starting 2026-01-01T00:00:00Z */
  readonly clock?: VirtualClock;
  /** Limits to use instead of Google's (tests lower them). */
  readonly limits?: Partial<ExecutionLimits>;
  /** @default - a random UUID */
  readonly executionId?: string;
  /** The workflow id (`GOOGLE_CLOUD_WORKFLOW_ID`). @default - the file name without extension */
  readonly workflowId?: string;
  /** Called before each step. */
  readonly onStep?: (event: StepEvent) => void;
  /** Called for each `sys.log`. */
  readonly onLog?: (entry: LogEntry) => void;
  /**
   * Connector methods to treat as long-running operations (their polls count as steps) besides
   * the ones Google documents as such (`LONG_RUNNING_CONNECTORS`).
   * @default []
   */
  readonly longRunningConnectors?: readonly string[];
}

/** Google's limit on user environment variables per workflow. */
export const MAX_USER_ENV_VARS = 20;

export interface ExecutionStats {
  readonly executionId: string;
  /**
   * Steps counted toward the step limit: every executed step plus every poll of a long-running
   * connector call (Google bills each poll as a step).
   */
  readonly steps: number;
  /** How many of `steps` are connector polls. */
  readonly pollSteps: number;
  /** The step limit the execution ran under (100,000 unless lowered). */
  readonly stepLimit: number;
  readonly startTime: number;
  readonly endTime: number;
  /** Largest memory (bytes of variables and arguments) seen. */
  readonly peakMemoryBytes: number;
}

/** The end of an execution: its result, or the error map (or string) it failed with. */
export type ExecutionOutcome =
  | { readonly state: 'SUCCEEDED'; readonly result: unknown; readonly stats: ExecutionStats; readonly logs: readonly LogEntry[] }
  | { readonly state: 'FAILED'; readonly error: unknown; readonly stats: ExecutionStats; readonly logs: readonly LogEntry[] };

/** The local values of the GOOGLE_CLOUD_* built-ins (execution and workflow ids are filled per run). */
export const LOCAL_BUILTINS = {
  GOOGLE_CLOUD_PROJECT_ID: 'local-project',
  GOOGLE_CLOUD_PROJECT_NUMBER: '000000000000',
  GOOGLE_CLOUD_LOCATION: 'local',
  GOOGLE_CLOUD_WORKFLOW_REVISION_ID: '000001-loc',
  GOOGLE_CLOUD_SERVICE_ACCOUNT_NAME: 'workflows@local-project.iam.gserviceaccount.com',
} as const;

/**
 * Runs a workflow to its end.
 *
 * Resolves to `{state: 'SUCCEEDED', result}` or `{state: 'FAILED', error}` (plus stats and logs);
 * rejects only on a definition problem found while running (a `WorkflowDefinitionError`, e.g. a
 * write to a non-shared variable inside a parallel branch) or a bad option.
 */
export async function runWorkflow(workflow: Workflow, options: RunOptions = {}): Promise<ExecutionOutcome> {
  const clock = options.clock ?? new VirtualClock();
  const exec = new Execution(workflow, options, clock, 0);
  clock.enter();
  return exec.run();
}

type Completion =
  | { readonly kind: 'normal'; readonly next?: string }
  | { readonly kind: 'return'; readonly value: Value }
  | { readonly kind: 'jump'; readonly target: string }
  | { readonly kind: 'break' }
  | { readonly kind: 'continue' };

const NORMAL: Completion = { kind: 'normal' };

interface Thread {
  /** Parallel steps enclosing this thread. */
  readonly parallelDepth: number;
  /** Whether it holds one of the execution's concurrent-branch permits. */
  permit: boolean;
}

interface Frame {
  readonly sub: Subworkflow;
  readonly depth: number;
  readonly thread: Thread;
}

class Scope {
  readonly vars = new Map<string, Value>();
  /** The expression environment of this scope (a scope is only ever used with one frame). */
  evalScope: EvalScope | undefined;
  /** The step running in this scope, named to handlers that an expression calls. */
  step: Step | undefined;
  private readonly sizes = new Map<string, number>();
  private bytes = 0;

  constructor(
    private readonly exec: Execution,
    readonly parent: Scope | null,
    /** `loop`: a for-loop iteration or an except block, whose new variables end with it. */
    readonly kind: 'frame' | 'loop' | 'branch',
    readonly shared: ReadonlySet<string> = new Set(),
  ) {}

  find(name: string): Scope | undefined {
    if (this.vars.has(name)) return this;
    for (let s = this.parent; s; s = s.parent) if (s.vars.has(name)) return s;
    return undefined;
  }

  lookup(name: string): Value {
    const here = this.vars.get(name);
    if (here !== undefined) return here;
    for (let s = this.parent; s; s = s.parent) {
      const v = s.vars.get(name);
      if (v !== undefined) return v;
    }
    return raise('KeyError', `variable "${name}" is not defined`);
  }

  /** The scope a write to `name` goes to: where it exists (within the rules of parallel), or here. */
  writeScope(name: string): Scope {
    if (this.vars.has(name)) return this;
    const crossed: Scope[] = this.kind === 'branch' ? [this] : [];
    for (let s = this.parent; s; s = s.parent) {
      if (s.vars.has(name)) {
        // Every parallel level between the write and the variable must list it in shared.
        if (crossed.some((b) => !b.shared.has(name))) {
          throw new WorkflowDefinitionError(`"${name}" is assigned inside a parallel branch but is not listed in shared`);
        }
        return s;
      }
      if (s.kind === 'branch') crossed.push(s);
    }
    return this;
  }

  /** Sets a variable in this scope, with the memory accounting. */
  set(name: string, value: Value): void {
    const size = this.exec.measure(value) + 8 + utf8Length(name);
    const old = this.sizes.get(name) ?? 0;
    this.vars.set(name, value);
    this.sizes.set(name, size);
    this.bytes += size - old;
    this.exec.addMemory(size - old);
  }

  /** Adjusts the recorded size of a variable after a write inside it. */
  grow(name: string, delta: number): void {
    this.sizes.set(name, (this.sizes.get(name) ?? 0) + delta);
    this.bytes += delta;
    this.exec.addMemory(delta);
  }

  release(): void {
    this.exec.addMemory(-this.bytes);
    this.bytes = 0;
  }
}

/** A semaphore whose waiters release the clock while they wait. */
class Permits {
  private readonly waiters: (() => void)[] = [];
  constructor(
    private free: number,
    private readonly clock: VirtualClock,
  ) {}

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await this.clock.waitFor(new Promise<void>((resolve) => this.waiters.push(resolve)));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
}

class Execution {
  readonly id: string;
  readonly workflowId: string;
  readonly limits: ExecutionLimits;
  readonly env: Readonly<Record<string, string>>;
  readonly logs: LogEntry[] = [];
  private steps = 0;
  private pollSteps = 0;
  private memory = 0;
  private peakMemory = 0;
  private uuidCounter = 0;
  private childCounter = 0;
  private failure: FatalWorkflowError | undefined;
  private readonly permits: Permits;
  private readonly startTime: number;

  constructor(
    readonly workflow: Workflow,
    readonly options: RunOptions,
    readonly clock: VirtualClock,
    readonly generation: number,
  ) {
    this.id = options.executionId ?? crypto.randomUUID();
    this.workflowId = options.workflowId ?? path.basename(workflow.fileName).replace(/\.(ya?ml|json)$/i, '');
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    const userEnv = Object.keys(options.env ?? {});
    for (const name of userEnv) {
      if (/^(GOOGLE_|WORKFLOWS_)/.test(name))
        throw new WorkflowDefinitionError(`user environment variable ${name} may not start with GOOGLE_ or WORKFLOWS_`);
    }
    if (userEnv.length > MAX_USER_ENV_VARS) {
      throw new WorkflowDefinitionError(
        `a workflow has at most ${MAX_USER_ENV_VARS} user environment variables, got ${userEnv.length} (${userEnv.join(', ')}); remove ${userEnv.length - MAX_USER_ENV_VARS}`,
      );
    }
    this.env = {
      ...LOCAL_BUILTINS,
      GOOGLE_CLOUD_WORKFLOW_ID: this.workflowId,
      GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID: this.id,
      ...options.builtins,
      ...options.env,
    };
    this.permits = new Permits(this.limits.concurrentBranches, clock);
    this.startTime = clock.now();
  }

  private readonly contexts = new Map<string, StdlibContext>();

  /** What the standard library sees of this execution, for a call made by `step`. */
  private context(step: string): StdlibContext {
    let ctx = this.contexts.get(step);
    if (!ctx) {
      ctx = {
        now: () => this.now(),
        sleep: (s) => this.sleep(s),
        getEnv: (n) => this.getEnv(n),
        log: (severity, payload) => this.log(severity, payload),
        nextUuid: () => this.nextUuid(),
        hasHandler: (n) => this.hasHandler(n),
        callHandler: (n, args) => this.callConnector(n, args, step),
      };
      this.contexts.set(step, ctx);
    }
    return ctx;
  }

  hasHandler(name: string): boolean {
    return !!this.options.handlers && Object.prototype.hasOwnProperty.call(this.options.handlers, name);
  }
  now(): number {
    return this.clock.now();
  }
  sleep(seconds: number): Promise<void> {
    return this.clock.sleep(seconds);
  }
  getEnv(name: string): string | undefined {
    return Object.prototype.hasOwnProperty.call(this.env, name) ? this.env[name] : undefined;
  }
  log(severity: string, payload: Value): void {
    const entry: LogEntry = { executionId: this.id, time: this.clock.now(), severity, payload: toJs(payload) };
    this.logs.push(entry);
    this.options.onLog?.(entry);
  }
  nextUuid(): string {
    const h = crypto.createHash('sha256').update(`${this.id}/${this.uuidCounter++}`).digest();
    h[6] = (h[6]! & 0x0f) | 0x40;
    h[8] = (h[8]! & 0x3f) | 0x80;
    const x = h.subarray(0, 16).toString('hex');
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
  }

  /** Runs main; the caller has already counted this execution's task as running on the clock. */
  async run(): Promise<ExecutionOutcome> {
    try {
      const main = this.workflow.subworkflows.get('main')!;
      const scope = new Scope(this, null, 'frame');
      const frame: Frame = { sub: main, depth: 1, thread: { parallelDepth: 0, permit: false } };
      if (main.params.length === 1) {
        const argument = this.options.argument === undefined ? null : fromJs(this.options.argument);
        const argBytes = Buffer.byteLength(JSON.stringify(this.options.argument ?? null), 'utf8');
        if (argBytes > this.limits.argumentBytes)
          fatal('ResourceLimitError', `the execution argument is ${argBytes} bytes; the limit is ${this.limits.argumentBytes}`);
        scope.set(main.params[0]!.name, argument);
      }
      const c = await this.runList(main.body, scope, frame);
      const result = c.kind === 'return' ? c.value : null;
      this.measure(result);
      return { state: 'SUCCEEDED', result: toJs(result), stats: this.stats(), logs: this.logs };
    } catch (err) {
      if (err instanceof WorkflowRaise) return { state: 'FAILED', error: toJs(err.value), stats: this.stats(), logs: this.logs };
      if (err instanceof FatalWorkflowError) return { state: 'FAILED', error: toJs(err.value), stats: this.stats(), logs: this.logs };
      throw err;
    } finally {
      this.clock.leave();
    }
  }

  private stats(): ExecutionStats {
    return {
      executionId: this.id,
      steps: this.steps,
      pollSteps: this.pollSteps,
      stepLimit: this.limits.steps,
      startTime: this.startTime,
      endTime: this.clock.now(),
      peakMemoryBytes: this.peakMemory,
    };
  }

  /** Size of a value for the memory limit; also enforces the string limit. */
  measure(v: Value): number {
    if (typeof v === 'string') {
      const n = utf8Length(v);
      if (n > this.limits.stringBytes)
        this.fail('ResourceLimitError', `a string of ${n} bytes exceeds the ${this.limits.stringBytes}-byte limit`);
      return 8 + n;
    }
    if (v === null || typeof v !== 'object') return 8;
    if (v instanceof Map) {
      let n = 8;
      for (const [k, x] of v) n += 8 + utf8Length(k) + this.measure(x);
      return n;
    }
    if (Array.isArray(v)) {
      let n = 8;
      for (const x of v) n += this.measure(x);
      return n;
    }
    return sizeOf(v);
  }

  addMemory(delta: number): void {
    this.memory += delta;
    if (this.memory > this.peakMemory) this.peakMemory = this.memory;
    if (delta > 0 && this.memory > this.limits.memoryBytes) {
      this.fail('ResourceLimitError', `variables take ${this.memory} bytes; the limit is ${this.limits.memoryBytes}`);
    }
  }

  private fail(tag: 'ResourceLimitError', message: string): never {
    this.failure = new FatalWorkflowError(errorMap(tag, message));
    throw this.failure;
  }

  // -------------------------------------------------------------------------------------------
  // Steps

  private async runList(list: StepList, scope: Scope, frame: Frame): Promise<Completion> {
    const steps = list.steps;
    let i = 0;
    while (i < steps.length) {
      const step = steps[i]!;
      const c = await this.runStep(step, scope, frame);
      let target: string | undefined;
      if (c.kind === 'normal') target = c.next ?? step.next;
      else if (c.kind === 'jump') target = c.target;
      else return c;
      if (target === undefined) {
        i++;
        continue;
      }
      if (target === 'end') return { kind: 'return', value: null };
      if (target === 'break') return { kind: 'break' };
      if (target === 'continue') return { kind: 'continue' };
      const j = list.index.get(target);
      if (j === undefined) return { kind: 'jump', target };
      i = j;
    }
    return NORMAL;
  }

  /**
   * Every step of every list counts once toward the step limit, containers included (for,
   * parallel, switch, try, nested steps): Google counts each executed step and documents no
   * exception for containers. The inline body of `try: {call: ...}` is part of its try step.
   */
  private async runStep(step: Step, scope: Scope, frame: Frame): Promise<Completion> {
    if (this.failure) throw this.failure;
    scope.step = step;
    if (!step.inline) {
      if (++this.steps > this.limits.steps) this.fail('ResourceLimitError', `the execution ran more than ${this.limits.steps} steps`);
      if (this.clock.now() - this.startTime > this.limits.durationSeconds) {
        this.fail('ResourceLimitError', `the execution ran longer than ${this.limits.durationSeconds} seconds`);
      }
      this.options.onStep?.({
        executionId: this.id,
        subworkflow: step.subworkflow,
        step: step.name,
        line: step.line,
        time: this.clock.now(),
      });
    }
    return this.runBody(step.body, step, scope, frame);
  }

  private async runBody(body: StepBody, step: Step, scope: Scope, frame: Frame): Promise<Completion> {
    switch (body.k) {
      case 'none':
        return NORMAL;
      case 'assign':
        for (const { target, value } of body.entries) {
          // An assignment without blocking calls reads and writes in one turn, so that
          // `total: ${total + 1}` on a shared variable is atomic across parallel branches.
          const v = isSyncTemplate(value) ? this.evalTemplateSync(value, scope, frame) : await this.evalTemplate(value, scope, frame);
          if (target.path.length === 0) scope.writeScope(target.root).set(target.root, deepCopy(v));
          else await this.assign(target, deepCopy(v), scope, frame);
        }
        return NORMAL;
      case 'call': {
        const args = body.args ? await this.evalTemplate(body.args, scope, frame) : null;
        let result: Value;
        if (body.kind === 'subworkflow')
          result = await this.callSubworkflow(this.workflow.subworkflows.get(body.callee)!, args as WfMap | null, undefined, frame);
        else if (body.kind === 'stdlib') {
          const fn = STDLIB[body.callee]!;
          let positional: (Value | undefined)[];
          if (Array.isArray(args)) {
            // SL/sys/log writes `args: [${null}, "ERROR", ${myVar}]` for data left out: a null in
            // a positional list stands for an optional argument not given.
            positional = args.map((v, i) => (v === null && i >= fn.required ? undefined : v));
            checkArity(body.callee, fn, positional);
          } else positional = namedToPositional(body.callee, fn, args as WfMap | null);
          result = await fn.run(positional, this.context(step.name));
        } else result = await this.callConnector(body.callee, args as WfMap | null, step.name);
        if (body.result) await this.assign(body.result, deepCopy(result), scope, frame);
        return NORMAL;
      }
      case 'switch':
        for (const c of body.cases) {
          const cond = isSyncTemplate(c.condition)
            ? this.evalTemplateSync(c.condition, scope, frame)
            : await this.evalTemplate(c.condition, scope, frame);
          if (typeof cond !== 'boolean') raise('TypeError', `a switch condition must be a bool, got ${typeName(cond)}`);
          if (!cond) continue;
          if (c.body) {
            const done = await this.runBody(c.body, step, scope, frame);
            if (done.kind !== 'normal') return done;
          }
          return c.next !== undefined ? { kind: 'normal', next: c.next } : NORMAL;
        }
        return NORMAL;
      case 'for':
        return this.runFor(body.spec, scope, frame);
      case 'parallel':
        return this.runParallel(body, step, scope, frame);
      case 'try':
        return this.runTry(body.body, body.retry, body.except, scope, frame);
      case 'raise':
        throw new WorkflowRaise(deepCopy(await this.evalTemplate(body.value, scope, frame)));
      case 'return': {
        const value = deepCopy(await this.evalTemplate(body.value, scope, frame));
        return { kind: 'return', value };
      }
      case 'steps':
        return this.runList(body.body, scope, frame);
    }
  }

  private async *iterate(spec: ForSpec, scope: Scope, frame: Frame): AsyncGenerator<[Value, bigint]> {
    if (spec.in) {
      const items = await this.evalTemplate(spec.in, scope, frame);
      if (items instanceof Map) raise('TypeError', 'for: in must be a list; iterate over a map with in: ${keys(m)}');
      if (!Array.isArray(items)) raise('TypeError', `for: in must be a list, got ${typeName(items)}`);
      const snapshot = items.slice();
      for (let i = 0; i < snapshot.length; i++) yield [snapshot[i]!, BigInt(i)];
      return;
    }
    const r = await this.evalTemplate(spec.range!, scope, frame);
    if (!Array.isArray(r) || r.length !== 2 || !isNumber(r[0]!) || !isNumber(r[1]!))
      raise('TypeError', 'for: range must be [start, end] of numbers');
    const [a, b] = r as [bigint | number, bigint | number];
    // The range is inclusive at both ends; with a double bound the values are doubles.
    if (typeof a === 'bigint' && typeof b === 'bigint') {
      let i = 0n;
      for (let v = a; v <= b; v++) yield [v, i++];
    } else {
      let i = 0n;
      for (let v = Number(a); v <= Number(b); v++) yield [v, i++];
    }
  }

  private async runFor(spec: ForSpec, scope: Scope, frame: Frame): Promise<Completion> {
    for await (const [value, i] of this.iterate(spec, scope, frame)) {
      const loop = new Scope(this, scope, 'loop');
      try {
        loop.set(spec.value, deepCopy(value));
        if (spec.index) loop.set(spec.index, i);
        const c = await this.runList(spec.body, loop, frame);
        if (c.kind === 'break') break;
        if (c.kind === 'continue' || c.kind === 'normal') continue;
        return c;
      } finally {
        loop.release();
      }
    }
    return NORMAL;
  }

  private async runParallel(body: Extract<StepBody, { k: 'parallel' }>, step: Step, scope: Scope, frame: Frame): Promise<Completion> {
    const depth = frame.thread.parallelDepth + 1;
    if (depth > this.limits.parallelNesting)
      raise('ParallelNestingError', `parallel steps nest at most ${this.limits.parallelNesting} deep`);
    for (const name of body.shared) {
      if (!scope.find(name))
        throw new WorkflowDefinitionError(`shared variable "${name}" must exist before the parallel step`, {
          file: this.workflow.fileName,
          step: step.name,
          line: step.line,
        });
    }
    const shared = new Set(body.shared);
    let limit = Infinity;
    if (body.concurrencyLimit) {
      const l = await this.evalTemplate(body.concurrencyLimit, scope, frame);
      if (typeof l !== 'bigint' || l < 1n) raise('ValueError', `concurrency_limit must be a positive int, got ${typeName(l)} ${String(l)}`);
      limit = Number(l);
    }
    type Task = { id: string; run: (s: Scope, f: Frame) => Promise<Completion> };
    const tasks: Task[] = [];
    if (body.branches) {
      for (const b of body.branches) tasks.push({ id: b.name, run: (s, f) => this.runList(b.body, s, f) });
    } else {
      const spec = body.for!;
      for await (const [value, i] of this.iterate(spec, scope, frame)) {
        tasks.push({
          id: String(i),
          run: (s, f) => {
            s.set(spec.value, deepCopy(value));
            if (spec.index) s.set(spec.index, i);
            return this.runList(spec.body, s, f);
          },
        });
      }
    }
    if (tasks.length === 0) return NORMAL;
    const failures: { id: string; error: Value }[] = [];
    let fatalError: unknown;
    let next = 0;
    const worker = async (): Promise<void> => {
      try {
        while (next < tasks.length && !fatalError && !this.failure) {
          const task = tasks[next++]!;
          const thread: Thread = { parallelDepth: depth, permit: false };
          await this.permits.acquire();
          thread.permit = true;
          const branchScope = new Scope(this, scope, 'branch', shared);
          try {
            await task.run(branchScope, { sub: frame.sub, depth: frame.depth, thread });
          } catch (err) {
            if (err instanceof WorkflowRaise) failures.push({ id: task.id, error: err.value });
            else fatalError ??= err;
          } finally {
            branchScope.release();
            thread.permit = false;
            this.permits.release();
          }
        }
      } finally {
        this.clock.leave();
      }
    };
    const workers: Promise<void>[] = [];
    const count = Math.min(limit, tasks.length);
    // A thread waiting for its nested branches gives its permit back meanwhile, so nesting cannot deadlock.
    const held = frame.thread.permit;
    if (held) {
      frame.thread.permit = false;
      this.permits.release();
    }
    for (let w = 0; w < count; w++) {
      this.clock.enter();
      workers.push(worker());
    }
    await this.clock.waitFor(Promise.all(workers));
    if (held) {
      await this.permits.acquire();
      frame.thread.permit = true;
    }
    if (fatalError) throw fatalError;
    if (this.failure) throw this.failure;
    if (failures.length > 0) {
      // Our choice for the shape (Google documents only the tag): the message, the tag, and each
      // failed branch or iteration with its id and its error, in the order they failed.
      const branches: Value[] = failures.map(
        (f) =>
          new Map<string, Value>([
            ['id', f.id],
            ['error', f.error],
          ]),
      );
      const e = errorMap('UnhandledBranchError', `${failures.length} of ${tasks.length} branches or iterations raised an unhandled error`);
      e.set('branches', branches);
      throw new WorkflowRaise(e);
    }
    return NORMAL;
  }

  private async runTry(
    body: StepList,
    retry: RetrySpec | undefined,
    except: { as?: string; body: StepList } | undefined,
    scope: Scope,
    frame: Frame,
  ): Promise<Completion> {
    let retries = 0;
    for (;;) {
      try {
        return await this.runList(body, scope, frame);
      } catch (err) {
        if (!(err instanceof WorkflowRaise)) throw err;
        if (retry) {
          const max = await this.evalTemplate(retry.maxRetries, scope, frame);
          if (typeof max !== 'bigint' || max < 0n) raise('TypeError', 'max_retries must be a non-negative int');
          if (BigInt(retries) < max && (await this.retryPredicate(retry.predicate, err.value, frame))) {
            const initial = Number(await this.number(retry.initialDelay, 'initial_delay', scope, frame));
            const maxDelay = Number(await this.number(retry.maxDelay, 'max_delay', scope, frame));
            const multiplier = Number(await this.number(retry.multiplier, 'multiplier', scope, frame));
            const delay = Math.min(initial * multiplier ** retries, maxDelay);
            retries++;
            await this.clock.sleep(delay);
            continue;
          }
        }
        if (!except) throw err;
        // SX/catching-errors: a variable created inside an except block belongs to that block, like
        // one created in a for loop; so does the `as` variable (our choice: it is created there).
        const block = new Scope(this, scope, 'loop');
        try {
          if (except.as) block.set(except.as, err.value);
          return await this.runList(except.body, block, frame);
        } finally {
          block.release();
        }
      }
    }
  }

  private async number(t: Template, name: string, scope: Scope, frame: Frame): Promise<bigint | number> {
    const v = await this.evalTemplate(t, scope, frame);
    if (!isNumber(v) || Number(v) < 0) raise('TypeError', `backoff ${name} must be a non-negative number`);
    return v;
  }

  private async retryPredicate(name: string, e: Value, frame: Frame): Promise<boolean> {
    let v: Value;
    const sub = this.workflow.subworkflows.get(name);
    if (sub) v = await this.callSubworkflow(sub, undefined, [e], frame);
    else v = await STDLIB[name]!.run([e], this.context(''));
    if (typeof v !== 'boolean') raise('TypeError', `retry predicate ${name} must return a bool, got ${typeName(v)}`);
    return v;
  }

  private async callSubworkflow(
    sub: Subworkflow,
    named: WfMap | null | undefined,
    positional: Value[] | undefined,
    caller: Frame,
  ): Promise<Value> {
    const depth = caller.depth + 1;
    if (depth > this.limits.callDepth) raise('RecursionError', `call depth exceeds ${this.limits.callDepth} (calling ${sub.name})`);
    const scope = new Scope(this, null, 'frame');
    const frame: Frame = { sub, depth, thread: caller.thread };
    try {
      if (positional) {
        if (positional.length > sub.params.length)
          raise('TypeError', `${sub.name} takes ${sub.params.length} arguments, got ${positional.length}`);
        for (let i = 0; i < positional.length; i++) scope.set(sub.params[i]!.name, deepCopy(positional[i]!));
      } else if (named) {
        for (const [k, v] of named) {
          if (!sub.params.some((p) => p.name === k)) raise('TypeError', `${sub.name} has no parameter "${k}"`);
          scope.set(k, deepCopy(v));
        }
      }
      for (const p of sub.params) {
        if (scope.vars.has(p.name)) continue;
        if (!p.hasDefault) raise('TypeError', `${sub.name}: missing argument "${p.name}"`);
        scope.set(p.name, deepCopy(await this.evalTemplate(p.default!, scope, frame)));
      }
      const c = await this.runList(sub.body, scope, frame);
      return c.kind === 'return' ? c.value : null;
    } finally {
      scope.release();
    }
  }

  /**
   * Runs the caller's handler for a call that leaves the engine. For a long-running connector
   * method the polls Google's connector would have made while the operation ran (the virtual time
   * the handler took) are counted as steps, unless the call says `skip_polling: true`.
   */
  private async callConnector(name: string, args: WfMap | null, stepName: string): Promise<Value> {
    const handler = this.hasHandler(name) ? this.options.handlers![name]! : undefined;
    if (!handler) {
      raise('SystemError', `no handler for "${name}": the local engine never reaches the network; give a handler for this call`);
    }
    const longRunning = LONG_RUNNING_CONNECTORS.has(name) || !!this.options.longRunningConnectors?.includes(name);
    const polling = longRunning ? pollingParams(args) : undefined;
    const ctx: HandlerContext = {
      name,
      step: stepName,
      now: () => this.clock.now(),
      sleep: (s) => this.clock.sleep(s),
      env: this.env,
      execution: { id: this.id, workflowId: this.workflowId },
      clock: this.clock,
      runChild: (workflow, argument, options) => this.runChild(workflow, argument, options),
      startChild: (workflow, argument, options) => this.startChild(workflow, argument, options),
      waitFor: (p) => this.clock.waitFor(p),
    };
    const started = this.clock.now();
    let result: unknown;
    try {
      result = await handler(toJs(args ?? new Map()) as Record<string, unknown>, ctx);
    } catch (err) {
      // A child execution's definition problem stays a definition problem, not a workflow error.
      if (err instanceof WorkflowDefinitionError) throw err;
      throw toRaise(err);
    } finally {
      if (polling && !polling.skip) this.countPolls(pollsFor(this.clock.now() - started, polling.policy), name);
    }
    return fromJs(result);
  }

  /** Adds connector polls to the step count; past the limit the execution fails at once. */
  private countPolls(polls: number, name: string): void {
    if (polls === 0) return;
    this.pollSteps += polls;
    this.steps += polls;
    if (this.steps > this.limits.steps) {
      this.fail(
        'ResourceLimitError',
        `the execution ran more than ${this.limits.steps} steps (${this.pollSteps} of them polls of long-running connector calls, the last by ${name})`,
      );
    }
  }

  private async runChild(workflow: Workflow, argument: unknown, options: Partial<RunOptions> = {}): Promise<ExecutionOutcome> {
    return this.clock.waitFor(this.startChild(workflow, argument, options).outcome);
  }

  private startChild(
    workflow: Workflow,
    argument: unknown,
    options: Partial<RunOptions> = {},
  ): { id: string; outcome: Promise<ExecutionOutcome> } {
    const id = options.executionId ?? `${this.id}-${++this.childCounter}`;
    const child = new Execution(
      workflow,
      {
        handlers: this.options.handlers,
        env: this.options.env,
        builtins: this.options.builtins,
        limits: this.options.limits,
        onStep: this.options.onStep,
        onLog: this.options.onLog,
        ...options,
        executionId: id,
        argument,
        clock: this.clock,
      },
      this.clock,
      this.generation + 1,
    );
    this.clock.enter();
    return { id, outcome: child.run() };
  }

  // -------------------------------------------------------------------------------------------
  // Values

  private async assign(target: Target, value: Value, scope: Scope, frame: Frame): Promise<void> {
    if (target.path.length === 0) {
      scope.writeScope(target.root).set(target.root, value);
      return;
    }
    const owner = scope.writeScope(target.root);
    if (owner === scope && !scope.vars.has(target.root))
      raise('KeyError', `variable "${target.root}" is not defined (assigning ${target.text})`);
    let container = owner.lookup(target.root);
    const keys: (string | bigint)[] = [];
    for (const p of target.path) {
      if ('key' in p) keys.push(p.key);
      else {
        const k = p.async ? await evaluateAsync(p.index, this.evalScope(scope, frame)) : evaluate(p.index, this.evalScope(scope, frame));
        if (typeof k !== 'string' && typeof k !== 'bigint') raise('TypeError', `an index must be a string or an int, got ${typeName(k)}`);
        keys.push(k);
      }
    }
    for (let i = 0; i < keys.length - 1; i++) {
      const k = keys[i]!;
      if (container instanceof Map && typeof k === 'string' && !container.has(k)) {
        // Our choice: assigning below a missing key creates the intermediate maps.
        const fresh: WfMap = new Map();
        container.set(k, fresh);
        owner.grow(target.root, 16 + utf8Length(k));
        container = fresh;
      } else container = readIndex(container, k);
    }
    const last = keys[keys.length - 1]!;
    const size = this.measure(value);
    if (container instanceof Map) {
      if (typeof last !== 'string') raise('TypeError', `a map key must be a string, got ${typeName(last)}`);
      const old = container.get(last);
      const oldSize = old === undefined ? 0 : this.measure(old) + 8 + utf8Length(last);
      container.set(last, value);
      owner.grow(target.root, size + 8 + utf8Length(last) - oldSize);
    } else if (Array.isArray(container)) {
      if (typeof last !== 'bigint') raise('TypeError', `a list index must be an int, got ${typeName(last)}`);
      if (last < 0n || last >= BigInt(container.length))
        raise('IndexError', `list index ${last} out of range (length ${container.length})`);
      const oldSize = this.measure(container[Number(last)]!);
      container[Number(last)] = value;
      owner.grow(target.root, size - oldSize);
    } else raise('TypeError', `cannot assign into a ${typeName(container)} (${target.text})`);
  }

  private evalScope(scope: Scope, frame: Frame): EvalScope {
    return (scope.evalScope ??= {
      lookup: (name) => scope.lookup(name),
      call: (callee, args) => {
        const fn = STDLIB[callee];
        if (!fn || fn.waits) throw new Error(`engine: ${callee} reached the synchronous evaluator`);
        checkArity(callee, fn, args);
        return fn.run(args, this.context(scope.step?.name ?? '')) as Value;
      },
      callAsync: async (callee, args) => {
        const sub = this.workflow.subworkflows.get(callee);
        if (sub) return this.callSubworkflow(sub, undefined, args, frame);
        const stepName = scope.step?.name ?? '';
        const connectorParams = EXPRESSION_CONNECTORS[callee];
        if (connectorParams) {
          if (args.length > connectorParams.length)
            raise('TypeError', `${callee}: takes at most ${connectorParams.length} arguments, got ${args.length}`);
          const named: WfMap = new Map();
          args.forEach((v, i) => named.set(connectorParams[i]!, v));
          return this.callConnector(callee, named, stepName);
        }
        const fn = STDLIB[callee]!;
        checkArity(callee, fn, args);
        return fn.run(args, this.context(stepName));
      },
    });
  }

  private evalTemplateSync(t: Template, scope: Scope, frame: Frame): Value {
    switch (t.t) {
      case 'const':
        return t.v;
      case 'expr':
        return evaluate(t.e, this.evalScope(scope, frame));
      case 'list':
        return t.items.map((item) => this.evalTemplateSync(item, scope, frame));
      case 'map': {
        const out: WfMap = new Map();
        for (const [k, v] of t.entries) out.set(k, this.evalTemplateSync(v, scope, frame));
        return out;
      }
    }
  }

  private async evalTemplate(t: Template, scope: Scope, frame: Frame): Promise<Value> {
    switch (t.t) {
      case 'const':
        return t.v;
      case 'expr':
        return t.async ? evaluateAsync(t.e, this.evalScope(scope, frame)) : evaluate(t.e, this.evalScope(scope, frame));
      case 'list': {
        const out: Value[] = [];
        for (const item of t.items) out.push(await this.evalTemplate(item, scope, frame));
        return out;
      }
      case 'map': {
        const out: WfMap = new Map();
        for (const [k, v] of t.entries) out.set(k, await this.evalTemplate(v, scope, frame));
        return out;
      }
    }
  }
}

/** Turns what a handler threw into a workflow error. */
function toRaise(err: unknown): WorkflowRaise {
  if (err instanceof WorkflowRaise) return err;
  if (typeof err === 'string') return new WorkflowRaise(err);
  if (err instanceof Error) {
    const tags = (err as Error & { tags?: unknown }).tags;
    if (Array.isArray(tags)) {
      const m = fromJs({ ...err }) as WfMap;
      m.set('message', err.message);
      m.set('tags', fromJs(tags));
      return new WorkflowRaise(m);
    }
    return new WorkflowRaise(errorMap('SystemError', `connector handler failed: ${err.message}`));
  }
  if (err !== null && typeof err === 'object') return new WorkflowRaise(fromJs(err));
  return new WorkflowRaise(errorMap('SystemError', `connector handler threw ${String(err)}`));
}

/** True when a template evaluates without any blocking call (subworkflow, sys.sleep, ...). */
function isSyncTemplate(t: Template): boolean {
  switch (t.t) {
    case 'const':
      return true;
    case 'expr':
      return !t.async;
    case 'list':
      return t.items.every(isSyncTemplate);
    case 'map':
      return [...t.entries].every(([, v]) => isSyncTemplate(v));
  }
}
