/**
 * Bundles a runtime entry point into one JavaScript file with esbuild, for a Cloud Run job.
 * Options are pinned so that the same source always gives the same bytes, and so the same hash.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { JOB_KINDS, JobKind } from '../../runtime/contract/names';

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
  readonly kind: JobKind;
  /** The bundled code. */
  readonly code: string;
  /** First 16 hex digits of the code's SHA-256. */
  readonly hash: string;
  /** Object name in the artifacts bucket: `jobs/<kind>-<hash>.js`. */
  readonly objectName: string;
  /** Absolute path of the bundle written to disk. */
  readonly file: string;
}

const cache = new Map<string, JobBundle>();

/**
 * Where bundles are written before cdktf copies them into each stack's assets. Outside the package,
 * which may be read-only when installed.
 */
export const DEFAULT_BUNDLE_DIR = path.join(os.tmpdir(), 'transcript-analysis-pipeline', 'bundles');

/**
 * Bundles `runtime/jobs/<kind>.ts` for Node.js 22 and writes it under `outDir`.
 * Results are cached per process: synthesizing two pipelines bundles each job once.
 */
export function bundleJob(kind: JobKind, outDir: string = DEFAULT_BUNDLE_DIR): JobBundle {
  if (!JOB_KINDS.includes(kind)) throw new Error(`unknown job kind "${kind}"; expected one of ${JOB_KINDS.join(', ')}`);
  const key = `${kind}\0${outDir}`;
  const cached = cache.get(key);
  if (cached) return cached;

  const root = packageRoot();
  const entry = path.join(root, 'runtime', 'jobs', `${kind}.ts`);
  const jobsDir = path.join(root, 'runtime', 'jobs') + path.sep;
  if (!path.resolve(entry).startsWith(jobsDir)) throw new Error(`job entry ${entry} is not under ${jobsDir}`);
  if (!fs.existsSync(entry)) throw new Error(`job entry point not found: ${entry}`);

  const adapter = path.join(root, 'runtime', 'adapters', 'gcp', 'main.ts');
  if (!fs.existsSync(adapter)) throw new Error(`job runner not found: ${adapter}`);

  const result = buildSync({
    // In one bundle every module shares the bundle's `module`, so each job file's own
    // `require.main === module` guard would be true, and a job importing another (the generator
    // imports the planner) would run both. The guards are compiled out below and this entry runs
    // exactly the one job.
    stdin: {
      contents: [
        `import { run } from ${JSON.stringify(`./runtime/jobs/${kind}`)};`,
        `import { runAsMain } from './runtime/adapters/gcp/main';`,
        `void runAsMain(${JSON.stringify(kind)}, run);`,
      ].join('\n'),
      resolveDir: root,
      sourcefile: `job-${kind}.ts`,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
    absWorkingDir: root,
    // Optional native or unused transports of the Google client libraries.
    external: ['encoding', 'supports-color', '@duckdb/*', 'wink-*'],
    alias: { 'whatwg-url': './lib/private/shims/whatwg-url.ts' },
    define: { 'process.env.NODE_ENV': '"production"', 'require.main': 'undefined' },
  });
  const code = result.outputFiles[0]!.text;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${kind}-${hash}.js`);
  if (!fs.existsSync(file)) {
    // Written whole under a temporary name, then renamed: a concurrent synth never sees half a file.
    const partial = `${file}.${process.pid}.partial`;
    fs.writeFileSync(partial, code);
    fs.renameSync(partial, file);
  }
  const bundle: JobBundle = { kind, code, hash, objectName: `jobs/${kind}-${hash}.js`, file };
  cache.set(key, bundle);
  return bundle;
}
