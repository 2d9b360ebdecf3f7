/**
 * A process that dies after a chosen number of writes, for the `crash-after-writes` and
 * `crash-after-commits` faults: the work folder's warehouse and store, wrapped so that the n-th
 * write happens and then the process is dead. From then on every write fails, whoever tries it (a
 * job's retry, a workflow's except handler, the reporter), so the work folder is left exactly as a
 * killed process leaves it; the run ends, and the next command opens the folder as a new process
 * would.
 *
 * A write is anything that changes the folder: a statement that is not a read, a load, an object
 * written (when its stream finishes). A commit is a write to the warehouse only: counting commits
 * lands the death between two of a job's loads far more often.
 */
import { Writable } from 'node:stream';
import type { ObjectStore, Statement, Warehouse } from '../core/ports';

/** Raised by every write once the process is dead. */
export class ProcessDeath extends Error {
  /**
   * @param writes the writes the process made
   * @param done whether the write that raised this was made (the last one) or refused (after death)
   */
  constructor(
    readonly writes: number,
    readonly done = false,
  ) {
    super(`the process died after write ${writes} (fault crash-after-writes)`);
    this.name = 'ProcessDeath';
  }
}

/** What a write changes: the warehouse, or an object of the store. */
export type WriteKind = 'warehouse' | 'object';

/** Counts the writes of one process and decides when it dies. */
export class Mortality {
  private count = 0;

  /**
   * @param limit the write after which the process dies
   * @param counted the writes that count: every write, or the warehouse's only (commits)
   */
  constructor(
    readonly limit: number,
    readonly counted: 'all' | 'warehouse' = 'all',
  ) {}

  get writes(): number {
    return this.count;
  }

  get dead(): boolean {
    return this.count >= this.limit;
  }

  /** Runs one write, unless the process is dead; dies right after the limit-th counted one. */
  async write<T>(perform: () => Promise<T>, kind: WriteKind = 'warehouse'): Promise<T> {
    if (this.dead) throw new ProcessDeath(this.count);
    const result = await perform();
    if (this.counted === 'warehouse' && kind !== 'warehouse') return result;
    this.count++;
    if (this.dead) throw new ProcessDeath(this.count, true);
    return result;
  }
}

const WRITE_STATEMENT = /^\s*(?:--[^\n]*\n\s*)*(INSERT|UPDATE|DELETE|MERGE|CREATE|ALTER|DROP|TRUNCATE|BEGIN|COMMIT)\b/i;

/** Whether a statement changes the warehouse. */
export function isWrite(statement: Statement): boolean {
  return WRITE_STATEMENT.test(statement.sql);
}

/** The warehouse, dying with `mortality`. Other methods (`table`, `stream`, `replaceByKey`...) pass through, writes counted. */
export function mortalWarehouse<W extends Warehouse>(warehouse: W, mortality: Mortality): W {
  return new Proxy(warehouse, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (property === 'query') {
        return (statement: Statement) => (isWrite(statement) ? mortality.write(() => target.query(statement)) : target.query(statement));
      }
      if (property === 'load' || property === 'replaceByKey') {
        return (...args: unknown[]) => mortality.write(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

/** The object store, dying with `mortality`. */
export function mortalStore<S extends ObjectStore>(store: S, mortality: Mortality): S {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (property === 'writeText') return (path: string, text: string) => mortality.write(() => target.writeText(path, text), 'object');
      if (property === 'createText') return (path: string, text: string) => mortality.write(() => target.createText(path, text), 'object');
      if (property === 'openWrite') return (path: string) => mortalWritable(() => target.openWrite(path), mortality);
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

/** A write stream whose object counts as one write, when it is finished. */
function mortalWritable(open: () => Writable, mortality: Mortality): Writable {
  if (mortality.dead) {
    return new Writable({
      write(_chunk, _encoding, callback) {
        callback(new ProcessDeath(mortality.writes));
      },
      final(callback) {
        callback(new ProcessDeath(mortality.writes));
      },
    });
  }
  const inner = open();
  return new Writable({
    write(chunk, encoding, callback) {
      if (mortality.dead) return callback(new ProcessDeath(mortality.writes));
      if (inner.write(chunk, encoding)) callback();
      else inner.once('drain', () => callback());
    },
    final(callback) {
      mortality
        .write(
          () =>
            new Promise<void>((resolve, reject) => {
              inner.once('error', reject);
              inner.end(() => resolve());
            }),
          'object',
        )
        .then(() => callback(), callback);
    },
    destroy(error, callback) {
      inner.destroy();
      callback(error);
    },
  });
}
