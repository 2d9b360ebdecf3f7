/**
 * `time.format`, `time.parse` and the timestamps of `sys.sleep_until`.
 *
 * @see https://cloud.google.com/workflows/docs/reference/stdlib/time/format
 * @see https://cloud.google.com/workflows/docs/reference/stdlib/time/parse
 */
import { raise } from './errors';

/**
 * Seconds since the epoch of an RFC 3339 §5.6 timestamp (a date, `T`, a time with at most six
 * fractional digits, and `Z` or an offset). Anything else is a `ValueError`.
 */
export function parseTimestamp(fn: string, s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) raise('ValueError', `${fn}: ${JSON.stringify(s)} is not an RFC 3339 timestamp`);
  if (m[7] && m[7].length > 7) raise('ValueError', `${fn}: ${JSON.stringify(s)} has more than microsecond precision`);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const whole = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(whole);
  if (month < 1 || month > 12 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    raise('ValueError', `${fn}: ${JSON.stringify(s)} is not a valid time`);
  }
  let offset = 0;
  if (m[8]!.toUpperCase() !== 'Z') {
    const sign = m[8]!.startsWith('-') ? -1 : 1;
    offset = sign * (Number(m[8]!.slice(1, 3)) * 3600 + Number(m[8]!.slice(4, 6)) * 60);
  }
  return whole / 1000 - offset + (m[7] ? Number(m[7]) : 0);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The offset of a tz-database zone from UTC at an instant, in minutes; an unknown zone is a `ValueError`. */
function offsetMinutes(zone: string, epochMs: number): number {
  let f = formatters.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      return raise('ValueError', `time.format: unknown time zone ${JSON.stringify(zone)}`);
    }
    formatters.set(zone, f);
  }
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(epochMs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const local = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return Math.round((local - Math.floor(epochMs / 1000) * 1000) / 60000);
}

/**
 * ISO 8601 with microseconds always printed: UTC (an empty zone, the default) ends in `Z`, a tz
 * database zone in its offset (`+02:00`). A zero offset is written `Z`, as Google's example of
 * `"GMT"` shows.
 */
export function formatTimestamp(seconds: number, zone: string): string {
  const micros = Math.round(seconds * 1e6);
  const wholeSeconds = Math.floor(micros / 1e6);
  const fraction = String(micros - wholeSeconds * 1e6).padStart(6, '0');
  const offset = zone === '' ? 0 : offsetMinutes(zone, wholeSeconds * 1000);
  const local = new Date((wholeSeconds + offset * 60) * 1000);
  if (Number.isNaN(local.getTime())) raise('ValueError', `time.format: ${seconds} is out of range`);
  const base = local.toISOString().slice(0, 19);
  if (offset === 0) return `${base}.${fraction}Z`;
  const abs = Math.abs(offset);
  return `${base}.${fraction}${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
