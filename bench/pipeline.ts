/**
 * The laptop pipeline end to end: N transcripts of about 4 KB through `runLocalPipeline` (the
 * workflows on the local engine, the jobs in-process, DuckDB, the local analyzer), against the sum
 * of the stages run alone on the same records in the same run: the generator, the analyzer and the
 * processor called directly, batch after batch, with no workflow, no Vertex AI stand-in and no
 * Cloud Run stand-in around them. Each measurement runs in its own process, so peak memory is its own.
 *
 *   node bin/run-ts.js bench/pipeline.ts [--records 10000,100000] [--batch-size 5000]
 *
 * Writes bench/results/pipeline.md.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_ANALYSIS, gsUri, layout, PlanDocument, RUN_ENV } from '../runtime/contract';
import type { JobPorts } from '../runtime/core/ports';
import { analyzeFile, openLocalWorkspace } from '../runtime/adapters/local';
import { run as planner } from '../runtime/jobs/planner';
import { run as generator } from '../runtime/jobs/generator';
import { run as processor } from '../runtime/jobs/processor';
import { DEFAULT_LOCAL_SETTINGS, localJobEnv } from '../runtime/local/environment';
import { runLocalPipeline } from '../runtime/local/pipeline';
import { argText, makeTranscripts, ROOT } from './common';

function peakRssMiB(): number {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

const quietPorts = (ws: { warehouse: JobPorts['warehouse']; store: JobPorts['store'] }): JobPorts => ({
  warehouse: ws.warehouse,
  store: ws.store,
  log: { log: () => undefined },
});

/** One measurement, in this process; prints a JSON line. */
async function measure(mode: string, file: string, batchSize: number): Promise<void> {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), `tap-bench-${mode}-`));
  if (mode === 'e2e') {
    const started = process.hrtime.bigint();
    const result = await runLocalPipeline({ workdir, transcripts: file, batchSize, maxConcurrentBatches: 4 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (result.state !== 'SUCCEEDED') throw new Error(JSON.stringify(result.error));
    console.log(JSON.stringify({ mode, seconds, records: result.summary!.records_succeeded, peakMiB: peakRssMiB() }));
  } else {
    // Load and plan as the pipeline does (not timed), then time the three stages alone.
    await runLocalPipeline({ workdir, transcripts: file, batchSize, dryRun: true, executionId: 'bench-load' });
    const ws = await openLocalWorkspace(workdir);
    const settings = { ...DEFAULT_LOCAL_SETTINGS, analysis: DEFAULT_ANALYSIS, batchSize };
    const base = { ...localJobEnv(settings), [RUN_ENV.executionId]: 'bench-stages', [RUN_ENV.batchSize]: String(batchSize) };
    const ports = quietPorts(ws);
    const plan = (await planner(base, ports)) as PlanDocument;
    const times = { generator: 0, analyzer: 0, processor: 0 };
    let records = 0;
    for (let b = 0; b < plan.batch_count; b++) {
      const env = { ...base, [RUN_ENV.batchId]: String(b), [RUN_ENV.attempt]: '1' };
      let t = process.hrtime.bigint();
      await generator(env, ports);
      times.generator += Number(process.hrtime.bigint() - t) / 1e9;
      t = process.hrtime.bigint();
      const batch = String(b);
      const analysed = await analyzeFile(ws.store, layout.input('bench-stages', batch, 1), layout.output('bench-stages', batch, 1));
      times.analyzer += Number(process.hrtime.bigint() - t) / 1e9;
      t = process.hrtime.bigint();
      const result = await processor(
        {
          ...env,
          [RUN_ENV.vertexJob]: `local/${b}`,
          [RUN_ENV.vertexState]: 'JOB_STATE_SUCCEEDED',
          [RUN_ENV.vertexOutputDir]: gsUri(ws.store.bucket, analysed.outputDirectory),
        },
        ports,
      );
      times.processor += Number(process.hrtime.bigint() - t) / 1e9;
      records += (result as { succeeded: number }).succeeded;
    }
    await ws.close();
    const seconds = times.generator + times.analyzer + times.processor;
    console.log(JSON.stringify({ mode, seconds, records, peakMiB: peakRssMiB(), ...times }));
  }
  fs.rmSync(workdir, { recursive: true, force: true });
}

function child(mode: string, file: string, batchSize: number): Record<string, number> {
  const out = execFileSync(process.execPath, [path.join(ROOT, 'bin', 'run-ts.js'), __filename, 'measure', mode, file, String(batchSize)], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
}

async function main(): Promise<void> {
  if (process.argv[2] === 'measure') return measure(process.argv[3]!, process.argv[4]!, Number(process.argv[5]));
  const sizes = argText('records', '10000,100000').split(',').map(Number);
  const batchSize = Number(argText('batch-size', '5000'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-bench-input-'));
  const rows: string[] = [];
  const e2eBySize = new Map<number, number>();
  for (const n of sizes) {
    const file = path.join(dir, `transcripts-${n}.jsonl`);
    makeTranscripts(n, file);
    process.stderr.write(`${n} records: end to end...\n`);
    const e2e = child('e2e', file, batchSize);
    process.stderr.write(`${n} records: stages alone...\n`);
    const stages = child('stages', file, batchSize);
    e2eBySize.set(n, e2e.seconds!);
    rows.push(
      `| ${n.toLocaleString('en-US')} | ${e2e.seconds!.toFixed(1)} | ${(e2e.records! / e2e.seconds!).toFixed(0)} | ${e2e.peakMiB!.toFixed(0)} | ` +
        `${stages.generator!.toFixed(1)} + ${stages.analyzer!.toFixed(1)} + ${stages.processor!.toFixed(1)} = ${stages.seconds!.toFixed(1)} | ` +
        `${stages.peakMiB!.toFixed(0)} | ${(e2e.seconds! / stages.seconds!).toFixed(2)}× |`,
    );
  }
  const [small, large] = sizes;
  const scaling =
    small && large && e2eBySize.get(small) && e2eBySize.get(large)
      ? `From ${small.toLocaleString('en-US')} to ${large.toLocaleString('en-US')} records (${(large / small).toFixed(0)}× the records) the end-to-end time grew ${(e2eBySize.get(large)! / e2eBySize.get(small)!).toFixed(1)}×.`
      : '';
  const text = `# Laptop pipeline, end to end

\`node bin/run-ts.js bench/pipeline.ts --records ${sizes.join(',')} --batch-size ${batchSize}\`, ${new Date().toISOString().slice(0, 10)}, Node.js ${process.version}, ${os.cpus().length} cores.

| records | end to end, s | records/s | peak MiB | stages alone: generator + analyzer + processor, s | peak MiB | end to end ÷ stages |
|---:|---:|---:|---:|---|---:|---:|
${rows.join('\n')}

${scaling}

How it was measured: each row's transcripts are the bundled examples' texts cut or repeated to about
4 KB, with new ids. "End to end" is \`runLocalPipeline\` in a fresh work folder: loading the
transcripts, the planner, the master and batch workflows on the local engine with ${'`'}maxConcurrentBatches: 4${'`'},
every generator, local Vertex AI job (the analyzer) and processor, and the reporter. "Stages alone"
loads and plans the same records untimed, then times only the generator job, \`analyzeFile\` and the
processor job called directly for each batch in turn. Each measurement runs in its own process
(peak memory is that process's VmHWM). The ratio is what orchestration costs on top of the work.
Peak memory grows with the number of records in both columns alike, so it is not the orchestration:
the stages-alone process loads the same rows but runs no workflow. Most likely it is DuckDB's buffer
pool holding the loaded source table and results (its default limit is a share of the machine's
memory); the jobs themselves stream (see the jobs benchmark).
`;
  fs.mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'bench', 'results', 'pipeline.md'), text);
  process.stdout.write(text);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
