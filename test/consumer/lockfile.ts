/**
 * The consumer app's lockfile, cut from the repository's: the packages the tarball and the app's own
 * dependencies reach, at the places and versions `npm ci` installed them here.
 *
 * Why not let npm resolve: `npm install` asks the registry for each package's full metadata, which
 * the repository's `npm ci` never fetched, so a fresh resolution cannot run from the cache alone. With
 * a lockfile, `npm ci --offline` needs only what the repository's `npm ci` left in the cache, and the
 * app gets exactly the tree that `npm test` ran against.
 */

/** One entry of `packages` in a lockfile (version 3), as far as this file reads it. */
export interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  [key: string]: unknown;
}

export interface Lockfile {
  name: string;
  version: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
}

/** Where Node.js would find `name` from the package at `from` (a lockfile path, '' for the root). */
export function resolveIn(packages: Readonly<Record<string, LockEntry>>, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const up = dir.lastIndexOf('/node_modules/');
    dir = up < 0 ? '' : dir.slice(0, up);
  }
}

interface Edge {
  readonly name: string;
  readonly optional: boolean;
}

function edges(entry: LockEntry): Edge[] {
  const out: Edge[] = [];
  for (const name of Object.keys(entry.dependencies ?? {})) out.push({ name, optional: false });
  for (const name of Object.keys(entry.optionalDependencies ?? {})) out.push({ name, optional: true });
  for (const name of Object.keys(entry.peerDependencies ?? {}))
    out.push({ name, optional: entry.peerDependenciesMeta?.[name]?.optional === true });
  return out;
}

/**
 * The app's lockfile: `app` is its root entry (name, version, dependencies), `extra` the entries the
 * repository's lockfile does not have (the tarball), keyed by path. Every other package comes from
 * `repo`, with the flags recomputed for the app's tree: `optional` when only optional edges reach it.
 */
export function consumerLockfile(
  repo: Lockfile,
  app: { name: string; version: string; dependencies: Record<string, string> },
  extra: Record<string, LockEntry>,
): Lockfile {
  const all: Record<string, LockEntry> = { ...repo.packages, ...extra, '': { ...app } };
  const reached = new Map<string, boolean>(); // path -> reached by required edges only
  const queue: Array<{ path: string; required: boolean }> = [{ path: '', required: true }];
  while (queue.length > 0) {
    const { path, required } = queue.shift()!;
    const seen = reached.get(path);
    if (seen === true || (seen === false && !required)) continue;
    reached.set(path, required);
    for (const edge of edges(all[path]!)) {
      const target = resolveIn(all, path, edge.name);
      if (!target) {
        if (edge.optional) continue;
        throw new Error(`${path || 'the app'} needs ${edge.name}, which the repository's lockfile does not have where Node.js would look`);
      }
      queue.push({ path: target, required: required && !edge.optional });
    }
  }
  const packages: Record<string, LockEntry> = {};
  for (const path of [...reached.keys()].sort()) {
    const { dev: _dev, optional: _optional, devOptional: _devOptional, peer: _peer, ...entry } = all[path]!;
    packages[path] = path && !reached.get(path) ? { ...entry, optional: true } : entry;
  }
  return { name: app.name, version: app.version, lockfileVersion: 3, requires: true, packages };
}
