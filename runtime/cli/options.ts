/**
 * The grammar of every `tapctl` command: options are declared once, with their kind, bounds,
 * default and help; `parseOptions` reads argv against the declarations (with `node:util`'s
 * `parseArgs`) into typed values, and `optionsHelp` writes the help from the same declarations.
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../ops/errors';

interface Declared<K extends string> {
  readonly kind: K;
  /** One line (or a few) for the help. */
  readonly help: string;
  /** The value's name in the help: `--batch-size N`. */
  readonly value?: string;
}

export interface TextOption extends Declared<'text'> {
  readonly default?: string;
  readonly required?: boolean;
  /** What a value must look like, and how to say so when it does not. */
  readonly pattern?: { readonly test: RegExp; readonly says: string };
}
export interface IntegerOption extends Declared<'integer'> {
  readonly min: number;
  readonly max?: number;
  readonly default?: number | string;
  readonly required?: boolean;
  /** Words taken instead of a number (`--batch-size auto`). */
  readonly words?: readonly string[];
}
export interface DecimalOption extends Declared<'decimal'> {
  readonly min?: number;
  readonly max?: number;
  readonly default?: number;
}
export type SwitchOption = Declared<'switch'>;
export type ListOption = Declared<'list'>;

export type OptionSpec = TextOption | IntegerOption | DecimalOption | SwitchOption | ListOption;
export type Options = Readonly<Record<string, OptionSpec>>;

type ValueOf<S extends OptionSpec> = S extends SwitchOption
  ? boolean
  : S extends ListOption
    ? string[]
    : S extends { readonly words: readonly (infer W)[] }
      ? number | W
      : S extends IntegerOption | DecimalOption
        ? number
        : string;
type Given<S extends OptionSpec> = S extends SwitchOption | ListOption
  ? ValueOf<S>
  : S extends { readonly default: unknown } | { readonly required: true }
    ? ValueOf<S>
    : ValueOf<S> | undefined;

/** The parsed values, keyed by the option's name as it is written after `--`. */
export type Values<O extends Options> = { readonly [K in keyof O]: Given<O[K]> };

/** The declarations, kept with their literal types so that `Values` knows each option's type. */
export function options<const O extends Options>(declared: O): O {
  return declared;
}

export const text = <const X extends Omit<TextOption, 'kind'>>(o: X) => ({ kind: 'text', ...o }) as const;
export const integer = <const X extends Omit<IntegerOption, 'kind'>>(o: X) => ({ kind: 'integer', ...o }) as const;
export const decimal = <const X extends Omit<DecimalOption, 'kind'>>(o: X) => ({ kind: 'decimal', ...o }) as const;
export const toggle = (help: string) => ({ kind: 'switch', help }) as const;
export const list = (help: string, value: string) => ({ kind: 'list', help, value }) as const;

/** Options that used to be spelled otherwise: named in the error, so the fix is obvious. */
const RENAMED: Readonly<Record<string, string>> = {
  'max-concurrent': 'max-concurrent-batches',
  'max-attempts': 'max-batch-attempts',
  workdir: 'local',
};

export interface Parsed<O extends Options> {
  readonly values: Values<O>;
  readonly positionals: readonly string[];
  /** The options written on the command line (not those left to their defaults). */
  readonly given: ReadonlySet<keyof O & string>;
}

/**
 * Reads argv against the declarations. Unknown options, missing or malformed values, values out
 * of bounds and missing required options are `UsageError`s naming the option. Positionals are
 * refused unless `positionals` says how many are allowed.
 */
export function parseOptions<O extends Options>(
  argv: readonly string[],
  declared: O,
  positionals?: { readonly min: number; readonly max: number; readonly says: string },
): Parsed<O> {
  const config = Object.fromEntries(
    Object.entries(declared).map(
      ([name, spec]) => [name, { type: spec.kind === 'switch' ? 'boolean' : 'string', multiple: spec.kind === 'list' }] as const,
    ),
  );
  let raw: {
    values: Record<string, string | boolean | string[] | undefined>;
    positionals: string[];
    tokens: { kind: string; name?: string }[];
  };
  try {
    raw = parseArgs({ args: [...argv], options: config, strict: true, allowPositionals: true, tokens: true }) as typeof raw;
  } catch (error) {
    throw new UsageError(explainParseError(error, declared));
  }
  if (!positionals && raw.positionals.length > 0) throw new UsageError(`unexpected argument "${raw.positionals[0]}"`);
  if (positionals && (raw.positionals.length < positionals.min || raw.positionals.length > positionals.max))
    throw new UsageError(positionals.says);
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(declared)) values[name] = convert(name, spec, raw.values[name]);
  const given = new Set(raw.tokens.filter((t) => t.kind === 'option').map((t) => t.name as keyof O & string));
  return { values: values as Values<O>, positionals: raw.positionals, given };
}

function convert(name: string, spec: OptionSpec, given: string | boolean | string[] | undefined): unknown {
  switch (spec.kind) {
    case 'switch':
      return given === true;
    case 'list':
      return (given as string[] | undefined) ?? [];
    case 'text': {
      if (given === undefined) {
        if (spec.required) throw new UsageError(`--${name} is required`);
        return spec.default;
      }
      const value = given as string;
      if (spec.pattern && !spec.pattern.test.test(value)) throw new UsageError(`--${name} must be ${spec.pattern.says}, got "${value}"`);
      return value;
    }
    case 'integer':
    case 'decimal': {
      if (given === undefined) {
        if (spec.kind === 'integer' && spec.required) throw new UsageError(`--${name} is required`);
        return spec.default;
      }
      const value = given as string;
      const words = spec.kind === 'integer' ? (spec.words ?? []) : [];
      if (words.includes(value.trim())) return value.trim();
      const n = Number(value);
      const whole = spec.kind === 'integer';
      const bounds = boundsText(spec);
      const wanted = `${whole ? 'a whole number' : 'a number'}${bounds ? ` ${bounds}` : ''}${words.map((w) => ` or ${w}`).join('')}`;
      if (value.trim() === '' || !Number.isFinite(n) || (whole && !Number.isInteger(n)))
        throw new UsageError(`--${name} must be ${wanted}, got "${value}"`);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max))
        throw new UsageError(`--${name} must be ${wanted}, got ${value}`);
      return n;
    }
  }
}

function boundsText(spec: IntegerOption | DecimalOption): string {
  if (spec.min !== undefined && spec.max !== undefined) return `from ${spec.min} to ${spec.max}`;
  if (spec.min !== undefined) return `of ${spec.min} or more`;
  if (spec.max !== undefined) return `of at most ${spec.max}`;
  return '';
}

/** `node:util`'s messages, said in the terms of this command line. */
function explainParseError(error: unknown, declared: Options): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? '';
  const name = option.replace(/^-+/, '');
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const renamed = RENAMED[name];
    if (renamed && declared[renamed]) return `${option} is now --${renamed}`;
    const near = Object.keys(declared).filter((known) => closeEnough(name, known));
    const known = Object.keys(declared).map((k) => `--${k}`);
    return `unknown option ${option}${near.length ? `; did you mean ${near.map((k) => `--${k}`).join(' or ')}?` : known.length ? ` (options: ${known.join(', ')})` : ' (the command takes no options)'}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (message.includes('does not take an argument')) return `${option} takes no value`;
    if (message.includes('ambiguous')) return `${option} needs a value (write ${option}=VALUE for a value that starts with -)`;
    if (message.includes('missing')) return `${option} needs a value`;
  }
  return message;
}

/** Edit distance of at most 2, or one name inside the other: a likely typo. */
function closeEnough(a: string, b: string): boolean {
  if (a.length > 2 && (b.includes(a) || a.includes(b))) return true;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]! <= 2;
}

const HELP_WIDTH = 100;
const HELP_COLUMN = 26;

/** The help of a group of options: `  --name VALUE   what it does (default, bounds)`, wrapped. */
export function optionsHelp(declared: Options): string {
  const lines: string[] = [];
  for (const [name, spec] of Object.entries(declared)) {
    const head = `  --${name}${spec.kind === 'switch' ? '' : ` ${spec.value ?? 'VALUE'}`}`;
    const facts: string[] = [];
    if (spec.kind === 'integer' || spec.kind === 'decimal') {
      const { min, max } = spec;
      if (min !== undefined || max !== undefined)
        facts.push(max === undefined ? `${min} or more` : min === undefined ? `at most ${max}` : `${min} to ${max}`);
      if (spec.kind === 'integer' && spec.words?.length) facts[facts.length - 1] += spec.words.map((w) => ` or ${w}`).join('');
    }
    if ('default' in spec && spec.default !== undefined) facts.push(`default ${String(spec.default)}`);
    if ((spec.kind === 'text' || spec.kind === 'integer') && spec.required) facts.push('required');
    if (spec.kind === 'list') facts.push('repeatable');
    // Facts join the help's own parenthesis when it ends with one.
    const body = !facts.length
      ? spec.help
      : spec.help.endsWith(')')
        ? `${spec.help.slice(0, -1)}; ${facts.join(', ')})`
        : `${spec.help} (${facts.join(', ')})`;
    const words = body.split(/\s+/);
    let line = head.length + 2 > HELP_COLUMN ? (lines.push(head), ' '.repeat(HELP_COLUMN)) : head.padEnd(HELP_COLUMN);
    let fresh = true;
    for (const word of words) {
      if (!fresh && line.length + 1 + word.length > HELP_WIDTH) {
        lines.push(line);
        line = ' '.repeat(HELP_COLUMN);
        fresh = true;
      }
      line += (fresh ? '' : ' ') + word;
      fresh = false;
    }
    lines.push(line);
  }
  return lines.join('\n');
}

/** A command's usage: synopsis, what it does, then each group of options with its title. */
export function usageText(synopsis: string, description: string, groups: readonly (readonly [string, Options])[], footer?: string): string {
  const parts = [synopsis, description.trim()];
  for (const [title, declared] of groups) if (Object.keys(declared).length > 0) parts.push(`${title}:\n${optionsHelp(declared)}`);
  if (footer) parts.push(footer.trim());
  return parts.join('\n\n');
}
