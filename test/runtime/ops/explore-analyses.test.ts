/** `tapctl explore --analysis NAME` over a laptop run of several analyses: each with its own fields. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLocalWorkspace } from '../../../runtime/adapters/local';
import { AnalysisSpec, DEFAULT_ANALYSIS } from '../../../runtime/contract';
import { runLocalPipeline } from '../../../runtime/local/pipeline';
import { openWorkspaceExplorer } from '../../../runtime/ops/explore';

const EXAMPLES = path.join(__dirname, '..', '..', '..', 'examples');
const QA = JSON.parse(fs.readFileSync(path.join(EXAMPLES, 'analyses', 'qa-scorecard.json'), 'utf8')) as AnalysisSpec;

let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-explore-analyses-'));
  const run = await runLocalPipeline({
    workdir: dir,
    transcripts: path.join(EXAMPLES, 'transcripts.jsonl'),
    analyses: { qa: QA },
    batchSize: 100,
  });
  if (run.state !== 'SUCCEEDED') throw new Error(`run failed: ${JSON.stringify(run.error)}`);
}, 300_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test.each([
  ['pass1', DEFAULT_ANALYSIS, 'transcription_analyzed_transcripts'],
  ['qa', QA, 'qa_results'],
])('explores %s with its own declared fields over its own results table', async (name, spec, table) => {
  const ws = await openLocalWorkspace(dir, DEFAULT_ANALYSIS, { qa: QA });
  try {
    const explorer = await openWorkspaceExplorer(ws, { analysis: name });
    expect(explorer.resultsTable).toBe(table);
    expect(explorer.fields.filter((f) => f.declared).map((f) => f.name)).toEqual(spec.fields.map((f) => f.name));
    const summary = await explorer.summarize();
    const [n] = await ws.warehouse.query<{ n: unknown }>({ sql: `SELECT COUNT(DISTINCT record_id) AS n FROM ${table}` });
    expect(summary.calls).toBe(Number(n!.n));
    expect(summary.calls).toBeGreaterThan(0);
  } finally {
    await ws.close();
  }
});
