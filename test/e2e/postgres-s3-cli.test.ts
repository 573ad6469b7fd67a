import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startPostgres } from '../helpers/postgres.js';
import { S3RVER_CREDENTIALS, s3CliEnv, setEnv, startS3Server } from '../helpers/s3-server.js';

// Writers on several machines sharing one catalog: `floe --warehouse s3://… --catalog postgres://…`,
// each "machine" with its own S3 cache folder, data on s3rver, the catalog on a local PostgreSQL.
const BUCKET = 'shared-lake';
const pgServer = await startPostgres();
const dirs: string[] = [];
afterAll(() => {
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  if (typeof pgServer !== 'string') pgServer.stop();
});

if (typeof pgServer === 'string') {
  describe('floe --warehouse s3://… --catalog postgres://…', () => {
    it('needs a local PostgreSQL server', () => {
      console.log(`skipping the Postgres + S3 CLI tests: ${pgServer}`);
    });
  });
} else {
  const url = pgServer.url;
  const s3server = await startS3Server([BUCKET]);
  const s3 = new S3Client({ endpoint: s3server.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: S3RVER_CREDENTIALS });
  afterAll(async () => {
    s3.destroy();
    await s3server.close();
  });
  const machine = () => {
    const cache = mkdtempSync(join(tmpdir(), 'floe-pg-s3-cache-'));
    dirs.push(cache);
    return async (...args: string[]): Promise<unknown> => {
      const restoreEnv = setEnv(s3CliEnv(s3server, cache));
      let out = '';
      let err = '';
      try {
        const code = await main(['node', 'floe', '--warehouse', `s3://${BUCKET}/wh`, '--catalog', url, '--format', 'json', ...args], {
          out: (s) => (out += s),
          err: (s) => (err += s),
          isTty: false,
        });
        expect(code, err).toBe(0);
      } finally {
        restoreEnv();
      }
      return out.trim() === '' ? undefined : JSON.parse(out);
    };
  };
  const keys = async (prefix: string): Promise<string[]> =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!).sort();

  describe('floe --warehouse s3://… --catalog postgres://…', () => {
    it('shares tables between machines: DML, time travel and maintenance, the catalog rows in Postgres', async () => {
      const a = machine();
      const b = machine();
      await a('sql', `CREATE NAMESPACE ops; CREATE TABLE ops.jobs (id INT, state STRING) TBLPROPERTIES ('write.delete.mode' = 'merge-on-read')`);
      await a('sql', `INSERT INTO ops.jobs VALUES (1, 'new'), (2, 'new'), (3, 'new')`);
      const [{ snapshot_id: first }] = (await b('sql', `SELECT snapshot_id FROM ops."jobs$snapshots"`)) as { snapshot_id: number }[] as [{ snapshot_id: number }];
      await b('sql', `DELETE FROM ops.jobs WHERE id = 2`);
      await a('sql', `MERGE INTO ops.jobs t USING (VALUES (3, 'done'), (4, 'new')) AS s(id, state) ON t.id = s.id
        WHEN MATCHED THEN UPDATE SET state = s.state WHEN NOT MATCHED THEN INSERT *`);
      const now = [{ id: 1, state: 'new' }, { id: 3, state: 'done' }, { id: 4, state: 'new' }];
      expect(await b('sql', 'SELECT id, state FROM ops.jobs ORDER BY id')).toEqual(now);
      expect(await a('sql', `SELECT count(*) AS n FROM ops.jobs FOR VERSION AS OF ${first}`)).toEqual([{ n: 3 }]);

      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const rows = (await client.query(`SELECT metadata_location FROM iceberg_tables WHERE table_namespace = 'ops' AND table_name = 'jobs'`)).rows as { metadata_location: string }[];
        expect(rows).toHaveLength(1);
        expect(rows[0]!.metadata_location).toMatch(new RegExp(`^s3://${BUCKET}/wh/ops\\.db/jobs/metadata/`));
      } finally {
        await client.end();
      }

      const stray = 'wh/ops.db/jobs/data/leftover.parquet';
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: stray, Body: 'x' }));
      const data = (await keys('wh/ops.db/jobs/data/')).filter((k) => k !== stray);
      expect(await b('maintain', 'orphans', 'ops.jobs', '--older-than', '0s', '--dry-run')).toEqual([expect.objectContaining({ path: `s3://${BUCKET}/${stray}` })]);
      await b('maintain', 'orphans', 'ops.jobs', '--older-than', '0s');
      expect(await keys('wh/ops.db/jobs/data/')).toEqual(data);
      await a('maintain', 'expire', 'ops.jobs', '--older-than', '0s', '--retain-last', '1');
      expect(await b('sql', `SELECT count(*) AS n FROM ops."jobs$snapshots"`)).toEqual([{ n: 1 }]);
      expect(await b('sql', 'SELECT id, state FROM ops.jobs ORDER BY id')).toEqual(now);
    });
  });
}
