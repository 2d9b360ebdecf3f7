/**
 * Benchmark of the generator and processor jobs over 10,000 and 200,000 records of about 4 KB.
 *
 * Each measurement runs in its own process (`node bin/run-ts.js bench/jobs.ts`), so peak memory is
 * the process's own. Against each job, a raw baseline runs over the same records in the same way:
 * - generator baseline: serialise each row as a minimal request line (`JSON.stringify`) and write it;
 * - processor baseline: read the same Vertex AI output file line by line, `JSON.parse` each line and
 *   write one small JSON row per line.
 * Rows come from a synthetic warehouse stream (made on the fly, never held), predictions from a
 * file on disk written before the runs, and writes go to a sink that counts bytes, for both sides.
 * Results go to bench/results/jobs.md.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable, Writable } from 'node:stream';
import { once } from 'node:events';
import { analysisVersion, DEFAULT_ANALYSIS, JOB_ENV, RUN_ENV } from '../runtime/contract';
import type { JobEnv, JobPorts, ObjectStore, Statement, Warehouse } from '../runtime/core/ports';
import { requestLine, requestTemplate } from '../runtime/core/requests';
import * as generatorJob from '../runtime/jobs/generator';
import * as processorJob from '../runtime/jobs/processor';

const SIZES = [10_000, 50_000, 200_000];
const WORK = path.join(os.tmpdir(), 'tap-bench-jobs');
const WORDS =
  'the customer called about a billing problem agent checked account refund issued next week thanks again for calling please hold while I look into this order delivery late sorry'.split(
    ' ',
  );

/** A deterministic transcript of about 4 KB for record i. */
function transcript(i: number): string {
  let x = (i * 2654435761) >>> 0;
  const words: string[] = [];
  let length = 0;
  while (length < 4000) {
    x = (x * 1103515245 + 12345) >>> 0;
    const w = WORDS[x % WORDS.length]!;
    words.push(w);
    length += w.length + 1;
  }
  return (i % 2 === 0 ? 'Agent: ' : 'Customer: ') + words.join(' ');
}

const recordId = (i: number) => `call-${String(i).padStart(9, '0')}`;

function* sourceRows(n: number) {
  for (let i = 1; i <= n; i++) yield { row_number: i, batch_id: 0, record_id: recordId(i), record_attempt: 1, transcript: transcript(i) };
}

function* plannedRows(n: number) {
  for (let i = 1; i <= n; i++) yield { record_id: recordId(i), batch_id: 0, record_attempt: 1 };
}

/** A sink that counts what is written to it. */
class Sink extends Writable {
  bytes = 0;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.bytes += chunk.length;
    done();
  }
}

class BenchWarehouse implements Warehouse {
  constructor(private readonly n: number) {}
  table(id: string): string {
    return `\`p.d.${id}\``;
  }
  async query<T>(): Promise<T[]> {
    return [];
  }
  async *stream<T>(statement: Statement): AsyncIterable<T> {
    const id = /^-- tap:([a-z_]+)/.exec(statement.sql)?.[1];
    const rows = id === 'batch_records' ? sourceRows(this.n) : id === 'batch_planned' ? plannedRows(this.n) : [];
    for (const row of rows) yield row as T;
  }
  async load(): Promise<'loaded'> {
    return 'loaded';
  }
  async close(): Promise<void> {}
}

class BenchStore implements ObjectStore {
  readonly bucket = 'bench-bucket';
  readonly small = new Map<string, string>();
  written = 0;
  constructor(private readonly outputFile?: string) {}
  async readText(p: string): Promise<string> {
    return this.small.get(p) ?? '';
  }
  async writeText(p: string, text: string): Promise<void> {
    this.small.set(p, text);
  }
  async createText(p: string, text: string): Promise<boolean> {
    if (this.small.has(p)) return false;
    this.small.set(p, text);
    return true;
  }
  async exists(p: string): Promise<boolean> {
    return this.small.has(p);
  }
  async list(prefix: string): Promise<string[]> {
    return this.outputFile ? [`${prefix}prediction-model-1/predictions.jsonl`] : [];
  }
  openRead(): Readable {
    return fs.createReadStream(this.outputFile!, { highWaterMark: 1 << 20 });
  }
  openWrite(): Writable {
    const sink = new Sink();
    sink.on('finish', () => (this.written += sink.bytes));
    return sink;
  }
}

/** The Vertex AI output for n records: the echoed request and a valid answer, as Vertex writes it. */
function outputFile(n: number): string {
  const file = path.join(WORK, `predictions-${n}.jsonl`);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(WORK, { recursive: true });
  const template = requestTemplate(DEFAULT_ANALYSIS);
  const fd = fs.openSync(file + '.tmp', 'w');
  const answer = JSON.stringify({
    summary: 'The customer asked about a bill and got a refund.',
    sentiment: 'positive',
    topics: ['billing', 'refund'],
    resolution: 'resolved',
  });
  let chunk: string[] = [];
  for (const row of sourceRows(n)) {
    const request = JSON.parse(requestLine(template, { recordId: row.record_id, transcript: row.transcript })).request;
    chunk.push(
      JSON.stringify({
        status: '',
        processed_time: '2026-11-28T10:00:00.000+00:00',
        request,
        response: {
          candidates: [{ content: { parts: [{ text: answer }], role: 'model' }, finishReason: 'STOP' }],
          modelVersion: 'gemini-2.5-flash-001',
          usageMetadata: { promptTokenCount: 1100, candidatesTokenCount: 60, totalTokenCount: 1160 },
        },
      }),
    );
    if (chunk.length === 1000) {
      fs.writeSync(fd, chunk.join('\n') + '\n');
      chunk = [];
    }
  }
  if (chunk.length) fs.writeSync(fd, chunk.join('\n') + '\n');
  fs.closeSync(fd);
  fs.renameSync(file + '.tmp', file);
  return file;
}

function env(n: number): JobEnv {
  return {
    [JOB_ENV.projectId]: 'p',
    [JOB_ENV.dataset]: 'd',
    [JOB_ENV.workBucket]: 'bench-bucket',
    [JOB_ENV.sourceTable]: 'p.d.transcription_pass_2',
    [JOB_ENV.analysis]: JSON.stringify(DEFAULT_ANALYSIS),
    [RUN_ENV.executionId]: `bench-${n}`,
    [RUN_ENV.batchId]: '0',
    [RUN_ENV.attempt]: '1',
    [RUN_ENV.vertexJob]: 'projects/p/locations/l/batchPredictionJobs/1',
    [RUN_ENV.vertexState]: 'JOB_STATE_SUCCEEDED',
    [RUN_ENV.vertexOutputDir]: 'gs://bench-bucket/out/prediction-model-1',
  };
}

/** Writes lines to a sink the way a plain program would: joined in chunks, respecting back-pressure. */
async function writeLines(out: Writable, lines: Iterable<string> | AsyncIterable<string>): Promise<void> {
  let chunk: string[] = [];
  let size = 0;
  for await (const line of lines) {
    chunk.push(line, '\n');
    size += line.length + 1;
    if (size >= 256 * 1024) {
      if (!out.write(chunk.join(''))) await once(out, 'drain');
      chunk = [];
      size = 0;
    }
  }
  out.end(chunk.join(''));
  await once(out, 'finish');
}

async function child(side: string, job: string, n: number): Promise<void> {
  const version = analysisVersion(DEFAULT_ANALYSIS);
  const log = { log: () => undefined };
  const file = job === 'processor' ? outputFile(n) : '';
  let peakHeap = 0;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 10);
  const started = process.hrtime.bigint();
  if (job === 'generator') {
    if (side === 'baseline') {
      const rows = sourceRows(n);
      await writeLines(
        new Sink(),
        (function* () {
          for (const r of rows)
            yield JSON.stringify({
              request: { contents: [{ role: 'user', parts: [{ text: r.transcript }] }], labels: { taprecord: r.record_id } },
            });
        })(),
      );
    } else {
      const run = generatorJob.run;
      const ports: JobPorts = { warehouse: new BenchWarehouse(n), store: new BenchStore(), log };
      const manifest = await run(env(n), ports);
      if (manifest.requests !== n) throw new Error(`generator wrote ${manifest.requests} of ${n}`);
    }
  } else {
    if (side === 'baseline') {
      const reader = createInterface({ input: fs.createReadStream(file, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
      await writeLines(
        new Sink(),
        (async function* () {
          for await (const line of reader) {
            const doc = JSON.parse(line);
            yield JSON.stringify({
              record_id: doc.request.labels.taprecord,
              analysis_version: version,
              answer: doc.response.candidates[0].content.parts[0].text,
            });
          }
        })(),
      );
    } else {
      const run = processorJob.run;
      const ports: JobPorts = { warehouse: new BenchWarehouse(n), store: new BenchStore(file), log };
      const result = await run(env(n), ports);
      if (result.succeeded !== n) throw new Error(`processor committed ${result.succeeded} of ${n}: ${JSON.stringify(result)}`);
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  process.stdout.write(
    JSON.stringify({ side, job, n, seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024, peakHeapMiB: peakHeap / 1048576 }) + '\n',
  );
}

interface Measure {
  side: string;
  job: string;
  n: number;
  seconds: number;
  peakRssMiB: number;
  peakHeapMiB: number;
}

function measure(side: string, job: string, n: number): Measure {
  const out = spawnSync(process.execPath, ['bin/run-ts.js', 'bench/jobs.ts', '--child', side, job, String(n)], {
    cwd: path.resolve(__dirname, '..'),
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (out.status !== 0) throw new Error(`${side} ${job} ${n} failed: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop()!) as Measure;
}

function main(): void {
  const load = os.loadavg()[0]!.toFixed(1);
  const rows: string[] = [];
  const results: Measure[] = [];
  for (const job of ['generator', 'processor']) {
    for (const n of SIZES) {
      if (job === 'processor') outputFile(n);
      // Baseline and job alternate, best of two, so neither side gets a warmer machine.
      const pick = (side: string) => [measure(side, job, n), measure(side, job, n)].sort((a, b) => a.seconds - b.seconds)[0]!;
      const base = pick('baseline');
      const mine = pick('job');
      results.push(base, mine);
      const ratio = base.seconds / mine.seconds;
      rows.push(
        `| ${job} | ${n.toLocaleString('en-US')} | ${Math.round(n / mine.seconds).toLocaleString('en-US')} | ${Math.round(n / base.seconds).toLocaleString('en-US')} | ${(ratio * 100).toFixed(0)} % | ${mine.peakRssMiB.toFixed(0)} | ${mine.peakHeapMiB.toFixed(0)} | ${base.peakRssMiB.toFixed(0)} |`,
      );
      process.stderr.write(`${rows.at(-1)}\n`);
    }
  }
  const find = (side: string, job: string, n: number) => results.find((r) => r.side === side && r.job === job && r.n === n)!;
  const growth = (side: string, job: string) =>
    `${(((find(side, job, 200_000).peakRssMiB - find(side, job, 10_000).peakRssMiB) / find(side, job, 10_000).peakRssMiB) * 100).toFixed(0)} %`;
  const memory = ['generator', 'processor'].map(
    (job) =>
      `| ${job} | ${SIZES.map((n) => find('job', job, n).peakRssMiB.toFixed(0)).join(' | ')} | ${growth('job', job)} | ${growth('baseline', job)} |`,
  );
  const ratios = results.filter((r) => r.side === 'job').map((r) => find('baseline', r.job, r.n).seconds / r.seconds);
  const met = ratios.filter((r) => r >= 0.5).length;
  const reading = `Throughput goal (≥ 50 % of the baseline) met in ${met} of ${ratios.length} rows. Memory grows from 10,000 to 200,000
records by ${growth('job', 'generator')} (generator) and ${growth('job', 'processor')} (processor), against ${growth('baseline', 'generator')} and ${growth('baseline', 'processor')} for
baselines that hold nothing per record; at 200,000 records the jobs' peak RSS is ${(find('job', 'generator', 200_000).peakRssMiB - find('baseline', 'generator', 200_000).peakRssMiB).toFixed(0)} MiB (generator) and
${(find('job', 'processor', 200_000).peakRssMiB - find('baseline', 'processor', 200_000).peakRssMiB).toFixed(0)} MiB (processor) above their baselines'. The 20 % goal is therefore ${['generator', 'processor'].every((j) => find('job', j, 200_000).peakRssMiB <= 1.2 * find('job', j, 10_000).peakRssMiB) ? 'met' : 'not met as stated'}: most of the growth is V8 enlarging its heap under a sustained allocation rate,
not data kept per record (the generator streams; the processor keeps a 64-bit hash and a packed number per planned
record in typed arrays, about 20 bytes each, and reads the plan twice rather than holding its ids). Load average
at the start: ${load} on ${os.cpus().length} cores (other work on the machine widens the spread between runs; small runs of
about half a second weigh start-up and JIT warm-up more).`;
  const text = `# Runtime jobs: generator and processor throughput and memory

Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node.js ${process.version}, records of about 4 KB (one transcript each).

| job | records | job records/s | baseline records/s | job / baseline (goal ≥ 50 %) | job peak RSS MiB | job peak heap MiB | baseline peak RSS MiB |
|---|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

Peak memory, 200,000 records against 10,000 (goal: within 20 %):

| job | 10,000: peak RSS MiB | 50,000: peak RSS MiB | 200,000: peak RSS MiB | job growth 10k → 200k | baseline growth 10k → 200k |
|---|---:|---:|---:|---:|---:|
${memory.join('\n')}

${reading}

How it was measured: \`node bin/run-ts.js bench/jobs.ts\`. Every figure comes from its own process (run through tsx,
whose loader is part of every process's RSS), best of two runs, baseline and job alternating in the same invocation.
The generator reads its rows from a synthetic warehouse stream and writes \`input.jsonl\` to a sink that only counts
bytes; its baseline serialises a minimal request per row (\`JSON.stringify\`) and writes it to the same kind of sink.
The processor reads a Vertex AI output file on local disk (the echoed request with its ~4 KB transcript, and a valid
answer per line; written once before the runs), parses, matches and validates every line, and stages results, errors
and processed records to counting sinks; its baseline reads the same file, \`JSON.parse\`s each line and writes one
small row per line. Warehouse loads are no-ops here (they are BigQuery's work), so the figures are the jobs' own CPU
and memory. Peak RSS is \`process.resourceUsage().maxRSS\`; peak heap is sampled every 10 ms.
`;
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'jobs.md'), text);
  process.stdout.write(text);
}

if (process.argv[2] === '--child') {
  child(process.argv[3]!, process.argv[4]!, Number(process.argv[5])).catch((e) => {
    process.stderr.write(`${(e as Error).stack}\n`);
    process.exit(1);
  });
} else {
  main();
}
