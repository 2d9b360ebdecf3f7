/** `tapctl local run --redact`: the laptop redactor before any request, and what it found, counted. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_ANALYSIS } from '../../../runtime/contract';
import { cli } from './run-cli';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tap-redact-cli-'));
  const calls = [
    'Agent: Thank you for calling, this is Priya. Customer: Hi, my name is John Smith and my number is (415) 555-0123.',
    'Customer: My email is jane dot doe at example dot com and the card is 4111 1111 1111 1111. Agent: Thanks, Jane.',
  ];
  writeFileSync(
    path.join(dir, 'calls.jsonl'),
    calls.map((t, i) => JSON.stringify({ transcript_id: `call-${i}`, transcript: t })).join('\n'),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('--redact redacts before sending and prints the counts by type', async () => {
  const work = path.join(dir, 'work');
  const r = await cli(['local', 'run', '--redact', '--transcripts', 'calls.jsonl', '--local', work], { cwd: dir });
  expect(r.stderr).not.toMatch(/failed/);
  expect(r.code).toBe(0);
  const lines = r.stdout.split('\n');
  expect(lines).toContainEqual(expect.stringMatching(/^redacted before sending\s+6 findings$/));
  expect(lines).toContainEqual(expect.stringMatching(/^ {2}PERSON_NAME\s+3$/));
  expect(lines).toContainEqual(expect.stringMatching(/^ {2}PHONE_NUMBER\s+1$/));
  expect(lines).toContainEqual(expect.stringMatching(/^ {2}EMAIL_ADDRESS\s+1$/));
  expect(lines).toContainEqual(expect.stringMatching(/^ {2}CREDIT_CARD_NUMBER\s+1$/));
  const log = readFileSync(path.join(work, 'logs', `${/execution\s+(\S+)/.exec(r.stdout)![1]}.jsonl`), 'utf8');
  expect(log).toContain('"event":"redacted"');
  expect(log).not.toMatch(/John Smith|555-0123|4111/);
});

test('an analysis whose redaction names a type the laptop cannot find is refused before anything runs', async () => {
  writeFileSync(path.join(dir, 'passport.json'), JSON.stringify({ ...DEFAULT_ANALYSIS, redaction: { infoTypes: ['PASSPORT'] } }));
  const r = await cli(['local', 'run', '--analysis', 'passport.json', '--transcripts', 'calls.jsonl', '--local', path.join(dir, 'w2')], {
    cwd: dir,
  });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('--analysis passport.json: the laptop redactor cannot find PASSPORT');
});

test('an analysis whose redaction is malformed names the problem', async () => {
  writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ ...DEFAULT_ANALYSIS, redaction: { infoTypes: ['phone'] } }));
  const r = await cli(['local', 'run', '--analysis', 'bad.json', '--local', path.join(dir, 'w3')], { cwd: dir });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('redaction.infoTypes holds "phone", which is not an info type name');
});
