/** An `ObjectStore` in memory, for tests: objects appear whole when their write stream finishes. */
import { Readable, Writable } from 'node:stream';
import { NotFoundError, ObjectStore } from '../../runtime/core/ports';

export class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();

  constructor(readonly bucket = 'work-bucket') {}

  async readText(path: string): Promise<string> {
    const data = this.objects.get(path);
    if (!data) throw new NotFoundError(path);
    return data.toString('utf8');
  }

  async writeText(path: string, text: string): Promise<void> {
    this.objects.set(path, Buffer.from(text, 'utf8'));
  }

  async createText(path: string, text: string): Promise<boolean> {
    if (this.objects.has(path)) return false;
    this.objects.set(path, Buffer.from(text, 'utf8'));
    return true;
  }

  async exists(path: string): Promise<boolean> {
    return this.objects.has(path);
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  openRead(path: string): Readable {
    const data = this.objects.get(path);
    if (!data) {
      return new Readable({
        read() {
          this.destroy(new NotFoundError(path));
        },
      });
    }
    return Readable.from([data]);
  }

  openWrite(path: string): Writable {
    const chunks: Buffer[] = [];
    return new Writable({
      write: (chunk: Buffer, _enc, done) => {
        chunks.push(Buffer.from(chunk));
        done();
      },
      final: (done) => {
        this.objects.set(path, Buffer.concat(chunks));
        done();
      },
    });
  }

  json<T = unknown>(path: string): T {
    const data = this.objects.get(path);
    if (!data) throw new NotFoundError(path);
    return JSON.parse(data.toString('utf8')) as T;
  }
}
