/**
 * The standard library: every function workflows-language.md lists, with its documented behaviour
 * and the errors for wrong input.
 */
import { STDLIB } from '../../../../runtime/local/engine';
import { evalExpr, exprTags, failure, result, run } from './helpers';

describe('functions without a module', () => {
  test.each([
    ['len of a string counts characters', 'len("héllo")', 5],
    ['len of a list', 'len([1, 2, 3])', 3],
    ['len of a map', 'len({"a": 1, "b": 2})', 2],
    ['len of bytes', 'len(text.encode("é"))', 2],
    ['keys of a map in insertion order', 'keys({"b": 1, "a": 2})', ['b', 'a']],
    ['default replaces null', 'default(null, 5)', 5],
    ['default keeps a value', 'default(0, 5)', 0],
    ['default with map.get of a missing key', 'default(map.get({"a": 1}, "b"), "x")', 'x'],
    ['type of each kind', '[get_type(1), get_type(1.5), get_type("s"), get_type(true), get_type(null), get_type([]), get_type({}), get_type(text.encode("x"))]', ['int', 'double', 'string', 'bool', 'null', 'list', 'map', 'bytes']],
    ['int of a double truncates toward zero', 'int(-2.7)', -2],
    ['int of a string', 'int("42")', 42],
    ['double of an int', 'get_type(double(2))', 'double'],
    ['double of a string', 'double("2.5")', 2.5],
    ['string of an int', 'string(42)', '42'],
    ['string of a double keeps the fraction', 'string(2.5)', '2.5'],
    ['string of a bool', 'string(true)', 'true'],
  ])('%s', async (_name, expr, expected) => {
    expect(await evalExpr(expr)).toEqual(expected);
  });

  test.each([
    ['len of an int is a TypeError', 'len(5)', 'TypeError'],
    ['keys of a list is a TypeError', 'keys([1])', 'TypeError'],
    ['int of a non-numeric string is a ValueError', 'int("4x")', 'ValueError'],
    ['double of a non-numeric string is a ValueError', 'double("abc")', 'ValueError'],
    ['string of a list is a TypeError', 'string([1])', 'TypeError'],
    ['a missing argument is a TypeError', 'len()', 'TypeError'],
    ['too many arguments is a TypeError', 'len("a", "b")', 'TypeError'],
  ])('%s', async (_name, expr, tag) => {
    expect(await exprTags(expr)).toContain(tag);
  });
});

describe('text', () => {
  test.each([
    ['text.split', 'text.split("a,b,,c", ",")', ['a', 'b', '', 'c']],
    ['text.substring takes [start, end)', 'text.substring("abcdef", 1, 4)', 'bcd'],
    ['text.substring clamps to the string', 'text.substring("abc", 1, 99)', 'bc'],
    ['text.find_all lists index and match', 'text.find_all("abab", "b")', [{ index: 1, match: 'b' }, { index: 3, match: 'b' }]],
    ['text.find_all_regex', 'text.find_all_regex("a1b22", "[0-9]+")', [{ index: 1, match: '1' }, { index: 3, match: '22' }]],
    ['text.match_regex finds a match anywhere', 'text.match_regex("batch-12", "[0-9]+$")', true],
    ['text.match_regex false when absent', 'text.match_regex("batch", "^[0-9]+$")', false],
    ['text.replace_all', 'text.replace_all("a-b-c", "-", "+")', 'a+b+c'],
    ['text.replace_all_regex with a group', 'text.replace_all_regex("v1 v2", "v([0-9])", "n\\\\1")', 'n1 n2'],
    ['text.to_lower', 'text.to_lower("AbC")', 'abc'],
    ['text.to_upper', 'text.to_upper("AbC")', 'ABC'],
    ['text.url_encode encodes slashes and spaces', 'text.url_encode("runs/a b/plan.json")', 'runs%2Fa%20b%2Fplan.json'],
    ['text.url_encode_plus uses + for spaces', 'text.url_encode_plus("a b&c")', 'a+b%26c'],
    ['text.url_decode', 'text.url_decode("a%2Fb%20c")', 'a/b c'],
    ['text.encode then text.decode round-trips', 'text.decode(text.encode("héllo"))', 'héllo'],
  ])('%s', async (_name, expr, expected) => {
    expect(await evalExpr(expr)).toEqual(expected);
  });

  test.each([
    ['text.split of a non-string is a TypeError', 'text.split(1, ",")', 'TypeError'],
    ['an invalid regex is a ValueError', 'text.match_regex("a", "(")', 'ValueError'],
    ['malformed percent-encoding is a ValueError', 'text.url_decode("%E0%A4%A")', 'ValueError'],
    ['text.decode of a string is a TypeError', 'text.decode("abc")', 'TypeError'],
  ])('%s', async (_name, expr, tag) => {
    expect(await exprTags(expr)).toContain(tag);
  });
});

describe('json', () => {
  test.each([
    ['json.encode_to_string of a map', 'json.encode_to_string({"a": [1, 2.5, true, null]})', '{"a":[1,2.5,true,null]}'],
    ['json.encode returns bytes', 'get_type(json.encode({"a": 1}))', 'bytes'],
    ['json.decode of a string', 'json.decode("{\\"a\\": [1, 2]}")', { a: [1, 2] }],
    ['json.decode of bytes', 'json.decode(json.encode({"k": "v"}))', { k: 'v' }],
    ['json.decode keeps ints as ints', 'get_type(json.decode("7"))', 'int'],
    ['json.decode keeps 2.0 a double', 'get_type(json.decode("2.0"))', 'double'],
    ['json.decode keeps int64 precision', 'json.decode("9007199254740993") - 9007199254740992', 1],
    ['restore a string-serialised error with json.decode(text.encode(E))', 'json.decode(text.encode("{\\"code\\": 404}")).code', 404],
  ])('%s', async (_name, expr, expected) => {
    expect(await evalExpr(expr)).toEqual(expected);
  });

  test('json.decode of malformed text is a ValueError', async () => {
    expect(await exprTags('json.decode("{")')).toContain('ValueError');
  });
});

describe('map and list', () => {
  test.each([
    ['map.get returns the value', 'map.get({"a": 1}, "a")', 1],
    ['map.get returns null for a missing key', 'map.get({"a": 1}, "b")', null],
    ['map.get follows a list of keys', 'map.get({"a": {"b": 2}}, ["a", "b"])', 2],
    ['map.get returns null when a nested key is missing', 'map.get({"a": {"b": 2}}, ["a", "c", "d"])', null],
    ['map.delete removes a key', 'map.delete({"a": 1, "b": 2}, "a")', { b: 2 }],
    ['map.merge: the second map wins', 'map.merge({"a": 1, "b": 1}, {"b": 2})', { a: 1, b: 2 }],
    ['map.merge is shallow', 'map.merge({"a": {"x": 1}}, {"a": {"y": 2}})', { a: { y: 2 } }],
    ['map.merge_nested merges submaps', 'map.merge_nested({"a": {"x": 1}}, {"a": {"y": 2}})', { a: { x: 1, y: 2 } }],
    ['list.concat appends a value', 'list.concat([1, 2], 3)', [1, 2, 3]],
    ['list.prepend puts a value first', 'list.prepend([1, 2], 0)', [0, 1, 2]],
  ])('%s', async (_name, expr, expected) => {
    expect(await evalExpr(expr)).toEqual(expected);
  });

  test('map.get of a non-map is a TypeError', async () => {
    expect(await exprTags('map.get([1], "a")')).toContain('TypeError');
  });
});

describe('math, time, uuid, base64, hash', () => {
  test.each([
    ['math.abs of an int', 'math.abs(-3)', 3],
    ['math.abs of a double', 'math.abs(-2.5)', 2.5],
    ['math.floor of a double is an int', 'get_type(math.floor(2.7))', 'int'],
    ['math.floor of a negative double', 'math.floor(-2.5)', -3],
    ['math.max', 'math.max(2, 7.5)', 7.5],
    ['math.min', 'math.min(2, 7.5)', 2],
    ['time.format of epoch seconds', 'time.format(0)', '1970-01-01T00:00:00Z'],
    ['time.format keeps a fraction', 'time.format(1.5)', '1970-01-01T00:00:01.500000Z'],
    ['time.parse of RFC 3339', 'time.parse("1970-01-02T00:00:00Z")', 86400],
    ['time.parse with an offset', 'time.parse("1970-01-01T01:00:00+01:00")', 0],
    ['time.format and time.parse round-trip', 'time.parse(time.format(1767225600))', 1767225600],
    ['uuid.generate gives a version-4 UUID', 'text.match_regex(uuid.generate(), "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")', true],
    ['uuid.generate differs on each call', 'uuid.generate() != uuid.generate()', true],
    ['base64.encode of bytes', 'base64.encode(text.encode("hi"))', 'aGk='],
    ['base64.decode to bytes', 'text.decode(base64.decode("aGk="))', 'hi'],
    ['hash.compute_checksum SHA256', 'base64.encode(hash.compute_checksum(text.encode("abc"), "SHA256"))', 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='],
  ])('%s', async (_name, expr, expected) => {
    expect(await evalExpr(expr)).toEqual(expected);
  });

  test.each([
    ['time.parse of a bad time is a ValueError', 'time.parse("yesterday")', 'ValueError'],
    ['base64.encode of a string is a TypeError (needs bytes)', 'base64.encode("hi")', 'TypeError'],
    ['base64.decode of bad text is a ValueError', 'base64.decode("a$b")', 'ValueError'],
    ['math.abs of a string is a TypeError', 'math.abs("1")', 'TypeError'],
  ])('%s', async (_name, expr, tag) => {
    expect(await exprTags(expr)).toContain(tag);
  });
});

describe('retry predicates', () => {
  test.each([
    ['http.default_retry_predicate retries 429', '{"code": 429}', true],
    ['http.default_retry_predicate retries 502', '{"code": 502}', true],
    ['http.default_retry_predicate retries 503', '{"code": 503}', true],
    ['http.default_retry_predicate retries 504', '{"code": 504}', true],
    ['http.default_retry_predicate does not retry 500', '{"code": 500}', false],
    ['http.default_retry_predicate retries ConnectionError', '{"tags": ["ConnectionError"]}', true],
    ['http.default_retry_predicate retries TimeoutError', '{"tags": ["TimeoutError"]}', true],
    ['http.default_retry_predicate does not retry a string', '"boom"', false],
  ])('%s', async (_name, e, expected) => {
    expect(await evalExpr(`http.default_retry_predicate(${e})`)).toBe(expected);
  });

  test.each([
    ['the non-idempotent predicate retries 429', '{"code": 429}', true],
    ['the non-idempotent predicate retries 503', '{"code": 503}', true],
    ['the non-idempotent predicate does not retry 502', '{"code": 502}', false],
    ['the non-idempotent predicate does not retry ConnectionError', '{"tags": ["ConnectionError"]}', false],
    ['the non-idempotent predicate retries ConnectionFailedError', '{"tags": ["ConnectionFailedError"]}', true],
  ])('%s', async (_name, e, expected) => {
    expect(await evalExpr(`http.default_retry_predicate_non_idempotent(${e})`)).toBe(expected);
  });
});

describe('sys', () => {
  test('sys.now reads the virtual clock and sys.sleep advances it', async () => {
    const r = await result(`
main:
  steps:
    - t0:
        assign:
          - before: \${sys.now()}
    - wait:
        call: sys.sleep
        args:
          seconds: 86400
    - out:
        return: \${sys.now() - before}
`);
    expect(r).toBe(86400);
  });

  test('sys.sleep_until wakes at the given time', async () => {
    const r = await result(`
main:
  steps:
    - wait:
        call: sys.sleep_until
        args:
          time: "2026-01-02T00:00:00Z"
    - out:
        return: \${time.format(sys.now())}
`);
    expect(r).toBe('2026-01-02T00:00:00Z');
  });

  test('sys.sleep with a negative duration is a ValueError', async () => {
    const e = await failure(`
main:
  steps:
    - wait:
        call: sys.sleep
        args:
          seconds: -1
`);
    expect(e.tags).toContain('ValueError');
  });

  test('sys.log records data and text with their severity', async () => {
    const out = await run(`
main:
  steps:
    - a:
        call: sys.log
        args:
          data: {batch: 3}
          severity: WARNING
    - b:
        call: sys.log
        args:
          text: "done"
`);
    expect(out.logs.map((l) => [l.severity, l.payload])).toEqual([
      ['WARNING', { batch: 3 }],
      ['DEFAULT', 'done'],
    ]);
  });

  test('sys.get_env reads user variables, built-ins and defaults', async () => {
    const r = await result(
      `
main:
  steps:
    - out:
        return:
          - \${sys.get_env("TAP_BUCKET")}
          - \${sys.get_env("GOOGLE_CLOUD_PROJECT_ID")}
          - \${sys.get_env("GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID")}
          - \${sys.get_env("GOOGLE_CLOUD_LOCATION")}
          - \${sys.get_env("MISSING", "fallback")}
          - \${sys.get_env("MISSING")}
`,
      { env: { TAP_BUCKET: 'work' } },
    );
    expect(r).toEqual(['work', 'local-project', 'test-execution', 'local', 'fallback', null]);
  });

  test('user environment variables may not start with GOOGLE_ or WORKFLOWS_', async () => {
    await expect(run('main:\n  steps:\n    - a:\n        return: 1\n', { env: { GOOGLE_X: '1' } })).rejects.toThrow(/GOOGLE_/);
    await expect(run('main:\n  steps:\n    - a:\n        return: 1\n', { env: { WORKFLOWS_X: '1' } })).rejects.toThrow(/WORKFLOWS_/);
  });

  test('a call step passes arguments by name and rejects unknown ones', async () => {
    const e = await failure(`
main:
  steps:
    - a:
        call: text.split
        args:
          source: "a"
          sep: ","
`);
    expect(e.tags).toContain('TypeError');
    expect(e.message).toMatch(/unknown argument "sep"/);
  });
});

test('every function the reference lists exists in the engine', () => {
  const listed =
    'sys.now sys.sleep sys.sleep_until sys.log sys.get_env text.split text.substring text.find_all text.find_all_regex text.match_regex text.replace_all text.replace_all_regex text.to_lower text.to_upper text.url_encode text.url_encode_plus text.url_decode text.encode text.decode json.encode json.encode_to_string json.decode map.get map.delete map.merge map.merge_nested list.concat list.prepend math.abs math.floor math.max math.min time.format time.parse uuid.generate base64.encode base64.decode http.default_retry_predicate http.default_retry_predicate_non_idempotent len keys default get_type int double string'.split(
      ' ',
    );
  expect(listed.filter((f) => !(f in STDLIB))).toEqual([]);
});
