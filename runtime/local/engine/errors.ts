/**
 * The two kinds of failure: a definition that Workflows would refuse to deploy
 * (`WorkflowDefinitionError`), and an error raised while an execution runs (a value, usually an error
 * map `{message, tags, ...}`, carried by `WorkflowRaise`).
 */
import { Value, WfMap, fromJs } from './values';

/** Every error tag Google documents (workflows-language.md, "Errors"). */
export const ERROR_TAGS = [
  'AuthError',
  'ConnectionError',
  'ConnectionFailedError',
  'HttpError',
  'IndexError',
  'KeyError',
  'OperationError',
  'ParallelNestingError',
  'RecursionError',
  'ResourceLimitError',
  'ResponseTypeError',
  'SystemError',
  'TimeoutError',
  'TypeError',
  'UnhandledBranchError',
  'ValueError',
  'ZeroDivisionError',
] as const;

export type ErrorTag = (typeof ERROR_TAGS)[number];

/** Where in a definition something is: the step (if any), its subworkflow and its line (1-based). */
export interface SourceLocation {
  readonly file?: string;
  readonly subworkflow?: string;
  readonly step?: string;
  readonly line?: number;
}

/**
 * A definition that Workflows would reject at deployment: bad YAML, an unknown step field, a `next`
 * to a missing step, an unknown function, a limit on the source broken.
 */
export class WorkflowDefinitionError extends Error {
  readonly file?: string;
  readonly subworkflow?: string;
  readonly step?: string;
  readonly line?: number;
  /** The message without the location prefix. */
  readonly reason: string;

  constructor(reason: string, where: SourceLocation = {}) {
    super(`${formatLocation(where)}${reason}`);
    this.name = 'WorkflowDefinitionError';
    this.reason = reason;
    this.file = where.file;
    this.subworkflow = where.subworkflow;
    this.step = where.step;
    this.line = where.line;
  }
}

export function formatLocation(where: SourceLocation): string {
  const parts: string[] = [];
  if (where.file || where.line) parts.push(`${where.file ?? '<workflow>'}${where.line ? `:${where.line}` : ''}`);
  if (where.step) parts.push(`step "${where.step}"`);
  else if (where.subworkflow) parts.push(`subworkflow "${where.subworkflow}"`);
  return parts.length ? parts.join(': ') + ': ' : '';
}

/** A raised Workflows error: `value` is what `except: {as: e}` binds (a map or a string). */
export class WorkflowRaise {
  constructor(readonly value: Value) {}
}

/**
 * An error that ends the execution whatever `try` says: the step limit, the memory limit and the
 * other resource limits. (Our choice: Google does not document whether they can be caught; failing is
 * the safe reading, since a workflow that relies on catching them would not run on Google either way.)
 */
export class FatalWorkflowError {
  constructor(readonly value: WfMap) {}
}

/** Builds an error map `{message, tags}` plus any extra fields. */
export function errorMap(tag: ErrorTag | readonly ErrorTag[], message: string, extra: Record<string, unknown> = {}): WfMap {
  const m: WfMap = new Map();
  m.set('message', message);
  m.set('tags', (typeof tag === 'string' ? [tag] : [...tag]) as Value[]);
  for (const [k, v] of Object.entries(extra)) m.set(k, fromJs(v));
  return m;
}

/** Throws a catchable error map. */
export function raise(tag: ErrorTag | readonly ErrorTag[], message: string, extra?: Record<string, unknown>): never {
  throw new WorkflowRaise(errorMap(tag, message, extra));
}

/** Throws an uncatchable error map (a broken limit). */
export function fatal(tag: ErrorTag, message: string): never {
  throw new FatalWorkflowError(errorMap(tag, message));
}
