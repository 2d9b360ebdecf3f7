/** Shared helpers for the engine's conformance tests. */
import { ExecutionOutcome, RunOptions, parseWorkflow, runWorkflow } from '../../../../runtime/local/engine';

/** Runs a YAML definition with a fixed execution id (so uuid.generate and ids are repeatable). */
export async function run(yaml: string, options: RunOptions = {}): Promise<ExecutionOutcome> {
  return runWorkflow(parseWorkflow(yaml, 'test.yaml'), { executionId: 'test-execution', ...options });
}

/** Runs and expects success; returns the result. */
export async function result(yaml: string, options: RunOptions = {}): Promise<unknown> {
  const out = await run(yaml, options);
  if (out.state !== 'SUCCEEDED') throw new Error(`expected SUCCEEDED, got ${JSON.stringify(out.error)}`);
  return out.result;
}

/** Runs and expects failure; returns the error. */
export async function failure(
  yaml: string,
  options: RunOptions = {},
): Promise<{ message?: string; tags?: string[]; [k: string]: unknown }> {
  const out = await run(yaml, options);
  if (out.state !== 'FAILED') throw new Error(`expected FAILED, got ${JSON.stringify(out.result)}`);
  return out.error as { message?: string; tags?: string[] };
}

/** A YAML double-quoted scalar holding `text`. */
export function q(text: string): string {
  return JSON.stringify(text);
}

/** A workflow whose main assigns `vars` (each an expression text) then returns `${expr}`. */
export function exprWorkflow(expr: string, vars: Record<string, string> = {}): string {
  const assigns = Object.entries(vars).map(([k, v]) => `          - ${k}: ${q('${' + v + '}')}`);
  return [
    'main:',
    '  steps:',
    ...(assigns.length ? ['    - vars:', '        assign:', ...assigns] : []),
    '    - out:',
    `        return: ${q('${' + expr + '}')}`,
  ].join('\n');
}

/** Evaluates one expression; resolves to its value (plain JavaScript) or rejects with the error map. */
export async function evalExpr(expr: string, vars: Record<string, string> = {}): Promise<unknown> {
  const out = await run(exprWorkflow(expr, vars));
  if (out.state === 'FAILED') throw out.error;
  return out.result;
}

/** The tags of the error an expression raises. */
export async function exprTags(expr: string, vars: Record<string, string> = {}): Promise<string[]> {
  const out = await run(exprWorkflow(expr, vars));
  if (out.state !== 'FAILED') throw new Error(`expected ${expr} to fail, got ${JSON.stringify(out.result)}`);
  return (out.error as { tags: string[] }).tags;
}

/** Indents a YAML block. */
export function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');
}
