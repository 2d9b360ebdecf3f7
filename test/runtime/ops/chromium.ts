/**
 * Headless Chromium for tests, all from npm: `@sparticuz/chromium` ships the browser inside the
 * package, `puppeteer-core` drives it. Nothing is installed on the machine: the browser is unpacked
 * once into the temporary folder, and the page is read after its scripts ran (the DOM) and as a
 * screenshot decoded to pixels (a minimal PNG reader: 8-bit RGB or RGBA, non-interlaced, which is
 * what Chromium writes).
 *
 * The two packages are paired by Chromium version: `@sparticuz/chromium` 147.0.0 is the last that
 * accepts Node.js 20 in its engines field, and `puppeteer-core` 24.42.0 is the release made for
 * Chrome 147 (each puppeteer release is tested against one browser version only).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import Chromium from '@sparticuz/chromium';
import puppeteer, { Browser, Page } from 'puppeteer-core';

/** Generous bounds: on a busy two-core machine the first start also unpacks 200 MB. */
const LAUNCH_TIMEOUT_MS = 120_000;
const PAGE_TIMEOUT_MS = 60_000;

function packageVersion(): string {
  // The package's exports map hides its package.json; it sits two folders above the CommonJS entry.
  const dir = path.join(path.dirname(require.resolve('@sparticuz/chromium')), '..', '..');
  return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * The browser binary, unpacked on first use into `<tmp>/tap-chromium-<version>/`.
 *
 * `Chromium.executablePath()` unpacks into `os.tmpdir()` and trusts any file already there by name,
 * so two processes starting at once could run a half-written binary, and another version's files
 * would be taken for its own. It runs instead in a child process whose TMPDIR is a fresh folder
 * (jest's sandbox has its own copy of `process.env`, which `os.tmpdir()` does not read), and the
 * folder is renamed into place only when complete.
 */
export async function chromiumPath(): Promise<string> {
  const home = path.join(os.tmpdir(), `tap-chromium-${packageVersion()}`);
  const binary = path.join(home, 'chromium');
  if (fs.existsSync(binary)) return binary;
  const partial = fs.mkdtempSync(`${home}.partial-`);
  const unpack = `require(${JSON.stringify(require.resolve('@sparticuz/chromium'))}).executablePath().then((p) => process.stdout.write(p))`;
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', unpack], {
      env: { ...process.env, TMPDIR: partial },
      encoding: 'utf8',
    });
    if (stdout !== path.join(partial, 'chromium')) throw new Error(`@sparticuz/chromium unpacked to ${stdout}, not into ${partial}`);
    fs.renameSync(partial, home);
  } catch (error) {
    fs.rmSync(partial, { recursive: true, force: true });
    // Another process finished first: its copy is as good as ours.
    const code = (error as NodeJS.ErrnoException).code;
    if (!((code === 'ENOTEMPTY' || code === 'EEXIST') && fs.existsSync(binary))) throw error;
  }
  return binary;
}

let browser: Promise<Browser> | undefined;

/** One browser per test process, started on first use; `closeChromium` ends it. */
function openBrowser(): Promise<Browser> {
  browser ??= chromiumPath().then((executablePath) =>
    puppeteer.launch({
      executablePath,
      args: Chromium.args,
      headless: 'shell',
      timeout: LAUNCH_TIMEOUT_MS,
      protocolTimeout: LAUNCH_TIMEOUT_MS,
      // Jest's worker owns the signals; the browser is closed in afterAll.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    }),
  );
  return browser;
}

export async function closeChromium(): Promise<void> {
  const open = browser;
  browser = undefined;
  if (open) await (await open).close();
}

/** Opens `file` (or an http URL) in a page of `width` x `height` CSS pixels, and gives the page to `use`. */
export async function withPage<T>(file: string, width: number, height: number, use: (page: Page) => Promise<T>): Promise<T> {
  const page = await (await openBrowser()).newPage();
  try {
    page.setDefaultTimeout(PAGE_TIMEOUT_MS);
    await page.setViewport({ width, height, deviceScaleFactor: 1 });
    await page.goto(/^https?:\/\//.test(file) ? file : `file://${file}`, { waitUntil: 'load' });
    return await use(page);
  } finally {
    await page.close();
  }
}

/** The page's DOM after its scripts ran, serialized as HTML. */
export function dumpDom(file: string): Promise<string> {
  return withPage(file, 800, 600, (page) => page.content());
}

export interface Image {
  readonly width: number;
  readonly height: number;
  /** RGBA, 4 bytes per pixel. */
  readonly rgba: Buffer;
}

/** A screenshot of the first `width` x `height` pixels of the page. */
export async function screenshot(file: string, width: number, height: number): Promise<Image> {
  const png = await withPage(file, width, height, (page) => page.screenshot({ type: 'png' }));
  return decodePng(Buffer.from(png));
}

export function decodePng(png: Buffer): Image {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString('ascii', pos + 4, pos + 8);
    const body = png.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const depth = body[8];
      const colorType = body[9];
      if (depth !== 8 || (colorType !== 2 && colorType !== 6) || body[12] !== 0)
        throw new Error(`unsupported PNG: depth ${depth}, colour type ${colorType}`);
      channels = colorType === 6 ? 4 : 3;
    } else if (type === 'IDAT') data.push(body);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[y * stride + x - channels]! : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels]! : 0;
      let v = line[x]!;
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[y * stride + x] = v & 0xff;
    }
  }
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[i * 4] = pixels[i * channels]!;
    rgba[i * 4 + 1] = pixels[i * channels + 1]!;
    rgba[i * 4 + 2] = pixels[i * channels + 2]!;
    rgba[i * 4 + 3] = channels === 4 ? pixels[i * channels + 3]! : 255;
  }
  return { width, height, rgba };
}

/** How many pixels have exactly this `#rrggbb` colour. */
export function countColor(image: Image, hex: string): number {
  const r = parseInt(hex.slice(1, 3), 16);
  const g = parseInt(hex.slice(3, 5), 16);
  const b = parseInt(hex.slice(5, 7), 16);
  let n = 0;
  for (let i = 0; i < image.rgba.length; i += 4) if (image.rgba[i] === r && image.rgba[i + 1] === g && image.rgba[i + 2] === b) n++;
  return n;
}
