/**
 * The work bucket on a laptop: an `ObjectStore` on a folder. Object paths are relative paths under
 * the folder, with `/` separators, as in Cloud Storage.
 *
 * Every write goes to a temporary file beside the object and is renamed into place once complete, so
 * a reader never sees half an object and a writer that crashes leaves none behind (Cloud Storage
 * objects likewise appear whole or not at all).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { NotFoundError, type ObjectStore } from '../../core/ports';

/** Suffix of in-progress writes; `list` never shows them. */
const TEMP_MARK = '.tap-tmp-';

export class FolderStore implements ObjectStore {
  /** Absolute path of the folder. */
  readonly root: string;

  /**
   * @param root the folder standing in for the bucket; created on first write.
   * @param bucket the name used in `gs://` URIs. @default - the folder's base name
   */
  constructor(
    root: string,
    readonly bucket: string = path.basename(path.resolve(root)),
  ) {
    this.root = path.resolve(root);
  }

  /** The file of an object. Rejects paths that would leave the folder. */
  filePath(objectPath: string): string {
    if (objectPath === '' || objectPath.startsWith('/') || objectPath.split('/').some((s) => s === '..' || s === '.' || s === '')) {
      throw new Error(`invalid object path ${JSON.stringify(objectPath)}: use a relative path of non-empty segments without . or ..`);
    }
    return path.join(this.root, ...objectPath.split('/').map(encodeSegment));
  }

  async readText(objectPath: string): Promise<string> {
    try {
      return await fs.readFile(this.filePath(objectPath), 'utf8');
    } catch (e) {
      throw notFound(e, objectPath);
    }
  }

  async writeText(objectPath: string, text: string): Promise<void> {
    const file = this.filePath(objectPath);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const temp = tempName(file);
    try {
      await fs.writeFile(temp, text, 'utf8');
      await fs.rename(temp, file);
    } catch (e) {
      await fs.rm(temp, { force: true });
      throw e;
    }
  }

  /** Written to a temporary file, then linked into place: linking fails when the name exists. */
  async createText(objectPath: string, text: string): Promise<boolean> {
    const file = this.filePath(objectPath);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const temp = tempName(file);
    try {
      await fs.writeFile(temp, text, 'utf8');
      await fs.link(temp, file);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    } finally {
      await fs.rm(temp, { force: true });
    }
  }

  async exists(objectPath: string): Promise<boolean> {
    try {
      return (await fs.stat(this.filePath(objectPath))).isFile();
    } catch {
      return false;
    }
  }

  /**
   * Objects whose path starts with `prefix` (a plain string prefix, as in Cloud Storage), sorted by
   * path in code-unit order.
   */
  async list(prefix: string): Promise<string[]> {
    // Walk only the deepest folder the prefix names, not the whole bucket.
    const cut = prefix.lastIndexOf('/');
    const base = cut < 0 ? '' : prefix.slice(0, cut);
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(rel === '' ? this.root : this.filePath(rel), { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return;
        throw e;
      }
      for (const entry of entries) {
        const child = rel === '' ? decodeSegment(entry.name) : `${rel}/${decodeSegment(entry.name)}`;
        if (entry.isDirectory()) {
          if (child.startsWith(prefix) || prefix.startsWith(`${child}/`)) await walk(child);
        } else if (entry.isFile() && !entry.name.includes(TEMP_MARK) && child.startsWith(prefix)) {
          out.push(child);
        }
      }
    };
    await walk(base);
    return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  openRead(objectPath: string): Readable {
    let file: string;
    try {
      file = this.filePath(objectPath);
    } catch (e) {
      return Readable.from(failing(e as Error));
    }
    const stream = createReadStream(file);
    const out = new PassThrough();
    stream.on('error', (e) => out.destroy(notFound(e, objectPath)));
    return stream.pipe(out);
  }

  /** The object appears, whole, when the stream finishes; a destroyed stream leaves nothing. */
  openWrite(objectPath: string): Writable {
    const file = this.filePath(objectPath);
    const temp = tempName(file);
    let target: ReturnType<typeof createWriteStream> | undefined;
    let committed = false;
    const ready = fs.mkdir(path.dirname(file), { recursive: true }).then(() => {
      target = createWriteStream(temp);
      // The file's errors (a full disk, a write after destroy) fail the upload instead of the process.
      target.on('error', (e) => upload.destroy(e));
      return target;
    });
    const writeTo = (t: Writable, chunk: unknown, callback: (e?: Error | null) => void): void => {
      if (t.destroyed) callback(new Error(`the upload of ${objectPath} was abandoned`));
      else if (t.write(chunk)) callback();
      else t.once('drain', () => callback());
    };
    const upload = new Writable({
      write(chunk, _encoding, callback) {
        if (target) writeTo(target, chunk, callback);
        else ready.then((t) => writeTo(t, chunk, callback), callback);
      },
      final(callback) {
        ready
          .then(
            (t) =>
              new Promise<void>((resolve, reject) => {
                t.once('error', reject);
                t.end(() => resolve());
              }),
          )
          .then(() => fs.rename(temp, file))
          .then(
            () => {
              committed = true;
              callback();
            },
            (e: Error) => fs.rm(temp, { force: true }).finally(() => callback(e)),
          );
      },
      destroy(error, callback) {
        // A destroyed stream is a failed upload: nothing may appear under the object's name.
        const cleanup = async (): Promise<void> => {
          try {
            const t = await ready;
            t.destroy();
          } catch {
            /* the folder could not be made: nothing to clean */
          }
          if (!committed) await fs.rm(temp, { force: true });
        };
        cleanup().then(
          () => callback(error),
          () => callback(error),
        );
      },
    });
    return upload;
  }

  /** Removes every object under a prefix (tests and `tapctl local` housekeeping). */
  async removePrefix(prefix: string): Promise<void> {
    for (const p of await this.list(prefix)) await fs.rm(this.filePath(p), { force: true });
  }
}

/**
 * Object names may hold characters Windows forbids in file names (Vertex AI's output folders are
 * named `prediction-model-<ISO time>`, with colons): there they are stored percent-encoded.
 */
const FORBIDDEN = process.platform === 'win32' ? /[<>:"|?*%]/g : undefined;

function encodeSegment(segment: string): string {
  return FORBIDDEN ? segment.replace(FORBIDDEN, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`) : segment;
}

function decodeSegment(name: string): string {
  return FORBIDDEN ? name.replace(/%([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))) : name;
}

function tempName(file: string): string {
  return `${file}${TEMP_MARK}${process.pid}-${randomBytes(6).toString('hex')}`;
}

function notFound(e: unknown, objectPath: string): Error {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR' ? new NotFoundError(objectPath) : (e as Error);
}

// eslint-disable-next-line require-yield
async function* failing(e: Error): AsyncGenerator<Buffer> {
  throw e;
}
