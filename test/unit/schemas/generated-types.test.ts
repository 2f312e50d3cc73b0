import { spawnSync } from 'node:child_process';
import path from 'node:path';

describe('schemas/generated/types.ts', () => {
  it('matches what scripts/build-schemas.js generates from the schemas (run npm run build:schemas)', () => {
    // A child process: the generator's formatter (prettier) uses dynamic import, which jest's
    // module sandbox does not allow.
    const root = path.join(__dirname, '..', '..', '..');
    const res = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-schemas.js'), '--check'], { cwd: root, encoding: 'utf8' });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
  });
});
