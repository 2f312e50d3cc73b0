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
