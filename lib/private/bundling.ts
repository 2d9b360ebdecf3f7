/**
 * Bundles the runtime entry points into one JavaScript file each with esbuild, for the Cloud Run
 * jobs. Options are pinned so that the same source always gives the same bytes, and so the same hash.
 * The installed package ships no TypeScript: there, the bundles `npm run build` made are used.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BuildOptions } from 'esbuild';
import { JOB_KINDS } from '../../runtime/contract/names';
import { LAUNCHER } from '../../runtime/contract/launcher';

/** Every entry point bundled for a Cloud Run job: the pipeline's four and the launcher. */
export const BUNDLE_KINDS = [...JOB_KINDS, LAUNCHER.kind] as const;
export type BundleKind = (typeof BUNDLE_KINDS)[number];

/**
 * The most a bundle may weigh: 1 MB, but for the generator, which alone carries the Sensitive Data
 * Protection client for analyses that redact, and the launcher, which carries the Workflows client.
 */
export function maxBundleBytes(kind: BundleKind): number {
  return (kind === 'generator' || kind === LAUNCHER.kind ? 2.5 : 1) * 1024 * 1024;
}

/** The package root (where package.json is), from the source or the compiled tree. */
export function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package.json not found above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

export interface JobBundle {
  readonly kind: BundleKind;
  /** The bundled code. */
  readonly code: string;
  /** First 16 hex digits of the code's SHA-256. */
  readonly hash: string;
  /** Object name in the artifacts bucket: `jobs/<kind>-<hash>.js`. */
  readonly objectName: string;
  /** Absolute path of the bundle written to disk. */
  readonly file: string;
}

/**
 * Where bundles are written before cdktf copies them into each stack's assets. Outside the package,
 * which may be read-only when installed.
 */
export const DEFAULT_BUNDLE_DIR = path.join(os.tmpdir(), 'transcript-analysis-pipeline', 'bundles');

/** Bundles already made by this process, per output folder. */
const memory = new Map<string, Readonly<Record<BundleKind, JobBundle>>>();

/** What the previous build read, so that an unchanged tree is not bundled again. */
interface Manifest {
  readonly key: string;
  readonly inputs: Readonly<Record<string, string>>;
  readonly outputs: Readonly<Record<BundleKind, string>>;
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function buildOptions(root: string, entries: Readonly<Record<BundleKind, string>>): BuildOptions {
  return {
    entryPoints: BUNDLE_KINDS.map((kind) => ({ in: entries[kind], out: kind })),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    write: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: root,
    outdir: 'out',
    // Optional native or unused transports of the Google client libraries.
    external: ['encoding', 'supports-color', '@duckdb/*', 'wink-*'],
    alias: { 'whatwg-url': './lib/private/shims/whatwg-url.ts' },
    // Every module of a bundle shares the bundle's `module`, so each job file's own
    // `require.main === module` guard would be true, and a job importing another (the generator
    // imports the planner) would run both. The guards are compiled out; each entry below runs
    // exactly its one job.
    define: { 'process.env.NODE_ENV': '"production"', 'require.main': 'undefined' },
  };
}

/** Hashes of the files a build read, relative to the package root; undefined if one is gone. */
function hashInputs(root: string, files: readonly string[]): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const file of files) {
    const full = path.join(root, file);
    if (!fs.existsSync(full)) return undefined;
    out[file] = sha256(fs.readFileSync(full));
  }
  return out;
}

function writeAtomically(file: string, text: string): void {
  // Written whole under a temporary name, then renamed: a concurrent synth never sees half a file.
  const partial = `${file}.${process.pid}.partial`;
  fs.writeFileSync(partial, text);
  fs.renameSync(partial, file);
}

/**
 * Bundles every `runtime/jobs/<kind>.ts` of `BUNDLE_KINDS` for Node.js 22, in one esbuild run (the modules they
 * share are read once), and writes them under `outDir` as `<kind>-<hash>.js`.
 *
 * A manifest of the files the last build read, with their hashes, is kept beside the bundles: when
 * none of them changed, the bundles on disk are used again without running esbuild. Within one
 * process the result is also kept in memory.
 */
export function bundleJobs(outDir: string = DEFAULT_BUNDLE_DIR): Readonly<Record<BundleKind, JobBundle>> {
  const remembered = memory.get(outDir);
  if (remembered) return remembered;

  const root = packageRoot();
  if (!hasSources(root)) {
    const bundles = prebuiltBundles(root);
    memory.set(outDir, bundles);
    return bundles;
  }
  const jobsDir = path.join(root, 'runtime', 'jobs') + path.sep;
  const runner = path.join(root, 'runtime', 'adapters', 'gcp', 'main.ts');
  if (!fs.existsSync(runner)) throw new Error(`job runner not found: ${runner}`);
  for (const kind of BUNDLE_KINDS) {
    const entry = path.join(jobsDir, `${kind}.ts`);
    if (!path.resolve(entry).startsWith(jobsDir)) throw new Error(`job entry ${entry} is not under ${jobsDir}`);
    if (!fs.existsSync(entry)) throw new Error(`job entry point not found: ${entry}`);
  }

  fs.mkdirSync(outDir, { recursive: true });
  const entriesDir = path.join(outDir, 'entries');
  fs.mkdirSync(entriesDir, { recursive: true });
  const entries = {} as Record<BundleKind, string>;
  for (const kind of BUNDLE_KINDS) {
    const file = path.join(entriesDir, `${kind}.ts`);
    // The launcher talks to Workflows only: it has its own main, not the jobs' BigQuery and Storage ports.
    const text = (
      kind === LAUNCHER.kind
        ? [`import { main } from ${JSON.stringify(path.join(jobsDir, kind))};`, 'void main().then((code) => { process.exitCode = code; });']
        : kind === 'generator'
          ? // The one job that redacts: its bundle alone carries the Sensitive Data Protection client.
            [
              `import { run } from ${JSON.stringify(path.join(jobsDir, kind))};`,
              `import { runAsMain } from ${JSON.stringify(runner.replace(/\.ts$/, ''))};`,
              `import { dlpRedactor } from ${JSON.stringify(path.join(path.dirname(runner), 'dlp-client'))};`,
              `void runAsMain(${JSON.stringify(kind)}, run, process.env, dlpRedactor);`,
            ]
          : [
              `import { run } from ${JSON.stringify(path.join(jobsDir, kind))};`,
              `import { runAsMain } from ${JSON.stringify(runner.replace(/\.ts$/, ''))};`,
              `void runAsMain(${JSON.stringify(kind)}, run);`,
            ]
    )
      .concat('')
      .join('\n');
    if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) writeAtomically(file, text);
    entries[kind] = file;
  }

  const options = buildOptions(root, entries);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuildVersion = (require('esbuild/package.json') as { version: string }).version;
  const key = sha256(JSON.stringify({ esbuildVersion, root, options }));
  const manifestFile = path.join(outDir, 'manifest.json');
  const bundles = {} as Record<BundleKind, JobBundle>;
  const make = (kind: BundleKind, code: string, verified = false): JobBundle => {
    const hash = sha256(code).slice(0, 16);
    const file = path.join(outDir, `${kind}-${hash}.js`);
    if (!verified && !(fs.existsSync(file) && fs.readFileSync(file, 'utf8') === code)) writeAtomically(file, code);
    return { kind, code, hash, objectName: `jobs/${kind}-${hash}.js`, file };
  };

  const previous = fs.existsSync(manifestFile) ? (JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest) : undefined;
  if (previous && previous.key === key) {
    const now = hashInputs(root, Object.keys(previous.inputs));
    const files = BUNDLE_KINDS.map((kind) => path.join(outDir, `${kind}-${previous.outputs[kind]}.js`));
    if (now && JSON.stringify(now) === JSON.stringify(previous.inputs) && files.every((f) => fs.existsSync(f))) {
      BUNDLE_KINDS.forEach((kind, i) => {
        const code = fs.readFileSync(files[i]!, 'utf8');
        // A bundle edited on disk no longer matches its name: build again rather than ship it.
        if (sha256(code).slice(0, 16) === previous.outputs[kind]) bundles[kind] = make(kind, code, true);
      });
      if (BUNDLE_KINDS.every((kind) => bundles[kind])) {
        memory.set(outDir, bundles);
        return bundles;
      }
    }
  }

  // Loaded only now: a synth whose bundles are current never needs esbuild.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const result = (require('esbuild') as typeof import('esbuild')).buildSync(options);
  for (const kind of BUNDLE_KINDS) {
    const output = result.outputFiles!.find((o) => path.basename(o.path) === `${kind}.js`);
    if (!output) throw new Error(`esbuild produced no bundle for ${kind}`);
    bundles[kind] = make(kind, output.text);
  }
  // Input paths in the metafile are relative to absWorkingDir, except the entries (absolute here).
  const inputs = hashInputs(
    root,
    Object.keys(result.metafile!.inputs).filter((f) => !path.isAbsolute(f)),
  );
  if (inputs) {
    const manifest: Manifest = {
      key,
      inputs,
      outputs: Object.fromEntries(BUNDLE_KINDS.map((k) => [k, bundles[k].hash])) as Record<BundleKind, string>,
    };
    writeAtomically(manifestFile, JSON.stringify(manifest));
  }
  memory.set(outDir, bundles);
  return bundles;
}

/**
 * Where `npm run build` leaves the bundles that the package ships, under the package root: the
 * installed package has no TypeScript sources (nor esbuild) to bundle at synth time.
 */
const PREBUILT_DIR = path.join('dist', 'jobs');
const PREBUILT_INDEX = 'index.json';

/** True in a checkout, where the jobs' TypeScript sources are there to bundle. */
function hasSources(root: string): boolean {
  return fs.existsSync(path.join(root, 'runtime', 'jobs', `${JOB_KINDS[0]}.ts`));
}

/**
 * Bundles the jobs from the sources and writes them to `<root>/dist/jobs/` with an index of their
 * hashes, for the package to ship. The bytes, and so the hashes, are those a synth in the checkout
 * produces.
 */
export function prebuildJobs(): Readonly<Record<BundleKind, JobBundle>> {
  const root = packageRoot();
  if (!hasSources(root)) throw new Error(`the job sources are not under ${root}: prebuilt bundles are made in a checkout`);
  const built = bundleJobs();
  const dir = path.join(root, PREBUILT_DIR);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const index: Record<string, string> = {};
  for (const kind of BUNDLE_KINDS) {
    fs.writeFileSync(path.join(dir, `${kind}-${built[kind].hash}.js`), built[kind].code);
    index[kind] = built[kind].hash;
  }
  fs.writeFileSync(path.join(dir, PREBUILT_INDEX), JSON.stringify(index, null, 2) + '\n');
  return prebuiltBundles(root);
}

/** The bundles the installed package ships, each checked against the hash in its name. */
function prebuiltBundles(root: string): Readonly<Record<BundleKind, JobBundle>> {
  const dir = path.join(root, PREBUILT_DIR);
  const indexFile = path.join(dir, PREBUILT_INDEX);
  if (!fs.existsSync(indexFile)) {
    throw new Error(
      `job bundles not found: neither the sources under ${path.join(root, 'runtime', 'jobs')} nor ${indexFile} (a package must be packed with npm pack, whose prepack step builds them)`,
    );
  }
  const index = JSON.parse(fs.readFileSync(indexFile, 'utf8')) as Partial<Record<BundleKind, string>>;
  const bundles = {} as Record<BundleKind, JobBundle>;
  for (const kind of BUNDLE_KINDS) {
    const file = path.join(dir, `${kind}-${index[kind]}.js`);
    if (!index[kind] || !fs.existsSync(file)) throw new Error(`job bundle for ${kind} missing from ${dir}`);
    const code = fs.readFileSync(file, 'utf8');
    const hash = sha256(code).slice(0, 16);
    if (hash !== index[kind])
      throw new Error(`job bundle ${file} does not match its hash (content hashes to ${hash}): reinstall the package`);
    bundles[kind] = { kind, code, hash, objectName: `jobs/${kind}-${hash}.js`, file };
  }
  return bundles;
}

/** The bundle of one job (all are built together; see `bundleJobs`). */
export function bundleJob(kind: BundleKind, outDir: string = DEFAULT_BUNDLE_DIR): JobBundle {
  if (!BUNDLE_KINDS.includes(kind)) throw new Error(`unknown job kind "${kind}"; expected one of ${BUNDLE_KINDS.join(', ')}`);
  return bundleJobs(outDir)[kind];
}

/** Forgets the bundles kept in memory, so the next call reads the manifest (for tests). */
export function forgetBundles(): void {
  memory.clear();
}

// `npm run build` runs the compiled module to write the bundles the package ships.
if (require.main === module) prebuildJobs();
