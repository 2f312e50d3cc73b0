/**
 * Reads one threat-intelligence file (enrich.threat[]) into an IndicatorSet: a plain list, a CSV
 * with a header row, or a STIX 2.1 bundle. Entries that cannot be used are counted by reason, never
 * fatal; a file that cannot be read or parsed at all throws (the caller turns it into
 * HAETAE_ENRICH_SOURCE).
 */
import { parseCsv } from './csv';
import { confidenceLabel, IndicatorSetBuilder, type AddResult, type IndicatorKind, type IndicatorSet } from './indicators';
import { parseStixPattern } from './stix';

export type ThreatFormat = 'list' | 'csv' | 'stix';

export interface ThreatFileOptions {
  name: string;
  format: ThreatFormat;
  type?: IndicatorKind | undefined;
  maxEntries: number;
  /** For STIX valid_until: indicators that expired before this are skipped. */
  now?: Date;
}

export interface LoadStats {
  added: number;
  duplicate: number;
  invalid: number;
  limit: number;
  unsupported: number;
  expired: number;
  /** A few examples of what was skipped, for the log line. */
  examples: string[];
}

export function emptyStats(): LoadStats {
  return { added: 0, duplicate: 0, invalid: 0, limit: 0, unsupported: 0, expired: 0, examples: [] };
}

export function loadThreatText(text: string, opts: ThreatFileOptions): { set: IndicatorSet; stats: LoadStats } {
  const builder = new IndicatorSetBuilder(opts.name, opts.maxEntries);
  const stats = emptyStats();
  const note = (r: AddResult, where: string): void => {
    stats[r === 'added' ? 'added' : r]++;
    if ((r === 'invalid') && stats.examples.length < 5) stats.examples.push(where);
  };
  if (opts.format === 'list') loadList(text, opts, builder, note);
  else if (opts.format === 'csv') loadCsv(text, opts, builder, note);
  else loadStix(text, opts, builder, note, stats);
  return { set: builder.build(), stats };
}

function loadList(text: string, opts: ThreatFileOptions, b: IndicatorSetBuilder, note: (r: AddResult, where: string) => void): void {
  let line = 0;
  let pos = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    line++;
    let v = text.slice(pos, nl);
    pos = nl + 1;
    const hash = v.indexOf('#');
    if (hash >= 0) v = v.slice(0, hash);
    v = v.trim();
    if (v === '') continue;
    note(b.add({ value: v, kind: opts.type }), `line ${line}: ${v.slice(0, 80)}`);
  }
}

const VALUE_COLUMNS = ['indicator', 'value', 'ioc'];
const TYPE_WORDS: Record<string, IndicatorKind> = {
  ip: 'ip', ipv4: 'ip', ipv6: 'ip', 'ipv4-addr': 'ip', 'ipv6-addr': 'ip', cidr: 'ip', network: 'ip',
  domain: 'domain', 'domain-name': 'domain', hostname: 'domain', fqdn: 'domain',
  url: 'url', uri: 'url',
  hash: 'hash', md5: 'hash', sha1: 'hash', 'sha-1': 'hash', sha256: 'hash', 'sha-256': 'hash', sha512: 'hash', 'sha-512': 'hash', file: 'hash',
};

function loadCsv(text: string, opts: ThreatFileOptions, b: IndicatorSetBuilder, note: (r: AddResult, where: string) => void): void {
  let col: { value: number; type: number; description: number; confidence: number } | null = null;
  // Descriptions repeat across a feed: one string per distinct text.
  const interned = new Map<string, string>();
  const intern = (s: string): string => { const known = interned.get(s); if (known !== undefined) return known; if (interned.size < 100_000) interned.set(s, s); return s; };
  parseCsv(text, (fields, line) => {
    if (col === null) {
      const names = fields.map((f) => f.trim().toLowerCase());
      const value = names.findIndex((n) => VALUE_COLUMNS.includes(n));
      if (value < 0) throw new Error(`line ${line}: the header row needs an indicator column (one of ${VALUE_COLUMNS.join(', ')}); got ${names.join(', ')}`);
      col = { value, type: names.indexOf('type'), description: names.indexOf('description'), confidence: names.indexOf('confidence') };
      return;
    }
    const value = fields[col.value]?.trim() ?? '';
    let kind = opts.type;
    if (col.type >= 0 && fields[col.type]) {
      const word = fields[col.type]!.trim().toLowerCase();
      kind = TYPE_WORDS[word] ?? kind;
      if (TYPE_WORDS[word] === undefined && word !== '') { note('invalid', `line ${line}: unknown type '${word}'`); return; }
    }
    const description = col.description >= 0 && fields[col.description] ? intern(fields[col.description]!.trim()) : undefined;
    const confidence = col.confidence >= 0 ? confidenceLabel(fields[col.confidence]) : undefined;
    note(b.add({ value, kind, description: description || undefined, confidence }), `line ${line}: ${value.slice(0, 80)}`);
  });
  if (col === null) throw new Error('no header row');
}

interface StixObject { type?: unknown; id?: unknown; name?: unknown; pattern?: unknown; pattern_type?: unknown; description?: unknown; confidence?: unknown; revoked?: unknown; valid_until?: unknown; created_by_ref?: unknown }

function loadStix(text: string, opts: ThreatFileOptions, b: IndicatorSetBuilder, note: (r: AddResult, where: string) => void, stats: LoadStats): void {
  const doc = JSON.parse(text) as { type?: unknown; objects?: unknown };
  if (doc === null || typeof doc !== 'object' || doc.type !== 'bundle' || !Array.isArray(doc.objects)) throw new Error('not a STIX 2.1 bundle (a JSON object with type "bundle" and an objects array)');
  const objects = doc.objects as StixObject[];
  const identities = new Map<string, string>();
  for (const o of objects) if (o && o.type === 'identity' && typeof o.id === 'string' && typeof o.name === 'string') identities.set(o.id, o.name);
  const now = (opts.now ?? new Date()).getTime();
  for (const o of objects) {
    if (!o || o.type !== 'indicator') continue;
    const id = typeof o.id === 'string' ? o.id : '(no id)';
    if (o.revoked === true || (typeof o.valid_until === 'string' && Date.parse(o.valid_until) < now)) { stats.expired++; continue; }
    if ((o.pattern_type !== undefined && o.pattern_type !== 'stix') || typeof o.pattern !== 'string') {
      stats.unsupported++;
      if (stats.examples.length < 5) stats.examples.push(`${id}: pattern_type ${JSON.stringify(o.pattern_type)}`);
      continue;
    }
    const parsed = parseStixPattern(o.pattern);
    if (!parsed.ok) {
      stats.unsupported++;
      if (stats.examples.length < 5) stats.examples.push(`${id}: ${parsed.reason}`);
      continue;
    }
    const description = typeof o.name === 'string' ? o.name : typeof o.description === 'string' ? o.description : undefined;
    const provider = typeof o.created_by_ref === 'string' ? identities.get(o.created_by_ref) : undefined;
    for (const atom of parsed.atoms) {
      note(b.add({ value: atom.value, kind: atom.kind, description, confidence: confidenceLabel(o.confidence), ref: typeof o.id === 'string' ? o.id : undefined, provider }), `${id}: ${atom.value.slice(0, 80)}`);
    }
  }
}
