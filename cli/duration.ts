const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "15m", "2h", "7d", "30s", "1w" → milliseconds; null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const m = /^([0-9]+)\s*([smhdw])$/.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * UNITS[m[2]!]!;
}

/** --since/--until: a duration back from now, or an absolute date. */
export function parseTimeBound(text: string, now: Date): Date | null {
  const ms = parseDuration(text);
  if (ms !== null) return new Date(now.getTime() - ms);
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? null : d;
}
