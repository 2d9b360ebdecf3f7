/** The README's construct example compiles and synthesizes; its props table lists every prop. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

function example(): string {
  const block = /## Using the construct in your own stack\s+```ts\n([\s\S]*?)```/.exec(README)?.[1];
  if (!block) throw new Error('README has no example under "Using the construct in your own stack"');
  return block;
}

describe('README', () => {
  test('the construct example type-checks against the package', () => {
    const dir = fs.mkdtempSync(path.join(ROOT, '.readme-example-'));
    try {
      const file = path.join(dir, 'example.ts');
      fs.writeFileSync(file, example());
      const program = ts.createProgram([file], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.CommonJS,
        moduleResolution: ts.ModuleResolutionKind.Node10,
        esModuleInterop: true,
        skipLibCheck: true,
        types: ['node'],
        baseUrl: ROOT,
        paths: { 'transcript-analysis-pipeline': ['lib/index.ts'] },
      });
      const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(diagnostics).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the construct example synthesizes', () => {
    const dir = fs.mkdtempSync(path.join(ROOT, '.readme-example-'));
    const outdir = path.join(dir, 'out');
    try {
      const file = path.join(dir, 'example.ts');
      fs.writeFileSync(file, example().replace("'transcript-analysis-pipeline'", JSON.stringify(path.join(ROOT, 'lib'))));
      const stdout = execFileSync(process.execPath, [path.join(ROOT, 'bin', 'run-ts.js'), file], {
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: os.tmpdir(), CDKTF_OUTDIR: outdir },
        encoding: 'utf8',
      });
      expect(stdout.trim()).toMatch(/^v-[0-9a-f]{16}$/);
      const json = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'calls', 'cdk.tf.json'), 'utf8'));
      expect(
        Object.values(json.resource.google_workflows_workflow as Record<string, { name: string }>)
          .map((w) => w.name)
          .sort(),
      ).toEqual(['calls-master-orchestrator', 'calls-ta-sub-workflow']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the props table lists every prop of TranscriptAnalysisPipelineProps', () => {
    const source = fs.readFileSync(path.join(ROOT, 'lib', 'constructs', 'transcript-analysis-pipeline.ts'), 'utf8');
    const body = /export interface TranscriptAnalysisPipelineProps \{([\s\S]*?)\n\}/.exec(source)![1]!;
    const props = [...body.matchAll(/^\s+readonly (\w+)\??:/gm)].map((m) => m[1]!);
    expect(props.length).toBeGreaterThan(25);
    const table = README.split('### Props')[1]!.split('\n### ')[0]!;
    const documented = [...table.matchAll(/^\| `(\w+)` *\|/gm)].map((m) => m[1]!);
    expect(documented).toEqual(props);
  });

  test('starts with the two commands', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(README)![1]!;
    expect(firstBlock).toMatch(/^npm ci && npm start\b/m);
    expect(firstBlock).toMatch(/^npm test\b/m);
    for (const heading of [
      '## Running it on your laptop',
      '## Operating the pipeline',
      '### Who may do what',
      '### Plain Terraform',
      '### cdktf is archived',
    ]) {
      expect(README).toContain(heading);
    }
  });
});
