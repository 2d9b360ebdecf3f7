/**
 * The Workflows expression language: a tokenizer, a precedence-climbing parser and two evaluators
 * (a synchronous one, and an asynchronous one for expressions that call subworkflows or blocking
 * functions).
 *
 * Precedence, highest first (workflows-language.md): `( )`, `.`, `[ ]`, `not`, unary `-`,
 * `* / // %`, `+ -`, `< <= >= > == != in not in` (one level, left to right), `and`, `or`.
 * So `not a == b` is `(not a) == b`, `-2 * 3` is `(-2) * 3` and `a or b and c` is `a or (b and c)`.
 */
import { raise } from './errors';
import { INT64_MAX, INT64_MIN, Value, WfMap, describe, isNumber, typeName, valuesEqual } from './values';

/** A node of a parsed expression. */
export type Expr =
  | { readonly t: 'lit'; readonly v: Value }
  | { readonly t: 'var'; readonly name: string }
  | { readonly t: 'member'; readonly obj: Expr; readonly name: string }
  | { readonly t: 'index'; readonly obj: Expr; readonly index: Expr }
  | { readonly t: 'call'; readonly callee: string; readonly args: readonly Expr[] }
  | { readonly t: 'neg' | 'not'; readonly arg: Expr }
  | { readonly t: 'bin'; readonly op: BinaryOp; readonly l: Expr; readonly r: Expr }
  | { readonly t: 'and' | 'or'; readonly l: Expr; readonly r: Expr }
  | { readonly t: 'list'; readonly items: readonly Expr[] }
  | { readonly t: 'map'; readonly entries: readonly (readonly [Expr, Expr])[] };

export type BinaryOp = '+' | '-' | '*' | '/' | '//' | '%' | '<' | '<=' | '>' | '>=' | '==' | '!=' | 'in' | 'not in';

/** A syntax error in an expression; the loader turns it into a `WorkflowDefinitionError`. */
export class ExpressionSyntaxError extends Error {
  constructor(
    message: string,
    readonly text: string,
  ) {
    super(`${message} in expression \${${text}}`);
    this.name = 'ExpressionSyntaxError';
  }
}

type Token =
  | { k: 'num'; v: bigint | number; at: number }
  | { k: 'str'; v: string; at: number }
  | { k: 'id'; v: string; at: number }
  | { k: 'kw'; v: 'and' | 'or' | 'not' | 'in' | 'true' | 'false' | 'null'; at: number }
  | { k: 'op'; v: string; at: number }
  | { k: 'eof'; at: number };

const KEYWORDS: Record<string, 'and' | 'or' | 'not' | 'in' | 'true' | 'false' | 'null'> = {
  and: 'and',
  AND: 'and',
  or: 'or',
  OR: 'or',
  not: 'not',
  NOT: 'not',
  in: 'in',
  IN: 'in',
  true: 'true',
  True: 'true',
  TRUE: 'true',
  false: 'false',
  False: 'false',
  FALSE: 'false',
  null: 'null',
};

const OPERATORS = ['//', '==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '%', '(', ')', '[', ']', '{', '}', ',', ':', '.'];

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c >= '0' && c <= '9') {
      const m = /^(\d+)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i))!;
      if (m[2] === undefined && m[3] === undefined) {
        const n = BigInt(m[1]!);
        if (n > INT64_MAX + 1n) throw new ExpressionSyntaxError(`integer literal ${m[0]} does not fit in 64 bits`, text);
        out.push({ k: 'num', v: n, at: i });
      } else out.push({ k: 'num', v: Number(m[0]), at: i });
      i += m[0].length;
      if (/[A-Za-z_]/.test(text[i] ?? '')) throw new ExpressionSyntaxError(`unexpected "${text[i]}" after a number`, text);
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      for (;;) {
        if (j >= text.length) throw new ExpressionSyntaxError('unterminated string', text);
        const d = text[j]!;
        if (d === c) break;
        if (d === '\\') {
          const e = text[j + 1];
          const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", '/': '/', b: '\b', f: '\f' };
          if (e !== undefined && simple[e] !== undefined) {
            s += simple[e];
            j += 2;
          } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(j + 2, j + 6))) {
            s += String.fromCharCode(parseInt(text.slice(j + 2, j + 6), 16));
            j += 6;
          } else throw new ExpressionSyntaxError(`unknown escape \\${e ?? ''}`, text);
          continue;
        }
        s += d;
        j++;
      }
      out.push({ k: 'str', v: s, at: i });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))!;
      const word = m[0];
      const kw = Object.prototype.hasOwnProperty.call(KEYWORDS, word) ? KEYWORDS[word] : undefined;
      if (kw) out.push({ k: 'kw', v: kw, at: i });
      else {
        if (/^(and|or|not|in|true|false|null)$/i.test(word)) {
          throw new ExpressionSyntaxError(`"${word}": keywords are all lower case or all upper case`, text);
        }
        out.push({ k: 'id', v: word, at: i });
      }
      i += word.length;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (!op) throw new ExpressionSyntaxError(`unexpected character "${c}"`, text);
    out.push({ k: 'op', v: op, at: i });
    i += op.length;
  }
  out.push({ k: 'eof', at: text.length });
  return out;
}

/** Parses the text between `${` and `}`. */
export function parseExpression(text: string): Expr {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (): Token => tokens[pos]!;
  const isOp = (v: string): boolean => {
    const t = tokens[pos]!;
    return t.k === 'op' && t.v === v;
  };
  const isKw = (v: string, offset = 0): boolean => {
    const t = tokens[pos + offset]!;
    return t.k === 'kw' && t.v === v;
  };
  const expectOp = (v: string): void => {
    if (!isOp(v)) throw new ExpressionSyntaxError(`expected "${v}" at ${describeToken(peek())}`, text);
    pos++;
  };
  const describeToken = (t: Token): string => (t.k === 'eof' ? 'the end' : `"${String(t.v)}" (offset ${t.at})`);

  const parseOr = (): Expr => {
    let l = parseAnd();
    while (isKw('or')) {
      pos++;
      l = { t: 'or', l, r: parseAnd() };
    }
    return l;
  };
  const parseAnd = (): Expr => {
    let l = parseCmp();
    while (isKw('and')) {
      pos++;
      l = { t: 'and', l, r: parseCmp() };
    }
    return l;
  };
  const CMP = new Set(['<', '<=', '>', '>=', '==', '!=']);
  const parseCmp = (): Expr => {
    let l = parseAdd();
    for (;;) {
      const t = peek();
      if (t.k === 'op' && CMP.has(t.v)) {
        pos++;
        l = { t: 'bin', op: t.v as BinaryOp, l, r: parseAdd() };
      } else if (isKw('in')) {
        pos++;
        l = { t: 'bin', op: 'in', l, r: parseAdd() };
      } else if (isKw('not') && isKw('in', 1)) {
        pos += 2;
        l = { t: 'bin', op: 'not in', l, r: parseAdd() };
      } else return l;
    }
  };
  const parseAdd = (): Expr => {
    let l = parseMul();
    while (isOp('+') || isOp('-')) {
      const op = (tokens[pos++] as { v: string }).v as BinaryOp;
      l = { t: 'bin', op, l, r: parseMul() };
    }
    return l;
  };
  const parseMul = (): Expr => {
    let l = parseUnary();
    while (isOp('*') || isOp('/') || isOp('//') || isOp('%')) {
      const op = (tokens[pos++] as { v: string }).v as BinaryOp;
      l = { t: 'bin', op, l, r: parseUnary() };
    }
    return l;
  };
  const parseUnary = (): Expr => {
    if (isOp('-')) {
      pos++;
      const n = peek();
      const after = tokens[pos + 1]!;
      if (n.k === 'num' && !(after.k === 'op' && (after.v === '.' || after.v === '[' || after.v === '('))) {
        pos++;
        return { t: 'lit', v: typeof n.v === 'bigint' ? -n.v : -n.v };
      }
      const arg = parseUnary();
      // A negative literal is folded so that -9223372036854775808 is a valid int.
      if (arg.t === 'lit' && typeof arg.v === 'bigint') return { t: 'lit', v: -arg.v };
      if (arg.t === 'lit' && typeof arg.v === 'number') return { t: 'lit', v: -arg.v };
      return { t: 'neg', arg };
    }
    if (isKw('not')) {
      pos++;
      return { t: 'not', arg: parseUnary() };
    }
    const e = parsePostfix();
    if (e.t === 'lit' && e.v === INT64_MAX + 1n) throw new ExpressionSyntaxError('integer literal does not fit in 64 bits', text);
    return e;
  };
  const parsePostfix = (): Expr => {
    let e = parsePrimary();
    for (;;) {
      if (isOp('.')) {
        pos++;
        const t = peek();
        if (t.k !== 'id' && t.k !== 'kw') throw new ExpressionSyntaxError(`expected a name after "." at ${describeToken(t)}`, text);
        pos++;
        e = { t: 'member', obj: e, name: String(t.v) };
      } else if (isOp('[')) {
        pos++;
        const index = parseOr();
        expectOp(']');
        e = { t: 'index', obj: e, index };
      } else if (isOp('(')) {
        const callee = dottedName(e);
        if (!callee) throw new ExpressionSyntaxError('only named functions can be called', text);
        pos++;
        const args: Expr[] = [];
        if (!isOp(')')) {
          for (;;) {
            args.push(parseOr());
            if (isOp(',')) pos++;
            else break;
          }
        }
        expectOp(')');
        e = { t: 'call', callee, args };
      } else return e;
    }
  };
  const parsePrimary = (): Expr => {
    const t = peek();
    pos++;
    switch (t.k) {
      case 'num':
      case 'str':
        return { t: 'lit', v: t.v };
      case 'id':
        return { t: 'var', name: t.v };
      case 'kw':
        if (t.v === 'true') return { t: 'lit', v: true };
        if (t.v === 'false') return { t: 'lit', v: false };
        if (t.v === 'null') return { t: 'lit', v: null };
        break;
      case 'op':
        if (t.v === '(') {
          const e = parseOr();
          expectOp(')');
          return e;
        }
        if (t.v === '[') {
          const items: Expr[] = [];
          if (!isOp(']')) {
            for (;;) {
              items.push(parseOr());
              if (isOp(',')) pos++;
              else break;
            }
          }
          expectOp(']');
          return { t: 'list', items };
        }
        if (t.v === '{') {
          const entries: (readonly [Expr, Expr])[] = [];
          if (!isOp('}')) {
            for (;;) {
              const k = parseOr();
              expectOp(':');
              entries.push([k, parseOr()]);
              if (isOp(',')) pos++;
              else break;
            }
          }
          expectOp('}');
          return { t: 'map', entries };
        }
        break;
      case 'eof':
        throw new ExpressionSyntaxError('unexpected end', text);
    }
    throw new ExpressionSyntaxError(`unexpected ${describeToken(t)}`, text);
  };

  if (peek().k === 'eof') throw new ExpressionSyntaxError('empty expression', text);
  const e = parseOr();
  if (peek().k !== 'eof') throw new ExpressionSyntaxError(`unexpected ${describeToken(peek())}`, text);
  return e;
}

/** `a.b.c` as a dotted name, or undefined when the expression is not a plain name path. */
export function dottedName(e: Expr): string | undefined {
  if (e.t === 'var') return e.name;
  if (e.t === 'member') {
    const left = dottedName(e.obj);
    return left === undefined ? undefined : `${left}.${e.name}`;
  }
  return undefined;
}

/** Visits every node of an expression. */
export function walkExpr(e: Expr, visit: (e: Expr) => void): void {
  visit(e);
  switch (e.t) {
    case 'member':
      walkExpr(e.obj, visit);
      break;
    case 'index':
      walkExpr(e.obj, visit);
      walkExpr(e.index, visit);
      break;
    case 'call':
      e.args.forEach((a) => walkExpr(a, visit));
      break;
    case 'neg':
    case 'not':
      walkExpr(e.arg, visit);
      break;
    case 'bin':
    case 'and':
    case 'or':
      walkExpr(e.l, visit);
      walkExpr(e.r, visit);
      break;
    case 'list':
      e.items.forEach((a) => walkExpr(a, visit));
      break;
    case 'map':
      e.entries.forEach(([k, v]) => {
        walkExpr(k, visit);
        walkExpr(v, visit);
      });
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// Operators

/** Checks that an int result fits in 64 bits: Workflows ints do not wrap. */
export function checkedInt(n: bigint): bigint {
  if (n < INT64_MIN || n > INT64_MAX) raise('ValueError', `integer overflow: the result ${n} does not fit in 64 bits`);
  return n;
}

function numericPair(op: string, l: Value, r: Value): [bigint, bigint] | [number, number] {
  if (typeof l === 'bigint' && typeof r === 'bigint') return [l, r];
  if (isNumber(l) && isNumber(r)) return [Number(l), Number(r)];
  return raise('TypeError', `operator ${op} is not defined for ${typeName(l)} and ${typeName(r)}`);
}

export function binary(op: BinaryOp, l: Value, r: Value): Value {
  switch (op) {
    case '+':
      if (typeof l === 'string' && typeof r === 'string') return l + r;
      if (Array.isArray(l) && Array.isArray(r)) return [...l, ...r];
      {
        const [a, b] = numericPair(op, l, r);
        return typeof a === 'bigint' ? checkedInt(a + (b as bigint)) : a + (b as number);
      }
    case '-': {
      const [a, b] = numericPair(op, l, r);
      return typeof a === 'bigint' ? checkedInt(a - (b as bigint)) : a - (b as number);
    }
    case '*': {
      const [a, b] = numericPair(op, l, r);
      return typeof a === 'bigint' ? checkedInt(a * (b as bigint)) : a * (b as number);
    }
    case '/': {
      const [a, b] = numericPair(op, l, r);
      if (Number(b) === 0) raise('ZeroDivisionError', 'division by zero');
      return Number(a) / Number(b);
    }
    case '//': {
      const [a, b] = numericPair(op, l, r);
      if (typeof a === 'bigint') {
        const d = b as bigint;
        if (d === 0n) raise('ZeroDivisionError', 'integer division by zero');
        let q = a / d;
        if (a % d !== 0n && a < 0n !== d < 0n) q -= 1n;
        return checkedInt(q);
      }
      if (b === 0) raise('ZeroDivisionError', 'division by zero');
      return Math.floor(a / (b as number));
    }
    case '%': {
      // Our choice (the reference is silent on signs): the remainder takes the sign of the divisor,
      // so that a == (a // b) * b + a % b holds with the floor division above.
      const [a, b] = numericPair(op, l, r);
      if (typeof a === 'bigint') {
        const d = b as bigint;
        if (d === 0n) raise('ZeroDivisionError', 'modulo by zero');
        let m = a % d;
        if (m !== 0n && m < 0n !== d < 0n) m += d;
        return m;
      }
      if (b === 0) raise('ZeroDivisionError', 'modulo by zero');
      return a - (b as number) * Math.floor(a / (b as number));
    }
    case '==':
      return valuesEqual(l, r);
    case '!=':
      return !valuesEqual(l, r);
    case '<':
    case '<=':
    case '>':
    case '>=': {
      let c: number;
      if (isNumber(l) && isNumber(r))
        c = typeof l === 'bigint' && typeof r === 'bigint' ? (l < r ? -1 : l > r ? 1 : 0) : Number(l) - Number(r);
      else if (typeof l === 'string' && typeof r === 'string') c = l < r ? -1 : l > r ? 1 : 0;
      else return raise('TypeError', `operator ${op} cannot compare ${typeName(l)} with ${typeName(r)}`);
      return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
    }
    case 'in':
      return contains(r, l);
    case 'not in':
      return !contains(r, l);
  }
}

function contains(container: Value, x: Value): boolean {
  if (container instanceof Map) return typeof x === 'string' && container.has(x);
  if (Array.isArray(container)) return container.some((v) => valuesEqual(v, x));
  return raise('TypeError', `operator in needs a list or a map on its right, got ${typeName(container)}`);
}

export function negate(v: Value): Value {
  if (typeof v === 'bigint') return checkedInt(-v);
  if (typeof v === 'number') return -v;
  return raise('TypeError', `unary - is not defined for ${typeName(v)}`);
}

export function logicalNot(v: Value): Value {
  if (typeof v !== 'boolean') raise('TypeError', `not needs a bool, got ${typeName(v)}`);
  return !v;
}

export function requireBool(op: string, v: Value): boolean {
  if (typeof v !== 'boolean') raise('TypeError', `${op} needs bool operands, got ${typeName(v)}`);
  return v;
}

export function member(obj: Value, name: string): Value {
  if (obj instanceof Map) {
    const v = obj.get(name);
    if (v === undefined) raise('KeyError', `key not found: ${name}`);
    return v;
  }
  return raise('TypeError', `cannot read .${name} of a ${typeName(obj)}`);
}

export function index(obj: Value, i: Value): Value {
  if (Array.isArray(obj)) {
    if (typeof i !== 'bigint') raise('TypeError', `a list index must be an int, got ${typeName(i)}`);
    if (i < 0n || i >= BigInt(obj.length)) raise('IndexError', `list index ${i} out of range (length ${obj.length})`);
    return obj[Number(i)]!;
  }
  if (obj instanceof Map) {
    if (typeof i !== 'string') raise('TypeError', `a map key must be a string, got ${typeName(i)}`);
    const v = obj.get(i);
    if (v === undefined) raise('KeyError', `key not found: ${i}`);
    return v;
  }
  return raise('TypeError', `cannot index a ${typeName(obj)} with ${describe(i)}`);
}

function mapLiteral(entries: [Value, Value][]): WfMap {
  const m: WfMap = new Map();
  for (const [k, v] of entries) {
    if (typeof k !== 'string') raise('TypeError', `a map key must be a string, got ${typeName(k)}`);
    m.set(k, v);
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** What an expression needs from where it runs. */
export interface EvalScope {
  /** The value of a variable; raises when it is not defined. */
  lookup(name: string): Value;
  /** Calls a function that completes synchronously. */
  call(callee: string, args: Value[]): Value;
  /** Calls any function, including subworkflows and blocking ones. */
  callAsync(callee: string, args: Value[]): Promise<Value>;
}

/** Evaluates an expression that calls only synchronous functions. */
export function evaluate(e: Expr, s: EvalScope): Value {
  switch (e.t) {
    case 'lit':
      return e.v;
    case 'var':
      return s.lookup(e.name);
    case 'member':
      return member(evaluate(e.obj, s), e.name);
    case 'index':
      return index(evaluate(e.obj, s), evaluate(e.index, s));
    case 'call':
      return s.call(
        e.callee,
        e.args.map((a) => evaluate(a, s)),
      );
    case 'neg':
      return negate(evaluate(e.arg, s));
    case 'not':
      return logicalNot(evaluate(e.arg, s));
    case 'bin':
      return binary(e.op, evaluate(e.l, s), evaluate(e.r, s));
    case 'and':
      return requireBool('and', evaluate(e.l, s)) ? requireBool('and', evaluate(e.r, s)) : false;
    case 'or':
      return requireBool('or', evaluate(e.l, s)) ? true : requireBool('or', evaluate(e.r, s));
    case 'list':
      return e.items.map((a) => evaluate(a, s));
    case 'map':
      return mapLiteral(e.entries.map(([k, v]) => [evaluate(k, s), evaluate(v, s)]));
  }
}

/** Evaluates any expression; used when it calls a subworkflow or a blocking function. */
export async function evaluateAsync(e: Expr, s: EvalScope): Promise<Value> {
  switch (e.t) {
    case 'lit':
    case 'var':
      return evaluate(e, s);
    case 'member':
      return member(await evaluateAsync(e.obj, s), e.name);
    case 'index': {
      const obj = await evaluateAsync(e.obj, s);
      return index(obj, await evaluateAsync(e.index, s));
    }
    case 'call': {
      const args: Value[] = [];
      for (const a of e.args) args.push(await evaluateAsync(a, s));
      return s.callAsync(e.callee, args);
    }
    case 'neg':
      return negate(await evaluateAsync(e.arg, s));
    case 'not':
      return logicalNot(await evaluateAsync(e.arg, s));
    case 'bin': {
      const l = await evaluateAsync(e.l, s);
      return binary(e.op, l, await evaluateAsync(e.r, s));
    }
    case 'and':
      return requireBool('and', await evaluateAsync(e.l, s)) ? requireBool('and', await evaluateAsync(e.r, s)) : false;
    case 'or':
      return requireBool('or', await evaluateAsync(e.l, s)) ? true : requireBool('or', await evaluateAsync(e.r, s));
    case 'list': {
      const out: Value[] = [];
      for (const a of e.items) out.push(await evaluateAsync(a, s));
      return out;
    }
    case 'map': {
      const out: [Value, Value][] = [];
      for (const [k, v] of e.entries) out.push([await evaluateAsync(k, s), await evaluateAsync(v, s)]);
      return mapLiteral(out);
    }
  }
}

/**
 * Splits a YAML string into an expression: returns the inner text when the whole string is one
 * `${...}` (braces inside string literals do not count), otherwise undefined.
 */
export function wholeExpressionText(s: string): string | undefined {
  if (!s.startsWith('${') || !s.endsWith('}')) return undefined;
  const end = matchingBrace(s, 1);
  return end === s.length - 1 ? s.slice(2, -1) : undefined;
}

/** The index of the `}` that closes the `{` at `open`, skipping string literals; -1 if none. */
export function matchingBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '"' || c === "'") {
      for (i++; i < s.length && s[i] !== c; i++) if (s[i] === '\\') i++;
    } else if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}
