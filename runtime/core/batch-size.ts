/**
 * How a plan's rows fall into batches, and the sizes `auto` chooses from what is planned
 * (`batchSize: 'auto'`, the default).
 */
import { AUTO_BATCH_SIZE, LIMITS, type PlanDocument } from '../contract';

export interface PlannedVolume {
  /** Records the plan takes. */
  readonly records: number;
  /** Bytes of their text, as stored (UTF-8). */
  readonly textBytes: number;
  /** Bytes of one request with an empty text: the prompt, the schema, the labels. */
  readonly requestOverheadBytes: number;
  /** Batches the run keeps in flight at once. */
  readonly maxConcurrentBatches: number;
}

/**
 * Records per batch under `auto` (see `AUTO_BATCH_SIZE`): 1,000,000 transcripts of 6,000
 * characters with 8 batches at once run as 32 jobs of 31,250 (four waves), not 1,000 of 1,000;
 * 100,000,000 as 904 jobs of about 110,000, each within Vertex AI's limits. Always at least 1.
 */
export function autoBatchSize(v: PlannedVolume): number {
  if (v.records <= 0) return 1;
  const lanes = Math.max(1, v.maxConcurrentBatches);
  const requestBytes = v.textBytes / v.records + v.requestOverheadBytes;
  const byInput = Math.floor((LIMITS.maxBatchInputBytes * AUTO_BATCH_SIZE.inputBytesShare) / Math.max(1, requestBytes));
  const largest = Math.max(1, Math.min(LIMITS.maxBatchSize, byInput));
  const waves = Math.max(AUTO_BATCH_SIZE.batchesPerLane, Math.ceil(v.records / (lanes * largest)));
  const even = Math.ceil(v.records / (lanes * waves));
  return Math.min(largest, Math.max(even, AUTO_BATCH_SIZE.minRecords));
}

/**
 * How a plan's rows (numbered from 1) fall into batches: batches `0..tailFirstBatch-1` hold
 * `batchSize` rows each, and the batches after them `tailBatchSize` rows each, the last one what is
 * left. A plan of one size has `tailFirstBatch` equal to its batch count and both sizes equal.
 *
 * The planner's `plan_assign` statement (runtime/core/sql.ts) and the batch workflow's row-range
 * recovery (workflows/batch.yaml, `rows_bounds`) compute the same arithmetic; the planner writes the
 * layout into `plan.json` as `batch_size`, `tail_first_batch` and `tail_batch_size`.
 */
export interface BatchLayout {
  readonly records: number;
  readonly batchSize: number;
  readonly tailFirstBatch: number;
  readonly tailBatchSize: number;
}

/** Rows in the batches before the tail. */
const headRows = (l: BatchLayout) => l.tailFirstBatch * l.batchSize;

/** Batches of the layout. */
export function batchCount(l: BatchLayout): number {
  if (l.records <= 0) return 0;
  const head = headRows(l);
  return l.records <= head ? Math.ceil(l.records / l.batchSize) : l.tailFirstBatch + Math.ceil((l.records - head) / l.tailBatchSize);
}

/** The batch that holds plan row `row` (from 1). */
export function batchOfRow(l: BatchLayout, row: number): number {
  const head = headRows(l);
  return row <= head ? Math.floor((row - 1) / l.batchSize) : l.tailFirstBatch + Math.floor((row - 1 - head) / l.tailBatchSize);
}

/** The plan rows, first and last inclusive, of batch `batch`. */
export function batchRows(l: BatchLayout, batch: number): { readonly first: number; readonly last: number } {
  const head = headRows(l);
  const first = batch < l.tailFirstBatch ? batch * l.batchSize + 1 : head + (batch - l.tailFirstBatch) * l.tailBatchSize + 1;
  const size = batch < l.tailFirstBatch ? l.batchSize : l.tailBatchSize;
  return { first, last: Math.min(l.records, first + size - 1) };
}

/** Records of each batch, in order. */
export function batchSizes(l: BatchLayout): number[] {
  return Array.from({ length: batchCount(l) }, (_, b) => {
    const { first, last } = batchRows(l, b);
    return last - first + 1;
  });
}

/** Every batch the same size (an explicit batch size). */
export function uniformLayout(records: number, batchSize: number): BatchLayout {
  const l = { records, batchSize, tailFirstBatch: 0, tailBatchSize: batchSize };
  return { ...l, tailFirstBatch: batchCount(l) };
}

/** How `auto` cuts the end of a plan finer; `AUTO_BATCH_SIZE`'s, unless a comparison asks otherwise. */
export type AutoTail = { readonly [K in 'tailShare' | 'tailWaves' | 'tailDivisor']: number };

/**
 * The layout `auto` plans (see `AUTO_BATCH_SIZE`): batches of `autoBatchSize`, the plan's last
 * `tailShare` of records (at most `tailWaves` waves of them) in batches of a `tailDivisor`-th of
 * that, never under `minRecords`. With 8 lanes, 1,000,000 transcripts of 6,000 characters are 21
 * batches of 31,250 and 22 of 15,625.
 */
export function autoBatchLayout(v: PlannedVolume, tail: AutoTail = AUTO_BATCH_SIZE): BatchLayout {
  const size = autoBatchSize(v);
  const records = Math.max(0, v.records);
  const tailSize = Math.min(size, Math.max(AUTO_BATCH_SIZE.minRecords, Math.ceil(size / tail.tailDivisor)));
  const lanes = Math.max(1, v.maxConcurrentBatches);
  const tailRows = Math.min(Math.ceil(records * tail.tailShare), lanes * size * tail.tailWaves);
  if (tailSize >= size || tailRows <= 0) return uniformLayout(records, size);
  return { records, batchSize: size, tailFirstBatch: Math.floor((records - tailRows) / size), tailBatchSize: tailSize };
}

/**
 * The layout of an execution's `plan.json`. Plans written before plans had a tail have one size.
 */
export function layoutOfPlan(
  plan: Pick<PlanDocument, 'records' | 'batch_size' | 'batch_count' | 'tail_first_batch' | 'tail_batch_size'>,
): BatchLayout {
  return {
    records: plan.records,
    batchSize: plan.batch_size,
    tailFirstBatch: plan.tail_first_batch ?? plan.batch_count,
    tailBatchSize: plan.tail_batch_size ?? plan.batch_size,
  };
}

/** What `plan_counts` reads of a written plan (runtime/core/sql.ts). */
export interface PlanShape {
  readonly records: number;
  readonly batchCount: number;
  /** Rows of batch 0. */
  readonly firstBatchRecords: number;
  /** The first batch with fewer rows than batch 0, if any. */
  readonly firstSmallerBatch: number | null;
  /** Its rows. */
  readonly firstSmallerBatchRecords: number | null;
}

/**
 * The layout of a plan as written, read back from its batches' sizes: the plan written is the
 * truth, whatever `auto` would choose today. Throws if no layout gives those batches (a plan not
 * written by `plan_assign`).
 */
export function layoutOfShape(s: PlanShape): BatchLayout {
  if (s.records === 0) return uniformLayout(0, 1);
  const size = s.firstBatchRecords;
  const layout =
    s.firstSmallerBatch === null || s.firstSmallerBatch >= s.batchCount - 1
      ? uniformLayout(s.records, size)
      : { records: s.records, batchSize: size, tailFirstBatch: s.firstSmallerBatch, tailBatchSize: s.firstSmallerBatchRecords ?? size };
  if (batchCount(layout) !== s.batchCount) {
    throw new Error(
      `a plan of ${s.records} rows in ${s.batchCount} batches, the first of ${size} and the first smaller one ${String(s.firstSmallerBatch)} ` +
        `of ${String(s.firstSmallerBatchRecords)}, is not of the shape plan_assign writes`,
    );
  }
  return layout;
}

/** Whether two layouts put every row in the same batch. */
export function sameBatches(a: BatchLayout, b: BatchLayout): boolean {
  if (a.records !== b.records || batchCount(a) !== batchCount(b)) return false;
  const x = batchSizes(a);
  const y = batchSizes(b);
  return x.every((n, i) => n === y[i]);
}

/** The layout in words: `21 x 31250 + 44 x 7813`, or `32 x 31250`, numbers written by `number`. */
export function describeLayout(l: BatchLayout, number: (n: number) => string = String): string {
  const sizes = batchSizes(l);
  const head = sizes.slice(0, Math.min(l.tailFirstBatch, sizes.length));
  const tail = sizes.slice(head.length);
  const part = (xs: number[]) => (xs.length === 0 ? [] : [`${number(xs.length)} x ${number(Math.max(...xs))}`]);
  return [...part(head), ...part(tail)].join(' + ') || '0 batches';
}

/** The sizes in words: `5000`, or `31250, then 7813 from batch 21`. */
export function describeSizes(l: BatchLayout): string {
  const tail = l.tailFirstBatch < batchCount(l) && l.tailBatchSize !== l.batchSize;
  return tail ? `${l.batchSize}, then ${l.tailBatchSize} from batch ${l.tailFirstBatch}` : String(l.batchSize);
}
