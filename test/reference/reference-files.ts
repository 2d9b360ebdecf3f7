/**
 * Where the reference files are: documents and schemas published by Google, kept outside this
 * repository beside the checkout (`../shared/reference/`), or wherever TAP_REFERENCE_DIR points.
 * Only `npm run test:reference` reads them; `npm test` needs nothing outside the repository.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.join(__dirname, '..', '..');

/** The absolute path of a reference file; fails naming where it looked when the file is missing. */
export function referenceFile(name: string): string {
  const dir = process.env.TAP_REFERENCE_DIR || path.join(ROOT, '..', 'shared', 'reference');
  const file = path.resolve(dir, name);
  if (!fs.existsSync(file)) {
    throw new Error(
      `reference file ${name} not found in ${path.resolve(dir)}: put the reference folder beside the checkout, or set TAP_REFERENCE_DIR to it`,
    );
  }
  return file;
}
