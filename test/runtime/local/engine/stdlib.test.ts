/**
 * Conformance of the standard library with Google's reference, function by function: for each, the
 * behaviour its page documents and every error it documents. Each entry names its page under
 * https://cloud.google.com/workflows/docs/reference/stdlib/ (written `SL/...`); where Google is
 * silent the engine's choice (CHOICES.md) is tested under "choices".
 */
import { HandlerContext, STDLIB } from '../../../../runtime/local/engine';
import { evalExpr, exprTags, failure, result, run } from './helpers';

interface Entry {
  /** The page the facts come from. */
  readonly page: string;
  /** `[expression, expected value]`. */
  readonly ok: readonly (readonly [string, unknown])[];
  /** `[expression, error tag]`: the errors the page documents. */
  readonly errors: readonly (readonly [string, string])[];
}

/** Functions an expression may call (not blocking), with Google's facts about each. */
const EXPRESSION_FUNCTIONS: Readonly<Record<string, Entry>> = {
  // SL/expression-helpers: double() accepts a string or an integer and returns a double.
  double: {
    page: 'SL/expression-helpers',
    ok: [
      ['double(2)', 2],
      ['get_type(double(2))', 'double'],
      ['double("2.5")', 2.5],
    ],
    errors: [],
  },
  // SL/expression-helpers: int() accepts a string or a double and returns an integer.
  int: {
    page: 'SL/expression-helpers',
    ok: [
      ['int("42")', 42],
      ['get_type(int(2.0))', 'int'],
    ],
    errors: [],
  },
  // SL/expression-helpers: string() accepts an integer, double or boolean.
  string: {
    page: 'SL/expression-helpers',
    ok: [
      ['string(42)', '42'],
      ['string(2.5)', '2.5'],
      ['string(true)', 'true'],
    ],
    errors: [],
  },
  // SL/expression-helpers: keys() returns the keys of a map.
  keys: { page: 'SL/expression-helpers', ok: [['keys({"b": 1, "a": 2})', ['b', 'a']]], errors: [] },
  // SL/expression-helpers: len() of a list counts elements, of a map entries, of a string characters.
  len: {
    page: 'SL/expression-helpers',
    ok: [
      ['len([1, 2, 3])', 3],
      ['len({"a": 1, "b": 2})', 2],
      ['len("héllo")', 5],
      ['len("😀")', 1],
    ],
    errors: [],
  },
  // SL/expression-helpers: default(val, defaultVal) is val unless val is null.
  default: {
    page: 'SL/expression-helpers',
    ok: [
      ['default(null, 5)', 5],
      ['default(0, 5)', 0],
      ['default(map.get({"a": 1}, "b"), "x")', 'x'],
    ],
    errors: [],
  },
  // SL/expression-helpers: if(condition, ifTrue, ifFalse); a false or null condition gives ifFalse.
  if: {
    page: 'SL/expression-helpers',
    ok: [
      ['if(true, "yes", "no")', 'yes'],
      ['if(false, "yes", "no")', 'no'],
      ['if(null, "yes", "no")', 'no'],
    ],
    errors: [],
  },
  // SL/overview: get_type(arg) names the type; public workflows compare it with "map" and "list".
  get_type: {
    page: 'SL/overview',
    ok: [
      ['get_type({})', 'map'],
      ['get_type([])', 'list'],
    ],
    errors: [],
  },

  // SL/base64/encode: bytes to a string, padded unless padding is false.
  'base64.encode': {
    page: 'SL/base64/encode',
    ok: [
      ['base64.encode(text.encode("hi"))', 'aGk='],
      ['base64.encode(text.encode("hi"), false)', 'aGk'],
    ],
    errors: [],
  },
  // SL/base64/decode: CR and LF are ignored; ValueError for a character outside the alphabet, or a
  // length that is not a multiple of 4 when padding is true.
  'base64.decode': {
    page: 'SL/base64/decode',
    ok: [
      ['text.decode(base64.decode("aGk="))', 'hi'],
      ['text.decode(base64.decode("aG\\r\\nk="))', 'hi'],
      ['text.decode(base64.decode("aGk", false))', 'hi'],
    ],
    errors: [
      ['base64.decode("a$b=")', 'ValueError'],
      ['base64.decode("aGk")', 'ValueError'],
    ],
  },

  // SL/hash/compute_checksum: MD5, SHA1, SHA224, SHA256, SHA384, SHA512; TypeError for data that is
  // not bytes, ValueError for another algorithm.
  'hash.compute_checksum': {
    page: 'SL/hash/compute_checksum',
    ok: [
      ['base64.encode(hash.compute_checksum(text.encode("abc"), "SHA256"))', 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='],
      ['len(hash.compute_checksum(text.encode("abc"), "SHA224"))', 28],
      ['len(hash.compute_checksum(text.encode("abc"), "MD5"))', 16],
    ],
    errors: [
      ['hash.compute_checksum("abc", "SHA256")', 'TypeError'],
      ['hash.compute_checksum(text.encode("abc"), 256)', 'TypeError'],
      ['hash.compute_checksum(text.encode("abc"), "CRC32")', 'ValueError'],
    ],
  },
  // SL/hash/compute_hmac: same algorithms; TypeError for key or data that is not bytes.
  'hash.compute_hmac': {
    page: 'SL/hash/compute_hmac',
    ok: [
      [
        'base64.encode(hash.compute_hmac(text.encode("key"), text.encode("The quick brown fox jumps over the lazy dog"), "SHA256"))',
        '97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg=',
      ],
    ],
    errors: [
      ['hash.compute_hmac("key", text.encode("d"), "SHA256")', 'TypeError'],
      ['hash.compute_hmac(text.encode("k"), text.encode("d"), "SHA0")', 'ValueError'],
    ],
  },

  // SL/http/default_retry_predicate: true for HTTP 429, 502, 503, 504 and the three connection tags.
  'http.default_retry_predicate': {
    page: 'SL/http/default_retry_predicate',
    ok: [
      [
        '[http.default_retry_predicate({"code": 429}), http.default_retry_predicate({"code": 502}), http.default_retry_predicate({"code": 503}), http.default_retry_predicate({"code": 504})]',
        [true, true, true, true],
      ],
      [
        '[http.default_retry_predicate({"tags": ["ConnectionError"]}), http.default_retry_predicate({"tags": ["ConnectionFailedError"]}), http.default_retry_predicate({"tags": ["TimeoutError"]})]',
        [true, true, true],
      ],
      ['[http.default_retry_predicate({"code": 500}), http.default_retry_predicate("boom")]', [false, false]],
    ],
    errors: [],
  },
  // SL/http/default_retry_predicate_non_idempotent: 429, 503 and ConnectionFailedError only.
  'http.default_retry_predicate_non_idempotent': {
    page: 'SL/http/default_retry_predicate_non_idempotent',
    ok: [
      [
        '[http.default_retry_predicate_non_idempotent({"code": 429}), http.default_retry_predicate_non_idempotent({"code": 503}), http.default_retry_predicate_non_idempotent({"tags": ["ConnectionFailedError"]})]',
        [true, true, true],
      ],
      [
        '[http.default_retry_predicate_non_idempotent({"code": 502}), http.default_retry_predicate_non_idempotent({"tags": ["ConnectionError"]})]',
        [false, false],
      ],
    ],
    errors: [],
  },

  // SL/json/decode: bytes (read as UTF-8) or a string; ValueError when it is not JSON.
  'json.decode': {
    page: 'SL/json/decode',
    ok: [
      ['json.decode("{\\"a\\": [1, 2]}")', { a: [1, 2] }],
      ['json.decode(text.encode("[true]"))', [true]],
    ],
    errors: [['json.decode("{")', 'ValueError']],
  },
  // SL/json/encode: bytes; indent true means four spaces, a map gives prefix and indent; ValueError
  // for what cannot be encoded (bytes).
  'json.encode': {
    page: 'SL/json/encode',
    ok: [
      ['get_type(json.encode({"a": 1}))', 'bytes'],
      ['text.decode(json.encode({"a": 1}))', '{"a":1}'],
      ['text.decode(json.encode({"a": 1}, true))', '{\n    "a": 1\n}'],
      ['text.decode(json.encode([1], {"prefix": "> ", "indent": "\\t"}))', '[\n> \t1\n> ]'],
    ],
    errors: [['json.encode(text.encode("x"))', 'ValueError']],
  },
  // SL/json/encode_to_string: as json.encode, returning a string.
  'json.encode_to_string': {
    page: 'SL/json/encode_to_string',
    ok: [
      ['json.encode_to_string({"a": [1, 2.5, true, null]})', '{"a":[1,2.5,true,null]}'],
      ['json.encode_to_string({"a": 1}, {"indent": " "})', '{\n "a": 1\n}'],
    ],
    errors: [['json.encode_to_string([text.encode("x")])', 'ValueError']],
  },

  // SL/list/concat: a copy of objs with val added as one element at the end; TypeError if objs is not a list.
  'list.concat': {
    page: 'SL/list/concat',
    ok: [
      ['list.concat([1, 2], 3)', [1, 2, 3]],
      ['list.concat([1, 2], [3, 4])', [1, 2, [3, 4]]],
    ],
    errors: [['list.concat("ab", 3)', 'TypeError']],
  },
  // SL/list/prepend: val added as one element at the front.
  'list.prepend': {
    page: 'SL/list/prepend',
    ok: [
      ['list.prepend([1, 2], 0)', [0, 1, 2]],
      ['list.prepend([1], [0])', [[0], 1]],
    ],
    errors: [['list.prepend({}, 0)', 'TypeError']],
  },

  // SL/map/get: null for a missing key or when map is not a map; a list of keys walks nested maps;
  // TypeError only when keys is neither a string nor a list of strings.
  'map.get': {
    page: 'SL/map/get',
    ok: [
      ['map.get({"a": 1}, "a")', 1],
      ['map.get({"a": 1}, "b")', null],
      ['map.get([1], "a")', null],
      ['map.get(null, "a")', null],
      ['map.get({"a": {"b": 2}}, ["a", "b"])', 2],
      ['map.get({"a": {"b": 2}}, ["a", "c", "d"])', null],
      ['map.get({"a": 5}, ["a", "b"])', null],
    ],
    errors: [
      ['map.get({"a": 1}, 1)', 'TypeError'],
      ['map.get({"a": 1}, ["a", 1])', 'TypeError'],
    ],
  },
  // SL/map/delete: a copy without the key; TypeError for a non-map or a non-string key.
  'map.delete': {
    page: 'SL/map/delete',
    ok: [
      ['map.delete({"a": 1, "b": 2}, "a")', { b: 2 }],
      ['map.delete({"a": 1}, "z")', { a: 1 }],
    ],
    errors: [
      ['map.delete([1], "a")', 'TypeError'],
      ['map.delete({"a": 1}, 1)', 'TypeError'],
    ],
  },
  // SL/map/merge: second wins, shallow; TypeError if either is not a map.
  'map.merge': {
    page: 'SL/map/merge',
    ok: [
      ['map.merge({"a": 1, "b": 1}, {"b": 2})', { a: 1, b: 2 }],
      ['map.merge({"a": {"x": 1}}, {"a": {"y": 2}})', { a: { y: 2 } }],
    ],
    errors: [['map.merge({}, [1])', 'TypeError']],
  },
  // SL/map/merge_nested: like merge, into nested maps.
  'map.merge_nested': {
    page: 'SL/map/merge_nested',
    ok: [['map.merge_nested({"a": {"x": 1}}, {"a": {"y": 2}})', { a: { x: 1, y: 2 } }]],
    errors: [['map.merge_nested("a", {})', 'TypeError']],
  },

  // SL/math/abs: TypeError for a non-number, ValueError for the smallest 64-bit integer.
  'math.abs': {
    page: 'SL/math/abs',
    ok: [
      ['math.abs(-3)', 3],
      ['math.abs(-2.5)', 2.5],
    ],
    errors: [
      ['math.abs("1")', 'TypeError'],
      ['math.abs(-9223372036854775808)', 'ValueError'],
    ],
  },
  // SL/math/floor: 23.67 -> 23, -23.67 -> -24, 0 -> 0; TypeError for a non-number.
  'math.floor': {
    page: 'SL/math/floor',
    ok: [
      ['math.floor(23.67)', 23],
      ['math.floor(-23.67)', -24],
      ['math.floor(0)', 0],
    ],
    errors: [['math.floor("1")', 'TypeError']],
  },
  // SL/math/max: an int only if both are ints, otherwise a double (max(123, -456.7) is 123.0).
  'math.max': {
    page: 'SL/math/max',
    ok: [
      ['math.max(123, -456.7)', 123],
      ['get_type(math.max(123, -456.7))', 'double'],
      ['get_type(math.max(1, 2))', 'int'],
    ],
    errors: [['math.max(1, "2")', 'TypeError']],
  },
  // SL/math/min: min(123, -456.7) is -456.7; same int/double rule.
  'math.min': {
    page: 'SL/math/min',
    ok: [
      ['math.min(123, -456.7)', -456.7],
      ['get_type(math.min(1, 2.0))', 'double'],
      ['get_type(math.min(1, 2))', 'int'],
    ],
    errors: [['math.min(null, 2)', 'TypeError']],
  },

  // SL/retry/always, SL/retry/never: predicates that always or never retry.
  'retry.always': { page: 'SL/retry/always', ok: [['retry.always({"code": 400})', true]], errors: [] },
  'retry.never': { page: 'SL/retry/never', ok: [['retry.never({"code": 503})', false]], errors: [] },

  // SL/sys/get_env: the variable, or default when it is not set; TypeError for a non-string name or default.
  'sys.get_env': {
    page: 'SL/sys/get_env',
    ok: [
      ['sys.get_env("GOOGLE_CLOUD_PROJECT_ID")', 'local-project'],
      ['sys.get_env("UNSET_NAME", "fallback")', 'fallback'],
    ],
    errors: [
      ['sys.get_env(1)', 'TypeError'],
      ['sys.get_env("X", 1)', 'TypeError'],
    ],
  },
  // SL/sys/now: a double, seconds since the epoch.
  'sys.now': {
    page: 'SL/sys/now',
    ok: [
      ['get_type(sys.now())', 'double'],
      ['sys.now()', 1767225600],
    ],
    errors: [],
  },
  // SL/sys/sleep_until: TypeError for a non-string, ValueError for a time that is not ISO 8601.
  'sys.sleep_until': {
    page: 'SL/sys/sleep_until',
    ok: [['sys.sleep_until("2026-01-01T00:00:00Z")', null]],
    errors: [
      ['sys.sleep_until(1)', 'TypeError'],
      ['sys.sleep_until("tomorrow")', 'ValueError'],
    ],
  },

  // SL/text/decode: undecodable bytes become U+FFFD; ValueError for an unsupported charset.
  'text.decode': {
    page: 'SL/text/decode',
    ok: [
      ['text.decode(text.encode("héllo"))', 'héllo'],
      ['text.decode(base64.decode("/w=="))', '\uFFFD'],
      ['text.decode(text.encode("é", "ISO-8859-1"), "iso-8859-1")', 'é'],
    ],
    errors: [['text.decode(text.encode("a"), "NO-SUCH-CHARSET")', 'ValueError']],
  },
  // SL/text/encode: ValueError for an unsupported charset or a code point it cannot represent.
  'text.encode': {
    page: 'SL/text/encode',
    ok: [
      ['len(text.encode("é"))', 2],
      ['len(text.encode("é", "ISO-8859-1"))', 1],
    ],
    errors: [
      ['text.encode("a", "NO-SUCH-CHARSET")', 'ValueError'],
      ['text.encode("€", "US-ASCII")', 'ValueError'],
    ],
  },
  // SL/text/find_all: sorted code-point indexes of non-overlapping matches, leftmost first; TypeError
  // for a non-string, ValueError for a substr that is not UTF-8.
  'text.find_all': {
    page: 'SL/text/find_all',
    ok: [
      ['text.find_all("00000", "00")', [0, 2]],
      ['text.find_all("Hello World", "l")', [2, 3, 9]],
      ['text.find_all("😀a😀a", "a")', [1, 3]],
      ['text.find_all("abc", "z")', []],
    ],
    errors: [
      ['text.find_all(1, "a")', 'TypeError'],
      ['text.find_all("a", "\\uD800")', 'ValueError'],
    ],
  },
  // SL/text/find_all_regex: maps {index, match}; leftmost wins, and the longest at one index.
  'text.find_all_regex': {
    page: 'SL/text/find_all_regex',
    ok: [
      [
        'text.find_all_regex("a1b22", "[0-9]+")',
        [
          { index: 1, match: '1' },
          { index: 3, match: '22' },
        ],
      ],
      ['text.find_all_regex("ab", "a|ab")', [{ index: 0, match: 'ab' }]],
      ['text.find_all_regex("😀x", "x")', [{ index: 1, match: 'x' }]],
    ],
    errors: [
      ['text.find_all_regex("a", 1)', 'TypeError'],
      ['text.find_all_regex("a", "(")', 'ValueError'],
    ],
  },
  // SL/text/match_regex: true when the RE2 expression matches any substring.
  'text.match_regex': {
    page: 'SL/text/match_regex',
    ok: [
      ['text.match_regex("batch-12", "[0-9]+")', true],
      ['text.match_regex("batch", "^[0-9]+$")', false],
      ['text.match_regex("Ab", "(?i)ab")', true],
    ],
    errors: [
      ['text.match_regex(1, "a")', 'TypeError'],
      ['text.match_regex("a", "a(?=b)")', 'ValueError'],
      ['text.match_regex("aa", "(a)\\\\1")', 'ValueError'],
    ],
  },
  // SL/text/replace_all: non-overlapping leftmost; an empty substr matches at the start and after
  // every code point; TypeError for a non-string, ValueError for text that is not UTF-8.
  'text.replace_all': {
    page: 'SL/text/replace_all',
    ok: [
      ['text.replace_all("Hello World", "Hello", "Goodbye")', 'Goodbye World'],
      ['text.replace_all("aaa", "aa", "b")', 'ba'],
      ['text.replace_all("ab", "", "-")', '-a-b-'],
    ],
    errors: [
      ['text.replace_all("a", "a", 1)', 'TypeError'],
      ['text.replace_all("a", "a", "\\uDC00")', 'ValueError'],
    ],
  },
  // SL/text/replace_all_regex: leftmost, longest at an index; repl is literal (no backreferences).
  'text.replace_all_regex': {
    page: 'SL/text/replace_all_regex',
    ok: [
      ['text.replace_all_regex("one two", "one|two", "three")', 'three three'],
      ['text.replace_all_regex("v1 v2", "v([0-9])", "n\\\\1")', 'n\\1 n\\1'],
      ['text.replace_all_regex("ab", "a|ab", "x")', 'x'],
      ['text.replace_all_regex("abc", "", "-")', '-a-b-c-'],
    ],
    errors: [
      ['text.replace_all_regex("a", "a", null)', 'TypeError'],
      ['text.replace_all_regex("a", "[", "b")', 'ValueError'],
    ],
  },
  // SL/text/split: separators excluded, non-overlapping leftmost, empty pieces kept; ValueError for
  // an empty separator.
  'text.split': {
    page: 'SL/text/split',
    ok: [
      ['text.split("abc", "a")', ['', 'bc']],
      ['text.split("abc", "c")', ['ab', '']],
      ['text.split("abbc", "b")', ['a', '', 'c']],
      ['text.split("baaab", "aa")', ['b', 'ab']],
      ['text.split("abc", "x")', ['abc']],
    ],
    errors: [
      ['text.split(1, ",")', 'TypeError'],
      ['text.split("abc", "")', 'ValueError'],
    ],
  },
  // SL/text/substring: [start, end) by code point; negative counts from the end; clamped.
  'text.substring': {
    page: 'SL/text/substring',
    ok: [
      ['text.substring("hello", 2, 4)', 'll'],
      ['text.substring("hello", -10, 10)', 'hello'],
      ['text.substring("hello", -3, -1)', 'll'],
      ['text.substring("😀ab", 1, 2)', 'a'],
    ],
    errors: [
      ['text.substring(1, 0, 1)', 'TypeError'],
      ['text.substring("abc", "0", 1)', 'TypeError'],
    ],
  },
  'text.to_lower': { page: 'SL/text/to_lower', ok: [['text.to_lower("ÀbC")', 'àbc']], errors: [['text.to_lower(1)', 'TypeError']] },
  'text.to_upper': { page: 'SL/text/to_upper', ok: [['text.to_upper("àbc")', 'ÀBC']], errors: [['text.to_upper([])', 'TypeError']] },
  // SL/text/url_decode: %xx as UTF-8 and + as a space; ValueError for % without two hex digits.
  'text.url_decode': {
    page: 'SL/text/url_decode',
    ok: [['text.url_decode("a%2Fb+c%C3%A9")', 'a/b cé']],
    errors: [
      ['text.url_decode(1)', 'TypeError'],
      ['text.url_decode("%E0%A4%A")', 'ValueError'],
    ],
  },
  // SL/text/url_encode: "a/b/c?item=d+e f" -> "a%2Fb%2Fc%3Fitem%3Dd%2Be%20f".
  'text.url_encode': {
    page: 'SL/text/url_encode',
    ok: [
      ['text.url_encode("a/b/c?item=d+e f")', 'a%2Fb%2Fc%3Fitem%3Dd%2Be%20f'],
      ['text.url_encode("A.z-9_")', 'A.z-9_'],
    ],
    errors: [['text.url_encode(1)', 'TypeError']],
  },
  // SL/text/url_encode_plus: the same example gives "a%2Fb%2Fc%3Fitem%3Dd%2Be+f".
  'text.url_encode_plus': {
    page: 'SL/text/url_encode_plus',
    ok: [['text.url_encode_plus("a/b/c?item=d+e f")', 'a%2Fb%2Fc%3Fitem%3Dd%2Be+f']],
    errors: [['text.url_encode_plus(null)', 'TypeError']],
  },

  // SL/time/format: format(1720788633) and format(1720788633, "GMT") give
  // "2024-07-12T12:50:33.000000Z"; "Europe/Paris" gives "2024-07-12T14:50:33.000000+02:00".
  'time.format': {
    page: 'SL/time/format',
    ok: [
      ['time.format(1720788633)', '2024-07-12T12:50:33.000000Z'],
      ['time.format(1720788633, "GMT")', '2024-07-12T12:50:33.000000Z'],
      ['time.format(1720788633, "Europe/Paris")', '2024-07-12T14:50:33.000000+02:00'],
      ['time.format(1.5)', '1970-01-01T00:00:01.500000Z'],
    ],
    errors: [],
  },
  // SL/time/parse: parse("2024-05-08T12:01:00.000000Z") is 1715169660, a double; TypeError for a
  // non-string, ValueError for a value that is not RFC 3339 §5.6.
  'time.parse': {
    page: 'SL/time/parse',
    ok: [
      ['time.parse("2024-05-08T12:01:00.000000Z")', 1715169660],
      ['get_type(time.parse("2024-05-08T12:01:00Z"))', 'double'],
      ['time.parse("1970-01-01T01:00:00+01:00")', 0],
    ],
    errors: [
      ['time.parse(1)', 'TypeError'],
      ['time.parse("2024-05-08")', 'ValueError'],
    ],
  },
  // SL/uuid/generate: a random 128-bit UUID in the usual 8-4-4-4-12 hex form.
  'uuid.generate': {
    page: 'SL/uuid/generate',
    ok: [
      ['text.match_regex(uuid.generate(), "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")', true],
      ['uuid.generate() != uuid.generate()', true],
    ],
    errors: [],
  },
};

/** Functions a `call` step must make (blocking or leaving the engine), tested below one by one. */
const CALL_STEP_FUNCTIONS = [
  'events.await_callback',
  'events.create_callback_endpoint',
  'experimental.executions.map',
  'experimental.executions.run',
  'gke.await_job',
  'gke.create_job',
  'gke.delete_job',
  'gke.request',
  'http.delete',
  'http.get',
  'http.patch',
  'http.post',
  'http.put',
  'http.request',
  'sys.log',
  'sys.sleep',
];

describe("the library is Google's list", () => {
  // SL/overview (copy updated 2026-04-10): the functions of the standard library; the gke.*
  // functions are those of CN/gke/Overview. Objects (http.default_retry,
  // http.default_retry_non_idempotent, retry.default_backoff) are policies, not functions, and
  // experimental.executions.execution_error has no documented signature.
  const GOOGLE = [
    'double',
    'int',
    'string',
    'keys',
    'len',
    'default',
    'if',
    'get_type',
    'base64.decode',
    'base64.encode',
    'events.await_callback',
    'events.create_callback_endpoint',
    'experimental.executions.map',
    'experimental.executions.run',
    'gke.await_job',
    'gke.create_job',
    'gke.delete_job',
    'gke.request',
    'hash.compute_checksum',
    'hash.compute_hmac',
    'http.default_retry_predicate',
    'http.default_retry_predicate_non_idempotent',
    'http.delete',
    'http.get',
    'http.patch',
    'http.post',
    'http.put',
    'http.request',
    'json.decode',
    'json.encode',
    'json.encode_to_string',
    'list.concat',
    'list.prepend',
    'map.delete',
    'map.get',
    'map.merge',
    'map.merge_nested',
    'math.abs',
    'math.floor',
    'math.max',
    'math.min',
    'retry.always',
    'retry.never',
    'sys.get_env',
    'sys.log',
    'sys.now',
    'sys.sleep',
    'sys.sleep_until',
    'text.decode',
    'text.encode',
    'text.find_all',
    'text.find_all_regex',
    'text.match_regex',
    'text.replace_all',
    'text.replace_all_regex',
    'text.split',
    'text.substring',
    'text.to_lower',
    'text.to_upper',
    'text.url_decode',
    'text.url_encode',
    'text.url_encode_plus',
    'time.format',
    'time.parse',
    'uuid.generate',
  ];

  test('the engine offers exactly the functions Google documents', () => {
    expect(Object.keys(STDLIB).sort()).toEqual([...GOOGLE].sort());
  });

  test('this suite covers every one of them', () => {
    expect([...Object.keys(EXPRESSION_FUNCTIONS), ...CALL_STEP_FUNCTIONS].sort()).toEqual([...GOOGLE].sort());
  });

  // Argument names and order of each function page's argument table (SL/<module>/<function>).
  test.each([
    ['text.replace_all', ['source', 'substr', 'repl']],
    ['text.replace_all_regex', ['source', 'regexp', 'repl']],
    ['text.split', ['source', 'separator']],
    ['text.substring', ['source', 'start', 'end']],
    ['text.find_all', ['source', 'substr']],
    ['text.find_all_regex', ['source', 'regexp']],
    ['text.match_regex', ['source', 'regexp']],
    ['text.encode', ['text', 'charset']],
    ['text.decode', ['data', 'charset']],
    ['base64.encode', ['data', 'padding']],
    ['base64.decode', ['data', 'padding']],
    ['json.encode', ['data', 'indent']],
    ['json.encode_to_string', ['data', 'indent']],
    ['json.decode', ['data']],
    ['list.concat', ['objs', 'val']],
    ['list.prepend', ['objs', 'val']],
    ['map.get', ['map', 'keys']],
    ['map.delete', ['map', 'key']],
    ['map.merge', ['first', 'second']],
    ['map.merge_nested', ['first', 'second']],
    ['math.max', ['x', 'y']],
    ['hash.compute_checksum', ['data', 'algorithm']],
    ['hash.compute_hmac', ['key', 'data', 'algorithm']],
    ['sys.get_env', ['name', 'default']],
    ['sys.log', ['data', 'severity', 'text', 'json', 'timeout']],
    ['sys.sleep_until', ['time']],
    ['time.format', ['seconds', 'timezone']],
    ['time.parse', ['value']],
    ['default', ['val', 'defaultVal']],
    ['if', ['condition', 'ifTrue', 'ifFalse']],
    ['get_type', ['arg']],
    ['events.create_callback_endpoint', ['http_callback_method']],
    ['events.await_callback', ['callback', 'timeout']],
    ['experimental.executions.run', ['workflow_id', 'location', 'project_id', 'argument']],
    ['experimental.executions.map', ['workflow_id', 'arguments', 'timeout', 'location', 'project_id']],
    ['http.request', ['method', 'url', 'timeout', 'body', 'headers', 'query', 'auth', 'private_service_name', 'ca_certificate']],
    ['http.get', ['url', 'timeout', 'headers', 'query', 'auth', 'private_service_name', 'ca_certificate']],
    ['http.post', ['url', 'timeout', 'body', 'headers', 'query', 'auth', 'private_service_name', 'ca_certificate']],
    // CN/gke/*, the 2026 order (location before namespace and project).
    ['gke.request', ['cluster_id', 'path', 'method', 'location', 'project', 'timeout', 'body', 'headers', 'query']],
    ['gke.create_job', ['cluster_id', 'job', 'location', 'namespace', 'project', 'query', 'timeout']],
    ['gke.await_job', ['cluster_id', 'job_name', 'location', 'namespace', 'project', 'query', 'timeout', 'polling_policy']],
    ['gke.delete_job', ['cluster_id', 'job_name', 'location', 'namespace', 'project', 'query', 'timeout']],
  ])("%s takes Google's arguments in Google's order", (name, params) => {
    expect(STDLIB[name]!.params).toEqual(params);
  });

  test("a call step passes arguments by Google's names: text.replace_all(source, substr, repl)", async () => {
    expect(
      await result(
        '- r:\n    call: text.replace_all\n    args: {source: "a-b", substr: "-", repl: "+"}\n    result: out\n- o:\n    return: ${out}\n',
      ),
    ).toBe('a+b');
    expect((await failure('- r:\n    call: text.replace_all\n    args: {source: "a-b", substr: "-", value: "+"}\n')).tags).toEqual([
      'TypeError',
    ]);
  });

  test('a call step may pass args as a list, by position (SL/sys/log: args: [data, severity])', async () => {
    const out = await run(
      '- l:\n    call: sys.log\n    args: ["hello", "ERROR"]\n- m:\n    call: sys.log\n    args: [null, "INFO", "text"]\n',
    );
    expect(out.logs.map((l) => [l.severity, l.payload])).toEqual([
      ['ERROR', 'hello'],
      ['INFO', 'text'],
    ]);
  });
});

describe.each(Object.entries(EXPRESSION_FUNCTIONS))('%s', (_name, entry) => {
  test.each(entry.ok.map(([e, v]) => [e, v] as const))(`${entry.page}: %s`, async (expr, expected) => {
    expect(await evalExpr(expr)).toEqual(expected);
  });
  if (entry.errors.length > 0) {
    test.each(entry.errors.map(([e, t]) => [e, t] as const))(`${entry.page}: %s raises %s`, async (expr, tag) => {
      expect(await exprTags(expr)).toEqual([tag]);
    });
  }
});

/** A workflow making one call step with `args` (YAML flow map text) and returning its result. */
function callWorkflow(call: string, args: string): string {
  return `- c:\n    call: ${call}\n    args: ${args}\n    result: r\n- o:\n    return: \${r}\n`;
}

describe('sys.log and sys.sleep (SL/sys/log, SL/sys/sleep)', () => {
  test('sys.log records data, text or json with a severity (DEFAULT when not given)', async () => {
    const out = await run(
      '- a:\n    call: sys.log\n    args: {data: {batch: 3}, severity: WARNING}\n- b:\n    call: sys.log\n    args: {text: 42}\n- c:\n    call: sys.log\n    args: {json: {k: v}, severity: DEBUG}\n',
    );
    expect(out.logs.map((l) => [l.severity, l.payload])).toEqual([
      ['WARNING', { batch: 3 }],
      ['DEFAULT', 42],
      ['DEBUG', { k: 'v' }],
    ]);
  });

  test.each([
    ['two of data, text and json', '{data: 1, text: "a"}'],
    ['none of them', '{severity: INFO}'],
    ['json that is not a dict', '{json: [1]}'],
    ['data of another type (bytes)', '{data: "${text.encode(\\"x\\")}"}'],
  ])('sys.log with %s raises TypeError', async (_name, args) => {
    expect((await failure(`- a:\n    call: sys.log\n    args: ${args}\n`)).tags).toEqual(['TypeError']);
  });

  test('sys.sleep waits on the virtual clock; its maximum is one year', async () => {
    expect(
      await result(
        '- t:\n    assign:\n      - t0: ${sys.now()}\n- s:\n    call: sys.sleep\n    args: {seconds: 31536000}\n- o:\n    return: ${sys.now() - t0}\n',
      ),
    ).toBe(31536000);
  });
});

describe('http.* (SL/http/get, post, put, patch, delete, request)', () => {
  const echo = {
    'http.get': (args: Record<string, unknown>) => ({ code: 200, headers: {}, body: args }),
    'http.request': (args: Record<string, unknown>) => ({ code: 200, headers: {}, body: args }),
  };
  for (const name of ['http.delete', 'http.patch', 'http.post', 'http.put']) (echo as Record<string, unknown>)[name] = echo['http.get'];

  test.each(['http.get', 'http.post', 'http.put', 'http.patch', 'http.delete'])(
    '%s reaches its handler with the arguments by name and returns {body, code, headers}',
    async (name) => {
      const r = (await result(
        callWorkflow(name, '{url: "https://example.invalid/x", timeout: 30, headers: {A: "b"}, query: {n: 1, l: [1, "a"]}}'),
        { handlers: echo },
      )) as Record<string, unknown>;
      expect(r).toEqual({
        code: 200,
        headers: {},
        body: { url: 'https://example.invalid/x', timeout: 30, headers: { A: 'b' }, query: { n: 1, l: [1, 'a'] } },
      });
    },
  );

  test('http.request takes the method first', async () => {
    const r = (await result(callWorkflow('http.request', '{method: PATCH, url: "https://example.invalid/x"}'), { handlers: echo })) as {
      body: unknown;
    };
    expect(r.body).toEqual({ method: 'PATCH', url: 'https://example.invalid/x', timeout: 300 });
  });

  test('the handler sees the documented default timeout of 300 s when none is given', async () => {
    expect(
      ((await result(callWorkflow('http.get', '{url: "https://example.invalid"}'), { handlers: echo })) as { body: unknown }).body,
    ).toEqual({ url: 'https://example.invalid', timeout: 300 });
  });

  // SL/http/get, "Raised exceptions": ValueError for a timeout over 1800, an invalid URL, an auth
  // type that is not OIDC or OAuth2, a private_service_name with a port in the URL, and a
  // ca_certificate that is not bytes.
  test.each([
    ['a timeout over 1800 s', 'http.get', '{url: "https://example.invalid", timeout: 1801}'],
    ['a URL that is not a URL', 'http.get', '{url: "not a url"}'],
    ['an auth type other than OIDC or OAuth2', 'http.post', '{url: "https://example.invalid", auth: {type: Basic}}'],
    [
      'private_service_name with a port in the URL',
      'http.get',
      '{url: "https://example.invalid:8443/x", private_service_name: "projects/p/locations/l/namespaces/n/services/s"}',
    ],
    ['a ca_certificate that is not bytes', 'http.get', '{url: "https://example.invalid", ca_certificate: "PEM text"}'],
    ['a method http.request does not know', 'http.request', '{method: FETCH, url: "https://example.invalid"}'],
  ])('%s raises ValueError', async (_name, call, args) => {
    expect((await failure(callWorkflow(call, args), { handlers: echo })).tags).toEqual(['ValueError']);
  });

  // SL/http/get: HttpError (status >= 400, with code, headers, body), ConnectionError,
  // ConnectionFailedError and TimeoutError come from the far side, here from the handler.
  test.each(['HttpError', 'ConnectionError', 'ConnectionFailedError', 'TimeoutError'])(
    '%s from the handler reaches the workflow as is',
    async (tag) => {
      const e = await failure(callWorkflow('http.get', '{url: "https://example.invalid"}'), {
        handlers: {
          'http.get': () => {
            throw { message: 'failed', tags: [tag], code: 503 };
          },
        },
      });
      expect(e).toEqual({ message: 'failed', tags: [tag], code: 503 });
    },
  );
});

describe('events.* (SL/events/create_callback_endpoint, SL/events/await_callback)', () => {
  test("without handlers: an endpoint in Google's URL shape (POST by default), and a wait that raises TimeoutError after its timeout", async () => {
    const e = await failure(
      '- c:\n    call: events.create_callback_endpoint\n    result: cb\n- w:\n    try:\n      call: events.await_callback\n      args: {callback: "${cb}", timeout: 600}\n    except:\n      as: err\n      steps:\n        - o:\n            raise: {url: "${cb.url}", tags: "${err.tags}", waited: "${sys.now() - 1767225600}"}\n',
    );
    expect(e.url).toMatch(
      /^https:\/\/workflowexecutions\.googleapis\.com\/v1\/projects\/local-project\/locations\/local\/workflows\/test\/executions\/test-execution\/callbacks\/[0-9a-f-]{36}$/,
    );
    expect(e.tags).toEqual(['TimeoutError']);
    expect(e.waited).toBe(600);
  });

  test('with handlers: the callback request the handler delivers is the result (http_request with its body)', async () => {
    const handlers = {
      'events.create_callback_endpoint': (args: Record<string, unknown>) => ({
        url: `https://callback.invalid/${String(args.http_callback_method)}`,
      }),
      'events.await_callback': async (args: Record<string, unknown>, ctx: HandlerContext) => {
        await ctx.sleep(30);
        return { http_request: { method: 'PUT', body: { approved: true }, url: (args.callback as { url: string }).url } };
      },
    };
    const r = await result(
      '- c:\n    call: events.create_callback_endpoint\n    args: {http_callback_method: PUT}\n    result: cb\n- w:\n    call: events.await_callback\n    args: {callback: "${cb}"}\n    result: req\n- o:\n    return: ${req.http_request}\n',
      { handlers },
    );
    expect(r).toEqual({ method: 'PUT', body: { approved: true }, url: 'https://callback.invalid/PUT' });
  });

  test.each([
    [
      'create_callback_endpoint with a method Google does not list',
      'events.create_callback_endpoint',
      '{http_callback_method: FETCH}',
      'ValueError',
    ],
    [
      'create_callback_endpoint with a method that is not a string',
      'events.create_callback_endpoint',
      '{http_callback_method: 1}',
      'TypeError',
    ],
    ['await_callback with a callback that is not a map', 'events.await_callback', '{callback: "https://x"}', 'TypeError'],
    ['await_callback with a map that is not a callback', 'events.await_callback', '{callback: {id: 1}}', 'ValueError'],
  ])('%s raises %s', async (_name, call, args, tag) => {
    expect((await failure(callWorkflow(call, args))).tags).toEqual([tag]);
  });
});

describe('experimental.executions.* (SL/experimental.executions/run, /map)', () => {
  test('run and map reach their handlers; a child failure (ExecutionError) comes back as the handler raises it', async () => {
    const handlers = {
      'experimental.executions.run': (args: Record<string, unknown>) => ({ ran: args.workflow_id, with: args.argument }),
      'experimental.executions.map': (args: Record<string, unknown>) => {
        throw { message: `child of ${String(args.workflow_id)} failed`, tags: ['ExecutionError'] };
      },
    };
    expect(await result(callWorkflow('experimental.executions.run', '{workflow_id: child, argument: {n: 1}}'), { handlers })).toEqual({
      ran: 'child',
      with: { n: 1 },
    });
    expect(
      (await failure(callWorkflow('experimental.executions.map', '{workflow_id: child, arguments: [{n: 1}]}'), { handlers })).tags,
    ).toEqual(['ExecutionError']);
  });

  test('run with an argument of another type (bytes) raises TypeError', async () => {
    expect(
      (await failure(callWorkflow('experimental.executions.run', '{workflow_id: child, argument: "${text.encode(\\"x\\")}"}'))).tags,
    ).toEqual(['TypeError']);
  });

  test('map needs a list of arguments: TypeError otherwise', async () => {
    expect((await failure(callWorkflow('experimental.executions.map', '{workflow_id: child, arguments: {n: 1}}'))).tags).toEqual([
      'TypeError',
    ]);
  });
});

describe('gke.* (CN/gke/request, create_job, await_job, delete_job)', () => {
  const handlers = Object.fromEntries(
    ['gke.request', 'gke.create_job', 'gke.await_job', 'gke.delete_job'].map((n) => [
      n,
      (args: Record<string, unknown>) => ({ call: n, args }),
    ]),
  );

  test.each([
    ['gke.request', '{cluster_id: c, path: "/api/v1/namespaces", method: GET, location: us-central1}'],
    ['gke.create_job', '{cluster_id: c, location: us-central1, job: {apiVersion: batch/v1, kind: Job}}'],
    [
      'gke.await_job',
      '{cluster_id: c, job_name: j, location: us-central1, timeout: 90, polling_policy: {initial_delay: 5, max_delay: 60, multiplier: 2}}',
    ],
    ['gke.delete_job', '{cluster_id: c, job_name: j, query: {propagationPolicy: Foreground}}'],
  ])('%s reaches its handler with the arguments by name', async (name, args) => {
    expect(((await result(callWorkflow(name, args), { handlers })) as { call: string }).call).toBe(name);
  });

  test('the handler sees the documented defaults: namespace "default", timeout 300 s (1800 s for await_job)', async () => {
    const created = (await result(callWorkflow('gke.create_job', '{cluster_id: c, job: {}}'), { handlers })) as { args: unknown };
    expect(created.args).toEqual({ cluster_id: 'c', job: {}, namespace: 'default', timeout: 300 });
    const awaited = (await result(callWorkflow('gke.await_job', '{cluster_id: c, job_name: j}'), { handlers })) as { args: unknown };
    expect(awaited.args).toEqual({ cluster_id: 'c', job_name: 'j', namespace: 'default', timeout: 1800 });
  });

  test.each([
    ['gke.request with a timeout over 1800 s', 'gke.request', '{cluster_id: c, path: /, timeout: 3600}'],
    ['gke.create_job with a timeout over 1800 s', 'gke.create_job', '{cluster_id: c, job: {}, timeout: 1801}'],
    ['gke.await_job with a timeout over a year', 'gke.await_job', '{cluster_id: c, job_name: j, timeout: 31536001}'],
    ['gke.request with a method Google does not list', 'gke.request', '{cluster_id: c, path: /, method: FETCH}'],
  ])('%s raises ValueError', async (_name, call, args) => {
    expect((await failure(callWorkflow(call, args), { handlers })).tags).toEqual(['ValueError']);
  });

  test('a failed job (FailedJobError, with the job) comes back as the handler raises it', async () => {
    const e = await failure(callWorkflow('gke.await_job', '{cluster_id: c, job_name: j}'), {
      handlers: {
        'gke.await_job': () => {
          throw { message: 'job failed', tags: ['FailedJobError'], job: { metadata: { name: 'j' } } };
        },
      },
    });
    expect(e).toEqual({ message: 'job failed', tags: ['FailedJobError'], job: { metadata: { name: 'j' } } });
  });
});

describe('choices where Google is silent (CHOICES.md)', () => {
  test.each([
    ['int() truncates a double toward zero', 'int(-2.7)', -2],
    ['string() keeps .0 on an integral double', 'string(2.0)', '2.0'],
    [
      'get_type names int, double, string, bool, null and bytes',
      '[get_type(1), get_type(1.5), get_type("s"), get_type(true), get_type(null), get_type(text.encode("x"))]',
      ['int', 'double', 'string', 'bool', 'null', 'bytes'],
    ],
    ['keys() keeps insertion order', 'keys({"z": 1, "a": 2})', ['z', 'a']],
    ['len() of bytes counts bytes', 'len(text.encode("é"))', 2],
    ['math.floor returns an int', 'get_type(math.floor(2.7))', 'int'],
    ['text.substring with start after end is ""', 'text.substring("hello", 3, 1)', ''],
    ['text.find_all of "" finds nothing', 'text.find_all("abc", "")', []],
    ['text.url_encode leaves ~ as is', 'text.url_encode("~")', '~'],
    ['sys.get_env of an unset variable without default is null', 'sys.get_env("UNSET_NAME")', null],
    ['a zone at offset zero is written Z', 'time.format(1704067200, "Europe/London")', '2024-01-01T00:00:00.000000Z'],
    ['hash algorithms are accepted in lower case', 'len(hash.compute_checksum(text.encode("a"), "sha1"))', 20],
  ])('%s', async (_name, expr, expected) => {
    expect(await evalExpr(expr)).toEqual(expected);
  });

  test.each([
    ['int() of a non-numeric string is a ValueError', 'int("4x")', 'ValueError'],
    ['double() of a non-numeric string is a ValueError', 'double("abc")', 'ValueError'],
    ['string() of a list is a TypeError', 'string([1])', 'TypeError'],
    ['len() of an int is a TypeError', 'len(5)', 'TypeError'],
    ['keys() of a list is a TypeError', 'keys([1])', 'TypeError'],
    ['if() with a condition that is not a bool or null is a TypeError', 'if(1, 2, 3)', 'TypeError'],
    ['base64.encode of a string is a TypeError (it wants bytes)', 'base64.encode("hi")', 'TypeError'],
    ['base64.decode of padded text with padding false is a ValueError', 'base64.decode("aGk=", false)', 'ValueError'],
    ['time.format of an unknown zone is a ValueError', 'time.format(0, "Mars/Olympus")', 'ValueError'],
    ['time.parse of more than microseconds is a ValueError', 'time.parse("2024-05-08T12:01:00.1234567Z")', 'ValueError'],
    ['sys.sleep_until more than a year ahead is a ValueError', 'sys.sleep_until("2030-01-01T00:00:00Z")', 'ValueError'],
    ['a missing argument is a TypeError', 'text.split("a")', 'TypeError'],
    ['too many arguments is a TypeError', 'len("a", "b")', 'TypeError'],
  ])('%s', async (_name, expr, tag) => {
    expect(await exprTags(expr)).toEqual([tag]);
  });

  test('if() evaluates both branches: the unselected one can still raise', async () => {
    expect(await exprTags('if(true, 1, 1 // 0)')).toEqual(['ZeroDivisionError']);
  });

  test('sys.log with a severity Google does not list is a ValueError', async () => {
    expect((await failure('- a:\n    call: sys.log\n    args: {text: x, severity: LOUD}\n')).tags).toEqual(['ValueError']);
  });

  test('sys.sleep of a negative duration, or over a year, is a ValueError', async () => {
    expect((await failure('- a:\n    call: sys.sleep\n    args: {seconds: -1}\n')).tags).toEqual(['ValueError']);
    expect((await failure('- a:\n    call: sys.sleep\n    args: {seconds: 31536001}\n')).tags).toEqual(['ValueError']);
  });

  test('sys.sleep_until wakes at the given time', async () => {
    expect(
      await result(
        '- w:\n    call: sys.sleep_until\n    args: {time: "2026-01-02T00:00:00Z"}\n- o:\n    return: ${time.format(sys.now())}\n',
      ),
    ).toBe('2026-01-02T00:00:00.000000Z');
  });

  test('sys.get_env reads user variables and the built-ins', async () => {
    const r = await result(
      '- o:\n    return: ["${sys.get_env(\\"TAP_BUCKET\\")}", "${sys.get_env(\\"GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID\\")}", "${sys.get_env(\\"GOOGLE_CLOUD_LOCATION\\")}"]\n',
      { env: { TAP_BUCKET: 'work' } },
    );
    expect(r).toEqual(['work', 'test-execution', 'local']);
  });

  test('json.decode keeps ints as ints, 2.0 a double and int64 precision', async () => {
    expect(
      await evalExpr('[get_type(json.decode("7")), get_type(json.decode("2.0")), json.decode("9007199254740993") - 9007199254740992]'),
    ).toEqual(['int', 'double', 1]);
  });
});
