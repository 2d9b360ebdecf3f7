import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../../runtime/cli/main';
import { openLocalWorkspace } from '../../../runtime/adapters/local';
import { analysisVersion, DEFAULT_ANALYSIS, TABLE_NAMES } from '../../../runtime/contract';

const EXAMPLES = path.join(__dirname, '..', '..', '..', 'examples', 'transcripts.jsonl');

async function tapctl(args: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await runCli(args, { stdout, stderr, env, cwd: process.cwd() });
  return { code, out, err };
}

function input(lines: string[]): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tap-cli-in-')), 'in.jsonl');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const firstLines = (n: number) => fs.readFileSync(EXAMPLES, 'utf8').trim().split('\n').slice(0, n);
const workdir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tap-cli-'));

describe('tapctl local run', () => {
  test('--json prints the report as one object with every count', async () => {
    const file = input(firstLines(25));
    const { code, out } = await tapctl(['local', 'run', '--transcripts', file, '--local', workdir(), '--batch-size', '10', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(out) as Record<string, unknown>;
    for (const key of [
      'execution_id',
      'records_total',
      'skipped_dedup',
      'batches',
      'batches_succeeded',
      'batches_failed',
      'batches_recovered',
      'records_succeeded',
      'records_failed',
      'errors_by_type',
      'tokens_in',
      'tokens_out',
      'estimated_cost_usd',
      'duration_seconds',
    ]) {
      expect(report).toHaveProperty(key);
    }
    expect(report).toMatchObject({ records_total: 25, batches: 3, batches_succeeded: 3 });
  });

  test('bad input lines are reported with their numbers and the others still run', async () => {
    const lines = firstLines(6);
    const file = input([lines[0]!, '{broken', JSON.stringify({ transcript: 'no id' }), lines[1]!, lines[0]!, lines[2]!]);
    const { code, out, err } = await tapctl(['local', 'run', '--transcripts', file, '--local', workdir()]);
    expect(code).toBe(0);
    expect(err).toMatch(/in\.jsonl:2: not valid JSON/);
    expect(err).toMatch(/in\.jsonl:3: missing transcript_id/);
    expect(err).toMatch(/in\.jsonl:5: duplicate transcript_id "tr-000001" \(first on line 1\)/);
    expect(err).toMatch(/loaded 3 transcripts; 3 input line\(s\) skipped/);
    expect(out).toMatch(/records planned\s+3\n/);
  });

  test('a changed transcript replaces the old row of the same id', async () => {
    const dir = workdir();
    await tapctl([
      'local',
      'run',
      '--transcripts',
      input([JSON.stringify({ transcript_id: 'x1', transcript: 'first text' })]),
      '--local',
      dir,
    ]);
    await tapctl([
      'local',
      'run',
      '--transcripts',
      input([JSON.stringify({ transcript_id: 'x1', transcript: 'second text' })]),
      '--local',
      dir,
    ]);
    const ws = await openLocalWorkspace(dir);
    const rows = await ws.warehouse.query<{ transcript: string }>({
      sql: `SELECT transcript FROM ${ws.warehouse.table(TABLE_NAMES.source)}`,
    });
    await ws.close();
    expect(rows).toEqual([{ transcript: 'second text' }]);
  });

  test('batches left failed exit 3 and say how to recover', async () => {
    const file = input(firstLines(5));
    const { code, err, out } = await tapctl([
      'local',
      'run',
      '--transcripts',
      file,
      '--local',
      workdir(),
      '--faults',
      'vertex-job-fail:9',
      '--max-batch-attempts',
      '1',
    ]);
    expect(code).toBe(3);
    expect(out).toMatch(/failed\s+1 \(0\)/);
    expect(err).toMatch(/1 batch\(es\) left failed or unfinished: tapctl recover --local .* --execution [0-9a-f-]+ --all-failed/);
  });

  test('a run with its own analysis is recovered under that analysis', async () => {
    const dir = workdir();
    const analysisFile = path.join(dir, 'analysis.json');
    const analysis = { ...DEFAULT_ANALYSIS, promptTemplate: 'Summarise this call.\n{transcript}' };
    fs.writeFileSync(analysisFile, JSON.stringify(analysis));
    const file = input(firstLines(4));
    const first = await tapctl([
      'local',
      'run',
      '--transcripts',
      file,
      '--local',
      dir,
      '--analysis',
      analysisFile,
      '--faults',
      'vertex-job-fail:1',
      '--max-batch-attempts',
      '1',
      '--json',
    ]);
    expect(first.code).toBe(3);
    const executionId = (JSON.parse(first.out) as { execution_id: string }).execution_id;
    const recovered = await tapctl(['recover', '--local', dir, '--execution', executionId, '--all-failed']);
    expect(recovered.err).toBe('');
    expect(recovered.code).toBe(0);
    const ws = await openLocalWorkspace(dir);
    const rows = await ws.warehouse.query<{ analysis_version: string; n: number }>({
      sql: `SELECT analysis_version, COUNT(*) AS n FROM ${ws.warehouse.table(TABLE_NAMES.results)} GROUP BY analysis_version`,
    });
    await ws.close();
    expect(rows).toEqual([{ analysis_version: analysisVersion(analysis), n: 4 }]);
  });

  test.each([
    [['local', 'run', '--faults', 'cosmic-ray:1'], /--faults: unknown fault "cosmic-ray"/],
    [['local', 'run', '--transcripts', '/nonexistent.jsonl'], /--transcripts: file not found/],
    [['local', 'run', '--batch-size', '0'], /--batch-size must be a whole number from 1 to 200000 or auto, got 0/],
    [['local', 'run', '--max-concurrent-batches', '21'], /--max-concurrent-batches must be a whole number from 1 to 20, got 21/],
    [['local', 'run', '--model-endpoint', 'ftp://x'], /--model-endpoint must be an http\(s\) URL/],
    [['local', 'walk'], /unknown subcommand "walk"/],
    // A negative seed is a mistake in --seed, not in --faults.
    [['local', 'run', '--seed', '-1'], /^tapctl local: --seed needs a value \(write --seed=VALUE for a value that starts with -\)/],
    [['local', 'run', '--seed=-1'], /^tapctl local: --seed must be a whole number from 0 to 2147483648, got -1/],
    [['local', 'run', '--max-attempts', '1'], /--max-attempts is now --max-batch-attempts/],
    [['local', 'run', '--workdir', 'x'], /--workdir is now --local/],
    [['local', 'run', '--bach-size', '5'], /unknown option --bach-size; did you mean --batch-size\?/],
    [['run', '--local', 'x', '--allow-concurrent'], /--allow-concurrent is for a deployment/],
    [['run', '--project', 'p', '--region', 'r', '--dataset', 'd', '--faults', 'vertex-job-fail:1'], /--faults works only with --local/],
  ])('%j is a usage error', async (args, message) => {
    const { code, err } = await tapctl(args);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });

  test('--model-endpoint sends the requests to an OpenAI-compatible server instead of the local analyzer', async () => {
    const seen: { auth?: string; body: { model: string; messages: { role: string; content: string }[] } }[] = [];
    // POST {base}/chat/completions answers {choices: [{message: {content}, finish_reason}], usage}.
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        seen.push({ auth: req.headers.authorization, body: JSON.parse(body) });
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            choices: [
              {
                message: { role: 'assistant', content: JSON.stringify({ summary: 'said by the endpoint', sentiment: 'neutral' }) },
                finish_reason: 'stop',
              },
            ],
            usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const dir = workdir();
      const file = input(firstLines(3));
      const { code, out } = await tapctl(
        ['local', 'run', '--transcripts', file, '--local', dir, '--model-endpoint', `http://127.0.0.1:${port}/v1`, '--json'],
        { TAP_MODEL_API_KEY: 'k-123' },
      );
      expect(code).toBe(0);
      expect(JSON.parse(out)).toMatchObject({ records_succeeded: 3, tokens_in: 300, tokens_out: 30 });
      expect(seen).toHaveLength(3);
      expect(seen[0]!.auth).toBe('Bearer k-123');
      expect(seen[0]!.body.model).toBe('gemini-2.5-flash');
      const ws = await openLocalWorkspace(dir);
      const rows = await ws.warehouse.query<{ summary: string }>({
        sql: `SELECT DISTINCT summary FROM ${ws.warehouse.table(TABLE_NAMES.results)}`,
      });
      await ws.close();
      expect(rows).toEqual([{ summary: 'said by the endpoint' }]);
    } finally {
      server.close();
    }
  });
});
