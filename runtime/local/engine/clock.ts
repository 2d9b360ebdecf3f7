/**
 * The virtual clock the engine runs on, and the scheduler of the tasks that share it.
 *
 * A task is one thread of an execution: the main one, a parallel branch or iteration, a child
 * execution. A task is *running* while it computes or awaits a real promise (a handler doing real
 * I/O), and *waiting* while it sleeps on the clock or waits for other tasks. Time moves only when no
 * task is running: it jumps to the earliest wake-up, so `sys.sleep(86400)` costs nothing, and a
 * handler's real I/O holds time still until it resolves. Wake-ups at the same instant happen in the
 * order they were scheduled, so the same inputs give the same interleaving.
 */

/** 2026-01-01T00:00:00Z: the default start of virtual time (any fixed instant keeps runs repeatable). */
export const DEFAULT_START_SECONDS = 1767225600;

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly wake: () => void;
}

export class VirtualClock {
  private current: number;
  private running = 0;
  private advancePending = false;
  private seq = 0;
  private readonly timers: Timer[] = [];

  /** @param startSeconds epoch seconds at which virtual time starts. */
  constructor(startSeconds: number = DEFAULT_START_SECONDS) {
    this.current = startSeconds;
  }

  /** Virtual epoch seconds. */
  now(): number {
    return this.current;
  }

  /** Number of tasks currently running (not waiting on the clock or on other tasks). */
  get runningTasks(): number {
    return this.running;
  }

  /** Number of pending wake-ups. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Marks one more task as running. Call before starting it. */
  enter(): void {
    this.running++;
  }

  /** Marks a running task as finished or waiting; when none is left running, time moves on. */
  leave(): void {
    this.running--;
    if (this.running < 0) throw new Error('VirtualClock: leave() without enter()');
    if (this.running === 0) this.scheduleAdvance();
  }

  /**
   * Time moves after the microtask queue drains, not at once: a task that another one just woke
   * through a promise (a finished branch waking its parent) resumes first and holds time still.
   */
  private scheduleAdvance(): void {
    if (this.advancePending) return;
    this.advancePending = true;
    setImmediate(() => {
      this.advancePending = false;
      if (this.running === 0) this.advance();
    });
  }

  /**
   * Suspends the calling task (which must be running) for `seconds` of virtual time.
   * Zero or negative durations still yield, so that other tasks due now get their turn.
   */
  sleep(seconds: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const at = this.current + Math.max(0, seconds);
      insertSorted(this.timers, { at, seq: this.seq++, wake: resolve });
      this.leave();
    });
  }

  /**
   * Awaits a promise that other tasks on this clock will settle (a child execution, a join): the
   * calling task stops counting as running meanwhile, so virtual time can advance for them, and
   * counts as running again when it resumes.
   */
  async waitFor<T>(promise: Promise<T>): Promise<T> {
    this.leave();
    try {
      return await promise;
    } finally {
      this.running++;
    }
  }

  private advance(): void {
    const first = this.timers[0];
    if (!first) return;
    const at = first.at;
    if (at > this.current) this.current = at;
    // Wake everything due at this instant, in scheduling order.
    let n = 0;
    while (n < this.timers.length && this.timers[n]!.at <= at) n++;
    const due = this.timers.splice(0, n);
    this.running += due.length;
    for (const t of due) t.wake();
  }
}

function insertSorted(timers: Timer[], t: Timer): void {
  let lo = 0;
  let hi = timers.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const m = timers[mid]!;
    if (m.at < t.at || (m.at === t.at && m.seq < t.seq)) lo = mid + 1;
    else hi = mid;
  }
  timers.splice(lo, 0, t);
}
