/**
 * `tapctl serve` over a laptop run of the example transcripts: filters answered by queries over
 * every call (not a sample), checked against SQL written here, from the API, in headless Chromium,
 * and from the command run as its own process.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLocalWorkspace } from '../../../runtime/adapters/local';
import { EXPLORER_LIMITS } from '../../../runtime/contract';
import { runLocalPipeline } from '../../../runtime/local/pipeline';
import { ExplorerServer, startExplorerServer } from '../../../runtime/ops/explore-server';
import { chromiumPath, closeChromium, withPage } from './chromium';

const EXAMPLES = path.join(__dirname, '..', '..', '..', 'examples', 'transcripts.jsonl');
const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'tapctl.js');

let dir: string;
let server: ExplorerServer;
const log: string[] = [];

async function count(where: string, params: Record<string, string> = {}): Promise<number> {
  const ws = await openLocalWorkspace(dir);
  try {
    const [row] = await ws.warehouse.query<{ n: number }>({
      sql: `SELECT COUNT(*) AS n FROM transcription_analyzed_transcripts r JOIN transcription_pass_2 s ON s.transcript_id = r.record_id WHERE ${where}`,
      params,
    });
    return Number(row!.n);
  } finally {
    await ws.close();
  }
}

async function max(column: string): Promise<number> {
  const ws = await openLocalWorkspace(dir);
  try {
    const [row] = await ws.warehouse.query<{ m: number }>({
      sql: `SELECT MAX(s.${column}) AS m FROM transcription_analyzed_transcripts r JOIN transcription_pass_2 s ON s.transcript_id = r.record_id`,
    });
    return Number(row!.m);
  } finally {
    await ws.close();
  }
}

interface Page {
  matching: number;
  rows: { values: Record<string, unknown>; transcript: string }[];
  error?: string;
}

async function get(query: string): Promise<{ status: number; body: Page }> {
  const response = await fetch(new URL(`api/calls?${query}`, server.url));
  return { status: response.status, body: (await response.json()) as Page };
}

beforeAll(async () => {
  await chromiumPath();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-serve-'));
  const run = await runLocalPipeline({ workdir: dir, transcripts: EXAMPLES, batchSize: 50 });
  if (run.state !== 'SUCCEEDED') throw new Error(`run failed: ${JSON.stringify(run.error)}`);
  server = await startExplorerServer({ target: { kind: 'local', dir }, env: {}, port: 0, log: (line) => log.push(line) });
}, 300_000);

afterAll(async () => {
  await server?.close();
  await closeChromium();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('tapctl serve', () => {
  test('listens on 127.0.0.1 on the port it was given (0: any free one)', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(Number(new URL(server.url).port)).toBeGreaterThan(0);
  });

  test('answers a filter with the matching calls among all of them', async () => {
    const { status, body } = await get('eq=sentiment=negative');
    expect(status).toBe(200);
    expect(body.matching).toBe(await count(`r.sentiment = 'negative'`));
    expect(body.rows.length).toBe(Math.min(body.matching, EXPLORER_LIMITS.servePageRows));
    expect(body.rows.every((r) => r.values.sentiment === 'negative')).toBe(true);
  });

  test('a search and two filters narrow it down by query', async () => {
    const { body } = await get('eq=sentiment=negative&eq=resolution=unresolved&q=Bill');
    const expected = await count(`r.sentiment = 'negative' AND r.resolution = 'unresolved' AND (
  strpos(lower(s.transcript), 'bill') > 0 OR strpos(lower(r.record_id), 'bill') > 0 OR strpos(lower(r.summary), 'bill') > 0
  OR strpos(lower(r.customer_intent), 'bill') > 0 OR strpos(lower(array_to_string(r.topics, ' ')), 'bill') > 0
  OR strpos(lower(array_to_string(r.action_items, ' ')), 'bill') > 0)`);
    expect(body.matching).toBe(expected);
    expect(expected).toBeGreaterThan(0);
    expect(body.rows.every((r) => r.values.resolution === 'unresolved')).toBe(true);
  });

  test('sorts by a column in the query: the longest calls first', async () => {
    const { status, body } = await get('sort=-duration_seconds');
    expect(status).toBe(200);
    const durations = body.rows.map((r) => Number(r.values.duration_seconds));
    expect(durations).toEqual([...durations].sort((a, b) => b - a));
    expect(durations[0]).toBe(await max('duration_seconds'));
    const bad = await get('sort=transcript');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^cannot sort calls by transcript: sort by one of record_id, analysis_version, /);
  });

  test('a filter on an unknown field, or a bad offset, is refused with a message', async () => {
    const unknown = await get('eq=mood=grim');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe('cannot filter on mood: the fields calls can be filtered on are sentiment, resolution');
    const offset = await get('offset=-3');
    expect(offset.status).toBe(400);
    expect(offset.body.error).toBe('offset must be a whole number from 0, got -3');
    expect(log).toContain('GET /api/calls?eq=mood=grim 400');
  });

  test('the served page asks the server when a filter changes', async () => {
    const negative = await count(`r.sentiment = 'negative'`);
    const shown = await withPage(server.url, 1280, 900, async (p) => {
      await p.select('select[data-filter="sentiment"]', 'negative');
      await p.waitForFunction(`document.getElementById('shown').textContent.includes('of ${negative} matching')`);
      return p.$$eval('#calls tbody tr', (trs) => trs.length);
    });
    expect(shown).toBe(Math.min(negative, EXPLORER_LIMITS.servePageRows));
    expect(log.some((l) => l.startsWith('GET /api/calls?eq=sentiment%3Dnegative 200'))).toBe(true);
  });

  test('runs as a command until it is stopped', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--local', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /serving (http:\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`tapctl serve exited with ${code}`)));
      });
      const response = await fetch(new URL('api/calls?eq=resolution=escalated', url));
      expect(((await response.json()) as Page).matching).toBe(await count(`r.resolution = 'escalated'`));
    } finally {
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
