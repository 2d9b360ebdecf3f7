/**
 * The laptop redactor's recall and precision per info type, on a synthetic labelled set of call
 * transcripts (bench/corpus/pii.ts: @faker-js/faker values planted in many shapes, seeded).
 *
 *   node bin/run-ts.js bench/redaction.ts [--transcripts N] [--seed N] [--misses N]
 *
 * A planted value counts as found when every letter and digit of it lies inside a finding (of any
 * type: it no longer reaches the model); a finding counts as right when it overlaps a planted
 * value. Writes bench/results/redaction.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_INFO_TYPES, resolveRedaction } from '../runtime/contract/redaction';
import { findPersonalData, type Finding } from '../runtime/redaction/local-redactor';
import { FILLER_LINES, labelledTranscripts, type Planted } from './corpus/pii';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer`);
  return value;
}

/** The goals the redactor is held to: recall per type, and precision for all. */
const RECALL_GOALS: Readonly<Record<string, number>> = {
  EMAIL_ADDRESS: 0.98,
  PHONE_NUMBER: 0.98,
  CREDIT_CARD_NUMBER: 0.98,
  PERSON_NAME: 0.9,
  STREET_ADDRESS: 0.9,
};
const PRECISION_GOAL = 0.9;

function covered(text: string, value: Planted, findings: readonly Finding[]): boolean {
  for (let k = value.start; k < value.end; k++) {
    if (!/[A-Za-z0-9]/.test(text[k]!)) continue;
    if (!findings.some((f) => f.start <= k && k < f.end)) return false;
  }
  return true;
}

function main(): void {
  const count = flag('transcripts', 1500);
  const seed = flag('seed', 20261130);
  const showMisses = flag('misses', 0);
  const settings = resolveRedaction({});
  const set = labelledTranscripts(count, seed);
  const planted: Record<string, { total: number; found: number; typed: number }> = {};
  const findings: Record<string, { total: number; right: number }> = {};
  const misses: string[] = [];
  const wrong: string[] = [];
  let chars = 0;
  const t0 = process.hrtime.bigint();
  const results = set.map((t) => findPersonalData(t.text));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const [i, t] of set.entries()) {
    const found = results[i]!;
    chars += t.text.length;
    for (const p of t.planted) {
      const row = (planted[p.type] ??= { total: 0, found: 0, typed: 0 });
      row.total++;
      if (covered(t.text, p, found)) {
        row.found++;
        if (found.some((f) => f.type === p.type && f.start < p.end && p.start < f.end)) row.typed++;
      } else if (misses.length < showMisses) {
        const line = t.text.slice(t.text.lastIndexOf('\n', p.start) + 1, t.text.indexOf('\n', p.end));
        misses.push(`${p.type}: "${p.value}" in: ${line}`);
      }
    }
    for (const f of found) {
      const row = (findings[f.type] ??= { total: 0, right: 0 });
      row.total++;
      if (t.planted.some((p) => f.start < p.end && p.start < f.end)) row.right++;
      else if (wrong.length < showMisses) wrong.push(`${f.type}: "${t.text.slice(f.start, f.end)}"`);
    }
  }
  if (showMisses > 0) process.stderr.write(`missed:\n${misses.join('\n')}\n\nwrongly found:\n${wrong.join('\n')}\n`);

  const ratio = (a: number, b: number) => (b === 0 ? '–' : (a / b).toFixed(3));
  const rows = settings.infoTypes.map((type) => {
    const p = planted[type] ?? { total: 0, found: 0, typed: 0 };
    const f = findings[type] ?? { total: 0, right: 0 };
    const recall = p.total === 0 ? 1 : p.found / p.total;
    const precision = f.total === 0 ? 1 : f.right / f.total;
    const met = recall >= (RECALL_GOALS[type] ?? 0) && precision >= PRECISION_GOAL;
    const goal = `${RECALL_GOALS[type] !== undefined ? `recall ≥ ${RECALL_GOALS[type]}, ` : ''}precision ≥ ${PRECISION_GOAL}`;
    return `| ${type} | ${p.total} | ${ratio(p.found, p.total)} | ${ratio(p.typed, p.total)} | ${f.total} | ${ratio(f.right, f.total)} | ${goal} | ${met ? 'met' : '**not met**'} |`;
  });
  const allPlanted = Object.values(planted).reduce((s, r) => s + r.total, 0);
  const allFound = Object.values(planted).reduce((s, r) => s + r.found, 0);
  const allFindings = Object.values(findings).reduce((s, r) => s + r.total, 0);
  const allRight = Object.values(findings).reduce((s, r) => s + r.right, 0);
  const text = `# Redaction

The laptop redactor (\`runtime/redaction/local-redactor.ts\`) on ${count.toLocaleString('en-US')} synthetic call transcripts
(seed ${seed}, ${(chars / 1e6).toFixed(2)} MB) from \`bench/corpus/pii.ts\`: filler lines with no personal data but the amounts,
dates, order numbers, products and places calls are full of (${FILLER_LINES} fixed lines, so precision is measured on a narrow
range of ordinary talk), and values made by @faker-js/faker planted in the shapes
callers and speech recognisers give them (phone numbers written six ways, spoken digit by digit, with extensions, British
mobiles; card numbers in groups, whole or spoken; e-mail addresses written or spelled out; names in lower case, with
titles, after cues or bare; street addresses with and without unit, city and ZIP code, in lower case; dates of birth in
five shapes, one said in words). A planted value is **found** when every letter and digit of it lies inside a finding
of any type (it no longer reaches the model); **typed right** when a finding of its own type overlaps it. A finding is
**right** when it overlaps a planted value. Types the set does not plant show no recall; their precision still counts
what they find in the filler.

| info type | planted | recall | typed right | findings | precision | goal | |
| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |
${rows.join('\n')}
| all | ${allPlanted} | ${ratio(allFound, allPlanted)} | | ${allFindings} | ${ratio(allRight, allFindings)} | | |

Default info types: ${DEFAULT_INFO_TYPES.join(', ')}. Speed: ${(count / seconds).toFixed(0)} transcripts a second
(${(chars / seconds / 1e6).toFixed(2)} MB/s) on one core of this machine, wink-nlp's tagging included. What the set cannot
show: names that no cue announces and no list knows, addresses said without a house number, numbers split across speaker
turns; a synthetic set is only as varied as its templates.

\`node bin/run-ts.js bench/redaction.ts --transcripts ${count} --seed ${seed}\` (add \`--misses 40\` to list what was missed).
`;
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'redaction.md'), text);
  process.stdout.write(text);
}

main();
