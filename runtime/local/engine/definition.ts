/**
 * Loading a workflow definition: YAML (or JSON) with line numbers, checked and compiled into a tree
 * of steps whose expressions are already parsed. Everything Workflows would refuse at deployment is
 * refused here with a `WorkflowDefinitionError` that names the step and its line.
 */
import * as YAML from 'yaml';
import { WorkflowDefinitionError } from './errors';
import { Expr, ExpressionSyntaxError, dottedName, parseExpression, walkExpr, wholeExpressionText } from './expression';
import {
  CONNECTOR_NAME,
  DEFAULT_BACKOFF,
  EXPRESSION_CONNECTORS,
  RETRY_POLICIES,
  RetryPolicyName,
  STDLIB,
  STDLIB_OBJECTS,
  UNDOCUMENTED_SIGNATURES,
  isExpressionFunction,
  isStdlibCallable,
  isWaitingFunction,
} from './stdlib';
import { Value, WfMap } from './values';

/** Limits on the definition itself (workflows-language.md, "Limits"). */
export const DEFINITION_LIMITS = {
  sourceBytes: 128 * 1024,
  expressionChars: 400,
  assignmentsPerStep: 50,
  switchConditions: 50,
  branchesPerParallel: 10,
  parallelNesting: 2,
} as const;

/** A value written in the YAML: a constant, an expression, or a list or map of them. */
export type Template =
  | { readonly t: 'const'; readonly v: Value }
  | { readonly t: 'expr'; readonly e: Expr; readonly async: boolean; readonly text: string }
  | { readonly t: 'list'; readonly items: readonly Template[] }
  | { readonly t: 'map'; readonly entries: readonly (readonly [string, Template])[] };

/** An assignment target: a variable and a path into it (`a.b["c"][0]`). */
export interface Target {
  readonly text: string;
  readonly root: string;
  readonly path: readonly ({ readonly key: string } | { readonly index: Expr; readonly async: boolean })[];
}

export interface RetrySpec {
  /** A built-in predicate (`http.default_retry_predicate`, ...) or a subworkflow name. */
  readonly predicate: string;
  readonly maxRetries: Template;
  readonly initialDelay: Template;
  readonly maxDelay: Template;
  readonly multiplier: Template;
}

export interface ForSpec {
  readonly value: string;
  readonly index?: string;
  readonly in?: Template;
  readonly range?: Template;
  readonly body: StepList;
  readonly line: number;
}

export interface SwitchCase {
  readonly condition: Template;
  readonly body?: StepBody;
  readonly next?: string;
  readonly line: number;
}

export type StepBody =
  | { readonly k: 'assign'; readonly entries: readonly { readonly target: Target; readonly value: Template }[] }
  | {
      readonly k: 'call';
      readonly callee: string;
      /** `stdlib` covers every function Google documents, `http.*`, `gke.*` and `events.*` included. */
      readonly kind: 'stdlib' | 'subworkflow' | 'connector';
      /** A map of arguments by name, or (for a standard-library function) a list by position. */
      readonly args?: Template;
      readonly result?: Target;
    }
  | { readonly k: 'switch'; readonly cases: readonly SwitchCase[] }
  | { readonly k: 'for'; readonly spec: ForSpec }
  | {
      readonly k: 'parallel';
      readonly shared: readonly string[];
      readonly concurrencyLimit?: Template;
      readonly branches?: readonly { readonly name: string; readonly body: StepList; readonly line: number }[];
      readonly for?: ForSpec;
    }
  | {
      readonly k: 'try';
      readonly body: StepList;
      readonly retry?: RetrySpec;
      readonly except?: { readonly as?: string; readonly body: StepList };
    }
  | { readonly k: 'raise'; readonly value: Template }
  | { readonly k: 'return'; readonly value: Template }
  | { readonly k: 'steps'; readonly body: StepList }
  | { readonly k: 'none' };

export interface Step {
  readonly name: string;
  readonly line: number;
  readonly subworkflow: string;
  readonly body: StepBody;
  readonly next?: string;
  /** The body of a `try` written inline (`try: {call: ...}`): part of its step, not a step of its own. */
  readonly inline?: boolean;
}

/** A list of steps, with the index of each step name for `next`. */
export interface StepList {
  readonly steps: readonly Step[];
  readonly index: ReadonlyMap<string, number>;
}

export interface Param {
  readonly name: string;
  readonly hasDefault: boolean;
  readonly default: Template | undefined;
}

export interface Subworkflow {
  readonly name: string;
  readonly params: readonly Param[];
  readonly body: StepList;
  readonly line: number;
}

/** Text with `${` inside a longer string: Workflows does not interpolate it. */
export interface TextWithExpression {
  readonly text: string;
  readonly line: number;
  readonly subworkflow: string;
  readonly step?: string;
}

/** A parsed, checked workflow definition, ready to run. */
export interface Workflow {
  readonly fileName: string;
  readonly source: string;
  readonly subworkflows: ReadonlyMap<string, Subworkflow>;
  /** Strings that look like interpolation, which Workflows leaves as plain text (a lint finding). */
  readonly textWithExpressions: readonly TextWithExpression[];
}

const STEP_KEYS = new Set([
  'assign',
  'call',
  'args',
  'result',
  'switch',
  'for',
  'parallel',
  'try',
  'retry',
  'except',
  'raise',
  'return',
  'steps',
  'next',
]);
const BODY_KEYS = ['assign', 'call', 'switch', 'for', 'parallel', 'try', 'raise', 'return', 'steps'];
const SPECIAL_NEXT = new Set(['end', 'break', 'continue']);

type YNode = YAML.Node | null;

interface Ctx {
  readonly doc: YAML.Document;
  readonly file: string;
  readonly lines: YAML.LineCounter;
  readonly subworkflow: string;
  readonly subworkflowNames: ReadonlySet<string>;
  readonly texts: TextWithExpression[];
  /** Every problem found so far: compiling goes on after one, so that all of them are reported. */
  readonly problems: WorkflowDefinitionError[];
  /** Subworkflows with a step that could not be compiled (what it defines is unknown). */
  readonly incomplete: Set<string>;
}

/** Records a problem and goes on; anything that is not a definition problem is a bug and propagates. */
function note(ctx: Ctx, err: unknown): void {
  if (!(err instanceof WorkflowDefinitionError)) throw err;
  ctx.problems.push(err);
}

/** The result of compiling a definition, problems and all. */
export interface CompiledDefinition {
  /** The workflow, runnable only when there are no problems. */
  readonly workflow: Workflow | undefined;
  /** Every problem, in source order. */
  readonly problems: readonly WorkflowDefinitionError[];
  /** Subworkflows in which a step could not be compiled, so what they define is unknown. */
  readonly incomplete: ReadonlySet<string>;
}

interface Scope {
  readonly list: StepList;
  /** A boundary stops `next` from jumping further out (a `for` body, a parallel branch). */
  readonly boundary: 'subworkflow' | 'for' | 'branch' | 'none';
}

/**
 * Parses and checks a workflow definition (YAML or JSON text).
 *
 * @param sourceText the definition.
 * @param fileName used in error messages.
 * @throws WorkflowDefinitionError naming the step and line of the first problem (`lintSource`
 * reports all of them).
 */
export function parseWorkflow(sourceText: string, fileName = '<workflow>'): Workflow {
  const compiled = compileDefinition(sourceText, fileName);
  if (compiled.problems.length > 0) throw compiled.problems[0]!;
  return compiled.workflow!;
}

/** Compiles a definition, collecting every problem instead of stopping at the first. */
export function compileDefinition(sourceText: string, fileName = '<workflow>'): CompiledDefinition {
  const problems: WorkflowDefinitionError[] = [];
  const incomplete = new Set<string>();
  const done = (workflow: Workflow | undefined): CompiledDefinition => ({
    workflow,
    problems: problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
    incomplete,
  });
  if (Buffer.byteLength(sourceText, 'utf8') > DEFINITION_LIMITS.sourceBytes) {
    problems.push(
      new WorkflowDefinitionError(
        `the source is ${Buffer.byteLength(sourceText, 'utf8')} bytes; Workflows allows at most ${DEFINITION_LIMITS.sourceBytes} (ResourceLimitError)`,
        { file: fileName },
      ),
    );
  }
  const lines = new YAML.LineCounter();
  const doc = YAML.parseDocument(sourceText, { lineCounter: lines, intAsBigInt: true, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    for (const err of doc.errors) {
      const line = err.linePos?.[0]?.line ?? lines.linePos(err.pos[0]).line;
      problems.push(new WorkflowDefinitionError(`invalid YAML: ${err.message.split('\n')[0]}`, { file: fileName, line }));
    }
    return done(undefined);
  }
  const root = doc.contents as YNode;
  const texts: TextWithExpression[] = [];
  const subworkflows = new Map<string, Subworkflow>();
  const lineOf = (n: YNode | undefined): number => (n && n.range ? lines.linePos(n.range[0]).line : 1);
  const context = (subworkflow: string, names: ReadonlySet<string>): Ctx => ({
    doc,
    file: fileName,
    lines,
    subworkflow,
    subworkflowNames: names,
    texts,
    problems,
    incomplete,
  });

  if (YAML.isSeq(root)) {
    const ctx = context('main', new Set(['main']));
    try {
      subworkflows.set('main', { name: 'main', params: [], body: compileSteps(root, ctx, [], 'subworkflow', 0), line: lineOf(root) });
    } catch (err) {
      note(ctx, err);
    }
  } else if (YAML.isMap(root)) {
    let entries: [string, YNode, number][];
    try {
      entries = mapEntries(root, { file: fileName, line: lineOf(root) }, lines);
    } catch (err) {
      note(context('main', new Set()), err);
      return done(undefined);
    }
    const names = new Set(entries.map(([k]) => k));
    if (!names.has('main'))
      problems.push(new WorkflowDefinitionError('the definition has no "main" subworkflow', { file: fileName, line: lineOf(root) }));
    for (const [name, node, line] of entries) {
      const ctx = context(name, names);
      try {
        const sub = compileSubworkflow(name, node, line, ctx);
        subworkflows.set(name, sub);
      } catch (err) {
        note(ctx, err);
        incomplete.add(name);
      }
    }
  } else {
    problems.push(
      new WorkflowDefinitionError('a definition is a map of subworkflows or a list of steps', { file: fileName, line: lineOf(root) }),
    );
    return done(undefined);
  }
  return done({ fileName, source: sourceText, subworkflows, textWithExpressions: texts });
}

function compileSubworkflow(name: string, node: YNode, line: number, ctx: Ctx): Subworkflow {
  const where = { file: ctx.file, subworkflow: name, line };
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new WorkflowDefinitionError(`"${name}" is not a valid subworkflow name`, where);
  if (!YAML.isMap(node)) throw new WorkflowDefinitionError(`subworkflow "${name}" must be a map with "steps" (and "params")`, where);
  let params: Param[] = [];
  let body: StepList | undefined;
  for (const [key, value, keyLine] of mapEntries(node, where, ctx.lines)) {
    if (key === 'params') params = compileParams(value, ctx, name, keyLine);
    else if (key === 'steps') body = compileSteps(value, ctx, [], 'subworkflow', 0);
    else
      note(
        ctx,
        new WorkflowDefinitionError(`unknown field "${key}" in subworkflow "${name}" (allowed: params, steps)`, {
          ...where,
          line: keyLine,
        }),
      );
  }
  if (!body) throw new WorkflowDefinitionError(`subworkflow "${name}" has no steps`, where);
  if (name === 'main' && (params.length > 1 || params.some((p) => p.hasDefault))) {
    note(ctx, new WorkflowDefinitionError('main takes at most one parameter (the execution argument), with no default', where));
  }
  return { name, params, body, line };
}

function mapEntries(
  node: YAML.YAMLMap,
  where: { file: string; subworkflow?: string; step?: string; line: number },
  lines: YAML.LineCounter,
): [string, YNode, number][] {
  const out: [string, YNode, number][] = [];
  for (const pair of node.items) {
    const keyNode = pair.key as YNode;
    const line = keyNode?.range ? lines.linePos(keyNode.range[0]).line : where.line;
    if (
      !YAML.isScalar(keyNode) ||
      (typeof keyNode.value !== 'string' &&
        typeof keyNode.value !== 'bigint' &&
        typeof keyNode.value !== 'number' &&
        typeof keyNode.value !== 'boolean')
    ) {
      throw new WorkflowDefinitionError('map keys must be plain strings', { ...where, line });
    }
    out.push([String(keyNode.value), pair.value as YNode, line]);
  }
  return out;
}

function compileParams(node: YNode, ctx: Ctx, name: string, line: number): Param[] {
  const where = { file: ctx.file, subworkflow: name, line };
  if (!YAML.isSeq(node)) throw new WorkflowDefinitionError('params must be a list', where);
  const params: Param[] = [];
  for (const item of node.items as YNode[]) {
    if (YAML.isScalar(item) && typeof item.value === 'string') params.push({ name: item.value, hasDefault: false, default: undefined });
    else if (YAML.isMap(item) && item.items.length === 1) {
      const [[pname, value]] = mapEntries(item, where, ctx.lines);
      params.push({ name: pname!, hasDefault: true, default: compileTemplate(value!, ctx, undefined) });
    } else throw new WorkflowDefinitionError('each param is a name or a one-key map {name: default}', where);
  }
  const seen = new Set<string>();
  for (const p of params) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(p.name)) throw new WorkflowDefinitionError(`"${p.name}" is not a valid parameter name`, where);
    if (seen.has(p.name)) throw new WorkflowDefinitionError(`parameter "${p.name}" is listed twice`, where);
    seen.add(p.name);
  }
  return params;
}

function compileSteps(node: YNode, ctx: Ctx, outer: Scope[], boundary: Scope['boundary'], parallelDepth: number): StepList {
  const line = node?.range ? ctx.lines.linePos(node.range[0]).line : 1;
  if (!YAML.isSeq(node) || node.items.length === 0) {
    throw new WorkflowDefinitionError('steps must be a non-empty list of one-key maps', {
      file: ctx.file,
      subworkflow: ctx.subworkflow,
      line,
    });
  }
  const steps: Step[] = [];
  const index = new Map<string, number>();
  const list: StepList = { steps, index };
  // Names first, so that `next` can jump forward.
  const raw: [string, YNode, number][] = [];
  for (const item of node.items as YNode[]) {
    const itemLine = item?.range ? ctx.lines.linePos(item.range[0]).line : line;
    if (!YAML.isMap(item) || item.items.length !== 1) {
      note(
        ctx,
        new WorkflowDefinitionError('each step is a map with exactly one key, the step name', {
          file: ctx.file,
          subworkflow: ctx.subworkflow,
          line: itemLine,
        }),
      );
      ctx.incomplete.add(ctx.subworkflow);
      continue;
    }
    const [entry] = mapEntries(item, { file: ctx.file, subworkflow: ctx.subworkflow, line: itemLine }, ctx.lines);
    const [name, , nameLine] = entry!;
    if (index.has(name))
      note(
        ctx,
        new WorkflowDefinitionError(`step name "${name}" is used twice in the same list`, {
          file: ctx.file,
          subworkflow: ctx.subworkflow,
          step: name,
          line: nameLine,
        }),
      );
    else if (SPECIAL_NEXT.has(name))
      note(
        ctx,
        new WorkflowDefinitionError(`"${name}" is reserved and cannot name a step`, {
          file: ctx.file,
          subworkflow: ctx.subworkflow,
          step: name,
          line: nameLine,
        }),
      );
    else index.set(name, raw.length);
    raw.push(entry!);
  }
  const scopes = [...outer, { list, boundary }];
  for (const [name, body, nameLine] of raw) {
    try {
      steps.push(compileStep(name, body, nameLine, ctx, scopes, parallelDepth));
    } catch (err) {
      // The step stays in the list as a placeholder, so that the steps after it are still checked.
      note(ctx, err);
      ctx.incomplete.add(ctx.subworkflow);
      steps.push({ name, line: nameLine, subworkflow: ctx.subworkflow, body: { k: 'none' } });
    }
  }
  return list;
}

function compileStep(name: string, node: YNode, line: number, ctx: Ctx, scopes: Scope[], parallelDepth: number): Step {
  const where = { file: ctx.file, subworkflow: ctx.subworkflow, step: name, line };
  if (!YAML.isMap(node)) throw new WorkflowDefinitionError('a step body must be a map', where);
  const fields = new Map<string, [YNode, number]>();
  for (const [key, value, keyLine] of mapEntries(node, where, ctx.lines)) {
    if (!STEP_KEYS.has(key))
      note(
        ctx,
        new WorkflowDefinitionError(`unknown step field "${key}" (allowed: ${[...STEP_KEYS].join(', ')})`, { ...where, line: keyLine }),
      );
    else fields.set(key, [value, keyLine]);
  }
  const body = compileBody(fields, ctx, where, scopes, parallelDepth);
  const next = fields.get('next');
  let nextName: string | undefined;
  if (next) {
    try {
      nextName = scalarString(next[0], 'next', { ...where, line: next[1] });
      checkNext(nextName, scopes, { ...where, line: next[1] });
    } catch (err) {
      note(ctx, err);
      nextName = undefined;
    }
  }
  return { name, line, subworkflow: ctx.subworkflow, body, next: nextName };
}

function compileBody(
  fields: Map<string, [YNode, number]>,
  ctx: Ctx,
  where: { file: string; subworkflow: string; step: string; line: number },
  scopes: Scope[],
  parallelDepth: number,
): StepBody {
  const kinds = BODY_KEYS.filter((k) => fields.has(k));
  if (kinds.length > 1) throw new WorkflowDefinitionError(`a step has one body, found ${kinds.join(' and ')}`, where);
  const dependent: [string, string][] = [
    ['args', 'call'],
    ['result', 'call'],
    ['retry', 'try'],
    ['except', 'try'],
  ];
  for (const [field, needs] of dependent) {
    if (fields.has(field) && !fields.has(needs))
      throw new WorkflowDefinitionError(`"${field}" needs "${needs}" in the same step`, { ...where, line: fields.get(field)![1] });
  }
  const kind = kinds[0];
  if (!kind) return { k: 'none' };
  const [node, line] = fields.get(kind)!;
  const at = { ...where, line };
  switch (kind) {
    case 'assign': {
      if (!YAML.isSeq(node) || node.items.length === 0)
        throw new WorkflowDefinitionError('assign takes a non-empty list of one-key maps', at);
      if (node.items.length > DEFINITION_LIMITS.assignmentsPerStep) {
        note(
          ctx,
          new WorkflowDefinitionError(
            `assign has ${node.items.length} entries; Workflows allows at most ${DEFINITION_LIMITS.assignmentsPerStep} per step`,
            at,
          ),
        );
      }
      const entries = (node.items as YNode[]).map((item) => {
        const itemLine = item?.range ? ctx.lines.linePos(item.range[0]).line : line;
        if (!YAML.isMap(item) || item.items.length !== 1)
          throw new WorkflowDefinitionError('each assign entry is a map with exactly one key', { ...at, line: itemLine });
        const [[key, value]] = mapEntries(item, { ...at, line: itemLine }, ctx.lines);
        return { target: compileTarget(key!, ctx, { ...at, line: itemLine }), value: compileTemplate(value!, ctx, where.step) };
      });
      return { k: 'assign', entries };
    }
    case 'call': {
      const callee = scalarString(node, 'call', at);
      const resultField = fields.get('result');
      const argsField = fields.get('args');
      let calleeKind: 'stdlib' | 'subworkflow' | 'connector';
      if (ctx.subworkflowNames.has(callee)) calleeKind = 'subworkflow';
      else if (isStdlibCallable(callee)) calleeKind = 'stdlib';
      else if (CONNECTOR_NAME.test(callee)) calleeKind = 'connector';
      else {
        note(ctx, new WorkflowDefinitionError(unknownFunction(callee), at));
        calleeKind = 'connector';
      }
      if (argsField) {
        const aat = { ...where, line: argsField[1] };
        // SL/sys/log shows args as a list of values in the order of the function's arguments.
        const positional = calleeKind === 'stdlib' && !STDLIB[callee]!.byNameOnly;
        if (YAML.isSeq(argsField[0])) {
          if (!positional) note(ctx, new WorkflowDefinitionError(`args of ${callee} must be a map of arguments by name`, aat));
          else if (argsField[0].items.length > STDLIB[callee]!.params.length) {
            note(
              ctx,
              new WorkflowDefinitionError(
                `${callee} takes at most ${STDLIB[callee]!.params.length} arguments, given ${argsField[0].items.length}`,
                aat,
              ),
            );
          }
        } else if (!YAML.isMap(argsField[0]))
          note(
            ctx,
            new WorkflowDefinitionError(positional ? 'args must be a map (by name) or a list (by position)' : 'args must be a map', aat),
          );
      }
      return {
        k: 'call',
        callee,
        kind: calleeKind,
        args: argsField ? compileTemplate(argsField[0], ctx, where.step) : undefined,
        result: resultField
          ? compileTarget(scalarString(resultField[0], 'result', { ...where, line: resultField[1] }), ctx, {
              ...where,
              line: resultField[1],
            })
          : undefined,
      };
    }
    case 'switch': {
      if (!YAML.isSeq(node) || node.items.length === 0)
        throw new WorkflowDefinitionError('switch takes a non-empty list of conditions', at);
      if (node.items.length > DEFINITION_LIMITS.switchConditions) {
        note(
          ctx,
          new WorkflowDefinitionError(
            `switch has ${node.items.length} conditions; Workflows allows at most ${DEFINITION_LIMITS.switchConditions}`,
            at,
          ),
        );
      }
      const cases = (node.items as YNode[]).map((item): SwitchCase => {
        const caseLine = item?.range ? ctx.lines.linePos(item.range[0]).line : line;
        const cat = { ...at, line: caseLine };
        if (!YAML.isMap(item)) throw new WorkflowDefinitionError('each switch entry is a map with "condition"', cat);
        const caseFields = new Map<string, [YNode, number]>();
        for (const [key, value, keyLine] of mapEntries(item, cat, ctx.lines)) {
          if (key !== 'condition' && !STEP_KEYS.has(key))
            throw new WorkflowDefinitionError(`unknown field "${key}" in a switch condition`, { ...at, line: keyLine });
          caseFields.set(key, [value, keyLine]);
        }
        const cond = caseFields.get('condition');
        if (!cond) throw new WorkflowDefinitionError('a switch entry needs "condition"', cat);
        caseFields.delete('condition');
        const next = caseFields.get('next');
        caseFields.delete('next');
        let nextName: string | undefined;
        if (next) {
          nextName = scalarString(next[0], 'next', { ...at, line: next[1] });
          checkNext(nextName, scopes, { ...at, line: next[1] });
        }
        const body = caseFields.size > 0 ? compileBody(caseFields, ctx, cat, scopes, parallelDepth) : undefined;
        const condition = compileTemplate(cond[0], ctx, where.step);
        if (condition.t !== 'expr' && !(condition.t === 'const' && typeof condition.v === 'boolean')) {
          throw new WorkflowDefinitionError('a condition must be an expression ${...} or a bool', { ...at, line: cond[1] });
        }
        return { condition, body, next: nextName, line: caseLine };
      });
      return { k: 'switch', cases };
    }
    case 'for':
      return { k: 'for', spec: compileFor(node, ctx, at, scopes, parallelDepth, 'for') };
    case 'parallel': {
      if (parallelDepth >= DEFINITION_LIMITS.parallelNesting) {
        note(
          ctx,
          new WorkflowDefinitionError(`parallel steps nest at most ${DEFINITION_LIMITS.parallelNesting} deep (ParallelNestingError)`, at),
        );
      }
      if (!YAML.isMap(node)) throw new WorkflowDefinitionError('parallel takes a map', at);
      let shared: string[] = [];
      let concurrencyLimit: Template | undefined;
      let branches: { name: string; body: StepList; line: number }[] | undefined;
      let forSpec: ForSpec | undefined;
      for (const [key, value, keyLine] of mapEntries(node, at, ctx.lines)) {
        const kat = { ...at, line: keyLine };
        if (key === 'shared') {
          if (!YAML.isSeq(value) || !value.items.every((x) => YAML.isScalar(x) && typeof x.value === 'string'))
            throw new WorkflowDefinitionError('shared takes a list of variable names', kat);
          shared = (value.items as YAML.Scalar[]).map((x) => x.value as string);
          if (new Set(shared).size !== shared.length) throw new WorkflowDefinitionError('shared lists a variable twice', kat);
        } else if (key === 'concurrency_limit') concurrencyLimit = compileTemplate(value, ctx, where.step);
        else if (key === 'exception_policy') {
          if (scalarString(value, 'exception_policy', kat) !== 'continueAll')
            throw new WorkflowDefinitionError('exception_policy can only be continueAll', kat);
        } else if (key === 'branches') {
          if (!YAML.isSeq(value) || value.items.length < 2)
            throw new WorkflowDefinitionError('branches takes a list of at least 2 branches', kat);
          if (value.items.length > DEFINITION_LIMITS.branchesPerParallel) {
            note(
              ctx,
              new WorkflowDefinitionError(
                `a parallel step has at most ${DEFINITION_LIMITS.branchesPerParallel} branches, found ${value.items.length}`,
                kat,
              ),
            );
          }
          const names = new Set<string>();
          branches = (value.items as YNode[]).map((item) => {
            const bline = item?.range ? ctx.lines.linePos(item.range[0]).line : keyLine;
            if (!YAML.isMap(item) || item.items.length !== 1)
              throw new WorkflowDefinitionError('each branch is a one-key map {name: {steps: [...]}}', { ...at, line: bline });
            const [[bname, bnode]] = mapEntries(item, { ...at, line: bline }, ctx.lines);
            if (names.has(bname!)) throw new WorkflowDefinitionError(`branch name "${bname}" is used twice`, { ...at, line: bline });
            names.add(bname!);
            if (!YAML.isMap(bnode) || bnode.items.length !== 1 || !bnode.has('steps')) {
              throw new WorkflowDefinitionError(`branch "${bname}" must be {steps: [...]}`, { ...at, step: bname, line: bline });
            }
            return {
              name: bname!,
              body: compileSteps(bnode.get('steps', true) as YNode, ctx, scopes, 'branch', parallelDepth + 1),
              line: bline,
            };
          });
        } else if (key === 'for') forSpec = compileFor(value, ctx, kat, scopes, parallelDepth + 1, 'branch');
        else
          throw new WorkflowDefinitionError(
            `unknown field "${key}" in parallel (allowed: shared, concurrency_limit, exception_policy, branches, for)`,
            kat,
          );
      }
      if (!branches === !forSpec) throw new WorkflowDefinitionError('parallel takes either branches or for', at);
      for (const s of shared)
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) throw new WorkflowDefinitionError(`"${s}" is not a variable name`, at);
      return { k: 'parallel', shared, concurrencyLimit, branches, for: forSpec };
    }
    case 'try': {
      let body: StepList;
      if (YAML.isSeq(node)) body = compileSteps(node, ctx, scopes, 'none', parallelDepth);
      else if (YAML.isMap(node) && node.items.length === 1 && node.has('steps'))
        body = compileSteps(node.get('steps', true) as YNode, ctx, scopes, 'none', parallelDepth);
      else {
        // A single step body: run as a one-step list named after the step.
        const single = compileStep(where.step, node, line, ctx, scopes, parallelDepth);
        body = { steps: [{ ...single, inline: true }], index: new Map() };
      }
      const retryField = fields.get('retry');
      const exceptField = fields.get('except');
      const retry = retryField ? compileRetry(retryField[0], ctx, { ...where, line: retryField[1] }) : undefined;
      let except: { as?: string; body: StepList } | undefined;
      if (exceptField) {
        const eat = { ...where, line: exceptField[1] };
        if (!YAML.isMap(exceptField[0])) throw new WorkflowDefinitionError('except takes {as, steps}', eat);
        let as: string | undefined;
        let ebody: StepList | undefined;
        for (const [key, value, keyLine] of mapEntries(exceptField[0], eat, ctx.lines)) {
          if (key === 'as') as = scalarString(value, 'as', { ...where, line: keyLine });
          else if (key === 'steps') ebody = compileSteps(value, ctx, scopes, 'none', parallelDepth);
          else throw new WorkflowDefinitionError(`unknown field "${key}" in except (allowed: as, steps)`, { ...where, line: keyLine });
        }
        if (!ebody) throw new WorkflowDefinitionError('except needs steps', eat);
        except = { as, body: ebody };
      }
      return { k: 'try', body, retry, except };
    }
    case 'raise':
      return { k: 'raise', value: compileTemplate(node, ctx, where.step) };
    case 'return':
      // Our choice: Google's pages do not say what return means inside a branch, so it is refused.
      if (insideBranch(scopes))
        throw new WorkflowDefinitionError(
          'return is not allowed inside a parallel branch or iteration; assign a shared variable instead',
          at,
        );
      return { k: 'return', value: compileTemplate(node, ctx, where.step) };
    case 'steps':
      return { k: 'steps', body: compileSteps(node, ctx, scopes, 'none', parallelDepth) };
  }
  throw new WorkflowDefinitionError(`unsupported step kind ${kind}`, at);
}

function compileFor(
  node: YNode,
  ctx: Ctx,
  at: { file: string; subworkflow: string; step: string; line: number },
  scopes: Scope[],
  parallelDepth: number,
  boundary: 'for' | 'branch',
): ForSpec {
  if (!YAML.isMap(node)) throw new WorkflowDefinitionError('for takes a map {value, index?, in | range, steps}', at);
  let value: string | undefined;
  let indexName: string | undefined;
  let inT: Template | undefined;
  let range: Template | undefined;
  let stepsNode: YNode | undefined;
  for (const [key, v, keyLine] of mapEntries(node, at, ctx.lines)) {
    const kat = { ...at, line: keyLine };
    if (key === 'value') value = scalarString(v, 'value', kat);
    else if (key === 'index') indexName = scalarString(v, 'index', kat);
    else if (key === 'in') inT = compileTemplate(v, ctx, at.step);
    else if (key === 'range') {
      range = compileTemplate(v, ctx, at.step);
      if (range.t === 'list' && range.items.length !== 2) throw new WorkflowDefinitionError('range takes [start, end]', kat);
      if (range.t === 'const' && !(Array.isArray(range.v) && range.v.length === 2))
        throw new WorkflowDefinitionError('range takes [start, end]', kat);
    } else if (key === 'steps') stepsNode = v;
    else throw new WorkflowDefinitionError(`unknown field "${key}" in for (allowed: value, index, in, range, steps)`, kat);
  }
  if (!value) throw new WorkflowDefinitionError('for needs value (the loop variable)', at);
  if (!inT === !range) throw new WorkflowDefinitionError('for takes either in or range', at);
  if (stepsNode === undefined) throw new WorkflowDefinitionError('for needs steps', at);
  for (const n of [value, indexName])
    if (n !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) throw new WorkflowDefinitionError(`"${n}" is not a variable name`, at);
  const body = compileSteps(stepsNode, ctx, scopes, boundary, parallelDepth);
  return { value, index: indexName, in: inT, range, body, line: at.line };
}

function compileRetry(node: YNode, ctx: Ctx, at: { file: string; subworkflow: string; step: string; line: number }): RetrySpec {
  if (YAML.isScalar(node) && typeof node.value === 'string') {
    const inner = wholeExpressionText(node.value)?.trim();
    const policy = inner !== undefined ? RETRY_POLICIES[inner as RetryPolicyName] : undefined;
    if (!policy)
      throw new WorkflowDefinitionError(
        `retry must be a policy map or one of ${Object.keys(RETRY_POLICIES)
          .map((p) => `\${${p}}`)
          .join(', ')}`,
        at,
      );
    return {
      predicate: policy.predicate,
      maxRetries: { t: 'const', v: BigInt(policy.maxRetries) },
      initialDelay: { t: 'const', v: policy.initialDelay },
      maxDelay: { t: 'const', v: policy.maxDelay },
      multiplier: { t: 'const', v: policy.multiplier },
    };
  }
  if (!YAML.isMap(node))
    throw new WorkflowDefinitionError('retry takes a policy map {predicate, max_retries, backoff} or a built-in policy', at);
  let predicate: string | undefined;
  let maxRetries: Template | undefined;
  let backoff: Map<string, Template> | undefined;
  for (const [key, v, keyLine] of mapEntries(node, at, ctx.lines)) {
    const kat = { ...at, line: keyLine };
    if (key === 'predicate') {
      const text = scalarString(v, 'predicate', kat);
      const inner = wholeExpressionText(text)?.trim();
      if (inner === undefined || !/^[A-Za-z_][A-Za-z0-9_.]*$/.test(inner))
        throw new WorkflowDefinitionError('predicate must be ${name} of a subworkflow or a built-in predicate', kat);
      if (!ctx.subworkflowNames.has(inner) && !isStdlibCallable(inner))
        throw new WorkflowDefinitionError(`unknown predicate "${inner}"`, kat);
      predicate = inner;
    } else if (key === 'max_retries') maxRetries = compileTemplate(v, ctx, at.step);
    else if (
      key === 'backoff' &&
      YAML.isScalar(v) &&
      typeof v.value === 'string' &&
      wholeExpressionText(v.value)?.trim() === 'retry.default_backoff'
    ) {
      backoff = new Map<string, Template>([
        ['initial_delay', { t: 'const', v: DEFAULT_BACKOFF.initialDelay }],
        ['max_delay', { t: 'const', v: DEFAULT_BACKOFF.maxDelay }],
        ['multiplier', { t: 'const', v: DEFAULT_BACKOFF.multiplier }],
      ]);
    } else if (key === 'backoff') {
      if (!YAML.isMap(v))
        throw new WorkflowDefinitionError('backoff takes {initial_delay, max_delay, multiplier} or ${retry.default_backoff}', kat);
      backoff = new Map();
      for (const [bk, bv, bl] of mapEntries(v, kat, ctx.lines)) {
        if (!['initial_delay', 'max_delay', 'multiplier'].includes(bk))
          throw new WorkflowDefinitionError(`unknown field "${bk}" in backoff`, { ...at, line: bl });
        backoff.set(bk, compileTemplate(bv, ctx, at.step));
      }
    } else throw new WorkflowDefinitionError(`unknown field "${key}" in retry (allowed: predicate, max_retries, backoff)`, kat);
  }
  if (!predicate) throw new WorkflowDefinitionError('a retry policy needs a predicate', at);
  if (!maxRetries) throw new WorkflowDefinitionError('a retry policy needs max_retries', at);
  if (!backoff || !backoff.has('initial_delay') || !backoff.has('max_delay') || !backoff.has('multiplier')) {
    // Our choice: Google documents defaults only in secondary sources, so a custom policy must say them.
    throw new WorkflowDefinitionError('a retry policy needs backoff {initial_delay, max_delay, multiplier}', at);
  }
  return {
    predicate,
    maxRetries,
    initialDelay: backoff.get('initial_delay')!,
    maxDelay: backoff.get('max_delay')!,
    multiplier: backoff.get('multiplier')!,
  };
}

function insideBranch(scopes: Scope[]): boolean {
  for (let i = scopes.length - 1; i >= 0; i--) {
    if (scopes[i]!.boundary === 'branch') return true;
    if (scopes[i]!.boundary === 'subworkflow') return false;
  }
  return false;
}

function checkNext(target: string, scopes: Scope[], at: { file: string; subworkflow: string; step: string; line: number }): void {
  if (target === 'end') {
    if (insideBranch(scopes)) throw new WorkflowDefinitionError('next: end is not allowed inside a parallel branch or iteration', at);
    return;
  }
  if (target === 'break' || target === 'continue') {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const b = scopes[i]!.boundary;
      if (b === 'for') return;
      if (b === 'branch') {
        if (target === 'continue') return;
        throw new WorkflowDefinitionError('break is not allowed in a parallel branch or iteration', at);
      }
      if (b === 'subworkflow') break;
    }
    throw new WorkflowDefinitionError(`next: ${target} is only allowed inside a for loop`, at);
  }
  for (let i = scopes.length - 1; i >= 0; i--) {
    const s = scopes[i]!;
    if (s.list.index.has(target)) return;
    if (s.boundary !== 'none') break;
  }
  throw new WorkflowDefinitionError(
    `next: "${target}" is not a step in reach (a step of this list or of an enclosing one, not across a for or parallel boundary)`,
    at,
  );
}

function scalarString(node: YNode, field: string, at: { file: string; subworkflow?: string; step?: string; line: number }): string {
  if (!YAML.isScalar(node) || typeof node.value !== 'string') throw new WorkflowDefinitionError(`${field} must be a string`, at);
  return node.value;
}

function compileTarget(text: string, ctx: Ctx, at: { file: string; subworkflow: string; step: string; line: number }): Target {
  let e: Expr;
  try {
    e = parseExpression(text);
  } catch (err) {
    throw new WorkflowDefinitionError(`"${text}" is not an assignment target: ${(err as Error).message}`, at);
  }
  const path: Target['path'][number][] = [];
  for (;;) {
    if (e.t === 'var') {
      path.reverse();
      for (const p of path) if ('index' in p) checkExprCalls(p.index, ctx, at);
      return { text, root: e.name, path };
    }
    if (e.t === 'member') {
      path.push({ key: e.name });
      e = e.obj;
    } else if (e.t === 'index') {
      path.push({ index: e.index, async: hasAsyncCall(e.index, ctx) });
      e = e.obj;
    } else throw new WorkflowDefinitionError(`"${text}" is not an assignment target (a variable, then .key or [index])`, at);
  }
}

/** Compiles a YAML value into a template, parsing every whole `${...}` string. */
export function compileTemplate(node: YNode, ctx: Ctx, step: string | undefined): Template {
  // A YAML alias (*name) stands for the value its anchor (&name) marks.
  if (YAML.isAlias(node)) node = (node.resolve(ctx.doc) as YNode | undefined) ?? null;
  const line = node?.range ? ctx.lines.linePos(node.range[0]).line : 1;
  const at = { file: ctx.file, subworkflow: ctx.subworkflow, step, line };
  if (node === null || YAML.isScalar(node)) {
    const v = node === null ? null : node.value;
    if (typeof v === 'string') {
      const inner = wholeExpressionText(v);
      if (inner !== undefined) {
        if (inner.length > DEFINITION_LIMITS.expressionChars) {
          note(
            ctx,
            new WorkflowDefinitionError(
              `an expression is ${inner.length} characters; Workflows allows at most ${DEFINITION_LIMITS.expressionChars}`,
              at,
            ),
          );
        }
        let e: Expr;
        try {
          e = parseExpression(inner);
        } catch (err) {
          if (!(err instanceof ExpressionSyntaxError)) throw err;
          note(ctx, new WorkflowDefinitionError(err.message, at));
          return { t: 'const', v: null };
        }
        checkExprCalls(e, ctx, at);
        return { t: 'expr', e, async: hasAsyncCall(e, ctx), text: inner };
      }
      if (v.includes('${')) ctx.texts.push({ text: v, line, subworkflow: ctx.subworkflow, step });
      return { t: 'const', v };
    }
    if (v === null || v === undefined) return { t: 'const', v: null };
    if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return { t: 'const', v };
    throw new WorkflowDefinitionError(`unsupported YAML value ${String(v)}`, at);
  }
  if (YAML.isSeq(node)) {
    const items = (node.items as YNode[]).map((n) => compileTemplate(n, ctx, step));
    return items.every((i) => i.t === 'const') ? { t: 'const', v: items.map((i) => (i as { v: Value }).v) } : { t: 'list', items };
  }
  if (YAML.isMap(node)) {
    const entries = mapEntries(node, at, ctx.lines).map(([k, v]) => [k, compileTemplate(v, ctx, step)] as const);
    if (entries.every(([, t]) => t.t === 'const')) {
      const m: WfMap = new Map();
      for (const [k, t] of entries) m.set(k, (t as { v: Value }).v);
      return { t: 'const', v: m };
    }
    return { t: 'map', entries };
  }
  throw new WorkflowDefinitionError('unsupported YAML node (aliases and tags are not part of the Workflows syntax)', at);
}

function unknownFunction(name: string): string {
  if (Object.prototype.hasOwnProperty.call(UNDOCUMENTED_SIGNATURES, name))
    return `${UNDOCUMENTED_SIGNATURES[name]}, so the engine cannot call it`;
  if ((STDLIB_OBJECTS as readonly string[]).includes(name)) return `${name} is an object (a retry policy or backoff), not a function`;
  if (name.startsWith('googleapis.')) return `"${name}" is not a connector method name (googleapis.SERVICE.VERSION.RESOURCE.METHOD)`;
  return `unknown function "${name}": it is neither a subworkflow nor a function of Google's Workflows standard library`;
}

function checkExprCalls(e: Expr, ctx: Ctx, at: { file: string; subworkflow?: string; step?: string; line: number }): void {
  walkExpr(e, (n) => {
    if (n.t !== 'call') return;
    const name = n.callee;
    if (ctx.subworkflowNames.has(name) || isExpressionFunction(name)) return;
    if (Object.prototype.hasOwnProperty.call(EXPRESSION_CONNECTORS, name)) {
      const params = EXPRESSION_CONNECTORS[name]!;
      if (n.args.length > params.length)
        note(
          ctx,
          new WorkflowDefinitionError(
            `${name} takes at most ${params.length} arguments (${params.join(', ')}), given ${n.args.length}`,
            at,
          ),
        );
      return;
    }
    // SX/expressions: blocking calls (googleapis.*, http.*, sys.log, sys.sleep, events.await_callback,
    // experimental.executions.run/map) must be made from a call step. Our choice: gke.* too.
    if (isStdlibCallable(name) || CONNECTOR_NAME.test(name) || name.startsWith('gke.')) {
      note(ctx, new WorkflowDefinitionError(`${name} is a blocking call: make it from a call step, not inside an expression`, at));
      return;
    }
    note(ctx, new WorkflowDefinitionError(unknownFunction(name), at));
  });
}

function hasAsyncCall(e: Expr, ctx: Ctx): boolean {
  let found = false;
  walkExpr(e, (n) => {
    if (n.t === 'call' && (ctx.subworkflowNames.has(n.callee) || isWaitingFunction(n.callee))) found = true;
  });
  return found;
}

/** Every variable name an expression reads (its free names). */
export function readNames(e: Expr): string[] {
  const out: string[] = [];
  walkExpr(e, (n) => {
    if (n.t === 'var') out.push(n.name);
  });
  return out;
}

export { dottedName };
