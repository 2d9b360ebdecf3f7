/**
 * Runs the benchmarks and assembles bench/RESULTS.md from their result files.
 *
 *   npm run bench                  every benchmark, then RESULTS.md
 *   npm run bench -- engine jobs   only these (file names in bench/, without .ts)
 *   npm run bench -- --assemble    only RESULTS.md, from bench/results/*.md as they are
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const BENCH = __dirname;
const RESULTS = path.join(BENCH, 'results');
/**
 * In the order RESULTS.md shows them: deployment first, then the runtime, then the laptop, then
 * the cost model's figures, then the ledger's soak (written by `npm run soak -- --record`, not a
 * benchmark of this folder).
 */
const ORDER = ['synth', 'jobs', 'engine', 'analyzer', 'redaction', 'pipeline', 'analyses', 'ops', 'estimate', 'rehearse', 'soak'];

function available(): string[] {
  const files = fs
    .readdirSync(BENCH)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
    .map((f) => f.replace(/\.ts$/, ''));
  return [...ORDER.filter((n) => files.includes(n)), ...files.filter((n) => !ORDER.includes(n)).sort()];
}

function assemble(): void {
  const recorded = fs
    .readdirSync(RESULTS)
    .filter((f) => f.endsWith('.md'))
    .map((f) => f.replace(/\.md$/, ''));
  const names = [...ORDER.filter((n) => recorded.includes(n)), ...recorded.filter((n) => !ORDER.includes(n)).sort()];
  const parts = names
    .map((name) => path.join(RESULTS, `${name}.md`))
    .filter((file) => fs.existsSync(file))
    .map((file) => fs.readFileSync(file, 'utf8').trim().replace(/^# /, '## '));
  const text = `# Benchmark results

Each section is written by one benchmark in \`bench/\` (\`npm run bench -- NAME\` runs one; the section says
how it was measured and on what). Speed is shown as ratios against a baseline measured in the same run,
never as timed assertions in tests.

${parts.join('\n\n')}
`;
  fs.writeFileSync(path.join(BENCH, 'RESULTS.md'), text);
  process.stdout.write(`wrote ${path.relative(process.cwd(), path.join(BENCH, 'RESULTS.md'))} (${parts.length} sections)\n`);
}

function main(): void {
  const args = process.argv.slice(2);
  if (!args.includes('--assemble')) {
    const names = args.length > 0 ? args : available();
    for (const name of names) {
      if (!available().includes(name)) throw new Error(`no benchmark bench/${name}.ts; there are: ${available().join(', ')}`);
      process.stderr.write(`== bench/${name}.ts\n`);
      execFileSync(process.execPath, [path.join(BENCH, '..', 'bin', 'run-ts.js'), path.join(BENCH, `${name}.ts`)], { stdio: 'inherit' });
    }
  }
  assemble();
}

main();
