/**
 * readEventXml (the Sysmon decoder's one-pass reader) against the full parser: on any document it
 * either leaves the document to parseXml (null) or gives exactly what the parsed tree gives.
 */
import fc from 'fast-check';
import { eventDocOf, parseXml, readEventXml, type EventDoc, type LiteElement } from '../../../../pipeline/decoders/builtin/xml';

/** Attributes as looked up (the last of a name wins), for comparing. */
const norm = (doc: EventDoc) => {
  const el = (e: LiteElement) => {
    const attrs: Record<string, string> = {};
    for (let i = 0; i < (e.attrs?.length ?? 0); i += 2) attrs[e.attrs![i]!] = e.attrs![i + 1]!;
    return { name: e.name, text: e.text, attrs };
  };
  return { root: doc.root, system: doc.system?.map(el) ?? null, eventData: doc.eventData?.map(el) ?? null };
};

const DOC =
  `<?xml version="1.0"?>\n<Event xmlns="x"><System><Provider Name="Linux-Sysmon" Guid="{ff}"/><EventID>1</EventID><Version>5</Version>` +
  `<TimeCreated SystemTime='2024-03-05T09:12:44.331Z'/><EventRecordID>55</EventRecordID><Channel>Linux-Sysmon/Operational</Channel>` +
  `<Computer>db&amp;01</Computer><Security UserId="0"/></System>\n<EventData><Data Name="RuleName">-</Data>` +
  `<Data Name="Image">/usr/bin/a&lt;b&gt;</Data><Data Name = "X" Name='Y'>t<b>inner</b>u</Data><Data/><Other Name="Z">z</Other>` +
  `<Data Name="CommandLine">a "b" &#x41;&#66;</Data></EventData></Event>\n`;

function agrees(src: string): void {
  const fast = readEventXml(src);
  const full = parseXml(src);
  if (fast === null) return; // left to the full parser
  expect(full.ok).toBe(true);
  if (full.ok) expect(norm(fast)).toEqual(norm(eventDocOf(full.root)));
}

describe('readEventXml', () => {
  it('reads a Sysmon document as the full parser does', () => {
    const fast = readEventXml(DOC);
    expect(fast).not.toBeNull();
    agrees(DOC);
    expect(fast!.eventData!.find((d) => d.attrs?.includes('Y'))?.text).toBe('tu');
  });

  it('leaves comments, CDATA and every malformed document to the full parser', () => {
    expect(readEventXml('<Event><!-- c --><System/></Event>')).toBeNull();
    expect(readEventXml('<Event><EventData><Data Name="a"><![CDATA[x]]></Data></EventData></Event>')).toBeNull();
    for (const bad of ['', '<Event>', '<Event></Evnt>', '<Event/><Event/>', 'x<Event/>', '<Event a=1/>', '<Event a="1/>', '<Event/>x', '< Event/>', '<Event></Event >x']) {
      expect(readEventXml(bad)).toBeNull();
      if (bad !== '<Event></Event >x') expect(parseXml(bad).ok).toBe(false);
    }
  });

  it('agrees with the full parser on truncated and mutated documents', () => {
    for (let i = 0; i <= DOC.length; i++) agrees(DOC.slice(0, i));
    const chars = ['<', '>', '/', '"', "'", '=', ' ', '&', 'a', '?', '!', '-', '\n'];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(DOC.length), fc.constantFrom(...chars), fc.boolean()), { maxLength: 4 }), (edits) => {
        let s = DOC;
        for (const [at, c, insert] of edits) s = s.slice(0, at) + c + s.slice(insert ? at : at + 1);
        agrees(s);
      }),
      { numRuns: 3000 },
    );
  });
});
