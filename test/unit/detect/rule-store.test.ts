import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileValidators } from '../../../schemas/validators';
import { RuleStore } from '../../../pipeline/detect/rule-store';
import { watchRulePaths } from '../../../pipeline/detect/watch';

const validators = compileValidators();
const rule = (id: string, word: string): string => `title: ${id}\nid: ${id}\ndetection:\n  sel:\n    message|contains: ${word}\n  condition: sel\n`;
const hits = (store: RuleStore, message: string): string[] => store.rules.filter((r) => r.matches({ message })).map((r) => r.id);

function tmpRules(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-store-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('the live rule store', () => {
  it('applies a changed rule and keeps the untouched ones', () => {
    const dir = tmpRules({ 'a.yml': rule('a', 'alpha'), 'sub/b.yml': rule('b', 'beta') });
    const store = new RuleStore([dir], validators.rule);
    expect(store.reload()).toMatchObject({ version: 1, rules: 2, rejected: [] });
    fs.writeFileSync(path.join(dir, 'a.yml'), rule('a', 'gamma'));
    const report = store.reload();
    expect(report).toMatchObject({ version: 2, applied: [path.join(dir, 'a.yml')], rejected: [], rules: 2 });
    expect(hits(store, 'gamma beta')).toEqual(['a', 'b']);
    expect(hits(store, 'alpha')).toEqual([]);
  });

  it('refuses an invalid change and keeps running the last good version of that file', () => {
    const dir = tmpRules({ 'a.yml': rule('a', 'alpha') });
    const store = new RuleStore([dir], validators.rule);
    store.reload();
    fs.writeFileSync(path.join(dir, 'a.yml'), 'title: a\nid: a\ndetection:\n  sel:\n    message|contains: omega\n  condition: sel and nope\n');
    const report = store.reload();
    expect(report.version).toBe(1);
    expect(report.rejected[0]!.problems[0]).toMatchObject({ line: 6, column: 3, code: 'HAETAE_RULE_CONDITION' });
    expect(hits(store, 'alpha')).toEqual(['a']);
    expect(hits(store, 'omega')).toEqual([]);
    expect(store.problems).toHaveLength(1);
    // Fixing it clears the problem and applies the fix.
    fs.writeFileSync(path.join(dir, 'a.yml'), rule('a', 'omega'));
    expect(store.reload()).toMatchObject({ version: 2, rejected: [] });
    expect(store.problems).toEqual([]);
    expect(hits(store, 'omega')).toEqual(['a']);
  });

  it('does nothing when no file changed, and drops the rules of a deleted file', () => {
    const dir = tmpRules({ 'a.yml': rule('a', 'alpha'), 'b.yml': rule('b', 'beta') });
    const store = new RuleStore([dir], validators.rule);
    store.reload();
    expect(store.reload()).toMatchObject({ version: 1, applied: [], removed: [] });
    fs.rmSync(path.join(dir, 'b.yml'));
    expect(store.reload()).toMatchObject({ version: 2, removed: [path.join(dir, 'b.yml')], rules: 1 });
  });

  it('refuses a new file that reuses a live rule id, pointing at the id', () => {
    const dir = tmpRules({ 'a.yml': rule('a', 'alpha') });
    const store = new RuleStore([dir], validators.rule);
    store.reload();
    fs.writeFileSync(path.join(dir, 'b.yml'), `# copy\n${rule('a', 'beta')}`);
    const report = store.reload();
    expect(report.rejected[0]!.problems[0]).toMatchObject({ code: 'HAETAE_RULE_DUPLICATE_ID', line: 3, column: 1 });
    expect(hits(store, 'alpha beta')).toEqual(['a']);
  });
});

describe('disabling a rule that throws', () => {
  it('takes it out of the live set until its file changes, and says why', () => {
    const dir = tmpRules({ 'a.yml': rule('a', 'alpha'), 'b.yml': rule('b', 'beta') });
    const store = new RuleStore([dir], validators.rule);
    store.reload();
    const before = store.rules;
    expect(store.disable('a', 'boom', new Date('2026-11-22T10:00:00Z'))).toBe(true);
    expect(store.rules).not.toBe(before); // a new version is published, the old array is untouched
    expect(hits(store, 'alpha beta')).toEqual(['b']);
    expect([...store.disabled]).toEqual([['a', { file: path.join(dir, 'a.yml'), error: 'boom', at: '2026-11-22T10:00:00.000Z' }]]);
    expect(store.disable('a', 'again')).toBe(false);
    // Other files changing does not bring it back…
    fs.writeFileSync(path.join(dir, 'b.yml'), rule('b', 'gamma'));
    store.reload();
    expect(hits(store, 'alpha gamma')).toEqual(['b']);
    // …a new version of its own file does.
    fs.writeFileSync(path.join(dir, 'a.yml'), rule('a', 'delta'));
    store.reload();
    expect(hits(store, 'delta gamma')).toEqual(['a', 'b']);
    expect(store.disabled.size).toBe(0);
  });
});

describe('watching rule directories', () => {
  it('notices a new file, a change in a new subdirectory, and an editor-style rename save', async () => {
    const dir = tmpRules({ 'a.yml': rule('a', 'alpha') });
    let calls = 0;
    const w = watchRulePaths([dir], () => { calls++; }, 50);
    const settle = async (): Promise<number> => {
      const before = calls;
      for (let i = 0; i < 100 && calls === before; i++) await new Promise((r) => setTimeout(r, 20));
      return calls - before;
    };
    try {
      fs.writeFileSync(path.join(dir, 'b.yml'), rule('b', 'beta'));
      expect(await settle()).toBeGreaterThanOrEqual(1);
      fs.mkdirSync(path.join(dir, 'sub'));
      expect(await settle()).toBeGreaterThanOrEqual(1);
      fs.writeFileSync(path.join(dir, 'sub', 'c.yml'), rule('c', 'gamma'));
      expect(await settle()).toBeGreaterThanOrEqual(1);
      fs.writeFileSync(path.join(dir, '.a.yml.swp'), rule('a', 'delta'));
      fs.renameSync(path.join(dir, '.a.yml.swp'), path.join(dir, 'a.yml'));
      expect(await settle()).toBeGreaterThanOrEqual(1);
    } finally {
      w.close();
    }
  });
});
