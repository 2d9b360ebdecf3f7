/** The pipeline's workflow definitions against Google's published JSON schema for Workflows. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import * as YAML from 'yaml';
import { WORKFLOW_FILES } from '../../runtime/contract';
import { referenceFile, ROOT } from './reference-files';

describe('the pipeline workflow definitions', () => {
  const validate = () => {
    const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
    return ajv.compile(JSON.parse(fs.readFileSync(referenceFile('workflows.schema.json'), 'utf8')));
  };

  test.each(Object.values(WORKFLOW_FILES))("%s is valid against Google's Workflows schema", (file) => {
    const check = validate();
    const ok = check(YAML.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')));
    expect(check.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  test('the schema rejects a definition it should: a step with an unknown key', () => {
    const check = validate();
    expect(check({ main: { steps: [{ s: { asign: [{ x: 1 }] } }] } })).toBe(false);
  });
});
