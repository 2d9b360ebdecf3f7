import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COLORS, reportHtml } from '../../../runtime/ops/html-report';
import { RunReport, reportText } from '../../../runtime/ops/report';
import { SummaryDocument } from '../../../runtime/contract';
import { chromiumPath, closeChromium, countColor, dumpDom, screenshot } from './chromium';

const t0 = Date.parse('2026-11-28T10:00:00Z');
const at = (minutes: number) => new Date(t0 + minutes * 60_000).toISOString();

const summary: SummaryDocument = {
  execution_id: 'run-42',
  analysis: 'pass1',
  analysis_version: 'v-abc123',
  status: 'failed',
  records_total: 5200,
  skipped_dedup: 800,
  batches: 6,
  batches_succeeded: 5,
  batches_failed: 1,
  batches_unfinished: 0,
  batches_recovered: 2,
  records_succeeded: 4874,
  records_failed: 200,
  records_open: 126,
  errors_by_type: { json_parse_error: 120, missing_summary: 6, safety_blocked: 200 },
  tokens_in: 12_345_678,
  tokens_out: 2_345_678,
  estimated_cost_usd: 4.78,
  duration_seconds: 7260,
  failed_batches: [5],
};

const report: RunReport = {
  executionId: 'run-42',
  generatedAt: '2026-11-28T12:05:00.000Z',
  state: 'failed',
  final: true,
  basis: 'reporter',
  summary,
  start: at(0),
  end: at(121),
  outcomes: [
    { batchId: 0, attempt: 1, status: 'succeeded', records: 1000, succeeded: 990, failed: 10, eventTime: at(20) },
    { batchId: 1, attempt: 1, status: 'failed', records: 1000, succeeded: 0, failed: 0, eventTime: at(22) },
    { batchId: 2, attempt: 1, status: 'succeeded', records: 1000, succeeded: 980, failed: 20, eventTime: at(25) },
    { batchId: 3, attempt: 1, status: 'failed', records: 1000, succeeded: 0, failed: 0, eventTime: at(30) },
    { batchId: 1, attempt: 2, status: 'succeeded', records: 1000, succeeded: 1000, failed: 0, eventTime: at(70) },
    { batchId: 3, attempt: 2, status: 'succeeded', records: 1000, succeeded: 904, failed: 96, eventTime: at(90) },
    { batchId: 4, attempt: 1, status: 'succeeded', records: 200, succeeded: 1000, failed: 0, eventTime: at(95) },
    { batchId: 5, attempt: 1, status: 'failed', records: 200, succeeded: 0, failed: 0, eventTime: at(121) },
  ],
};

function metrics(dom: string): Map<string, { value: string | undefined; text: string }> {
  const found = new Map<string, { value: string | undefined; text: string }>();
  for (const m of dom.matchAll(/<(?:dd|span|p)[^>]*data-metric="([^"]+)"(?:[^>]*data-value="([^"]*)")?[^>]*>([^<]*)</g)) {
    found.set(m[1]!, { value: m[2], text: m[3]! });
  }
  return found;
}

// Unpacking the browser on a machine's first run takes longer than a test.
beforeAll(() => chromiumPath(), 300_000);
afterAll(() => closeChromium());

describe('HTML report', () => {
  let file: string;
  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-'));
    file = path.join(dir, 'report.html');
    fs.writeFileSync(file, reportHtml(report));
  });

  test('is self-contained: no script, link, image or URL to fetch', () => {
    const html = fs.readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<script|<link|<img|<iframe|url\(|https?:\/\//i);
  });

  test('opened in headless Chromium, shows the numbers of the summary', async () => {
    const dom = await dumpDom(file);
    const shown = metrics(dom);
    const expectText: Record<string, string> = {
      records_total: '5,200',
      records_succeeded: '4,874',
      records_failed: '200',
      records_open: '126',
      skipped_dedup: '800',
      batches: '6',
      batches_succeeded: '5',
      batches_failed: '1',
      batches_recovered: '2',
      tokens_in: '12,345,678',
      tokens_out: '2,345,678',
      estimated_cost_usd: '$4.78',
      duration_seconds: '2h01m',
      record_error_rate: '3.8%',
    };
    for (const [key, text] of Object.entries(expectText)) {
      expect({ key, text: shown.get(key)?.text }).toEqual({ key, text });
      if (key in summary)
        expect({ key, value: Number(shown.get(key)?.value) }).toEqual({ key, value: summary[key as keyof SummaryDocument] });
    }
    expect(shown.get('execution_id')?.text).toBe('run-42');
    expect(shown.get('status')?.text).toBe('failed');
    expect(shown.get('failed_batches')?.text).toBe('5');
    // The errors chart has one bar per error type, with the summary's counts.
    const bars = [...dom.matchAll(/data-error-type="([^"]+)" data-value="(\d+)"/g)].map((m) => [m[1], Number(m[2])]);
    expect(Object.fromEntries(bars)).toEqual(summary.errors_by_type);
  });

  test('the batches chart counts every outcome, and throughput every record analysed', async () => {
    const dom = await dumpDom(file);
    const chart = (name: string) => new RegExp(`<svg data-chart="${name}"[\\s\\S]*?</svg>`).exec(dom)![0];
    const sum = (svg: string, color: string) =>
      [...svg.matchAll(new RegExp(`fill="${color}" data-value="(\\d+)"`, 'g'))].reduce((n, m) => n + Number(m[1]), 0);
    expect(sum(chart('batches'), COLORS.succeeded)).toBe(5);
    expect(sum(chart('batches'), COLORS.failed)).toBe(3);
    expect(sum(chart('throughput'), COLORS.throughput)).toBe(990 + 980 + 1000 + 904 + 1000);
  });

  test('its three charts are painted', async () => {
    const image = await screenshot(file, 800, 1600);
    for (const [name, color] of Object.entries(COLORS)) {
      expect({ name, painted: countColor(image, color) > 200 }).toEqual({ name, painted: true });
    }
  });

  test('the text report shows the same figures', () => {
    const text = reportText(report);
    expect(text).toMatch(/Records planned\s+5,200/);
    expect(text).toMatch(/Estimated cost\s+\$4\.78/);
    expect(text).toMatch(/safety_blocked\s+200/);
    // The hint is the caller's command, ready to copy; without one, no guessed command that might lack its target flags.
    expect(text).not.toContain('re-run them with');
    const recover = 'tapctl recover --local /tmp/w --execution run-42 --all-failed';
    expect(reportText({ ...report, recover })).toContain(`re-run them with: ${recover}`);
    expect(reportHtml({ ...report, recover })).toContain(`<code>${recover}</code>`);
    expect(reportHtml(report)).not.toContain('Re-run them with');
  });

  test('escapes what comes from the tables', () => {
    const html = reportHtml({ ...report, executionId: '<b>x</b>', summary: { ...summary, errors_by_type: { '<i>': 1 } as never } });
    expect(html).not.toContain('<b>x</b>');
    expect(html).not.toContain('<i>');
  });
});

describe('tapctl report --html, opened in headless Chromium', () => {
  test('shows the numbers of the summary tapctl report --json prints', async () => {
    const { openLocalWorkspace } = await import('../../../runtime/adapters/local');
    const { writeFixture } = await import('./fixture');
    const { cli } = await import('../cli/run-cli');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-cli-'));
    const ws = await openLocalWorkspace(dir);
    await writeFixture(ws.warehouse);
    await ws.close();
    const page = path.join(dir, 'report.html');
    const r = await cli(['report', '--local', dir, '--execution', 'e1', '--json', '--html', page]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as Record<string, unknown>;
    const shown = metrics(await dumpDom(page));
    const compared = Object.keys(summary).filter((k) => typeof summary[k] === 'number');
    expect(compared.length).toBeGreaterThanOrEqual(12);
    for (const key of compared) {
      expect({ key, value: Number(shown.get(key)?.value) }).toEqual({ key, value: summary[key] });
    }
    expect(shown.get('record_error_rate')?.text).toBe('6.7%');
    const image = await screenshot(page, 800, 1600);
    expect(countColor(image, COLORS.succeeded)).toBeGreaterThan(200);
    expect(countColor(image, COLORS.failed)).toBeGreaterThan(200);
    expect(countColor(image, COLORS.errors)).toBeGreaterThan(200);
    expect(countColor(image, COLORS.throughput)).toBeGreaterThan(200);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
