/**
 * How far two sets of answers to one analysis agree, field by field: the figures `tapctl compare`
 * (a candidate declaration against the current results) and `tapctl evaluate` (the results against
 * human labels) report, and the reproducible stratified sample compare draws. Pure functions.
 */
import { createHash } from 'node:crypto';
import type { AnalysisField } from '../contract';

/** How a field's values are compared. */
export type FieldKind = 'categorical' | 'number' | 'text' | 'list';

/** Enums and booleans are categories; numbers are numbers; free text and lists of text are compared as word and item sets. */
export function fieldKind(field: AnalysisField): FieldKind {
  if (field.type === 'boolean' || (field.type === 'string' && field.enum)) return 'categorical';
  if (field.type === 'integer' || field.type === 'number') return 'number';
  if (field.type === 'string_array') return 'list';
  return 'text';
}

/** One record's two answers (null: no answer). */
export interface AnswerPair {
  readonly recordId: string;
  readonly baseline: Readonly<Record<string, unknown>> | null;
  readonly candidate: Readonly<Record<string, unknown>> | null;
}

export interface FieldAgreement {
  readonly name: string;
  readonly kind: FieldKind;
  /**
   * From 0 to 1. Categories and numbers: the share of records with the same value; text: the mean
   * Jaccard similarity of the two answers' words; lists: of their items.
   */
  readonly agreement: number;
  /** Cohen's kappa, for categorical fields; absent when undefined (both sides always gave one same value). */
  readonly kappa?: number;
  /** Mean absolute difference, for numbers. */
  readonly mean_absolute_difference?: number;
  /** Records compared: those both sides answered. */
  readonly compared: number;
  /** Some records whose value changed, for a person to read. */
  readonly examples: readonly { readonly record_id: string; readonly baseline: unknown; readonly candidate: unknown }[];
}

const MAX_EXAMPLES = 3;

function words(value: unknown): Set<string> {
  return new Set(
    String(value ?? '')
      .toLowerCase()
      .match(/[\p{L}\p{N}']+/gu) ?? [],
  );
}

function items(value: unknown): Set<string> {
  return new Set((Array.isArray(value) ? value : []).map((v) => String(v).trim().toLowerCase()).filter((v) => v !== ''));
}

/** |A ∩ B| / |A ∪ B|, and 1 for two empty sets. */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let common = 0;
  for (const x of a) if (b.has(x)) common++;
  return common / (a.size + b.size - common);
}

/**
 * Cohen's kappa of two raters' categories: (po - pe) / (1 - pe), where po is the observed agreement
 * and pe the agreement expected by chance from each rater's own category frequencies. Undefined
 * when pe is 1 (both raters gave one same category every time).
 */
export function cohensKappa(pairs: readonly (readonly [string, string])[]): number | undefined {
  const n = pairs.length;
  if (n === 0) return undefined;
  const a = new Map<string, number>();
  const b = new Map<string, number>();
  let agree = 0;
  for (const [x, y] of pairs) {
    a.set(x, (a.get(x) ?? 0) + 1);
    b.set(y, (b.get(y) ?? 0) + 1);
    if (x === y) agree++;
  }
  const po = agree / n;
  let pe = 0;
  for (const [k, count] of a) pe += (count / n) * ((b.get(k) ?? 0) / n);
  if (pe >= 1) return undefined;
  return (po - pe) / (1 - pe);
}

const category = (v: unknown) => (v === null || v === undefined ? '(none)' : String(v));
const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** The agreement of every field, over the records both sides answered. */
export function fieldAgreement(fields: readonly AnalysisField[], pairs: readonly AnswerPair[]): FieldAgreement[] {
  const both = pairs.filter((p) => p.baseline !== null && p.candidate !== null);
  return fields.map((field) => {
    const kind = fieldKind(field);
    const examples: { record_id: string; baseline: unknown; candidate: unknown }[] = [];
    let total = 0;
    let absolute = 0;
    const categories: [string, string][] = [];
    for (const p of both) {
      const x = p.baseline![field.name] ?? null;
      const y = p.candidate![field.name] ?? null;
      let score: number;
      switch (kind) {
        case 'categorical':
          categories.push([category(x), category(y)]);
          score = category(x) === category(y) ? 1 : 0;
          break;
        case 'number': {
          const same = (x === null && y === null) || (typeof x === 'number' && typeof y === 'number' && Math.abs(x - y) < 1e-9);
          if (typeof x === 'number' && typeof y === 'number') absolute += Math.abs(x - y);
          score = same ? 1 : 0;
          break;
        }
        case 'list':
          score = jaccard(items(x), items(y));
          break;
        case 'text':
          score = jaccard(words(x), words(y));
          break;
      }
      total += score;
      if (score < 1 && examples.length < MAX_EXAMPLES) examples.push({ record_id: p.recordId, baseline: x, candidate: y });
    }
    const n = both.length;
    const kappa = kind === 'categorical' ? cohensKappa(categories) : undefined;
    return {
      name: field.name,
      kind,
      agreement: n === 0 ? 0 : round(total / n),
      ...(kappa !== undefined ? { kappa: round(kappa) } : {}),
      ...(kind === 'number' ? { mean_absolute_difference: n === 0 ? 0 : round(absolute / n) } : {}),
      compared: n,
      examples,
    };
  });
}

/** A record and its stratum (the values of the fields the sample is stratified over). */
export interface Stratified {
  readonly recordId: string;
  readonly stratum: string;
}

/**
 * `n` records drawn reproducibly (the same records, seed and n give the same sample), each stratum
 * represented in proportion to its size (largest remainder), in record id order. Within a stratum
 * records are taken in the order of a hash of seed and record id.
 */
export function stratifiedSample(records: readonly Stratified[], n: number, seed: number): string[] {
  if (n >= records.length) return records.map((r) => r.recordId).sort();
  const strata = new Map<string, string[]>();
  for (const r of records) {
    const list = strata.get(r.stratum) ?? [];
    list.push(r.recordId);
    strata.set(r.stratum, list);
  }
  const order = (id: string) => createHash('sha256').update(`${seed}\u0000${id}`).digest('hex');
  const keys = [...strata.keys()].sort();
  const quotas = keys.map((k) => (strata.get(k)!.length * n) / records.length);
  const taken = quotas.map(Math.floor);
  let left = n - taken.reduce((a, b) => a + b, 0);
  const byRemainder = keys.map((_, i) => i).sort((i, j) => quotas[j]! - taken[j]! - (quotas[i]! - taken[i]!) || i - j);
  for (const i of byRemainder) {
    if (left === 0) break;
    taken[i]!++;
    left--;
  }
  const sample: string[] = [];
  keys.forEach((k, i) => {
    const ids = [...strata.get(k)!].sort((a, b) => (order(a) < order(b) ? -1 : 1));
    sample.push(...ids.slice(0, taken[i]));
  });
  return sample.sort();
}
