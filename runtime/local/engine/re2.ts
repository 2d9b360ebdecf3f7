/**
 * Regular expressions the way Workflows runs them: RE2 syntax, matched leftmost-longest, indexed by
 * code point.
 *
 * JavaScript's `RegExp` cannot stand in for it: it accepts what RE2 refuses (lookaround,
 * backreferences) and picks the first alternative that matches rather than the longest match
 * Google documents for `text.find_all_regex` and `text.replace_all_regex` ("if multiple matches
 * start at the same index, the longest one is replaced"). So patterns are parsed here and run on a
 * small Thompson NFA, which needs no backtracking and so takes time linear in the subject.
 *
 * @see https://cloud.google.com/workflows/docs/reference/stdlib/text/replace_all_regex
 * @see https://github.com/google/re2/wiki/Syntax
 */

/** A pattern RE2 would refuse; the standard library turns it into a `ValueError`. */
export class RegexSyntaxError extends Error {
  constructor(
    message: string,
    readonly pattern: string,
  ) {
    super(`${message} in ${JSON.stringify(pattern)}`);
    this.name = 'RegexSyntaxError';
  }
}

type Assertion = 'bol' | 'eol' | 'bot' | 'eot' | 'word' | 'nonword';
type CharTest = (c: number) => boolean;

type Node =
  | { readonly k: 'empty' }
  | { readonly k: 'char'; readonly test: CharTest }
  | { readonly k: 'assert'; readonly a: Assertion }
  | { readonly k: 'cat' | 'alt'; readonly items: readonly Node[] }
  | { readonly k: 'repeat'; readonly node: Node; readonly min: number; readonly max: number };

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

/** RE2's limit on a counted repetition. */
const MAX_REPEAT = 1000;
/** Beyond this many instructions RE2 refuses the pattern as too large; so do we. */
const MAX_PROGRAM = 100_000;

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isWordChar = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d && c !== 0x0b);

/** ASCII classes, as RE2 defines `\d`, `\s`, `\w` and the POSIX names. */
const POSIX: Record<string, CharTest> = {
  alnum: (c) => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a),
  alpha: (c) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a),
  ascii: (c) => c <= 0x7f,
  blank: (c) => c === 0x20 || c === 0x09,
  cntrl: (c) => c <= 0x1f || c === 0x7f,
  digit: isDigit,
  graph: (c) => c >= 0x21 && c <= 0x7e,
  lower: (c) => c >= 0x61 && c <= 0x7a,
  print: (c) => c >= 0x20 && c <= 0x7e,
  punct: (c) => (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e),
  space: (c) => isSpace(c) || c === 0x0b,
  upper: (c) => c >= 0x41 && c <= 0x5a,
  word: isWordChar,
  xdigit: (c) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66),
};

const PERL: Record<string, CharTest> = { d: isDigit, s: isSpace, w: isWordChar };

const GENERAL_CATEGORY = /^(?:[LMNPSZC]|L[ultmo]|M[nce]|N[dlo]|P[cdseifo]|S[mcko]|Z[slp]|C[cfso])$/;

/** A Unicode class by RE2 name (a general category, a script, or Any), tested through JavaScript. */
function unicodeClass(name: string, pattern: string): CharTest {
  if (name === 'Any') return () => true;
  const property = GENERAL_CATEGORY.test(name) ? name : `Script=${name}`;
  let re: RegExp;
  try {
    re = new RegExp(`^\\p{${property}}$`, 'u');
  } catch {
    throw new RegexSyntaxError(`invalid character class range \\p{${name}}`, pattern);
  }
  return (c) => re.test(String.fromCodePoint(c));
}

function singleCodePoint(s: string): number | undefined {
  const c = s.codePointAt(0);
  return c !== undefined && String.fromCodePoint(c).length === s.length ? c : undefined;
}

/** The code points a case-insensitive match treats as equal to `c` (simple case folding). */
function caseVariants(c: number): number[] {
  const ch = String.fromCodePoint(c);
  const out = [c];
  for (const v of [ch.toLowerCase(), ch.toUpperCase()]) {
    const cp = singleCodePoint(v);
    if (cp !== undefined && !out.includes(cp)) out.push(cp);
  }
  return out;
}

function folded(test: CharTest): CharTest {
  return (c) => caseVariants(c).some(test);
}

class Parser {
  private pos = 0;
  private readonly cps: number[];

  constructor(private readonly pattern: string) {
    this.cps = Array.from(pattern, (ch) => ch.codePointAt(0)!);
  }

  parse(): Node {
    const node = this.parseAlternation({ i: false, m: false, s: false, U: false });
    if (this.pos < this.cps.length) this.fail('unexpected )');
    return node;
  }

  private fail(message: string): never {
    throw new RegexSyntaxError(message, this.pattern);
  }

  private peek(offset = 0): number | undefined {
    return this.cps[this.pos + offset];
  }

  private at(ch: string, offset = 0): boolean {
    return this.peek(offset) === ch.codePointAt(0);
  }

  /** Alternatives up to an unmatched `)` or the end; `(?flags)` changes flags for the rest of the group. */
  private parseAlternation(inherited: Flags): Node {
    const flags = { ...inherited };
    const items: Node[] = [this.parseConcatenation(flags)];
    while (this.at('|')) {
      this.pos++;
      items.push(this.parseConcatenation(flags));
    }
    return items.length === 1 ? items[0]! : { k: 'alt', items };
  }

  private parseConcatenation(flags: Flags): Node {
    const items: Node[] = [];
    while (this.pos < this.cps.length && !this.at('|') && !this.at(')')) {
      if (this.at('(') && this.at('?', 1) && this.flagGroupAhead()) {
        this.parseFlags(flags, true);
        continue;
      }
      const atom = this.parseAtom(flags);
      items.push(this.parseRepetition(atom));
    }
    return items.length === 0 ? { k: 'empty' } : items.length === 1 ? items[0]! : { k: 'cat', items };
  }

  /** Whether `(?` starts `(?flags)` (as opposed to `(?flags:...)` or another group). */
  private flagGroupAhead(): boolean {
    let i = this.pos + 2;
    while (i < this.cps.length && /[imsU-]/.test(String.fromCodePoint(this.cps[i]!))) i++;
    return this.cps[i] === 0x29 && i > this.pos + 2;
  }

  /** Reads `imsU-imsU` after `(?`, applying them to `flags`; `standalone` expects `)` after them. */
  private parseFlags(flags: Flags, standalone: boolean): void {
    this.pos += 2;
    let negate = false;
    let any = false;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail('missing closing )');
      const ch = String.fromCodePoint(c);
      if (ch === '-') {
        if (negate) this.fail('invalid or unsupported Perl syntax');
        negate = true;
        any = false;
      } else if (ch === 'i' || ch === 'm' || ch === 's' || ch === 'U') {
        flags[ch] = !negate;
        any = true;
      } else if ((ch === ')' && standalone) || (ch === ':' && !standalone)) {
        if (!any) this.fail('invalid or unsupported Perl syntax');
        this.pos++;
        return;
      } else this.fail('invalid or unsupported Perl syntax');
      this.pos++;
    }
  }

  private parseAtom(flags: Flags): Node {
    const c = this.peek()!;
    const ch = String.fromCodePoint(c);
    switch (ch) {
      case '(':
        return this.parseGroup(flags);
      case '[':
        return this.parseClass(flags);
      case '.':
        this.pos++;
        return { k: 'char', test: flags.s ? () => true : (x) => x !== 0x0a };
      case '^':
        this.pos++;
        return { k: 'assert', a: flags.m ? 'bol' : 'bot' };
      case '$':
        this.pos++;
        return { k: 'assert', a: flags.m ? 'eol' : 'eot' };
      case '*':
      case '+':
      case '?':
        return this.fail(`missing argument to repetition operator ${ch}`);
      case '{':
        if (this.repeatAhead()) this.fail('missing argument to repetition operator {');
        this.pos++;
        return this.literal(c, flags);
      case '\\':
        return this.parseEscape(flags);
      default:
        this.pos++;
        return this.literal(c, flags);
    }
  }

  private literal(c: number, flags: Flags): Node {
    if (!flags.i) return { k: 'char', test: (x) => x === c };
    const variants = caseVariants(c);
    return { k: 'char', test: (x) => variants.includes(x) || caseVariants(x).includes(c) };
  }

  private parseGroup(flags: Flags): Node {
    let inner: Flags = flags;
    if (this.at('?', 1)) {
      const next = this.peek(2);
      const n = next === undefined ? '' : String.fromCodePoint(next);
      if (n === ':') this.pos += 3;
      else if (n === 'P' && this.at('<', 3)) {
        this.pos += 4;
        this.groupName();
      } else if (n === '<' && !this.at('=', 3) && !this.at('!', 3)) {
        this.pos += 3;
        this.groupName();
      } else if (/^[imsU-]$/.test(n)) {
        inner = { ...flags };
        this.parseFlags(inner, false);
      } else this.fail('invalid or unsupported Perl syntax');
    } else this.pos++;
    const node = this.parseAlternation(inner);
    if (!this.at(')')) this.fail('missing closing )');
    this.pos++;
    return node;
  }

  private groupName(): void {
    const start = this.pos;
    while (this.pos < this.cps.length && isWordChar(this.peek()!)) this.pos++;
    if (this.pos === start || !this.at('>')) this.fail('invalid named capture');
    this.pos++;
  }

  /** Whether `{n}`, `{n,}` or `{n,m}` starts here (otherwise `{` is a literal, as in RE2). */
  private repeatAhead(): boolean {
    return /^\{\d+(,\d*)?\}/.test(String.fromCodePoint(...this.cps.slice(this.pos, this.pos + 16)));
  }

  private parseRepetition(atom: Node): Node {
    let node = atom;
    let repeated = false;
    for (;;) {
      const c = this.peek();
      if (c === undefined) return node;
      const ch = String.fromCodePoint(c);
      let min: number;
      let max: number;
      if (ch === '*' || ch === '+' || ch === '?') {
        this.pos++;
        [min, max] = ch === '*' ? [0, -1] : ch === '+' ? [1, -1] : [0, 1];
      } else if (ch === '{' && this.repeatAhead()) {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(String.fromCodePoint(...this.cps.slice(this.pos, this.pos + 16)))!;
        this.pos += m[0].length;
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
        if (min > MAX_REPEAT || max > MAX_REPEAT || (max !== -1 && max < min)) this.fail(`invalid repeat count ${m[0]}`);
      } else return node;
      if (repeated) this.fail('invalid nested repetition operator');
      // A lazy marker changes which match a backtracking engine prefers; leftmost-longest ignores it.
      if (this.at('?')) this.pos++;
      node = { k: 'repeat', node, min, max };
      repeated = true;
    }
  }

  private parseEscape(flags: Flags): Node {
    this.pos++;
    const c = this.peek();
    if (c === undefined) this.fail('trailing backslash at end of expression');
    const ch = String.fromCodePoint(c);
    switch (ch) {
      case 'A':
        this.pos++;
        return { k: 'assert', a: 'bot' };
      case 'z':
        this.pos++;
        return { k: 'assert', a: 'eot' };
      case 'b':
        this.pos++;
        return { k: 'assert', a: 'word' };
      case 'B':
        this.pos++;
        return { k: 'assert', a: 'nonword' };
      case 'Q': {
        this.pos++;
        const items: Node[] = [];
        while (this.pos < this.cps.length && !(this.at('\\') && this.at('E', 1))) items.push(this.literal(this.cps[this.pos++]!, flags));
        if (this.pos < this.cps.length) this.pos += 2;
        return items.length === 0 ? { k: 'empty' } : { k: 'cat', items };
      }
    }
    const cls = this.classEscape();
    if (cls) return { k: 'char', test: flags.i ? folded(cls) : cls };
    return this.literal(this.escapedCodePoint(), flags);
  }

  /** `\d \D \s \S \w \W \pX \p{Name} \PX \P{Name}` at the current position (after the backslash). */
  private classEscape(): CharTest | undefined {
    const ch = String.fromCodePoint(this.peek()!);
    const lower = ch.toLowerCase();
    if (PERL[lower] && (ch === lower || ch === ch.toUpperCase())) {
      this.pos++;
      const t = PERL[lower]!;
      return ch === lower ? t : (c) => !t(c);
    }
    if (ch === 'p' || ch === 'P') {
      this.pos++;
      let name: string;
      if (this.at('{')) {
        const close = this.cps.indexOf(0x7d, this.pos);
        if (close === -1) this.fail('invalid character class range');
        name = String.fromCodePoint(...this.cps.slice(this.pos + 1, close));
        this.pos = close + 1;
      } else {
        const n = this.peek();
        if (n === undefined) this.fail('invalid character class range');
        name = String.fromCodePoint(n);
        this.pos++;
      }
      let negate = ch === 'P';
      if (name.startsWith('^')) {
        negate = !negate;
        name = name.slice(1);
      }
      const t = unicodeClass(name, this.pattern);
      return negate ? (c) => !t(c) : t;
    }
    return undefined;
  }

  /** A single escaped character (after the backslash): C escapes, octal, hex, punctuation. */
  private escapedCodePoint(): number {
    const c = this.peek()!;
    const ch = String.fromCodePoint(c);
    this.pos++;
    const simple: Record<string, number> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 };
    if (simple[ch] !== undefined) return simple[ch]!;
    if (ch >= '0' && ch <= '7') {
      // \0 starts an octal escape; \1-\7 only when another octal digit follows (alone they would be
      // backreferences, which RE2 does not support).
      if (ch !== '0' && !/[0-7]/.test(String.fromCodePoint(this.peek() ?? 0x20))) this.fail(`invalid escape sequence \\${ch}`);
      let digits = ch;
      while (digits.length < 3 && /[0-7]/.test(String.fromCodePoint(this.peek() ?? 0x20)))
        digits += String.fromCodePoint(this.cps[this.pos++]!);
      return parseInt(digits, 8);
    }
    if (ch === 'x') {
      let hex: string;
      if (this.at('{')) {
        const close = this.cps.indexOf(0x7d, this.pos);
        if (close === -1) this.fail('invalid escape sequence \\x');
        hex = String.fromCodePoint(...this.cps.slice(this.pos + 1, close));
        this.pos = close + 1;
      } else {
        hex = String.fromCodePoint(...this.cps.slice(this.pos, this.pos + 2));
        if (hex.length !== 2) this.fail('invalid escape sequence \\x');
        this.pos += 2;
      }
      const v = /^[0-9A-Fa-f]+$/.test(hex) ? parseInt(hex, 16) : NaN;
      if (!(v <= 0x10ffff)) this.fail(`invalid escape sequence \\x${hex}`);
      return v;
    }
    if (c < 0x80 && !/[0-9A-Za-z]/.test(ch)) return c;
    return this.fail(`invalid escape sequence \\${ch}`);
  }

  private parseClass(flags: Flags): Node {
    this.pos++;
    let negate = false;
    if (this.at('^')) {
      negate = true;
      this.pos++;
    }
    const ranges: [number, number][] = [];
    const tests: CharTest[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail('missing closing ]');
      if (c === 0x5d && !first) {
        this.pos++;
        break;
      }
      first = false;
      if (this.at('[') && this.at(':', 1)) {
        const close = this.findPosixEnd();
        if (close !== -1) {
          let name = String.fromCodePoint(...this.cps.slice(this.pos + 2, close));
          const neg = name.startsWith('^');
          if (neg) name = name.slice(1);
          const t = POSIX[name];
          if (!t) this.fail(`invalid character class range [:${name}:]`);
          tests.push(neg ? (x) => !t(x) : t);
          this.pos = close + 2;
          continue;
        }
      }
      if (this.at('\\')) {
        this.pos++;
        if (this.peek() === undefined) this.fail('missing closing ]');
        const cls = this.classEscape();
        if (cls) {
          tests.push(cls);
          continue;
        }
        this.pos--;
      }
      const lo = this.classChar();
      if (this.at('-') && this.peek(1) !== undefined && this.peek(1) !== 0x5d) {
        this.pos++;
        const hi = this.classChar();
        if (hi < lo) this.fail('invalid character class range');
        ranges.push([lo, hi]);
      } else ranges.push([lo, lo]);
    }
    const inRanges = (x: number): boolean => ranges.some(([lo, hi]) => x >= lo && x <= hi) || tests.some((t) => t(x));
    const test = flags.i ? folded(inRanges) : inRanges;
    return { k: 'char', test: negate ? (x) => !test(x) : test };
  }

  private findPosixEnd(): number {
    for (let i = this.pos + 2; i < this.cps.length - 1; i++) {
      if (this.cps[i] === 0x3a && this.cps[i + 1] === 0x5d) return i;
      if (this.cps[i] === 0x5d) return -1;
    }
    return -1;
  }

  private classChar(): number {
    if (this.at('\\')) {
      this.pos++;
      if (this.peek() === undefined) this.fail('missing closing ]');
      return this.escapedCodePoint();
    }
    return this.cps[this.pos++]!;
  }
}

type Inst =
  | { readonly op: 'char'; readonly test: CharTest }
  | { readonly op: 'assert'; readonly a: Assertion }
  | { op: 'split'; x: number; y: number }
  | { op: 'jmp'; x: number }
  | { readonly op: 'match' };

function compile(node: Node, pattern: string): Inst[] {
  const prog: Inst[] = [];
  const push = (i: Inst): number => {
    if (prog.length >= MAX_PROGRAM) throw new RegexSyntaxError('expression too large', pattern);
    prog.push(i);
    return prog.length - 1;
  };
  const emit = (n: Node): void => {
    switch (n.k) {
      case 'empty':
        return;
      case 'char':
        push({ op: 'char', test: n.test });
        return;
      case 'assert':
        push({ op: 'assert', a: n.a });
        return;
      case 'cat':
        n.items.forEach(emit);
        return;
      case 'alt': {
        const jumps: { op: 'jmp'; x: number }[] = [];
        n.items.forEach((item, idx) => {
          if (idx < n.items.length - 1) {
            const split = { op: 'split' as const, x: prog.length + 1, y: -1 };
            push(split);
            emit(item);
            const j = { op: 'jmp' as const, x: -1 };
            push(j);
            jumps.push(j);
            split.y = prog.length;
          } else emit(item);
        });
        for (const j of jumps) j.x = prog.length;
        return;
      }
      case 'repeat': {
        for (let i = 0; i < n.min; i++) emit(n.node);
        if (n.max === -1) {
          const split = { op: 'split' as const, x: prog.length + 1, y: -1 };
          const at = push(split);
          emit(n.node);
          push({ op: 'jmp', x: at });
          split.y = prog.length;
        } else {
          for (let i = n.min; i < n.max; i++) {
            const split = { op: 'split' as const, x: prog.length + 1, y: -1 };
            push(split);
            emit(n.node);
            split.y = prog.length;
          }
        }
        return;
      }
    }
  };
  emit(node);
  push({ op: 'match' });
  return prog;
}

/** One match: code-point offsets, `end` exclusive. */
export interface Re2Match {
  readonly start: number;
  readonly end: number;
}

/** A compiled RE2 pattern. */
export class Re2 {
  private readonly prog: Inst[];

  /** @throws RegexSyntaxError when RE2 would refuse the pattern. */
  constructor(readonly pattern: string) {
    this.prog = compile(new Parser(pattern).parse(), pattern);
  }

  /** Whether the pattern matches anywhere in `cps` (unanchored, like `text.match_regex`). */
  test(cps: ArrayLike<number>): boolean {
    return this.search(cps, 0, true) !== undefined;
  }

  /**
   * The leftmost match starting at or after `from`; among matches starting there, the longest.
   * With `firstOnly`, any match will do (for a yes/no answer).
   */
  search(cps: ArrayLike<number>, from: number, firstOnly = false): Re2Match | undefined {
    const prog = this.prog;
    const n = cps.length;
    const marks = [new Int32Array(prog.length).fill(-1), new Int32Array(prog.length).fill(-1)];
    let cur = { pcs: [] as number[], starts: [] as number[], side: 0 };
    let gen = 0;
    const gens = [gen++, gen++];
    let matchStart = -1;
    let matchEnd = -1;

    const holds = (a: Assertion, pos: number): boolean => {
      const before = pos > 0 ? cps[pos - 1]! : -1;
      const after = pos < n ? cps[pos]! : -1;
      switch (a) {
        case 'bot':
          return pos === 0;
        case 'eot':
          return pos === n;
        case 'bol':
          return pos === 0 || before === 0x0a;
        case 'eol':
          return pos === n || after === 0x0a;
        case 'word':
        case 'nonword': {
          const boundary = (before !== -1 && isWordChar(before)) !== (after !== -1 && isWordChar(after));
          return a === 'word' ? boundary : !boundary;
        }
      }
    };
    const add = (list: typeof cur, pc0: number, start: number, pos: number): void => {
      const mark = marks[list.side]!;
      const g = gens[list.side]!;
      const stack = [pc0];
      while (stack.length > 0) {
        const pc = stack.pop()!;
        if (mark[pc] === g) continue;
        mark[pc] = g;
        const inst = prog[pc]!;
        switch (inst.op) {
          case 'jmp':
            stack.push(inst.x);
            break;
          case 'split':
            stack.push(inst.y, inst.x);
            break;
          case 'assert':
            if (holds(inst.a, pos)) stack.push(pc + 1);
            break;
          default:
            list.pcs.push(pc);
            list.starts.push(start);
        }
      }
    };

    for (let pos = from; pos <= n; pos++) {
      // Threads are kept in order of their start, so the first to reach an instruction is the
      // leftmost; a new start is tried only while nothing has matched yet.
      if (matchStart < 0) add(cur, 0, pos, pos);
      if (cur.pcs.length === 0) {
        if (matchStart >= 0) break;
        // The failed closure marked instructions for this position only.
        gens[cur.side] = gen++;
        continue;
      }
      const side = 1 - cur.side;
      gens[side] = gen++;
      const next = { pcs: [] as number[], starts: [] as number[], side };
      for (let t = 0; t < cur.pcs.length; t++) {
        const pc = cur.pcs[t]!;
        const start = cur.starts[t]!;
        if (matchStart >= 0 && start > matchStart) continue;
        const inst = prog[pc]!;
        if (inst.op === 'match') {
          if (matchStart < 0 || start < matchStart || (start === matchStart && pos > matchEnd)) {
            matchStart = start;
            matchEnd = pos;
            if (firstOnly) return { start: matchStart, end: matchEnd };
          }
        } else if (inst.op === 'char' && pos < n && inst.test(cps[pos]!)) add(next, pc + 1, start, pos + 1);
      }
      cur = next;
    }
    return matchStart >= 0 ? { start: matchStart, end: matchEnd } : undefined;
  }

  /**
   * Successive non-overlapping matches from the left; an empty match right after the previous
   * match is skipped, so `a*` over "baaac" matches at 0, 1-4 and 5.
   */
  *matches(cps: ArrayLike<number>): Generator<Re2Match> {
    let pos = 0;
    let previousEnd = -1;
    while (pos <= cps.length) {
      const m = this.search(cps, pos);
      if (!m) return;
      if (m.start === m.end && m.start === previousEnd) {
        pos = m.start + 1;
        continue;
      }
      yield m;
      previousEnd = m.end;
      pos = m.end > m.start ? m.end : m.end + 1;
    }
  }
}
