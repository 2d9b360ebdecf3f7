/**
 * A record erased with `tapctl forget` is analysed again only if it comes back in the source: a new
 * analysis version plans every record but the forgotten one, whose source row is older than its
 * erasure; loading it into the source again plans it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLocalWorkspace } from '../../../runtime/adapters/local';
import { DEFAULT_ANALYSIS, TABLE_NAMES } from '../../../runtime/contract';
import { runLocalPipeline } from '../../../runtime/local/pipeline';
import { forgetLocal } from '../../../runtime/ops/forget';

const ids = Array.from({ length: 6 }, (_, i) => `call-${i}`);
const text = (id: string) => `Agent: Hello, how can I help?\nCustomer: This is ${id}, my parcel is late.\nAgent: I have sent a new one.`;
const version2 = { ...DEFAULT_ANALYSIS, promptTemplate: `Read the call carefully.\n${DEFAULT_ANALYSIS.promptTemplate}` };

let dir: string;
let work: string;
let file: string;

async function planned(executionId: string): Promise<string[]> {
  const ws = await openLocalWorkspace(work);
  try {
    const rows = await ws.warehouse.query<{ record_id: string }>({
      sql: `SELECT record_id FROM ${ws.warehouse.table(TABLE_NAMES.batchAssignments)} WHERE execution_id = @e ORDER BY record_id`,
      params: { e: executionId },
    });
    return rows.map((r) => r.record_id);
  } finally {
    await ws.close();
  }
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-forgotten-plan-'));
  work = path.join(dir, 'work');
  file = path.join(dir, 'calls.jsonl');
  fs.writeFileSync(file, ids.map((id) => JSON.stringify({ transcript_id: id, transcript: text(id) })).join('\n') + '\n');
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a forgotten record is not planned again while its source row is older than the erasure, and is once it comes back', async () => {
  const first = await runLocalPipeline({ workdir: work, transcripts: file, batchSize: 10, executionId: 'first' });
  expect(first.summary).toMatchObject({ records_total: 6, records_succeeded: 6 });

  const outcome = await forgetLocal(work, ['call-2'], false);
  expect(outcome.recorded).toBe(1);

  // A new version plans every record again, but not the forgotten one: its row is still in the source.
  const second = await runLocalPipeline({ workdir: work, analysis: version2, batchSize: 10, executionId: 'second' });
  expect(second.summary).toMatchObject({ records_total: 5 });
  expect(await planned('second')).toEqual(['call-0', 'call-1', 'call-3', 'call-4', 'call-5']);

  // Loaded into the source again (a new row, written after the erasure): it is planned.
  const third = await runLocalPipeline({ workdir: work, transcripts: file, analysis: version2, batchSize: 10, executionId: 'third' });
  expect(await planned('third')).toEqual(['call-2']);
  expect(third.summary).toMatchObject({ records_total: 1, records_succeeded: 1 });
}, 120_000);
