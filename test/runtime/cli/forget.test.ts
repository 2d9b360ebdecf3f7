/**
 * `tapctl forget` on a laptop work folder made by a real run: afterwards no file of the work
 * folder (the database included) holds a forgotten record's id, in any of the forms the pipeline
 * writes it, nor its text; the other records stay; a second run of the command deletes nothing.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLocalWorkspace } from '../../../runtime/adapters/local';
import { TABLE_NAMES } from '../../../runtime/contract';
import { recordMarker } from '../../../runtime/core/requests';
import { runLocalPipeline } from '../../../runtime/local/pipeline';
import { cli } from './run-cli';

/** Ids and phrases that no compression or other text hides: 24 hex characters each, seeded. */
const hex = (seed: string) => createHash('sha256').update(seed).digest('hex').slice(0, 24);
const calls = Array.from({ length: 12 }, (_, i) => ({
  id: `call-${hex(`id ${i}`)}`,
  phrase: `order ${hex(`phrase ${i}`)}`,
}));
const [gone, alsoGone] = [calls[3]!, calls[8]!];

let dir: string;
let work: string;

function traces(value: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (fs.readFileSync(full).includes(value)) found.push(path.relative(work, full));
    }
  };
  walk(work);
  return found;
}

const forms = (id: string) => [id, recordMarker(id)];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-forget-'));
  work = path.join(dir, 'work');
  const text = (c: (typeof calls)[number]) =>
    `Agent: Thank you for calling, how can I help?\nCustomer: I am calling about ${c.phrase}, it never arrived and I am upset.\nAgent: I am sorry, I have sent a replacement today.`;
  fs.writeFileSync(
    path.join(dir, 'calls.jsonl'),
    calls.map((c) => JSON.stringify({ transcript_id: c.id, transcript: text(c) })).join('\n') + '\n',
  );
  // Two analyses: the records' rows in the second one's results table must go too.
  const reasons = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'examples', 'analyses', 'call-reasons.json'), 'utf8'));
  const result = await runLocalPipeline({ workdir: work, transcripts: path.join(dir, 'calls.jsonl'), batchSize: 5, analyses: { reasons } });
  expect(result.summary?.records_succeeded).toBe(calls.length);
  // The jobs log counts, not ids; a line that names a record (as an operator's note or a future job might) goes too.
  fs.appendFileSync(
    path.join(work, 'logs', `${result.executionId}.jsonl`),
    JSON.stringify({ severity: 'WARNING', message: 'late answer', record_id: gone.id }) + '\n',
  );
  fs.writeFileSync(path.join(dir, 'ids.txt'), `# erasure request 42\n${gone.id}\n\n${alsoGone.id}\n`);
  // A comparison over every record: its answers table and staged files name the records too.
  const candidate = path.join(dir, 'candidate.json');
  fs.writeFileSync(candidate, JSON.stringify({ ...reasons, systemInstruction: `${reasons.systemInstruction} Be brief.` }));
  const compared = await cli([
    'compare',
    '--local',
    work,
    '--baseline',
    'reasons',
    '--analysis',
    candidate,
    '--sample',
    String(calls.length),
  ]);
  expect(compared.code).toBe(0);
}, 120_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the ids and texts are in the run files, the logs and the database before', () => {
  const before = traces(gone.id);
  expect(before.some((f) => f.includes('input.jsonl'))).toBe(true);
  expect(before.some((f) => f.includes('predictions'))).toBe(true);
  expect(before.some((f) => f.startsWith('logs'))).toBe(true);
  expect(before.some((f) => f.includes('commit'))).toBe(true);
  expect(before).toContain('warehouse.duckdb');
  expect(before.some((f) => f.includes('comparisons'))).toBe(true);
  expect(traces(recordMarker(gone.id)).length).toBeGreaterThan(0);
  expect(traces(gone.phrase).length).toBeGreaterThan(0);
});

test('shows what it would delete and deletes nothing unless confirmed', async () => {
  const r = await cli(['forget', '--file', 'ids.txt', '--source', '--local', 'work'], { cwd: dir, stdin: 'no\n' });
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/2 record\(s\) in work folder/);
  expect(r.stdout).toMatch(/transcription_analyzed_transcripts\s+2 rows/);
  expect(r.stdout).toMatch(/source table\s+2 rows/);
  expect(r.stdout).toContain('Nothing deleted.');
  expect(traces(gone.id).length).toBeGreaterThan(0);
});

test('with --yes leaves no trace of the records in any file of the work folder, and keeps the others', async () => {
  const r = await cli(['forget', '--file', 'ids.txt', '--source', '--yes', '--json', '--local', 'work'], { cwd: dir });
  expect(r.code).toBe(0);
  const outcome = JSON.parse(r.stdout);
  expect(outcome).toMatchObject({ records: 2, source: 2, recorded: 2 });
  expect(outcome.tables).toContainEqual({ table: TABLE_NAMES.results, rows: 2 });
  for (const c of [gone, alsoGone]) {
    for (const value of [...forms(c.id), c.phrase]) expect([value, traces(value)]).toEqual([value, []]);
  }
  expect(traces(calls[0]!.id).length).toBeGreaterThan(0);

  const ws = await openLocalWorkspace(work);
  try {
    const results = await ws.warehouse.query<{ n: number }>({
      sql: `SELECT COUNT(*) AS n FROM ${ws.warehouse.table(TABLE_NAMES.results)}`,
    });
    expect(Number(results[0]!.n)).toBe(calls.length - 2);
    const forgotten = await ws.warehouse.query<{ record_hash: string; rows_deleted: number; source_deleted: boolean }>({
      sql: `SELECT record_hash, rows_deleted, source_deleted FROM ${ws.warehouse.table(TABLE_NAMES.forgotten)} ORDER BY record_hash`,
    });
    const sha = (id: string) => createHash('sha256').update(id).digest('hex');
    expect(forgotten.map((f) => f.record_hash)).toEqual([sha(gone.id), sha(alsoGone.id)].sort());
    expect(forgotten.every((f) => Number(f.rows_deleted) > 0 && f.source_deleted)).toBe(true);
  } finally {
    await ws.close();
  }
});

test('is idempotent: a second run finds nothing and records nothing more', async () => {
  const r = await cli(['forget', '--record', gone.id, '--record', alsoGone.id, '--source', '--local', 'work'], { cwd: dir });
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('Nothing left to delete for these 2 record(s).');
  const again = await cli(['forget', '--record', gone.id, '--source', '--yes', '--json', '--local', 'work'], { cwd: dir });
  expect(JSON.parse(again.stdout)).toMatchObject({ recorded: 0, files: [] });
});

test('the work folder still runs: a new run analyses nothing again', async () => {
  const result = await runLocalPipeline({ workdir: work });
  expect(result.state).toBe('SUCCEEDED');
  expect(result.summary).toMatchObject({ records_total: 0 });
}, 60_000);

test.each([
  [['forget', '--local', 'work'], 'name the records to forget'],
  [['forget', '--record', 'a', '--file', 'ids.txt', '--local', 'work'], 'give --record or --file, not both'],
  [['forget', '--file', 'missing.txt', '--local', 'work'], '--file: file not found'],
])('refuses %j with a usage message', async (argv, message) => {
  const r = await cli(argv, { cwd: dir });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(message);
});
