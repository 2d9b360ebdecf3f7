import { decimal, integer, list, options, optionsHelp, parseOptions, text, toggle } from '../../../runtime/cli/options';
import { UsageError } from '../../../runtime/ops/errors';

const declared = options({
  size: integer({ value: 'N', min: 1, max: 10, default: 3, help: 'how many' }),
  rate: decimal({ value: 'R', min: 0, help: 'how fast' }),
  name: text({ value: 'NAME', help: 'what to call it', pattern: { test: /^[a-z]+$/, says: 'lowercase letters' } }),
  id: text({ value: 'ID', required: true, help: 'which one' }),
  verbose: toggle('say more'),
  tag: list('a tag', 'TAG'),
});

const parse = (argv: string[]) => parseOptions(argv, declared);
const mistake = (argv: string[]) => {
  try {
    parse(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
};

describe('parseOptions', () => {
  test('reads each kind into its type, with defaults and the options given', () => {
    const { values, given } = parse(['--id', 'x', '--rate=0.5', '--verbose', '--tag', 'a', '--tag', 'b']);
    expect(values).toEqual({ size: 3, rate: 0.5, name: undefined, id: 'x', verbose: true, tag: ['a', 'b'] });
    expect([...given].sort()).toEqual(['id', 'rate', 'tag', 'verbose']);
    expect(parse(['--id', 'x']).values.verbose).toBe(false);
  });

  test.each([
    [['--size', '0', '--id', 'x'], '--size must be a whole number from 1 to 10, got 0'],
    [['--size', '2.5', '--id', 'x'], '--size must be a whole number from 1 to 10, got "2.5"'],
    [['--size', 'many', '--id', 'x'], '--size must be a whole number from 1 to 10, got "many"'],
    [['--rate=-1', '--id', 'x'], '--rate must be a number of 0 or more, got -1'],
    [['--rate', '-1', '--id', 'x'], '--rate needs a value (write --rate=VALUE for a value that starts with -)'],
    [['--name', 'Bob', '--id', 'x'], '--name must be lowercase letters, got "Bob"'],
    [[], '--id is required'],
    [['--id'], '--id needs a value'],
    [['--id', 'x', '--verbose=yes'], '--verbose takes no value'],
    [['--id', 'x', '--sise', '4'], 'unknown option --sise; did you mean --size?'],
    [['--id', 'x', '--colour', 'red'], 'unknown option --colour (options: --size, --rate, --name, --id, --verbose, --tag)'],
    [['--id', 'x', 'extra'], 'unexpected argument "extra"'],
  ])('%j is refused: %s', (argv, message) => {
    expect(mistake(argv)).toBe(message);
  });

  test('renamed options say their new name when the command has it', () => {
    const run = options({ 'max-batch-attempts': integer({ value: 'N', min: 1, help: 'rounds' }) });
    expect(() => parseOptions(['--max-attempts', '2'], run)).toThrow('--max-attempts is now --max-batch-attempts');
  });

  test('positionals are counted when the command takes some', () => {
    const files = { min: 1, max: Infinity, says: 'takes at least one FILE' };
    expect(parseOptions(['a.yaml', 'b.yaml'], {}, files).positionals).toEqual(['a.yaml', 'b.yaml']);
    expect(() => parseOptions([], {}, files)).toThrow('takes at least one FILE');
  });
});

describe('optionsHelp', () => {
  test('writes every option with its value name, bounds and default from the declarations', () => {
    const help = optionsHelp(declared);
    expect(help).toContain('--size N');
    expect(help).toMatch(/--size N\s+how many \(1 to 10, default 3\)/);
    expect(help).toMatch(/--id ID\s+which one \(required\)/);
    expect(help).toMatch(/--tag TAG\s+a tag \(repeatable\)/);
    expect(help).toMatch(/--verbose\s+say more$/m);
    for (const line of help.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });
});
