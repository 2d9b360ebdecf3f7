/**
 * `--analysis` on the command line: NAME=FILE declares analyses on the laptop, FILE replaces pass1,
 * NAME runs one analysis (and what it reads), on the laptop or a deployment.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cli } from './run-cli';
import { parseOptions } from '../../../runtime/cli/options';
import { openLocalWorkspace } from '../../../runtime/adapters/local';
import { DEFAULT_ANALYSIS, TABLE_NAMES } from '../../../runtime/contract';
import { analysisChoice, DEPLOYED_RUN_OPTIONS, RUN_OPTIONS, runArgument } from '../../../runtime/cli/run-options';

const ROOT = path.join(__dirname, '..', '..', '..');
const EXAMPLES = path.join(ROOT, 'examples', 'analyses');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tap-cli-analyses-'));
  const lines = readFileSync(path.join(ROOT, 'examples', 'transcripts.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .slice(0, 8);
  writeFileSync(path.join(dir, 'calls.jsonl'), lines.join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--analysis values', () => {
  test('NAME=FILE declares, FILE replaces pass1, NAME runs one', () => {
    expect(analysisChoice(['qa=qa.json', 'mine.json', 'followup'])).toEqual({
      pass1File: 'mine.json',
      files: { qa: 'qa.json' },
      only: 'followup',
    });
    expect(analysisChoice(['pass1=mine.json']).pass1File).toBe('mine.json');
  });

  test('refuses two files for pass1, two names to run, a bad name', () => {
    expect(() => analysisChoice(['a.json', 'pass1=b.json'])).toThrow(
      '--analysis a.json and --analysis pass1=... both replace pass1: give one',
    );
    expect(() => analysisChoice(['qa', 'reasons'])).toThrow('--analysis names one analysis to run, got qa and reasons');
    expect(() => analysisChoice(['QA=x.json'])).toThrow('--analysis QA=x.json: the name must be a lowercase letter');
  });

  test('a deployed run passes the name to run, and refuses files', () => {
    const parse = (argv: string[]) => parseOptions(argv, { ...RUN_OPTIONS, ...DEPLOYED_RUN_OPTIONS }).values;
    expect(runArgument(parse(['--analysis', 'qa']))).toEqual({ analysis: 'qa' });
    expect(() => runArgument(parse(['--analysis', 'qa=qa.json']))).toThrow(/declare analyses on the laptop only/);
  });
});

describe('tapctl local run with several analyses', () => {
  test('runs the analyses given as NAME=FILE with pass1, and reports each', async () => {
    const r = await cli([
      'local',
      'run',
      '--local',
      path.join(dir, 'work'),
      '--transcripts',
      path.join(dir, 'calls.jsonl'),
      '--analysis',
      `qa=${path.join(EXAMPLES, 'qa-scorecard.json')}`,
      '--analysis',
      `followup=${path.join(EXAMPLES, 'follow-up.json')}`,
      '--execution-id',
      'cli-1',
      '--json',
    ]);
    expect(r.stderr).not.toContain('failed');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { execution_id: string; analyses: { analysis: string; execution_id: string }[] };
    expect(report.execution_id).toBe('cli-1');
    expect(report.analyses.map((a) => [a.analysis, a.execution_id])).toEqual([
      ['pass1', 'cli-1'],
      ['followup', 'cli-1-followup'],
      ['qa', 'cli-1-qa'],
    ]);
  });

  test('tapctl run --local with several analyses says what each analysed', async () => {
    const r = await cli([
      'run',
      '--local',
      path.join(dir, 'run-local'),
      '--transcripts',
      path.join(dir, 'calls.jsonl'),
      '--analysis',
      `qa=${path.join(EXAMPLES, 'qa-scorecard.json')}`,
      '--execution-id',
      'runl',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('runl\n');
    expect(r.stderr).toMatch(
      /^execution runl SUCCEEDED: pass1 \d+ records analysed, 0 batches failed; qa \d+ records analysed, 0 batches failed\n$/m,
    );
  });

  test("clear-history of one analysis's execution clears that analysis's results only", async () => {
    const counts = async () => {
      const ws = await openLocalWorkspace(path.join(dir, 'work'), DEFAULT_ANALYSIS, {});
      try {
        const n = async (table: string) =>
          Number((await ws.warehouse.query<{ n: number }>({ sql: `SELECT COUNT(*) AS n FROM ${ws.warehouse.table(table)}` }))[0]!.n);
        return { pass1: await n(TABLE_NAMES.results), qa: await n('qa_results'), processed: await n(TABLE_NAMES.processedRecords) };
      } finally {
        await ws.close();
      }
    };
    const before = await counts();
    expect(before.qa).toBeGreaterThan(0);
    const r = await cli(['clear-history', '--local', path.join(dir, 'work'), '--execution', 'cli-1-qa', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${before.qa} results`);
    expect(await counts()).toEqual({ pass1: before.pass1, qa: 0, processed: before.processed - before.qa });
  });

  test('refuses a chained analysis whose upstream is not given, before anything runs', async () => {
    const followup = JSON.parse(readFileSync(path.join(EXAMPLES, 'follow-up.json'), 'utf8')) as Record<string, unknown>;
    const file = path.join(dir, 'after-qa.json');
    writeFileSync(file, JSON.stringify({ ...followup, after: 'qa', promptTemplate: 'Score: {qa.qa_score}' }));
    const work = path.join(dir, 'refused');
    const r = await cli(['local', 'run', '--local', work, '--analysis', `next=${file}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('analyses.next.after must be the name of another analysis of the pipeline (pass1), got "qa"');
    expect(existsSync(work)).toBe(false);
  });

  test('a failed batch of a chained analysis is recovered under that analysis', async () => {
    const work = path.join(dir, 'recovered');
    const followup = `followup=${path.join(EXAMPLES, 'follow-up.json')}`;
    const base = ['--local', work, '--analysis', followup];
    const run = await cli([
      'local',
      'run',
      ...base,
      '--transcripts',
      path.join(dir, 'calls.jsonl'),
      '--faults',
      'vertex-job-fail:1',
      '--max-batch-attempts',
      '1',
      '--execution-id',
      'rec',
      '--json',
    ]);
    expect(run.code).toBe(3);
    const failed = (JSON.parse(run.stdout) as { analyses: { execution_id: string; batches_failed: number }[] }).analyses;
    expect(failed.map((a) => [a.execution_id, a.batches_failed])).toEqual([
      ['rec', 1],
      ['rec-followup', 0],
    ]);
    // pass1 failed whole: the chained pass had nothing to plan. Recover pass1, then run again.
    const recovered = await cli(['recover', '--local', work, '--execution', 'rec', '--all-failed']);
    expect(recovered.code).toBe(0);
    const again = await cli([
      'local',
      'run',
      ...base,
      '--faults',
      'vertex-job-fail:1',
      '--max-batch-attempts',
      '1',
      '--execution-id',
      'rec2',
      '--json',
    ]);
    const second = (JSON.parse(again.stdout) as { analyses: { execution_id: string; records_total: number; batches_failed: number }[] })
      .analyses;
    expect(second.map((a) => [a.execution_id, a.records_total > 0, a.batches_failed])).toEqual([
      ['rec2', false, 0],
      ['rec2-followup', true, 1],
    ]);
    const chained = await cli(['recover', '--local', work, '--execution', 'rec2-followup', '--all-failed']);
    expect(chained.stderr).toBe('');
    expect(chained.code).toBe(0);
    const report = await cli(['report', '--local', work, '--execution', 'rec2-followup', '--json']);
    const summary = JSON.parse(report.stdout) as {
      analysis: string;
      records_open: number;
      batches_failed: number;
      records_succeeded: number;
    };
    expect(summary).toMatchObject({ analysis: 'followup', records_open: 0, batches_failed: 0 });
    expect(summary.records_succeeded).toBe(second[1]!.records_total);
  });

  test("--model-endpoint asks each analysis's own model", async () => {
    const models: string[] = [];
    // An OpenAI-compatible server: POST {base}/chat/completions answers {choices: [{message: {content}, finish_reason}], usage}.
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        models.push((JSON.parse(body) as { model: string }).model);
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            choices: [
              { message: { role: 'assistant', content: JSON.stringify({ summary: 'ok', sentiment: 'neutral' }) }, finish_reason: 'stop' },
            ],
            usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const pro = path.join(dir, 'pro.json');
      writeFileSync(pro, JSON.stringify({ ...DEFAULT_ANALYSIS, model: 'gemini-2.5-pro', systemInstruction: 'Another look.' }));
      const lines = readFileSync(path.join(dir, 'calls.jsonl'), 'utf8').trim().split('\n').slice(0, 3);
      const three = path.join(dir, 'three.jsonl');
      writeFileSync(three, lines.join('\n') + '\n');
      const port = (server.address() as { port: number }).port;
      const r = await cli([
        'local',
        'run',
        '--local',
        path.join(dir, 'endpoint'),
        '--transcripts',
        three,
        '--analysis',
        `pro=${pro}`,
        '--model-endpoint',
        `http://127.0.0.1:${port}/v1`,
        '--json',
      ]);
      expect(r.code).toBe(0);
      const answered = lines.filter((l) => (JSON.parse(l) as { transcript: string | null }).transcript).length;
      expect(models.sort()).toEqual([...Array(answered).fill('gemini-2.5-flash'), ...Array(answered).fill('gemini-2.5-pro')]);
    } finally {
      server.close();
    }
  });
});
