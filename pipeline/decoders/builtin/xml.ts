/**
 * A small, bounded, non-throwing XML reader for regular event documents (Sysmon's
 * `<Event><System>…</System><EventData><Data Name="…">…</Data></EventData></Event>`).
 *
 * Supports elements, attributes (single or double quoted), self-closing tags, text, CDATA,
 * comments, an `<?xml …?>` prologue, and the entities &lt; &gt; &amp; &quot; &apos; &#NN; &#xHH;.
 * No DTDs, namespaces are kept as part of names. Every loop advances the position, depth and node
 * count are capped, and malformed input (truncated, mismatched tags) is an error, never an exception.
 */

export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  /** Concatenated text content directly inside this element. */
  text: string;
}

export type XmlResult = { ok: true; root: XmlNode } | { ok: false; error: string };

const MAX_DEPTH = 32;
const MAX_NODES = 4096;
const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;

/** XML whitespace: space, tab, CR, LF. */
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Replaces XML entities; unknown or malformed ones are kept as written. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9A-Fa-f]{1,6}|#[0-9]{1,7}|[A-Za-z]{2,4});/g, (whole, ent: string) => {
    if (ent[0] === '#') {
      const code = ent[1] === 'x' ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
      if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return whole;
      return String.fromCodePoint(code);
    }
    return ENTITIES[ent] ?? whole;
  });
}

export function parseXml(src: string): XmlResult {
  let pos = 0;
  const n = src.length;
  const stack: XmlNode[] = [];
  let root: XmlNode | null = null;
  let nodes = 0;

  const fail = (error: string): XmlResult => ({ ok: false, error: `${error} at offset ${pos}` });

  while (pos < n) {
    const lt = src.indexOf('<', pos);
    if (lt < 0) {
      const rest = src.slice(pos);
      if (stack.length > 0) return fail('unterminated element');
      if (rest.trim() !== '') return fail('text after the root element');
      pos = n;
      break;
    }
    if (lt > pos) {
      const text = src.slice(pos, lt);
      const top = stack[stack.length - 1];
      if (top) top.text += decodeEntities(text);
      else if (text.trim() !== '') return fail('text outside the root element');
    }
    pos = lt;
    const next = src.charCodeAt(pos + 1);
    if (next === 33 /* ! */ && src.startsWith('<!--', pos)) {
      const end = src.indexOf('-->', pos + 4);
      if (end < 0) return fail('unterminated comment');
      pos = end + 3;
      continue;
    }
    if (next === 33 && src.startsWith('<![CDATA[', pos)) {
      const end = src.indexOf(']]>', pos + 9);
      if (end < 0) return fail('unterminated CDATA');
      const top = stack[stack.length - 1];
      if (!top) return fail('CDATA outside the root element');
      top.text += src.slice(pos + 9, end);
      pos = end + 3;
      continue;
    }
    if (next === 63 /* ? */) {
      const end = src.indexOf('?>', pos + 2);
      if (end < 0) return fail('unterminated processing instruction');
      pos = end + 2;
      continue;
    }
    if (next === 33) return fail('DTD declarations are not supported');
    if (next === 47 /* / */) {
      NAME.lastIndex = pos + 2;
      const m = NAME.exec(src);
      if (!m) return fail('bad closing tag');
      pos = NAME.lastIndex;
      while (pos < n && isSpace(src.charCodeAt(pos))) pos++;
      if (src[pos] !== '>') return fail('unterminated closing tag');
      pos++;
      const top = stack.pop();
      if (!top) return fail(`unexpected </${m[0]}>`);
      if (top.name !== m[0]) return fail(`</${m[0]}> closes <${top.name}>`);
      continue;
    }
    // Start tag.
    NAME.lastIndex = pos + 1;
    const m = NAME.exec(src);
    if (!m) return fail('bad start tag');
    pos = NAME.lastIndex;
    if (root && stack.length === 0) return fail('more than one root element');
    if (++nodes > MAX_NODES) return fail('too many elements');
    if (stack.length >= MAX_DEPTH) return fail('elements nested too deep');
    const node: XmlNode = { name: m[0], attrs: Object.create(null) as Record<string, string>, children: [], text: '' };
    let selfClosing = false;
    for (;;) {
      while (pos < n && isSpace(src.charCodeAt(pos))) pos++;
      if (pos >= n) return fail('unterminated start tag');
      const c = src[pos];
      if (c === '>') { pos++; break; }
      if (c === '/') {
        if (src[pos + 1] !== '>') return fail('bad self-closing tag');
        pos += 2;
        selfClosing = true;
        break;
      }
      NAME.lastIndex = pos;
      const an = NAME.exec(src);
      if (!an) return fail('bad attribute name');
      pos = NAME.lastIndex;
      while (pos < n && isSpace(src.charCodeAt(pos))) pos++;
      if (src[pos] !== '=') return fail('attribute without value');
      pos++;
      while (pos < n && isSpace(src.charCodeAt(pos))) pos++;
      const q = src[pos];
      if (q !== '"' && q !== "'") return fail('unquoted attribute value');
      const end = src.indexOf(q, pos + 1);
      if (end < 0) return fail('unterminated attribute value');
      node.attrs[an[0]] = decodeEntities(src.slice(pos + 1, end));
      pos = end + 1;
    }
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(node);
    else root = node;
    if (!selfClosing) stack.push(node);
  }
  if (stack.length > 0) return fail(`unterminated element <${stack[stack.length - 1]!.name}>`);
  if (!root) return fail('no element');
  return { ok: true, root };
}

export function child(node: XmlNode, name: string): XmlNode | undefined {
  return node.children.find((c) => c.name === name);
}

/** An element kept by readEventXml: its name, direct text (entities decoded) and attributes. */
export interface LiteElement {
  name: string;
  text: string;
  /** Attribute names and values, alternating, in document order (null: none). */
  attrs: string[] | null;
}

/**
 * The parts of a Windows-style event document an event decoder reads: the root's name and the
 * direct children of the root's first `<System>` and first `<EventData>` (null when absent).
 */
export interface EventDoc {
  root: string;
  system: LiteElement[] | null;
  eventData: LiteElement[] | null;
}

/** The value of an attribute (the last one of that name, as parseXml keeps it). */
export function liteAttr(el: LiteElement | undefined, name: string): string | undefined {
  const a = el?.attrs;
  if (!a) return undefined;
  for (let i = a.length - 2; i >= 0; i -= 2) if (a[i] === name) return a[i + 1];
  return undefined;
}

/** The first element of that name in a list (as `child` finds it). */
export function liteChild(list: readonly LiteElement[] | null, name: string): LiteElement | undefined {
  if (list === null) return undefined;
  for (let i = 0; i < list.length; i++) if (list[i]!.name === name) return list[i];
  return undefined;
}

/** The EventDoc of a parseXml tree (for documents readEventXml leaves to the full parser). */
export function eventDocOf(root: XmlNode): EventDoc {
  const lite = (node: XmlNode): LiteElement => {
    const attrs: string[] = [];
    for (const k of Object.keys(node.attrs)) attrs.push(k, node.attrs[k]!);
    return { name: node.name, text: node.text, attrs: attrs.length > 0 ? attrs : null };
  };
  const system = child(root, 'System');
  const eventData = child(root, 'EventData');
  return { root: root.name, system: system ? system.children.map(lite) : null, eventData: eventData ? eventData.children.map(lite) : null };
}

/** ASCII code units by what they can be in a name: 2 first or later character, 1 later only, 0 neither. */
const NAME_CHARS = (() => {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58) t[c] = 2;
    else if ((c >= 48 && c <= 57) || c === 45 || c === 46) t[c] = 1;
  }
  return t;
})();

/** Whether code unit c can continue a name ([-A-Za-z0-9_:.]). */
const isNameChar = (c: number): boolean => c < 128 && NAME_CHARS[c]! !== 0;

/** End of an XML name starting at i (i itself when there is none): [A-Za-z_:][-A-Za-z0-9_:.]*. */
function nameEnd(src: string, i: number): number {
  const n = src.length;
  if (i >= n) return i;
  const c = src.charCodeAt(i);
  if (c >= 128 || NAME_CHARS[c] !== 2) return i;
  for (i++; i < n; i++) if (!isNameChar(src.charCodeAt(i))) break;
  return i;
}

/**
 * One pass over an event document that builds no tree: it checks the document as parseXml does
 * and keeps only what `eventDocOf(parseXml(src).root)` would give. Returns null for anything it
 * leaves to parseXml: every malformed document (so parseXml reports the error with its offset) and
 * the rare well-formed ones with comments, CDATA or a `<!` declaration.
 */
export function readEventXml(src: string): EventDoc | null {
  const n = src.length;
  let pos = 0;
  const names: string[] = [];
  /** Per open element: 0 nothing read, 1 the first System, 2 the first EventData, 3 a kept child of those. */
  const kinds: number[] = [];
  let root: string | null = null;
  let nodes = 0;
  let system: LiteElement[] | null = null;
  let eventData: LiteElement[] | null = null;
  let open: LiteElement | null = null; // the kept child that is open (only one can be: they are all at depth 2)
  while (pos < n) {
    const lt = src.indexOf('<', pos);
    if (lt < 0) {
      if (names.length > 0 || src.slice(pos).trim() !== '') return null;
      break;
    }
    if (lt > pos) {
      const depth = names.length;
      if (depth === 0) {
        if (src.slice(pos, lt).trim() !== '') return null;
      } else if (kinds[depth - 1] === 3) {
        open!.text += decodeEntities(src.slice(pos, lt));
      }
    }
    pos = lt;
    const next = src.charCodeAt(pos + 1);
    if (next === 33 /* ! */) return null;
    if (next === 63 /* ? */) {
      const end = src.indexOf('?>', pos + 2);
      if (end < 0) return null;
      pos = end + 2;
      continue;
    }
    if (next === 47 /* / */) {
      // The closing name must be the open element's name, and end there.
      const s = pos + 2;
      const top = names.pop();
      kinds.pop();
      if (top === undefined || !src.startsWith(top, s)) return null;
      pos = s + top.length;
      if (pos < n && isNameChar(src.charCodeAt(pos))) return null;
      while (pos < n && isSpace(src.charCodeAt(pos))) pos++;
      if (src.charCodeAt(pos) !== 62 /* > */) return null;
      pos++;
      continue;
    }
    // Start tag.
    const s = pos + 1;
    const e = nameEnd(src, s);
    if (e === s) return null;
    pos = e;
    const depth = names.length;
    if ((root !== null && depth === 0) || ++nodes > MAX_NODES || depth >= MAX_DEPTH) return null;
    const name = src.slice(s, e);
    let kind = 0;
    let el: LiteElement | null = null;
    if (depth === 1) {
      if (system === null && name === 'System') { kind = 1; system = []; }
      else if (eventData === null && name === 'EventData') { kind = 2; eventData = []; }
    } else if (depth === 2 && kinds[1] !== 0) {
      kind = 3;
      el = { name, text: '', attrs: null };
      (kinds[1] === 1 ? system : eventData)!.push(el);
    }
    let selfClosing = false;
    for (;;) {
      while (pos < n && isSpace(src.charCodeAt(pos))) pos++;
      if (pos >= n) return null;
      const c = src.charCodeAt(pos);
      if (c === 62 /* > */) { pos++; break; }
      if (c === 47 /* / */) {
        if (src.charCodeAt(pos + 1) !== 62) return null;
        pos += 2;
        selfClosing = true;
        break;
      }
      const as = pos;
      const ae = nameEnd(src, pos);
      if (ae === pos) return null;
      pos = ae;
      while (pos < n && isSpace(src.charCodeAt(pos))) pos++;
      if (src.charCodeAt(pos) !== 61 /* = */) return null;
      pos++;
      while (pos < n && isSpace(src.charCodeAt(pos))) pos++;
      const q = src.charCodeAt(pos);
      if (q !== 34 && q !== 39) return null;
      const end = src.indexOf(q === 34 ? '"' : "'", pos + 1);
      if (end < 0) return null;
      if (el !== null) (el.attrs ??= []).push(src.slice(as, ae), decodeEntities(src.slice(pos + 1, end)));
      pos = end + 1;
    }
    if (depth === 0) root = name;
    if (!selfClosing) {
      names.push(name);
      kinds.push(kind);
      if (kind === 3) open = el;
    }
  }
  if (names.length > 0 || root === null) return null;
  return { root, system, eventData };
}
