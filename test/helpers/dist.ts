import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Tests that start worker processes run the built code: fail clearly when `module` (a path under
 * dist/src) is missing.
 */
export function requireBuiltDist(module = 'index.js'): void {
  if (!existsSync(resolve(__dirname, '../../dist/src', module))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
}
