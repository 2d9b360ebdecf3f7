/**
 * Prop validation: every rule names the prop, the value received, what is allowed and how to fix it.
 * Unresolved tokens are skipped, since their value is known only at deploy time.
 */
import { Token } from 'cdktf';

/** Thrown for an invalid prop; the message is the whole explanation. */
export class PropError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PropError';
  }
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function unresolved(value: unknown): boolean {
  return (typeof value === 'string' || typeof value === 'number') && Token.isUnresolved(value);
}

/** Fails with the standard message. */
export function fail(prop: string, value: unknown, allowed: string, fix?: string): never {
  throw new PropError(`${prop} must be ${allowed}, got ${show(value)}${fix ? `. ${fix}` : ''}`);
}

/** An integer (or any number when `integer` is false) between `min` and `max`, inclusive. */
export function checkRange(
  prop: string,
  value: number | undefined,
  min: number,
  max: number,
  opts: { readonly integer?: boolean; readonly why?: string } = {},
): void {
  if (value === undefined || unresolved(value)) return;
  const integer = opts.integer ?? true;
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
  if (!ok) fail(prop, value, `${integer ? 'an integer' : 'a number'} between ${min} and ${max}${opts.why ? ` (${opts.why})` : ''}`);
}

/** One of a fixed set of values. */
export function checkOneOf<T>(prop: string, value: T | undefined, allowed: readonly T[], why?: string): void {
  if (value === undefined || unresolved(value)) return;
  if (!allowed.includes(value)) fail(prop, value, `one of ${allowed.map(show).join(', ')}${why ? ` (${why})` : ''}`);
}

/** A string matching a pattern, described in words for the message. */
export function checkPattern(prop: string, value: string | undefined, pattern: RegExp, description: string, fix?: string): void {
  if (value === undefined || unresolved(value)) return;
  if (typeof value !== 'string' || !pattern.test(value)) fail(prop, value, description, fix);
}

/** GCP project id: 6-30 characters, lowercase letters, digits and hyphens, starting with a letter. */
export const PROJECT_ID = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/;
/** A region such as `europe-west1` or `us-central1`. */
export const REGION = /^[a-z]+(-[a-z]+)+[0-9]+$/;
/** Resource name prefix: it must leave room for the longest suffix in a 30-character service account id. */
export const NAME_PREFIX = /^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$/;
/** BigQuery dataset id. */
export const DATASET_ID = /^[A-Za-z_][A-Za-z0-9_]{0,1023}$/;
/** A column or table id we accept (portable to DuckDB as well). */
export const IDENTIFIER = /^[a-z][a-z0-9_]{0,127}$/;
/** `project.dataset.table` with BigQuery's allowed characters. */
export const QUALIFIED_TABLE = /^[a-z][-a-z0-9]{4,28}[a-z0-9]\.[A-Za-z_][A-Za-z0-9_]{0,1023}\.[A-Za-z0-9_]{1,1024}$/;
/** Label keys: lowercase letter first, then lowercase letters, digits, `_` and `-`, up to 63. */
export const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
/** Label values: up to 63 lowercase letters, digits, `_` and `-`. */
export const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
/** A five-field unix-cron expression (Cloud Scheduler's format). */
export const CRON = /^\s*(\S+\s+){4}\S+\s*$/;
/** A notification channel resource name. */
export const NOTIFICATION_CHANNEL = /^projects\/[^/]+\/notificationChannels\/[0-9]+$/;
/** A container image reference, without spaces. */
export const IMAGE = /^[a-z0-9][a-z0-9._\-/:@]*$/i;

/** Checks a label map (keys and values), as GCP allows them. */
export function checkLabels(prop: string, labels: Readonly<Record<string, string>> | undefined): void {
  if (!labels) return;
  const entries = Object.entries(labels);
  if (entries.length > 64) fail(prop, `${entries.length} labels`, 'at most 64 labels');
  for (const [key, value] of entries) {
    checkPattern(`${prop} key`, key, LABEL_KEY, 'a label key: a lowercase letter, then up to 62 lowercase letters, digits, _ or -');
    checkPattern(
      `${prop}.${key}`,
      value,
      LABEL_VALUE,
      'a label value: up to 63 lowercase letters, digits, _ or -',
      'GCP labels allow no upper case, spaces or dots',
    );
  }
}
