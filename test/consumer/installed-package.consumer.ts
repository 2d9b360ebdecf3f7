/**
 * The package as someone else's cdktf app gets it: `npm pack`, a fresh app with its own package.json
 * that depends on cdktf, constructs and the two Google providers at the pinned versions and on the
 * tarball, installed offline from the npm cache; then a stack with the construct is synthesized and
 * `npx tapctl` runs from the app.
 *
 * Run by `npm run test:consumer`, after `npm ci` (which fills the cache the install reads).
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import { BUNDLE_KINDS, bundleJobs } from '../../lib/private/bundling';
import { consumerLockfile, LockEntry, Lockfile } from './lockfile';

const ROOT = path.join(__dirname, '..', '..');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  license: string;
  bin: Record<string, string>;
  engines: Record<string, string>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};
const PEERS = ['cdktf', 'constructs', '@cdktf/provider-google', '@cdktf/provider-google-beta'];

const APP_MAIN = `import { App, TerraformStack } from 'cdktf';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { TranscriptAnalysisPipeline } from 'transcript-analysis-pipeline';

const app = new App();
const stack = new TerraformStack(app, 'calls');
new GoogleProvider(stack, 'google', { project: 'consumer-project', region: 'europe-west1' });
new TranscriptAnalysisPipeline(stack, 'Pipeline', { projectId: 'consumer-project', region: 'europe-west1' });
app.synth();
`;

/** Runs a command; fails with its output when it exits non-zero. */
function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) exited ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

/** Compiles the app's main.ts against what the app installed, as its own tsc would. */
function compile(file: string): void {
  const program = ts.createProgram([file], {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    skipLibCheck: true,
    types: [],
    outDir: path.dirname(file),
  });
  const emitted = program.emit();
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((d) =>
    ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  );
  if (diagnostics.length > 0) throw new Error(`the app does not compile against the installed package:\n${diagnostics.join('\n')}`);
}

describe('the packed package, installed in a fresh cdktf app', () => {
  let work: string;
  let app: string;
  let packed: string[];
  let stack: { resource: Record<string, Record<string, Record<string, unknown>>>; provider: Record<string, unknown> };
  let stackText: string;
  const env = {
    ...process.env,
    CHECKPOINT_DISABLE: '1',
    DISABLE_VERSION_CHECK: '1',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-consumer-'));
    // prepack builds dist/ and the job bundles.
    const pack = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], ROOT, env).stdout) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    const tarball = path.join(work, pack[0]!.filename);
    packed = pack[0]!.files.map((f) => f.path);

    app = path.join(work, 'app');
    fs.mkdirSync(app);
    const spec = `file:../${pack[0]!.filename}`;
    const dependencies: Record<string, string> = { [PKG.name]: spec };
    for (const name of PEERS) dependencies[name] = PKG.peerDependencies[name]!;
    const manifest = { name: 'consumer-app', version: '1.0.0', private: true, dependencies };
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
    fs.writeFileSync(
      path.join(app, 'cdktf.json'),
      JSON.stringify({ language: 'typescript', app: 'node main.js', sendCrashReports: 'false' }, null, 2) + '\n',
    );
    fs.writeFileSync(path.join(app, 'main.ts'), APP_MAIN);

    const repoLock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
    const tarballEntry: LockEntry = {
      version: PKG.version,
      resolved: spec,
      integrity: `sha512-${createHash('sha512').update(fs.readFileSync(tarball)).digest('base64')}`,
      license: PKG.license,
      dependencies: PKG.dependencies,
      bin: PKG.bin,
      engines: PKG.engines,
      peerDependencies: PKG.peerDependencies,
    };
    const lock = consumerLockfile(repoLock, manifest, { [`node_modules/${PKG.name}`]: tarballEntry });
    fs.writeFileSync(path.join(app, 'package-lock.json'), JSON.stringify(lock, null, 2) + '\n');

    run('npm', ['ci', '--offline'], app, env);
    compile(path.join(app, 'main.ts'));
    run(process.execPath, ['main.js'], app, env);
    const out = path.join(app, 'cdktf.out', 'stacks', 'calls', 'cdk.tf.json');
    stackText = fs.readFileSync(out, 'utf8');
    stack = JSON.parse(stackText);
  }, 900_000);

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('the tarball holds the compiled code, the job bundles, the workflows, the CLI and the README, and no tests or TypeScript sources', () => {
    for (const file of [
      'README.md',
      'package.json',
      'bin/tapctl.js',
      'dist/lib/index.js',
      'dist/lib/index.d.ts',
      'dist/runtime/cli/main.js',
      'dist/jobs/index.json',
      'workflows/master-orchestrator.yaml',
      'workflows/batch.yaml',
      'examples/transcripts.jsonl',
      'examples/analyses/qa-scorecard.json',
      'examples/analyses/follow-up.json',
    ]) {
      expect({ file, packed: packed.includes(file) }).toEqual({ file, packed: true });
    }
    expect(packed.filter((f) => /(^|\/)test\/|\.test\.|\.map$/.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
  });

  test('the app has one copy of cdktf, constructs and the providers: its own', () => {
    const nested = path.join(app, 'node_modules', PKG.name, 'node_modules');
    for (const name of PEERS) {
      expect({ name, nested: fs.existsSync(path.join(nested, name)) }).toEqual({ name, nested: false });
      const installed = JSON.parse(fs.readFileSync(path.join(app, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
      expect({ name, version: installed.version }).toEqual({ name, version: PKG.peerDependencies[name] });
    }
    // Only the repository's tests and builds use these.
    for (const name of ['tsx', 'ajv', 'jest', 'fast-check', 'typescript']) {
      expect({ name, installed: fs.existsSync(path.join(app, 'node_modules', name)) }).toEqual({ name, installed: false });
    }
  });

  test('a stack with only projectId and region synthesizes: the four jobs, the launcher and two workflows, every token resolved', () => {
    expect(Object.keys(stack.resource.google_cloud_run_v2_job ?? {})).toHaveLength(BUNDLE_KINDS.length);
    expect(Object.keys(stack.resource.google_workflows_workflow ?? {})).toHaveLength(2);
    expect(Object.keys(stack.provider)).toEqual(expect.arrayContaining(['google', 'google-beta']));
    expect(stackText).not.toMatch(/\$\{TfToken\[|\$\{Token\[/);
  });

  test('the jobs it deploys are the bundles of this checkout, byte for byte', () => {
    const local = bundleJobs();
    const objects = Object.values(stack.resource.google_storage_bucket_object ?? {}) as Array<{ name: string; source: string }>;
    for (const kind of BUNDLE_KINDS) {
      const object = objects.find((o) => o.name === local[kind].objectName);
      expect({ kind, object: object?.name }).toEqual({ kind, object: local[kind].objectName });
      const asset = path.join(app, 'cdktf.out', 'stacks', 'calls', object!.source);
      expect(fs.readFileSync(asset, 'utf8') === local[kind].code).toBe(true);
    }
  });

  test('npx tapctl --help lists the commands, from the compiled code', () => {
    const r = run('npx', ['--offline', 'tapctl', '--help'], app, env);
    expect(r.stdout).toMatch(/^usage: tapctl COMMAND/);
    for (const command of ['compare', 'estimate', 'explore', 'forget', 'local', 'rehearse', 'report', 'recover', 'status'])
      expect(r.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  test('npx tapctl estimate --records 1000 prints what it prints in the checkout', () => {
    const installed = run('npx', ['--offline', 'tapctl', 'estimate', '--records', '1000'], app, env);
    const checkout = run(process.execPath, [path.join(ROOT, 'bin', 'tapctl.js'), 'estimate', '--records', '1000'], ROOT, env);
    expect(installed.stdout).toMatch(/1,000/);
    expect(installed.stdout).toBe(checkout.stdout);
  });
});
