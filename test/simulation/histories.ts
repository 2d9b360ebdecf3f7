/**
 * Random histories of the laptop pipeline, as fast-check commands (model-based testing): runs with
 * random batch sizes, concurrency and faults, crashes after any write, recovery in every form,
 * clear-history, a changed analysis, changed and added transcripts, a reused execution id. Each
 * command checks every invariant of `Lab` when it is done; a failing history is shrunk to the
 * smallest one that still fails.
 */
import fc from 'fast-check';
import type { Faults } from '../../runtime/local/faults';
import { Lab, type Crash, type RecoverForm, type RecoverParams, type RunParams } from './lab';

/** What the commands need to know of the system: whether there is anything to recover yet. */
export interface Model {
  executions: number;
}

type Command = fc.AsyncCommand<Model, Lab>;

class RunCommand implements Command {
  constructor(readonly p: RunParams) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, lab: Lab): Promise<void> {
    await lab.run(this.p);
    m.executions = lab.executionCount;
  }
  toString(): string {
    return `run(${JSON.stringify(this.p)})`;
  }
}

class RecoverCommand implements Command {
  constructor(readonly p: RecoverParams) {}
  check(m: Readonly<Model>): boolean {
    return m.executions > 0;
  }
  async run(_m: Model, lab: Lab): Promise<void> {
    await lab.recover(this.p);
  }
  toString(): string {
    return `recover(${JSON.stringify(this.p)})`;
  }
}

class ClearHistoryCommand implements Command {
  constructor(
    readonly execution: number,
    readonly crashAfter: number | null,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.executions > 0;
  }
  async run(_m: Model, lab: Lab): Promise<void> {
    await lab.clearHistory(this.execution, this.crashAfter);
  }
  toString(): string {
    return `clearHistory(${this.execution}, ${this.crashAfter})`;
  }
}

class SwitchAnalysisCommand implements Command {
  check(): boolean {
    return true;
  }
  async run(_m: Model, lab: Lab): Promise<void> {
    lab.switchAnalysis();
  }
  toString(): string {
    return 'switchAnalysis()';
  }
}

class ReuseCommand implements Command {
  constructor(readonly execution: number) {}
  check(m: Readonly<Model>): boolean {
    return m.executions > 0;
  }
  async run(_m: Model, lab: Lab): Promise<void> {
    await lab.reuse(this.execution);
  }
  toString(): string {
    return `reuse(${this.execution})`;
  }
}

/** Faults, each off most of the time. */
const faults: fc.Arbitrary<Partial<Faults>> = fc.record(
  {
    vertexJobFail: fc.constantFrom(0, 0, 0, 1),
    vertexJobPartial: fc.constantFrom(0, 0, 1, 2),
    vertexJobExpire: fc.constantFrom(0, 0, 0, 0, 1),
    lineErrorRate: fc.constantFrom(0, 0, 0.3),
    modelUnavailableRate: fc.constantFrom(0, 0, 0.3),
    malformedJsonRate: fc.constantFrom(0, 0, 0.3),
    missingSummaryRate: fc.constantFrom(0, 0, 0.2),
    generatorCrash: fc.constantFrom(0, 0, 0, 1),
    processorCrashAfter: fc.constantFrom(null, null, null, 'results' as const, 'errors' as const, 'processed' as const),
    seed: fc.integer({ min: 1, max: 1000 }),
  },
  { requiredKeys: [] },
);

/**
 * Where a process dies, when it does (a third of the time): after any of its first 150 writes, or,
 * as often, after any of its first 40 commits to the warehouse (which lands between two of a job's
 * loads far more often).
 */
const crash: fc.Arbitrary<Crash | null> = fc.option(
  fc.oneof(
    fc.record({ counting: fc.constant('writes' as const), after: fc.integer({ min: 1, max: 150 }) }),
    fc.record({ counting: fc.constant('commits' as const), after: fc.integer({ min: 1, max: 40 }) }),
  ),
  { freq: 2 },
);
const commitCrash = fc.option(fc.integer({ min: 1, max: 3 }), { freq: 2 });

const runParams = (clean: boolean, auto: boolean): fc.Arbitrary<RunParams> =>
  fc.record({
    add: fc.integer({ min: 0, max: 6 }),
    empties: fc.integer({ min: 0, max: 1 }),
    change: fc.integer({ min: 0, max: 2 }),
    batchSize: auto
      ? fc.oneof({ arbitrary: fc.constant('auto' as const), weight: 3 }, { arbitrary: fc.integer({ min: 1, max: 4 }), weight: 1 })
      : fc.integer({ min: 1, max: 4 }),
    lanes: fc.integer({ min: 1, max: 3 }),
    batchAttempts: fc.integer({ min: 1, max: 3 }),
    faults: clean ? fc.constant({}) : faults,
    crashAfter: clean ? fc.constant(null) : crash,
  });

const recoverForm: fc.Arbitrary<RecoverForm> = fc.oneof(
  fc.record({ kind: fc.constant('batch' as const), batch: fc.nat(8), force: fc.boolean() }),
  fc.record({ kind: fc.constant('rows' as const), start: fc.nat(20), length: fc.nat(6) }),
  fc.constant({ kind: 'all-failed' as const }),
);

const recover = fc
  .record({ execution: fc.nat(5), form: recoverForm, faults: fc.oneof(fc.constant({}), faults), crashAfter: crash })
  .map((p) => new RecoverCommand(p));

/** A recovery of rows with no fault and no crash, after which every row it covers must be settled. */
const cleanRowsRecover = fc
  .record({ execution: fc.nat(5), start: fc.nat(20), length: fc.nat(12) })
  .map(
    ({ execution, start, length }) =>
      new RecoverCommand({ execution, form: { kind: 'rows', start, length }, faults: {}, crashAfter: null }),
  );

/**
 * Commands, recovery weighted up: it is where a ledger goes wrong. With `auto`, three runs in four let
 * the planner size the batches (`batchSize: 'auto'`), which ends a large enough plan in smaller
 * batches, and clean row-range recoveries, whose batches the workflow works out from the plan's
 * layout, are added.
 */
export const commandsOf = (auto: boolean): fc.Arbitrary<Iterable<Command>> =>
  fc.commands(
    [
      runParams(false, auto).map((p) => new RunCommand(p)),
      runParams(false, auto).map((p) => new RunCommand(p)),
      runParams(true, auto).map((p) => new RunCommand(p)),
      recover,
      recover,
      fc.tuple(fc.nat(5), commitCrash).map(([e, c]) => new ClearHistoryCommand(e, c)),
      fc.constant(new SwitchAnalysisCommand()),
      fc.nat(5).map((e) => new ReuseCommand(e)),
      ...(auto ? [cleanRowsRecover, cleanRowsRecover] : []),
    ],
    { maxCommands: 12 },
  );

export const commands = commandsOf(false);

/**
 * The property: every history keeps every invariant; with `several`, every run runs three analyses,
 * one chained; with `auto`, three runs in four size their batches with `auto`.
 */
export function historiesHold(
  onHistory?: () => void,
  options: { readonly several?: boolean; readonly auto?: boolean } = {},
): fc.IAsyncPropertyWithHooks<[Iterable<Command>]> {
  return fc.asyncProperty(commandsOf(options.auto ?? false), async (cmds) => {
    const lab = Lab.create(options);
    try {
      await fc.asyncModelRun(() => ({ model: { executions: 0 }, real: lab }), cmds);
    } finally {
      await lab.dispose();
      onHistory?.();
    }
  });
}
