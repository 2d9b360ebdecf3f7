/**
 * The sequences that broke the ledger's promise, each replayed on a real laptop work folder through
 * the operator's commands: nothing is committed twice, nothing is lost, nothing analysed is sent to
 * the model again, and status and report say what the tables hold.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLocalWorkspace } from '../../../runtime/adapters/local';
import { TABLE_NAMES } from '../../../runtime/contract';
import { runLocalPipeline } from '../../../runtime/local/pipeline';
import { Mortality, mortalStore, mortalWarehouse } from '../../../runtime/local/mortal';
import { cli } from '../cli/run-cli';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-ledger-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const work = () => path.join(dir, 'work');

function calls(n: number, from = 0): string {
  const file = path.join(dir, `calls-${from}-${n}.jsonl`);
  const lines = Array.from({ length: n }, (_, i) => {
    const id = `call-${String(from + i).padStart(3, '0')}`;
    return JSON.stringify({
      transcript_id: id,
      transcript: `Agent: How can I help? Customer: My bill for ${id} is wrong. Agent: I have corrected it.`,
    });
  });
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** Rows of a table, and how often each (record, version) appears. */
async function table(name: string): Promise<{ rows: Record<string, unknown>[]; most: number }> {
  const ws = await openLocalWorkspace(work());
  try {
    const rows = await ws.warehouse.query<Record<string, unknown>>({ sql: `SELECT * FROM ${ws.warehouse.table(name)}` });
    const seen = new Map<string, number>();
    for (const r of rows)
      seen.set(
        `${String(r.record_id)}/${String(r.analysis_version)}`,
        (seen.get(`${String(r.record_id)}/${String(r.analysis_version)}`) ?? 0) + 1,
      );
    return { rows, most: Math.max(0, ...seen.values()) };
  } finally {
    await ws.close();
  }
}

async function run(args: readonly string[]) {
  const r = await cli(['local', 'run', '--local', work(), ...args], { cwd: dir });
  return r;
}

describe('the ledger keeps its promise where it used to break', () => {
  test('1. a finished batch recovered with --force sends nothing and commits nothing a second time', async () => {
    const first = await run(['--transcripts', calls(30), '--batch-size', '50', '--execution-id', 'one', '--json']);
    expect(first.code).toBe(0);
    const forced = await cli(['recover', '--local', work(), '--execution', 'one', '--batch', '0', '--force']);
    expect(forced.stdout).toBe('{"execution_id":"one","batch_id":0,"attempt":2}: empty\n');
    const results = await table(TABLE_NAMES.results);
    const processed = await table(TABLE_NAMES.processedRecords);
    expect([results.rows.length, results.most, processed.rows.length, processed.most]).toEqual([30, 1, 30, 1]);
  });

  test('2. after recovery, status and report show the batches succeeded, so nothing is recovered twice', async () => {
    const failed = await run(['--transcripts', calls(20), '--batch-size', '5', '--faults', 'vertex-job-fail:3', '--execution-id', 'two']);
    expect(failed.code).toBe(3);
    const recovered = await cli(['recover', '--local', work(), '--execution', 'two', '--all-failed']);
    expect(
      recovered.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(': ')[1]),
    ).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    const status = await cli(['status', '--local', work(), '--execution', 'two']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('(4/4) settled, 4 recovered');
    const report = JSON.parse((await cli(['report', '--local', work(), '--execution', 'two', '--json'])).stdout);
    expect(report).toMatchObject({ batches_succeeded: 4, batches_failed: 0, records_succeeded: 20, records_open: 0 });
    expect((await cli(['recover', '--local', work(), '--execution', 'two', '--all-failed'])).stdout).toBe('Nothing to recover.\n');
    expect((await table(TABLE_NAMES.results)).rows.length).toBe(20);
  });

  test("3. the seed's row-range recovery runs with its own argument shape and leaves no phantom batch", async () => {
    await run(['--transcripts', calls(12), '--batch-size', '4', '--faults', 'vertex-job-fail:3', '--execution-id', 'three']);
    const rows = await cli(['recover', '--local', work(), '--execution', 'three', '--start-row', '1', '--end-row', '12']);
    expect(rows.stdout).toBe('{"execution_id":"three","start_row":1,"end_row":12}: succeeded\n');
    const events = (await table(TABLE_NAMES.batchEvents)).rows;
    expect(new Set(events.map((e) => e.batch_id))).toEqual(new Set([0, 1, 2]));
    expect((await cli(['recover', '--local', work(), '--execution', 'three', '--all-failed'])).stdout).toBe('Nothing to recover.\n');
    // Rows whose records are all analysed: an attempt that sends nothing.
    const part = await cli(['recover', '--local', work(), '--execution', 'three', '--start-row', '2', '--end-row', '3']);
    expect(part.stdout).toBe('{"execution_id":"three","start_row":2,"end_row":3}: succeeded\n');
    const partial = (await table(TABLE_NAMES.batchEvents)).rows.filter((e) => e.start_row === 2);
    expect(partial.map((e) => [e.batch_id, e.status, e.end_row])).toEqual([[0, 'empty', 3]]);
    expect((await table(TABLE_NAMES.results)).rows.length).toBe(12);
  });

  test('4. a run killed right after its first results were committed, then run again, commits no record twice', async () => {
    // Where the first results load falls among the run's writes, counted as the fault counts them.
    const file = calls(10);
    const mortality = new Mortality(Number.MAX_SAFE_INTEGER);
    let firstResults = 0;
    await runLocalPipeline({
      workdir: path.join(dir, 'probe'),
      transcripts: file,
      batchSize: 5,
      wrapStorage: (s) => {
        const warehouse = mortalWarehouse(s.warehouse, mortality);
        return {
          store: mortalStore(s.store, mortality),
          warehouse: new Proxy(warehouse, {
            get(target, property, receiver) {
              const value = Reflect.get(target, property, receiver) as (...a: unknown[]) => unknown;
              if (property !== 'load') return typeof value === 'function' ? value.bind(target) : value;
              return async (t: string, p: string, id: string) => {
                const outcome = await target.load(t, p, id);
                if (t === TABLE_NAMES.results && firstResults === 0) firstResults = mortality.writes;
                return outcome;
              };
            },
          }),
        };
      },
    });
    expect(firstResults).toBeGreaterThan(10);
    // Killed right after that write, and a little later, then run again.
    for (const point of [firstResults, firstResults + 1, firstResults + 2]) {
      fs.rmSync(work(), { recursive: true, force: true });
      const died = await run(['--transcripts', file, '--batch-size', '5', '--faults', `crash-after-writes:${point}`]);
      expect(died.code).toBe(1);
      const again = await run(['--json']);
      expect(again.code).toBe(0);
      const results = await table(TABLE_NAMES.results);
      expect({ point, rows: results.rows.length, most: results.most }).toEqual({ point, rows: 10, most: 1 });
      expect((await table(TABLE_NAMES.processedRecords)).most).toBe(1);
    }
  });

  test('5. a second run with the same execution id is refused, saying why, and changes nothing', async () => {
    expect((await run(['--transcripts', calls(20), '--execution-id', 'five'])).code).toBe(0);
    const again = await run(['--transcripts', calls(80), '--execution-id', 'five']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/execution five was already planned at .* a plan is never changed: give a new execution id/);
    const ws = await openLocalWorkspace(work());
    const [source] = await ws.warehouse.query<{ n: number }>({
      sql: `SELECT COUNT(*) AS n FROM ${ws.warehouse.table(TABLE_NAMES.source)}`,
    });
    await ws.close();
    expect(source!.n).toBe(20);
  });

  test('6. an unreachable model endpoint leaves records open with their attempts intact; they are analysed once it answers', async () => {
    const port = await closedPort();
    for (let i = 0; i < 3; i++) {
      const down = await run(['--transcripts', calls(6), '--model-endpoint', `http://127.0.0.1:${port}/v1beta`, '--json']);
      expect(JSON.parse(down.stdout)).toMatchObject({
        records_succeeded: 0,
        records_failed: 0,
        records_open: 6,
        errors_by_type: { model_unavailable: 6 },
      });
    }
    const processed = await table(TABLE_NAMES.processedRecords);
    expect(processed.rows).toEqual([]);
    const back = await run(['--json']);
    expect(JSON.parse(back.stdout)).toMatchObject({ records_total: 6, records_succeeded: 6, records_open: 0 });
  });

  test('7. ids beyond 2^53 stay distinct, a BOM and a bad line do not stop the load, a binary file is refused', async () => {
    const file = path.join(dir, 'ids.jsonl');
    fs.writeFileSync(
      file,
      '\ufeff{"transcript_id": 12345678901234567890, "transcript": "a call"}\n' +
        '{"transcript_id": 12345678901234567891, "transcript": "another call"}\n' +
        '{"transcript_id": "bad", "transcript": "\\ud800"}\n',
    );
    const r = await run(['--transcripts', file, '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ records_total: 2, records_succeeded: 2 });
    expect(r.stderr).toMatch(/ids\.jsonl:3: transcript is not valid Unicode text/);
    const results = (await table(TABLE_NAMES.results)).rows.map((row) => row.record_id).sort();
    expect(results).toEqual(['12345678901234567890', '12345678901234567891']);
    const binary = path.join(dir, 'calls.jsonl.gz');
    fs.writeFileSync(binary, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x1b, 0x5b, 0x32, 0x4a]));
    const refused = await run(['--transcripts', binary]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is not a UTF-8 text file of JSON Lines or CSV .*; nothing was loaded/);
    // No byte of the file reaches the terminal: no control characters in the message.
    expect([...refused.stderr].filter((c) => c.charCodeAt(0) < 0x09 || c === '\u001b')).toEqual([]);
  });

  test('8. a laptop run whose process died is seen as interrupted; recover takes over; status --watch ends', async () => {
    const died = await run([
      '--transcripts',
      calls(12),
      '--batch-size',
      '4',
      '--faults',
      'crash-after-writes:45',
      '--execution-id',
      'eight',
    ]);
    expect(died.code).toBe(1);
    expect(died.stderr).toContain('died after 45 writes');
    const status = await cli(['status', '--local', work(), '--execution', 'eight', '--watch', '--interval', '0']);
    expect(status.stdout).toContain('Execution eight: interrupted');
    expect(status.stdout).toContain(`tapctl recover --local ${path.relative(process.cwd(), work())} --execution eight --all-failed`);
    expect(status.code).toBe(3);
    const recovered = await cli(['recover', '--local', work(), '--execution', 'eight', '--all-failed']);
    expect(recovered.code).toBe(0);
    const report = JSON.parse((await cli(['report', '--local', work(), '--execution', 'eight', '--json'])).stdout);
    expect(report).toMatchObject({ records_total: 12, records_succeeded: 12, records_open: 0, batches_failed: 0, batches_unfinished: 0 });
    expect((await table(TABLE_NAMES.results)).most).toBe(1);
  });

  test('9. tokens and cost count every answer the model returned, valid or not', async () => {
    const r = await run([
      '--transcripts',
      calls(20),
      '--batch-size',
      '10',
      '--faults',
      'malformed-json-rate:0.5,missing-summary-rate:0.3',
      '--json',
    ]);
    const summary = JSON.parse(r.stdout);
    expect(summary.records_succeeded).toBeLessThan(20);
    let tokensIn = 0;
    let tokensOut = 0;
    const walk = (d: string): void => {
      for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, entry.name);
        if (entry.isDirectory()) walk(p);
        else if (entry.name === 'predictions.jsonl') {
          for (const line of fs.readFileSync(p, 'utf8').split('\n').filter(Boolean)) {
            const usage = JSON.parse(line).response?.usageMetadata;
            tokensIn += usage?.promptTokenCount ?? 0;
            tokensOut += usage?.candidatesTokenCount ?? 0;
          }
        }
      }
    };
    walk(work());
    expect(tokensIn).toBeGreaterThan(0);
    expect({ tokens_in: summary.tokens_in, tokens_out: summary.tokens_out }).toEqual({ tokens_in: tokensIn, tokens_out: tokensOut });
  });
});

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
