/**
 * Results explorer benchmarks.
 *
 *   node bin/run-ts.js bench/explore.ts [--calls N] [--runs R]
 *
 * On a DuckDB work folder holding N analysed calls of the default analysis (synthetic: sentiment and
 * resolution drawn from their values, three topics, a 40-word summary, 2 KB transcripts, 60 agents,
 * three channels, a month of call times) and 1,000 calls for comparison:
 * 1. Every aggregate of the page (`summarize`: a chart per field, the trend, four breakdowns,
 *    errors) against a baseline that reads every call once (`COUNT(*)` over the latest view's
 *    SELECT), same run.
 * 2. The page: the sample of calls it carries and its size, at N and at 1,000 calls: the size is
 *    bounded by the sample, not by N.
 * 3. One query of `tapctl serve` (two filters and a text search over every call, 100 rows back).
 *
 * Writes bench/results/explore.md.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLocalWorkspace, type LocalWorkspace } from '../runtime/adapters/local';
import { analysisTables, DEFAULT_ANALYSIS, EXPLORER_LIMITS, latestViewSql } from '../runtime/contract';
import { openExplorer, duckExploreWarehouse, type Explorer } from '../runtime/ops/explore';
import { explorerHtml } from '../runtime/ops/explore-html';
import { alternate, argNumber } from './common';

const CALLS = argNumber('calls', 100_000);
const RUNS = argNumber('runs', 5);
const compareRuns = (candidate: () => Promise<unknown> | unknown, baseline: () => Promise<unknown> | unknown) =>
  alternate(candidate, baseline, RUNS);

/** A work folder with `n` analysed calls, filled by set-based SQL. */
async function folder(n: number): Promise<LocalWorkspace> {
  const ws = await openLocalWorkspace(fs.mkdtempSync(path.join(os.tmpdir(), 'tap-bench-explore-')));
  const w = ws.warehouse;
  const words = `['billing','refund','delivery','password','upgrade','contract','router','invoice','payment','discount','outage','address']`;
  await w.query({
    sql: `INSERT INTO ${w.table('transcription_pass_2')} (transcript_id, transcript, call_started_at, duration_seconds, channel, language, agent_id, customer_id, ingested_at)
SELECT 'c' || i, repeat('Customer: my ' || ${words}[i % 12 + 1] || ' is wrong again. Agent: let me check that for you. ', 30),
  TIMESTAMP '2026-10-01 00:00:00' + to_seconds(i * 2592000 // @n), 60 + i % 900, ['phone','chat','email'][i % 3 + 1], 'en-GB',
  'agent-' || (i * 7919 % 60), 'cust-' || i, TIMESTAMP '2026-11-01 00:00:00'
FROM range(0, @n) t(i)`,
    params: { n },
  });
  await w.query({
    sql: `INSERT INTO ${w.table('transcription_analyzed_transcripts')} (record_id, analysis_version, summary, sentiment, topics, resolution, action_items, customer_intent, model, execution_id, batch_id, processed_at)
SELECT 'c' || i, 'v-bench',
  repeat('The customer called about ' || ${words}[i % 12 + 1] || ' and the agent promised a follow up. ', 4),
  ['positive','neutral','negative','mixed'][(i * 31) % 4 + 1],
  [${words}[i % 12 + 1], ${words}[(i * 5) % 12 + 1], 'account'],
  ['resolved','unresolved','escalated','follow_up'][(i * 17) % 4 + 1],
  CASE WHEN i % 3 = 0 THEN ['call the customer back'] ELSE [] END,
  'fix ' || ${words}[i % 12 + 1], 'gemini-2.5-flash', 'bench', i // 1000, TIMESTAMP '2026-11-02 00:00:00'
FROM range(0, @n) t(i)`,
    params: { n },
  });
  return ws;
}

async function page(explorer: Explorer): Promise<{ bytes: number; carried: number }> {
  const summary = await explorer.summarize();
  const calls = await explorer.calls({}, 0, EXPLORER_LIMITS.sampleRows);
  const html = explorerHtml({ explorer, summary, calls, sampleLimit: EXPLORER_LIMITS.sampleRows, generatedAt: new Date().toISOString() });
  return { bytes: Buffer.byteLength(html), carried: calls.rows.length };
}

async function main() {
  const ws = await folder(CALLS);
  const small = await folder(1000);
  try {
    const tables = analysisTables();
    const explorer = await openExplorer(duckExploreWarehouse(ws.warehouse), { tables, spec: DEFAULT_ANALYSIS });
    const smallExplorer = await openExplorer(duckExploreWarehouse(small.warehouse), { tables, spec: DEFAULT_ANALYSIS });
    const latest = latestViewSql((id) => ws.warehouse.table(id), DEFAULT_ANALYSIS, tables);
    const aggregates = await compareRuns(
      () => explorer.summarize(),
      () => ws.warehouse.query({ sql: `SELECT COUNT(*) AS n FROM (${latest}) AS latest` }),
    );
    const filter = { equals: { sentiment: 'negative', resolution: 'escalated' }, search: 'delivery' };
    const served = await compareRuns(
      () => explorer.calls(filter, 0, EXPLORER_LIMITS.servePageRows),
      () => ws.warehouse.query({ sql: `SELECT COUNT(*) AS n FROM (${latest}) AS latest` }),
    );
    const matching = (await explorer.calls(filter, 0, 1)).matching;
    const big = await page(explorer);
    const little = await page(smallExplorer);
    const ms = (n: number) => `${n.toFixed(1)} ms`;
    const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
    const text = `# Results explorer

\`node bin/run-ts.js bench/explore.ts --calls ${CALLS} --runs ${RUNS}\` on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node.js ${process.version}, DuckDB (the laptop's warehouse). Medians of ${RUNS} alternating runs.

| measure | ${CALLS.toLocaleString('en')} calls | baseline: read every call once | ratio |
| --- | --- | --- | --- |
| every aggregate of the page (\`summarize\`: 6 field charts, trend, 4 breakdowns, errors) | ${ms(aggregates.candidate)} | ${ms(aggregates.baseline)} | ${aggregates.ratio.toFixed(1)}× |
| one \`tapctl serve\` query: 2 filters + text search over every call (${matching.toLocaleString('en')} match), 100 rows | ${ms(served.candidate)} | ${ms(served.baseline)} | ${served.ratio.toFixed(1)}× |

| page | calls counted | calls carried | size |
| --- | --- | --- | --- |
| ${CALLS.toLocaleString('en')} calls | ${CALLS.toLocaleString('en')} | ${big.carried} | ${kb(big.bytes)} |
| 1,000 calls | 1,000 | ${little.carried} | ${kb(little.bytes)} |

The charts are SQL aggregates over every call; the page carries at most \`EXPLORER_LIMITS.sampleRows\` (${EXPLORER_LIMITS.sampleRows}) calls with their
transcripts (2 KB each here), so its size follows the sample, not the table.
`;
    fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    fs.writeFileSync(path.join(__dirname, 'results', 'explore.md'), text);
    process.stdout.write(text);
  } finally {
    for (const w of [ws, small]) {
      await w.close();
      fs.rmSync(w.dir, { recursive: true, force: true });
    }
  }
}

void main();
