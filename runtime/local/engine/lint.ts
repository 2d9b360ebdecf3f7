/**
 * The linter: what Workflows refuses at deployment beyond syntax (undefined variables, writes to
 * non-shared variables inside `parallel`, calls with unknown arguments), and what deploys but does
 * not do what it seems to (text around `${...}`, which Workflows does not interpolate).
 *
 * The structural checks (step fields, `next` targets, functions Google does not document, blocking
 * calls inside expressions, limits) are made while compiling the definition; `lintSource` reports
 * every one of them as a finding, not only the first.
 */
import { Step, StepBody, StepList, Subworkflow, Target, Template, Workflow, compileDefinition, readNames } from './definition';
import { Expr, walkExpr } from './expression';
import { STDLIB } from './stdlib';

export interface LintFinding {
  /** `error`: Workflows would refuse it, or it cannot work as written; `warning`: suspicious. */
  readonly severity: 'error' | 'warning';
  /** Which check found it. */
  readonly rule: 'definition' | 'undefined-variable' | 'parallel-write' | 'shared-variable' | 'interpolation' | 'call-arguments';
  /** Whether Google would refuse to deploy the definition because of it. */
  readonly blocksDeployment: boolean;
  readonly message: string;
  readonly file: string;
  readonly subworkflow?: string;
  readonly step?: string;
  readonly line?: number;
}

/**
 * Compiles then lints a definition: every problem the compiler found is a `definition` finding,
 * followed by what the other checks find (in a subworkflow with a step that could not be compiled,
 * undefined variables are not reported, since what that step defines is unknown).
 */
export function lintSource(sourceText: string, fileName = '<workflow>'): LintFinding[] {
  const compiled = compileDefinition(sourceText, fileName);
  const findings: LintFinding[] = compiled.problems.map((err) => ({
    severity: 'error',
    rule: 'definition',
    blocksDeployment: true,
    message: err.reason,
    file: fileName,
    subworkflow: err.subworkflow,
    step: err.step,
    line: err.line,
  }));
  if (compiled.workflow) findings.push(...lintWorkflow(compiled.workflow, compiled.incomplete));
  return findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

interface Guard {
  /** Variables visible outside the parallel step. */
  readonly outer: ReadonlySet<string>;
  readonly shared: ReadonlySet<string>;
}

/**
 * Lints a parsed workflow. Findings are sorted by line.
 *
 * @param skipUndefined subworkflows whose undefined-variable findings are not reported.
 */
export function lintWorkflow(workflow: Workflow, skipUndefined: ReadonlySet<string> = new Set()): LintFinding[] {
  const findings: LintFinding[] = [];
  const file = workflow.fileName;
  for (const t of workflow.textWithExpressions) {
    findings.push({
      severity: 'error',
      rule: 'interpolation',
      blocksDeployment: false,
      message: `${JSON.stringify(t.text.length > 80 ? t.text.slice(0, 77) + '...' : t.text)} has \${ inside a longer string: Workflows does not interpolate it; build the string with + and string() inside one \${...}`,
      file,
      subworkflow: t.subworkflow,
      step: t.step,
      line: t.line,
    });
  }
  for (const sub of workflow.subworkflows.values()) lintSubworkflow(workflow, sub, findings, skipUndefined.has(sub.name));
  return findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

function lintSubworkflow(workflow: Workflow, sub: Subworkflow, findings: LintFinding[], skipUndefined: boolean): void {
  const file = workflow.fileName;
  const report = (rule: LintFinding['rule'], message: string, step: Step, blocksDeployment = true): void => {
    if (rule === 'undefined-variable' && skipUndefined) return;
    findings.push({
      severity: blocksDeployment ? 'error' : 'warning',
      rule,
      blocksDeployment,
      message,
      file,
      subworkflow: sub.name,
      step: step.name,
      line: step.line,
    });
  };

  const checkReads = (e: Expr, visible: ReadonlySet<string>, step: Step): void => {
    for (const name of readNames(e)) {
      if (!visible.has(name)) report('undefined-variable', `variable "${name}" is not defined in ${sub.name}`, step);
    }
    walkExpr(e, (n) => {
      if (n.t !== 'call') return;
      const callee = workflow.subworkflows.get(n.callee);
      const fn = callee ? undefined : STDLIB[n.callee];
      const max = callee ? callee.params.length : fn ? fn.params.length : Infinity;
      const min = callee ? callee.params.filter((p) => !p.hasDefault).length : fn ? fn.required : 0;
      if (n.args.length > max || n.args.length < min) {
        report(
          'call-arguments',
          `${n.callee} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, given ${n.args.length}`,
          step,
        );
      }
    });
  };
  const checkTemplate = (t: Template | undefined, visible: ReadonlySet<string>, step: Step): void => {
    if (!t) return;
    if (t.t === 'expr') checkReads(t.e, visible, step);
    else if (t.t === 'list') t.items.forEach((i) => checkTemplate(i, visible, step));
    else if (t.t === 'map') t.entries.forEach(([, v]) => checkTemplate(v, visible, step));
  };
  const checkWrite = (name: string, visible: ReadonlySet<string>, guards: readonly Guard[], step: Step, pathWrite: boolean): void => {
    if (pathWrite && !visible.has(name))
      report('undefined-variable', `variable "${name}" is not defined, so it cannot be assigned into`, step);
    for (const g of guards) {
      if (g.outer.has(name) && !g.shared.has(name)) {
        report(
          'parallel-write',
          `"${name}" belongs to the scope outside a parallel step; list it in shared to assign it inside a branch or iteration`,
          step,
        );
        return;
      }
    }
  };
  const checkTarget = (t: Target, visible: ReadonlySet<string>, guards: readonly Guard[], step: Step): void => {
    for (const p of t.path) if ('index' in p) checkReads(p.index, visible, step);
    checkWrite(t.root, visible, guards, step, t.path.length > 0);
  };

  /** Names a region assigns, not counting nested for bodies and parallel branches (own scopes). */
  const defined = (list: StepList, out: Set<string>): Set<string> => {
    const fromBody = (b: StepBody | undefined): void => {
      if (!b) return;
      switch (b.k) {
        case 'assign':
          // A write into a path (m.k) needs m to exist already, so it defines nothing.
          b.entries.forEach((e) => e.target.path.length === 0 && out.add(e.target.root));
          break;
        case 'call':
          if (b.result && b.result.path.length === 0) out.add(b.result.root);
          break;
        case 'switch':
          b.cases.forEach((c) => fromBody(c.body));
          break;
        case 'try':
          // Variables created in an except block (and its `as` variable) belong to the block.
          defined(b.body, out);
          break;
        case 'steps':
          defined(b.body, out);
          break;
      }
    };
    list.steps.forEach((s) => fromBody(s.body));
    return out;
  };

  const region = (list: StepList, outer: ReadonlySet<string>, locals: readonly string[], guards: readonly Guard[]): void => {
    const visible = defined(list, new Set([...outer, ...locals]));
    const walkBody = (b: StepBody | undefined, step: Step): void => {
      if (!b) return;
      switch (b.k) {
        case 'assign':
          for (const e of b.entries) {
            checkTemplate(e.value, visible, step);
            checkTarget(e.target, visible, guards, step);
          }
          break;
        case 'call':
          checkTemplate(b.args, visible, step);
          if (b.result) checkTarget(b.result, visible, guards, step);
          checkCallArgs(b, step);
          break;
        case 'switch':
          for (const c of b.cases) {
            checkTemplate(c.condition, visible, step);
            walkBody(c.body, step);
          }
          break;
        case 'for':
          checkTemplate(b.spec.in ?? b.spec.range, visible, step);
          region(b.spec.body, visible, [b.spec.value, ...(b.spec.index ? [b.spec.index] : [])], guards);
          break;
        case 'parallel': {
          for (const name of b.shared) {
            if (!visible.has(name)) report('shared-variable', `shared variable "${name}" must be assigned before the parallel step`, step);
          }
          checkTemplate(b.concurrencyLimit, visible, step);
          const inner = [...guards, { outer: visible, shared: new Set(b.shared) }];
          if (b.branches) for (const br of b.branches) region(br.body, visible, [], inner);
          if (b.for) {
            checkTemplate(b.for.in ?? b.for.range, visible, step);
            region(b.for.body, visible, [b.for.value, ...(b.for.index ? [b.for.index] : [])], inner);
          }
          break;
        }
        case 'try':
          walkList(b.body);
          if (b.retry)
            [b.retry.maxRetries, b.retry.initialDelay, b.retry.maxDelay, b.retry.multiplier].forEach((t) =>
              checkTemplate(t, visible, step),
            );
          if (b.except) region(b.except.body, visible, b.except.as ? [b.except.as] : [], guards);
          break;
        case 'raise':
        case 'return':
          checkTemplate(b.value, visible, step);
          break;
        case 'steps':
          walkList(b.body);
          break;
      }
    };
    const walkList = (l: StepList): void => l.steps.forEach((s) => walkBody(s.body, s));
    walkList(list);
  };

  const checkCallArgs = (b: Extract<StepBody, { k: 'call' }>, step: Step): void => {
    const args = b.args;
    const byName =
      args?.t === 'map' ? args.entries.map(([k]) => k) : args?.t === 'const' && args.v instanceof Map ? [...args.v.keys()] : undefined;
    const byPosition = args?.t === 'list' ? args.items.length : args?.t === 'const' && Array.isArray(args.v) ? args.v.length : undefined;
    if (b.kind === 'subworkflow') {
      const callee = workflow.subworkflows.get(b.callee)!;
      const given = byName ?? [];
      for (const k of given)
        if (!callee.params.some((p) => p.name === k)) report('call-arguments', `${b.callee} has no parameter "${k}"`, step);
      for (const p of callee.params)
        if (!p.hasDefault && !given.includes(p.name)) report('call-arguments', `${b.callee} needs argument "${p.name}"`, step);
    } else if (b.kind === 'stdlib') {
      const fn = STDLIB[b.callee]!;
      if (byPosition !== undefined) {
        if (byPosition < fn.required)
          report(
            'call-arguments',
            `${b.callee} needs at least ${fn.required} argument${fn.required === 1 ? '' : 's'} (${fn.params.slice(0, fn.required).join(', ')}), given ${byPosition}`,
            step,
          );
        return;
      }
      const given = byName ?? [];
      for (const k of given)
        if (!fn.params.includes(k))
          report('call-arguments', `${b.callee} has no argument "${k}" (its arguments are: ${fn.params.join(', ') || 'none'})`, step);
      for (let i = 0; i < fn.required; i++)
        if (!given.includes(fn.params[i]!)) report('call-arguments', `${b.callee} needs argument "${fn.params[i]}"`, step);
    } else if (args?.t === 'map' || (args?.t === 'const' && args.v instanceof Map)) {
      // GA/ "Invoke a connector call": connector_params takes timeout, polling_policy, skip_polling, scopes.
      const params = args.t === 'map' ? args.entries.find(([k]) => k === 'connector_params')?.[1] : undefined;
      const constParams = args.t === 'const' ? (args.v as Map<string, unknown>).get('connector_params') : undefined;
      const keys =
        params?.t === 'map'
          ? params.entries.map(([k]) => k)
          : params?.t === 'const' && params.v instanceof Map
            ? [...params.v.keys()]
            : constParams instanceof Map
              ? [...constParams.keys()]
              : [];
      for (const k of keys) {
        if (!['timeout', 'polling_policy', 'skip_polling', 'scopes'].includes(k)) {
          report(
            'call-arguments',
            `connector_params has no field "${k}" (Google documents timeout, polling_policy, skip_polling and scopes)`,
            step,
            false,
          );
        }
      }
    }
  };

  region(
    sub.body,
    new Set(),
    sub.params.map((p) => p.name),
    [],
  );
}
