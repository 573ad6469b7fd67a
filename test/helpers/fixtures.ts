import { existsSync } from 'node:fs';
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The foreign tables shipped beside the project (written by Spark and PyIceberg). */
export const FIXTURES = resolve(__dirname, '../../../shared/fixtures/iceberg');
export const haveFixtures = existsSync(FIXTURES);
if (!haveFixtures) console.log(`skipping foreign-table tests: ${FIXTURES} is absent`);

/** Copies a fixture table to a temp folder (tests never write near the originals). */
export async function copyFixture(rel: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'floe-fixture-'));
  const dest = join(dir, rel.split('/').pop()!);
  await cp(join(FIXTURES, rel), dest, { recursive: true });
  return dest;
}
