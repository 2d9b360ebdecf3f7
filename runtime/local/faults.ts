/**
 * Named faults for the laptop pipeline, to watch recovery happen. Each is switched on by name
 * (`--faults vertex-job-fail:1,line-error-rate:0.05`) and is reproducible: every decision is a
 * hash of the seed and what it is about (a batch and attempt, a request line), never of the order
 * in which parallel batches happen to run.
 */
import { createHash } from 'node:crypto';

export interface Faults {
  /** Each batch's first N Vertex AI jobs end FAILED. */
  readonly vertexJobFail: number;
  /** Each batch's first N Vertex AI jobs stay queued until they EXPIRE (after 72 h, virtual). */
  readonly vertexJobExpire: number;
  /** Each batch's next N Vertex AI jobs end FAILED after writing the answers to half their requests. */
  readonly vertexJobPartial: number;
  /** Share of output lines whose `status` carries a model error about the request. */
  readonly lineErrorRate: number;
  /** Share of output lines whose `status` says the model was unavailable (not the record's fault). */
  readonly modelUnavailableRate: number;
  /** Share of output lines whose text is not valid JSON. */
  readonly malformedJsonRate: number;
  /** Share of output lines whose answer lacks the required summary. */
  readonly missingSummaryRate: number;
  /** The processor crashes once per batch right after this write. */
  readonly processorCrashAfter: 'results' | 'processed' | 'errors' | null;
  /** Each batch's generator crashes on its first N runs. */
  readonly generatorCrash: number;
  /**
   * The whole process dies right after its N-th write to the work folder (a statement, a load, an
   * object), leaving the folder as a killed process does.
   */
  readonly crashAfterWrites: number | null;
  /** The same, counting only writes to the warehouse (statements and loads): it dies between two commits. */
  readonly crashAfterCommits: number | null;
  readonly seed: number;
}

export const NO_FAULTS: Faults = {
  vertexJobFail: 0,
  vertexJobExpire: 0,
  vertexJobPartial: 0,
  lineErrorRate: 0,
  modelUnavailableRate: 0,
  malformedJsonRate: 0,
  missingSummaryRate: 0,
  processorCrashAfter: null,
  generatorCrash: 0,
  crashAfterWrites: null,
  crashAfterCommits: null,
  seed: 1,
};

const COUNT_FAULTS = {
  'vertex-job-fail': 'vertexJobFail',
  'vertex-job-expire': 'vertexJobExpire',
  'vertex-job-partial': 'vertexJobPartial',
  'generator-crash': 'generatorCrash',
} as const;

const RATE_FAULTS = {
  'line-error-rate': 'lineErrorRate',
  'model-unavailable-rate': 'modelUnavailableRate',
  'malformed-json-rate': 'malformedJsonRate',
  'missing-summary-rate': 'missingSummaryRate',
} as const;

const CRASH_POINTS = ['results', 'processed', 'errors'] as const;

/** Every fault name, with the form of its value, for messages and help. */
export const FAULT_HELP = [
  'vertex-job-fail:N',
  'vertex-job-expire:N',
  'vertex-job-partial:N',
  'line-error-rate:R',
  'model-unavailable-rate:R',
  'malformed-json-rate:R',
  'missing-summary-rate:R',
  `processor-crash-after:${CRASH_POINTS.join('|')}`,
  'generator-crash:N',
  'crash-after-writes:N',
  'crash-after-commits:N',
];

/** Parses `name:value,name:value`; throws with the offending item and what is allowed. */
export function parseFaults(list: string | undefined, seed = 1): Faults {
  const faults: { -readonly [K in keyof Faults]: Faults[K] } = { ...NO_FAULTS, seed };
  if (!list) return faults;
  for (const item of list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, value = ''] = item.split(':', 2) as [string, string?];
    if (name in COUNT_FAULTS) {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw new Error(`fault ${item}: ${name} takes a whole number of attempts, e.g. ${name}:1`);
      faults[COUNT_FAULTS[name as keyof typeof COUNT_FAULTS]] = n;
    } else if (name in RATE_FAULTS) {
      const r = Number(value);
      if (value === '' || !Number.isFinite(r) || r < 0 || r > 1)
        throw new Error(`fault ${item}: ${name} takes a rate between 0 and 1, e.g. ${name}:0.05`);
      faults[RATE_FAULTS[name as keyof typeof RATE_FAULTS]] = r;
    } else if (name === 'crash-after-writes' || name === 'crash-after-commits') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new Error(`fault ${item}: ${name} takes a number of writes from 1, e.g. ${name}:40`);
      if (name === 'crash-after-writes') faults.crashAfterWrites = n;
      else faults.crashAfterCommits = n;
    } else if (name === 'processor-crash-after') {
      if (!(CRASH_POINTS as readonly string[]).includes(value)) {
        throw new Error(`fault ${item}: processor-crash-after takes one of ${CRASH_POINTS.join(', ')}`);
      }
      faults.processorCrashAfter = value as Faults['processorCrashAfter'];
    } else {
      throw new Error(`unknown fault "${name}"; known faults: ${FAULT_HELP.join(', ')}`);
    }
  }
  return faults;
}

/** A number in [0, 1) decided by the seed and the given key, the same on every run. */
export function chance(seed: number, ...key: readonly (string | number)[]): number {
  const digest = createHash('sha256')
    .update(`${seed}\u0000${key.join('\u0000')}`)
    .digest();
  return digest.readUInt32BE(0) / 0x1_0000_0000;
}

/** True when any fault is switched on. */
export function anyFault(faults: Faults): boolean {
  return (
    faults.vertexJobFail > 0 ||
    faults.vertexJobExpire > 0 ||
    faults.vertexJobPartial > 0 ||
    faults.lineErrorRate > 0 ||
    faults.modelUnavailableRate > 0 ||
    faults.malformedJsonRate > 0 ||
    faults.missingSummaryRate > 0 ||
    faults.processorCrashAfter !== null ||
    faults.generatorCrash > 0 ||
    faults.crashAfterWrites !== null ||
    faults.crashAfterCommits !== null
  );
}
