/**
 * The decoders' fast paths against the general code they stand in for: each must either leave an
 * input to the general path or give exactly what it gives.
 *  - the Sysmon scanner (scanEvent) against readEventXml / parseXml;
 *  - sysmonTime's direct ISO form against the regex + Date it replaces;
 *  - splitArgs (cutting runs) against the character-by-character version it replaces.
 */
import fc from 'fast-check';
import { EventValues, fromDoc, scanEvent, sysmonLinux, sysmonTime } from '../../../../pipeline/decoders/builtin/sysmon-linux';
import { splitArgs } from '../../../../pipeline/decoders/builtin/common';
import { eventDocOf, parseXml, readEventXml } from '../../../../pipeline/decoders/builtin/xml';

const DOC =
  '<Event><System><Provider Name="Linux-Sysmon" Guid="{ff032593-a8d3-4f13-b0d6-01fc615a0f97}"/><EventID>1</EventID><Version>5</Version>' +
  '<Level>4</Level><TimeCreated SystemTime="2021-10-18T13:32:21.245458000Z"/><EventRecordID>79</EventRecordID><Correlation/>' +
  '<Execution ProcessID="4536" ThreadID="4536"/><Channel>Linux-Sysmon/Operational</Channel><Computer>ubuntu&amp;dev</Computer>' +
  '<Security UserId="0"/></System><EventData><Data Name="RuleName">-</Data><Data Name="UtcTime">2021-10-18 13:32:21.250</Data>' +
  '<Data Name="ProcessId">4562</Data><Data Name="Image">/usr/bin/curl</Data><Data Name="FileVersion">1.2</Data>' +
  '<Data Name="CommandLine">curl "http://198.51.100.7/x.sh?a=1&amp;b=2"</Data><Data Name="Us&#101;r">alice</Data>' +
  '<Data Name="Hashes">SHA256=9e3e2a0a5d7c6b1f0e8d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a2918f7e,MD5=0c4b2a1f9e8d7c6b5a4f3e2d1c0b9a8f</Data>' +
  '</EventData></Event>';

/** What decode() reads of a document: <System> values and <Data> values in first-seen order. */
function viaScanner(src: string): unknown {
  const data = new EventValues();
  const sys = scanEvent(src, data);
  if (sys === null) return null;
  const values: Array<[string, string]> = [];
  data.unread((k, v) => values.push([k, v]));
  return { sys: { ...sys }, values };
}

function viaReader(src: string): unknown {
  const doc = readEventXml(src) ?? (() => { const x = parseXml(src); return x.ok ? eventDocOf(x.root) : null; })();
  if (doc === null) return 'malformed';
  if (doc.root !== 'Event') return 'other root';
  const data = new EventValues();
  const sys = fromDoc(doc, data);
  const values: Array<[string, string]> = [];
  data.unread((k, v) => values.push([k, v]));
  return { sys: sys === null ? null : { ...sys }, values };
}

function agrees(src: string): boolean {
  const fast = viaScanner(src);
  if (fast === null) return false;
  expect(fast).toEqual(viaReader(src));
  return true;
}

describe('scanEvent (Sysmon)', () => {
  it('reads the usual document itself, as readEventXml reads it', () => {
    expect(agrees(DOC)).toBe(true);
    expect(agrees(DOC.replace('<Event>', '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">'))).toBe(true);
  });

  it('leaves every other shape to the general path', () => {
    for (const other of [
      DOC.replace(/></g, '>\n<'), DOC.replace('<EventData>', '<EventData><!-- c -->'), DOC.replace('<Event>', '<EventX>'),
      DOC.replace('</Data>', '<b/></Data>'), DOC.replace('<Data Name="RuleName">-</Data>', '<Data Name="RuleName"/>'), `${DOC}<x/>`,
      DOC.replace('<Data Name="Image">', "<Data Name='Image'>"), DOC.replace(/<EventData>.*<\/EventData>/, ''), DOC.slice(0, -1),
    ]) {
      expect(viaScanner(other)).toBeNull();
    }
  });

  it('agrees with the general path on truncated and mutated documents', () => {
    for (let i = 0; i <= DOC.length; i++) if (viaScanner(DOC.slice(0, i)) !== null) agrees(DOC.slice(0, i));
    const chars = ['<', '>', '/', '"', "'", '=', ' ', '&', 'a', '?', '!', '-', '\n', ';', '#'];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(DOC.length), fc.constantFrom(...chars), fc.boolean()), { maxLength: 4 }), (edits) => {
        let s = DOC;
        for (const [at, c, insert] of edits) s = s.slice(0, at) + c + s.slice(insert ? at : at + 1);
        if (viaScanner(s) !== null) agrees(s);
      }),
      { numRuns: 3000 },
    );
  });

  it('decodes a document the scanner reads and one it leaves to the reader alike', () => {
    const a = sysmonLinux.decode({ message: DOC, program: 'sysmon' });
    const b = sysmonLinux.decode({ message: DOC.replace(/><(?!\/)/g, '>\n<').replace(/<EventID>\n/, '<EventID>'), program: 'sysmon' });
    expect(a).toEqual(b);
    expect(a && a.ok && a.fields['user.name']).toBe('alice');
  });
});

/** sysmonTime as it was: a regex and a Date. */
function sysmonTimeRef(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)Z?$/.exec(v.trim());
  if (!m) return undefined;
  const d = new Date(`${m[1]}T${m[2]!.replace(/(\.\d{3})\d+$/, '$1')}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

describe('sysmonTime', () => {
  it('writes the ISO form as the Date did', () => {
    const digit = fc.constantFrom('0', '1', '2', '3', '5', '9');
    const time = fc.tuple(
      fc.integer({ min: 1960, max: 2100 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.constantFrom(' ', 'T', 'x'),
      fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 61 }), fc.array(digit, { maxLength: 11 }),
      fc.constantFrom('', 'Z', ' ', '.'),
    ).map(([y, mo, d, sep, h, mi, s, frac, end]) => {
      const p = (n: number) => String(n).padStart(2, '0');
      return `${y}-${p(mo)}-${p(d)}${sep}${p(h)}:${p(mi)}:${p(s)}${frac.length > 0 ? `.${frac.join('')}` : ''}${end}`;
    });
    fc.assert(fc.property(fc.oneof(time, fc.string({ maxLength: 30 })), (v) => { expect(sysmonTime(v)).toBe(sysmonTimeRef(v)); }), { numRuns: 5000 });
  });
});

/** splitArgs as it was: one character at a time. */
function splitArgsRef(line: string): string[] {
  const args: string[] = [];
  let cur = '';
  let inArg = false;
  let quote: '"' | "'" | null = null;
  const n = Math.min(line.length, 8 * 1024);
  for (let i = 0; i < n; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < n && (line[i + 1] === '"' || line[i + 1] === '\\')) cur += line[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inArg = true;
    } else if (c === ' ' || c === '\t') {
      if (inArg) {
        args.push(cur);
        if (args.length >= 256) return args;
        cur = '';
        inArg = false;
      }
    } else if (c === '\\' && i + 1 < n) {
      cur += line[++i];
      inArg = true;
    } else {
      cur += c;
      inArg = true;
    }
  }
  if (inArg) args.push(cur);
  return args;
}

describe('splitArgs', () => {
  it('splits as the character-by-character version did', () => {
    const unit = fc.constantFrom('a', 'b', ' ', '\t', '"', "'", '\\', 'é', '\ud83d\ude00');
    fc.assert(fc.property(fc.array(unit, { maxLength: 30 }).map((u) => u.join('')), (s) => { expect(splitArgs(s)).toEqual(splitArgsRef(s)); }), { numRuns: 5000 });
    const many = Array.from({ length: 300 }, (_, i) => `a${i}`).join(' ');
    expect(splitArgs(many)).toEqual(splitArgsRef(many));
  });
});
