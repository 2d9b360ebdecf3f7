/**
 * Expressions: operators, Google's precedence, int/double arithmetic, comparisons and their errors
 * (workflows-language.md, "Expressions").
 */
import { parseExpression } from '../../../../runtime/local/engine';
import { evalExpr, exprTags } from './helpers';

describe('operators and precedence', () => {
  test.each([
    ['not binds tighter than ==: not a == b is (not a) == b', 'not a == b', { a: 'true', b: 'false' }, true],
    ['not a == b where a == b alone would be true', 'not a == b', { a: 'false', b: 'false' }, false],
    ['and binds tighter than or: a or b and c', 'a or b and c', { a: 'true', b: 'false', c: 'false' }, true],
    ['or on the left of and: a and b or c', 'a and b or c', { a: 'false', b: 'true', c: 'true' }, true],
    ['unary minus before *: -2 * 3', '-2 * 3', {}, -6],
    ['unary minus on a variable: -x * 3', '-x * 3', { x: '2' }, -6],
    ['* before +', '1 + 2 * 3', {}, 7],
    ['parentheses override', '(1 + 2) * 3', {}, 9],
    ['- is left associative', '10 - 4 - 3', {}, 3],
    ['/ and * are left associative', '12 / 2 * 3', {}, 18],
    ['x not in y is membership negated', 'x not in y', { x: '4', y: '[1, 2, 3]' }, true],
    ['x not in y is false for a member', 'x not in y', { x: '2', y: '[1, 2, 3]' }, false],
    ['"k" in m tests a map key', '"k" in m', { m: '{"k": 1}' }, true],
    ['in does not look at map values', '1 in m', { m: '{"k": 1}' }, false],
    ['in tests list elements', '"b" in ["a", "b"]', {}, true],
    ['in and == share one level, left to right', '1 in [1] == true', {}, true],
    ['+ before comparison', '1 + 1 == 2', {}, true],
    ['comparison before and', '1 < 2 and 2 < 3', {}, true],
    ['upper-case AND, OR, NOT', 'NOT false AND (false OR true)', {}, true],
    ['True and TRUE are bools', 'True == TRUE', {}, true],
    ['FALSE is false', 'FALSE', {}, false],
    ['member access before index', 'm.a[1]', { m: '{"a": [10, 20]}' }, 20],
    ['index then member', 'l[0].k', { l: '[{"k": "v"}]' }, 'v'],
    ['string index on a map', 'm["a b"]', { m: '{"a b": 3}' }, 3],
    ['index with an expression', 'l[i + 1]', { l: '[1, 2, 3]', i: '1' }, 3],
    ['list literal', '[1, "a", null]', {}, [1, 'a', null]],
    ['map literal', '{"a": 1 + 1}', {}, { a: 2 }],
    ['null literal', 'null', {}, null],
    ['single-quoted string literal', '\'it\' + "s"', {}, 'its'],
    ['escapes in strings', '"a\\tb"', {}, 'a\tb'],
  ])('%s', async (_name, expr, vars, expected) => {
    expect(await evalExpr(expr, vars)).toEqual(expected);
  });
});

describe('arithmetic', () => {
  test.each([
    ['int + int is an int', 'get_type(1 + 2)', 'int'],
    ['int + double is a double', 'get_type(1 + 2.0)', 'double'],
    ['/ always yields a double', 'get_type(4 / 2)', 'double'],
    ['/ of ints divides exactly', '7 / 2', 3.5],
    ['// floors ints', '7 // 2', 3],
    ['// floors toward minus infinity', '-7 // 2', -4],
    ['// of doubles is a floored double', 'get_type(7.5 // 2)', 'double'],
    ['% of ints is an int', '7 % 3', 1],
    ['% takes the sign of the divisor', '-7 % 3', 2],
    ['% of doubles', '7.5 % 2', 1.5],
    ['string + string concatenates', '"ab" + "cd"', 'abcd'],
    ['list + list concatenates', '[1] + [2, 3]', [1, 2, 3]],
    ['the largest int is allowed, exactly', 'string(9223372036854775806 + 1)', '9223372036854775807'],
    ['the smallest int literal is allowed', 'get_type(-9223372036854775808)', 'int'],
    ['double arithmetic', '0.5 * 3', 1.5],
    ['int * double', '2 * 1.5', 3],
    ['unary minus of a double', '-(1.5)', -1.5],
  ])('%s', async (_name, expr, expected) => {
    expect(await evalExpr(expr)).toEqual(expected);
  });

  test.each([
    ['int overflow on + is an error', '9223372036854775807 + 1', 'ValueError', {}],
    ['int overflow on * is an error', '9223372036854775807 * 2', 'ValueError', {}],
    ['int overflow on - is an error', '-9223372036854775807 - 2', 'ValueError', {}],
    ['negating the smallest int overflows', '-(x)', 'ValueError', { x: '-9223372036854775807 - 1' }],
    ['division by zero', '1 / 0', 'ZeroDivisionError', {}],
    ['floor division by zero', '1 // 0', 'ZeroDivisionError', {}],
    ['modulo by zero', '1 % 0', 'ZeroDivisionError', {}],
    ['double division by zero', '1.5 / 0.0', 'ZeroDivisionError', {}],
    ['string + number is a TypeError', '"a" + 1', 'TypeError', {}],
    ['number + string is a TypeError', '1 + "a"', 'TypeError', {}],
    ['list + map is a TypeError', '[1] + {"a": 1}', 'TypeError', {}],
    ['- on strings is a TypeError', '"a" - "b"', 'TypeError', {}],
    ['unary - on a string is a TypeError', '-s', 'TypeError', { s: '"a"' }],
    ['not on an int is a TypeError', 'not 1', 'TypeError', {}],
    ['and needs bools', '1 and true', 'TypeError', {}],
    ['or needs bools on the right', 'false or 1', 'TypeError', {}],
  ] as [string, string, string, Record<string, string>][])('%s', async (_name, expr, tag, vars) => {
    expect(await exprTags(expr, vars)).toContain(tag);
  });
});

describe('comparison', () => {
  test.each([
    ['== across types is false', '1 == "1"', false],
    ['!= across types is true', '1 != "1"', true],
    ['int == double compares values', '1 == 1.0', true],
    ['lists compare deeply', '[1, [2]] == [1, [2]]', true],
    ['maps compare deeply, ignoring order', '{"a": 1, "b": 2} == {"b": 2, "a": 1}', true],
    ['null == null', 'null == null', true],
    ['null != 0', 'null != 0', true],
    ['strings order by code point', '"B" < "a"', true],
    ['<= on numbers of both types', '2 <= 2.5', true],
    ['>= on equal ints', '3 >= 3', true],
    ['> on doubles', '2.5 > 2.4', true],
  ])('%s', async (_name, expr, expected) => {
    expect(await evalExpr(expr)).toBe(expected);
  });

  test.each([
    ['< across types raises TypeError', '1 < "2"'],
    ['< on bools raises TypeError', 'true < false'],
    ['< on lists raises TypeError', '[1] < [2]'],
    ['in on a string raises TypeError', '"a" in "abc"'],
  ])('%s', async (_name, expr) => {
    expect(await exprTags(expr)).toContain('TypeError');
  });
});

describe('lookups', () => {
  test.each([
    ['a missing key via . raises KeyError', 'm.b', { m: '{"a": 1}' }, 'KeyError'],
    ['a missing key via [] raises KeyError', 'm["b"]', { m: '{"a": 1}' }, 'KeyError'],
    ['a list index out of range raises IndexError', 'l[3]', { l: '[1, 2, 3]' }, 'IndexError'],
    ['a negative list index raises IndexError', 'l[-1]', { l: '[1, 2, 3]' }, 'IndexError'],
    ['a string index on a list raises TypeError', 'l["0"]', { l: '[1]' }, 'TypeError'],
    ['. on a list raises TypeError', 'l.a', { l: '[1]' }, 'TypeError'],
  ])('%s', async (_name, expr, vars, tag) => {
    expect(await exprTags(expr, vars)).toContain(tag);
  });
});

describe('parser', () => {
  test.each([
    ['mixed-case keywords are refused', 'a And b'],
    ['an unterminated string is refused', '"abc'],
    ['a dangling operator is refused', '1 +'],
    ['calling the result of an index is refused', 'l[0](1)'],
    ['an int literal beyond 64 bits is refused', '9223372036854775808'],
  ])('%s', (_name, text) => {
    expect(() => parseExpression(text)).toThrow();
  });

  test('builds the precedence tree Google documents for not a == b', () => {
    expect(parseExpression('not a == b')).toEqual({
      t: 'bin',
      op: '==',
      l: { t: 'not', arg: { t: 'var', name: 'a' } },
      r: { t: 'var', name: 'b' },
    });
  });
});
