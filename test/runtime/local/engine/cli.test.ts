/** `tapctl workflow run` and `tapctl workflow lint`: output and exit codes. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../../../runtime/cli/main';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-workflow-cli-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function tapctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (d) => out.push(String(d)));
  stderr.on('data', (d) => err.push(String(d)));
  const code = await runCli(args, { stdout, stderr, env: {}, cwd: dir });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

function write(name: string, text: string): string {
  fs.writeFileSync(path.join(dir, name), text);
  return name;
}

test('run prints SUCCEEDED with the result and exits 0, using --data and --env', async () => {
  const file = write(
    'ok.yaml',
    'main:\n  params: [args]\n  steps:\n    - s:\n        call: sys.sleep\n        args: {seconds: 3600}\n    - r:\n        return:\n          n: ${args.n + 1}\n          bucket: ${sys.get_env("TAP_BUCKET")}\n',
  );
  const r = await tapctl(['workflow', 'run', file, '--data', '{"n": 41}', '--env', 'TAP_BUCKET=work']);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({ state: 'SUCCEEDED', result: { n: 42, bucket: 'work' } });
});

test('run prints FAILED with the error map and exits 1', async () => {
  const file = write('fail.yaml', '- r:\n    raise:\n      code: 55\n      message: "custom"\n');
  const r = await tapctl(['workflow', 'run', file]);
  expect(r.code).toBe(1);
  expect(JSON.parse(r.stdout)).toEqual({ state: 'FAILED', error: { code: 55, message: 'custom' } });
});

test('run fails a connector call with an error naming it, never reaching the network', async () => {
  const file = write('net.yaml', '- g:\n    call: http.get\n    args: {url: "https://example.invalid/"}\n');
  const r = await tapctl(['workflow', 'run', file]);
  expect(r.code).toBe(1);
  const out = JSON.parse(r.stdout);
  expect(out.state).toBe('FAILED');
  expect(out.error.message).toContain('http.get');
});

test('run exits 2 on an invalid definition, naming the step and line', async () => {
  const file = write('bad.yaml', '- a:\n    assign:\n      - x: 1\n- b:\n    next: nowhere\n');
  const r = await tapctl(['workflow', 'run', file]);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain('bad.yaml:5');
  expect(r.stderr).toContain('step b');
});

test('run exits 2 on a deployment error found by the linter (undefined variable)', async () => {
  const file = write('undef.yaml', '- a:\n    return: ${nobody}\n');
  const r = await tapctl(['workflow', 'run', file]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('variable "nobody" is not defined');
});

test('run rejects --data that is not JSON as a usage error', async () => {
  const file = write('ok2.yaml', '- r:\n    return: 1\n');
  expect((await tapctl(['workflow', 'run', file, '--data', '{nope'])).code).toBe(2);
});

test('lint exits 0 for clean files and 1 with one line per finding', async () => {
  const clean = write('clean.yaml', '- r:\n    return: 1\n');
  const dirty = write('dirty.yaml', '- a:\n    return: "x ${y}"\n- b:\n    return: ${z}\n');
  expect((await tapctl(['workflow', 'lint', clean])).code).toBe(0);
  const r = await tapctl(['workflow', 'lint', clean, dirty]);
  expect(r.code).toBe(1);
  expect(r.stdout.trim().split('\n')).toEqual([
    expect.stringMatching(/^dirty\.yaml:2: error: .*interpolate.*\[interpolation\]$/),
    expect.stringMatching(/^dirty\.yaml:3: error: variable "z" is not defined.*\[undefined-variable\]$/),
  ]);
});

test('lint reports every finding of every file, goes on past an unreadable one, and exits 1', async () => {
  const first = write('first.yaml', '- a:\n    return: ${type(1)}\n- b:\n    return: ${bool(1)}\n');
  const second = write('second.yaml', '- a:\n    call: sys.sleep\n    args: {secs: 1}\n');
  const clean = write('fine.yaml', '- r:\n    return: ${get_type(1)}\n');
  const r = await tapctl(['workflow', 'lint', first, 'missing.yaml', second, clean]);
  expect(r.code).toBe(1);
  expect(r.stdout.trim().split('\n')).toEqual([
    expect.stringMatching(/^first\.yaml:2: error: unknown function "type".*\(step a\) \[definition\]$/),
    expect.stringMatching(/^first\.yaml:4: error: unknown function "bool".*\(step b\) \[definition\]$/),
    expect.stringMatching(/^second\.yaml:1: error: sys\.sleep has no argument "secs".*\[call-arguments\]$/),
    expect.stringMatching(/^second\.yaml:1: error: sys\.sleep needs argument "seconds".*\[call-arguments\]$/),
  ]);
  expect(r.stderr).toContain('cannot read missing.yaml');
  expect(r.stderr).toContain('3 definitions checked, 4 findings, 1 unreadable');
});

test('lint of clean files says so and exits 0', async () => {
  const r = await tapctl(['workflow', 'lint', write('c1.yaml', '- r:\n    return: 1\n'), write('c2.yaml', '- r:\n    return: 2\n')]);
  expect(r).toMatchObject({ code: 0, stdout: '' });
  expect(r.stderr).toContain('2 definitions checked, no findings');
});

test('run shows the steps used out of the limit', async () => {
  const file = write('steps.yaml', '- a:\n    assign:\n      - x: 1\n- r:\n    return: ${x}\n');
  const r = await tapctl(['workflow', 'run', file]);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain('steps: 2 of 100000\n');
});

test('lint without files is a usage error', async () => {
  expect((await tapctl(['workflow', 'lint'])).code).toBe(2);
});
