/**
 * The `ObjectStore` port on a Cloud Storage bucket, through `@google-cloud/storage` (JSON API:
 * media download, multipart upload, list with prefix).
 */
import type { Readable, Writable } from 'node:stream';
import { Storage } from '@google-cloud/storage';
import { NotFoundError, ObjectStore } from '../../core/ports';

export interface GcsStoreOptions {
  readonly projectId: string;
  readonly bucket: string;
  /** Another endpoint, e.g. a local fake (the client also honours STORAGE_EMULATOR_HOST). */
  readonly apiEndpoint?: string;
}

export class GcsStore implements ObjectStore {
  readonly bucket: string;
  readonly client: Storage;

  constructor(options: GcsStoreOptions) {
    this.bucket = options.bucket;
    this.client = new Storage({ projectId: options.projectId, ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint } : {}) });
  }

  private file(path: string) {
    return this.client.bucket(this.bucket).file(path);
  }

  async readText(path: string): Promise<string> {
    try {
      const [data] = await this.file(path).download();
      return data.toString('utf8');
    } catch (e) {
      if ((e as { code?: number }).code === 404) throw new NotFoundError(path);
      throw e;
    }
  }

  async writeText(path: string, text: string): Promise<void> {
    await this.file(path).save(text, { resumable: false, contentType: path.endsWith('.json') ? 'application/json' : 'text/plain' });
  }

  async createText(path: string, text: string): Promise<boolean> {
    try {
      await this.file(path).save(text, {
        resumable: false,
        contentType: path.endsWith('.json') ? 'application/json' : 'text/plain',
        preconditionOpts: { ifGenerationMatch: 0 },
      });
      return true;
    } catch (e) {
      if ((e as { code?: number }).code === 412) return false;
      throw e;
    }
  }

  async exists(path: string): Promise<boolean> {
    const [exists] = await this.file(path).exists();
    return exists;
  }

  async list(prefix: string): Promise<string[]> {
    const [files] = await this.client.bucket(this.bucket).getFiles({ prefix, autoPaginate: true });
    return files.map((f) => f.name).sort();
  }

  openRead(path: string): Readable {
    return this.file(path).createReadStream();
  }

  /**
   * A single multipart upload: the object appears whole when the stream finishes, or not at all.
   * (A failed job is re-run whole, so a resumable session would buy nothing here.)
   */
  openWrite(path: string): Writable {
    return this.file(path).createWriteStream({ resumable: false, contentType: 'application/x-ndjson' });
  }
}
