import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FolderStore } from '../../../runtime/adapters/local/folder-store';
import { parseFaults } from '../../../runtime/local/faults';
import { DEFAULT_TIMINGS, LineAnalyzer, LocalVertexAi } from '../../../runtime/local/vertex';

const PARENT = 'projects/p/locations/r';

/** Answers each request with its own label, as JSON, in Vertex AI's output line shape. */
const echo: LineAnalyzer = (line) => {
  const request = line.request as { labels: { record: string } };
  return {
    status: '',
    processed_time: '2026-01-01T00:00:00Z',
    request,
    response: {
      candidates: [
        { content: { role: 'model', parts: [{ text: JSON.stringify({ summary: request.labels.record, n: 1 }) }] }, finishReason: 'STOP' },
      ],
      usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2, totalTokenCount: 5 },
    },
  };
};

async function setup(faults = '', requests = 10) {
  const store = new FolderStore(fs.mkdtempSync(path.join(os.tmpdir(), 'tap-vertex-')), 'work');
  const lines = Array.from({ length: requests }, (_, i) => JSON.stringify({ request: { contents: [], labels: { record: `r${i}` } } }));
  await store.writeText('in/input.jsonl', lines.join('\n') + '\n');
  const vertex = new LocalVertexAi({ store, analyze: echo, project: 'p', region: 'r', faults: parseFaults(faults, 5) });
  const body = {
    displayName: 'job',
    model: 'publishers/google/models/gemini-2.5-flash',
    inputConfig: { instancesFormat: 'jsonl', gcsSource: { uris: ['gs://work/in/input.jsonl'] } },
    outputConfig: { predictionsFormat: 'jsonl', gcsDestination: { outputUriPrefix: 'gs://work/out' } },
    labels: { 'tap-execution': 'e1', 'tap-batch': '0' },
  };
  return { store, vertex, body };
}

async function readPredictions(store: FolderStore, dir: string): Promise<Record<string, unknown>[]> {
  const files = await store.list(dir.replace('gs://work/', ''));
  expect(files.every((f) => f.endsWith('.jsonl'))).toBe(true);
  const text = (await Promise.all(files.map((f) => store.readText(f)))).join('');
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('local Vertex AI batch prediction', () => {
  test('a job moves QUEUED, PENDING, RUNNING, SUCCEEDED on the clock and writes predictions', async () => {
    const { store, vertex, body } = await setup();
    const created = vertex.create(PARENT, body, 1000);
    expect(created).toMatchObject({ state: 'JOB_STATE_QUEUED', createTime: new Date(1000_000).toISOString() });
    const name = created.name as string;
    expect(name).toMatch(/^projects\/p\/locations\/r\/batchPredictionJobs\/\d+$/);
    const t = DEFAULT_TIMINGS;
    expect((await vertex.get(name, 1000 + t.queuedSeconds)).state).toBe('JOB_STATE_PENDING');
    const running = await vertex.get(name, 1000 + t.queuedSeconds + t.pendingSeconds);
    expect(running.state).toBe('JOB_STATE_RUNNING');
    expect(running.startTime).toBeDefined();
    const done = await vertex.get(name, 1000 + 100_000);
    expect(done.state).toBe('JOB_STATE_SUCCEEDED');
    expect(done.completionStats).toEqual({ successfulCount: '10', failedCount: '0', incompleteCount: '0' });
    const dir = (done.outputInfo as { gcsOutputDirectory: string }).gcsOutputDirectory;
    expect(dir).toMatch(/^gs:\/\/work\/out\/prediction-model-\d{8}T\d{6}Z$/);
    const lines = await readPredictions(store, dir);
    expect(lines.map((l) => (l.request as { labels: { record: string } }).labels.record).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `r${i}`).sort(),
    );
  });

  test('the first N jobs of a batch fail with vertex-job-fail:N, then one succeeds', async () => {
    const { vertex, body } = await setup('vertex-job-fail:2');
    const states: string[] = [];
    for (let i = 0; i < 3; i++) {
      const job = vertex.create(PARENT, body, 0);
      const end = await vertex.get(job.name as string, 1_000_000);
      states.push(end.state as string);
      if (end.state === 'JOB_STATE_FAILED') expect(end.error).toMatchObject({ message: expect.stringMatching(/vertex-job-fail/) });
    }
    expect(states).toEqual(['JOB_STATE_FAILED', 'JOB_STATE_FAILED', 'JOB_STATE_SUCCEEDED']);
    const other = vertex.create(PARENT, { ...body, labels: { 'tap-execution': 'e1', 'tap-batch': '1' } }, 0);
    expect((await vertex.get(other.name as string, 1_000_000)).state).toBe('JOB_STATE_FAILED');
  });

  test('vertex-job-expire keeps the job queued for 72 hours, then EXPIRED', async () => {
    const { vertex, body } = await setup('vertex-job-expire:1');
    const job = vertex.create(PARENT, body, 0);
    expect((await vertex.get(job.name as string, 71 * 3600)).state).toBe('JOB_STATE_QUEUED');
    expect((await vertex.get(job.name as string, 72 * 3600)).state).toBe('JOB_STATE_EXPIRED');
  });

  test('line faults corrupt a seeded share of lines', async () => {
    const { store, vertex, body } = await setup('line-error-rate:0.2,malformed-json-rate:0.2,missing-summary-rate:0.2', 400);
    const job = vertex.create(PARENT, body, 0);
    const done = await vertex.get(job.name as string, 1_000_000);
    const lines = await readPredictions(store, (done.outputInfo as { gcsOutputDirectory: string }).gcsOutputDirectory);
    const errors = lines.filter((l) => l.status !== '');
    const texts = lines.filter((l) => l.status === '').map((l) => (l.response as any).candidates[0].content.parts[0].text as string);
    const malformed = texts.filter((t) => {
      try {
        JSON.parse(t);
        return false;
      } catch {
        return true;
      }
    });
    const noSummary = texts.filter((t) => !malformed.includes(t) && !('summary' in JSON.parse(t)));
    for (const group of [errors, malformed, noSummary]) {
      expect(group.length).toBeGreaterThan(30);
      expect(group.length).toBeLessThan(130);
    }
    expect(done.completionStats).toMatchObject({ failedCount: String(errors.length) });
  });

  test('create rejects what Vertex AI rejects', async () => {
    const { vertex, body } = await setup();
    expect(() => vertex.create('projects/x/locations/r', body, 0)).toThrow();
    expect(() => vertex.create(PARENT, { ...body, inputConfig: { instancesFormat: 'csv' } }, 0)).toThrow();
    try {
      vertex.create(PARENT, { ...body, labels: { Bad: 'x' } }, 0);
      throw new Error('accepted');
    } catch (e) {
      expect(e).toMatchObject({ code: 400, tags: ['HttpError'] });
    }
    await expect(vertex.get(`${PARENT}/batchPredictionJobs/999`, 0)).rejects.toMatchObject({ code: 404 });
  });

  test('cancel ends a running job as CANCELLED', async () => {
    const { vertex, body } = await setup();
    const job = vertex.create(PARENT, body, 0);
    vertex.cancel(job.name as string, 10);
    expect((await vertex.get(job.name as string, 1_000_000)).state).toBe('JOB_STATE_CANCELLED');
  });
});
