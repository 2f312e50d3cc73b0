/**
 * RFC 4180 CSV: comma-separated, fields optionally in double quotes (a quote inside doubled, commas
 * and line breaks allowed inside). Lines without a quote take a fast path (split), which is most
 * lines of an indicator feed. Blank lines and lines starting with `#` are skipped.
 */
export function parseCsv(text: string, onRecord: (fields: string[], line: number) => void): void {
  let pos = 0;
  let line = 0;
  const len = text.length;
  while (pos < len) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = len;
    line++;
    let row = text.slice(pos, nl);
    const startLine = line;
    pos = nl + 1;
    if (row.endsWith('\r')) row = row.slice(0, -1);
    if (row === '' || row.startsWith('#')) continue;
    if (!row.includes('"')) { onRecord(row.split(','), startLine); continue; }
    // Quoted fields: may continue over following lines while a quote is open.
    while (countQuotes(row) % 2 === 1 && pos < len) {
      let next = text.indexOf('\n', pos);
      if (next < 0) next = len;
      line++;
      row += `\n${text.slice(pos, next)}`;
      pos = next + 1;
      if (row.endsWith('\r')) row = row.slice(0, -1);
    }
    const fields = splitQuoted(row);
    if (fields === null) throw new Error(`line ${startLine}: unbalanced double quote`);
    onRecord(fields, startLine);
  }
}

function countQuotes(s: string): number {
  let n = 0;
  for (let i = s.indexOf('"'); i >= 0; i = s.indexOf('"', i + 1)) n++;
  return n;
}

function splitQuoted(row: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (row[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = row.indexOf('"', i);
        if (q < 0) return null;
        value += row.slice(i, q);
        if (row[q + 1] === '"') { value += '"'; i = q + 2; continue; }
        i = q + 1;
        break;
      }
      out.push(value);
      if (i >= row.length) return out;
      if (row[i] !== ',') return null;
      i++;
    } else {
      const comma = row.indexOf(',', i);
      if (comma < 0) { out.push(row.slice(i)); return out; }
      out.push(row.slice(i, comma));
      i = comma + 1;
    }
  }
}
