import type { Document, LineCounter, Node } from 'yaml';
import { isMap, isScalar } from 'yaml';

/** Line and column of the deepest node on keyPath that exists (the key itself for map entries). */
export function position(doc: Document, keyPath: (string | number)[], lc: LineCounter): { line: number; column: number } {
  let node: Node | null = doc.contents as Node | null;
  let offset = node?.range?.[0] ?? 0;
  for (const key of keyPath) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value as Node | null;
    } else if (node && 'items' in node && Array.isArray((node as { items: unknown[] }).items) && typeof key === 'number') {
      const item = (node as { items: Node[] }).items[key];
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  const { line, col } = lc.linePos(offset);
  return { line, column: col };
}

export function decodePointer(s: string): string | number {
  const text = s.replace(/~1/g, '/').replace(/~0/g, '~');
  return /^[0-9]+$/.test(text) ? Number(text) : text;
}
