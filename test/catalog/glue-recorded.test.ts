import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GlueCatalog } from '../../src/catalog/glue.js';
import { writeMetadataFile } from '../../src/catalog/metadata-files.js';
import { AccessDeniedError, CommitFailedError, IoError, NotFoundError } from '../../src/errors.js';
import { LocalFileIO } from '../../src/io/local.js';
import { newTableMetadata } from '../../src/spec/metadata.js';
import { SCHEMA } from './contract.js';
import { replayClient } from './glue-replay.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const io = new LocalFileIO();
const orders = { namespace: ['sales'], name: 'orders' };

/** A table folder with one metadata file, named in the fixture as ${LOCATION} and ${METADATA}. */
async function tableOnDisk(): Promise<{ LOCATION: string; METADATA: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'floe-gluerec-'));
  dirs.push(dir);
  const location = `${dir}/sales.db/orders`;
  const metadata = newTableMetadata({ schema: SCHEMA, location, properties: {}, formatVersion: 2 });
  return { LOCATION: location, METADATA: await writeMetadataFile(io, location, metadata, 3) };
}

function catalog(fixture: string, vars: Record<string, string> = {}, maxAttempts?: number) {
  const replay = replayClient(fixture, vars, maxAttempts ? { maxAttempts } : {});
  return { ...replay, catalog: new GlueCatalog({ warehouse: tmpdir(), io, client: replay.client }) };
}

describe('glue catalog against recorded Glue responses', () => {
  it('follows NextToken through GetTables pages and keeps only Iceberg tables', async () => {
    const { catalog: c, sent, remaining } = catalog('get-tables-paginated.json');
    expect(await c.listTables(['sales'])).toEqual([
      { namespace: ['sales'], name: 'customers' },
      { namespace: ['sales'], name: 'orders' },
    ]);
    expect(remaining()).toBe(0);
    expect(sent.map((s) => s.body['NextToken'] ?? null)).toEqual([null, 'eyJsYXN0RXZhbHVhdGVkS2V5Ijp7Ik5hbWUiOiJyYXdfY2xpY2tzIn19']);
  });

  it('follows NextToken through GetDatabases pages', async () => {
    const { catalog: c, remaining } = catalog('get-databases-paginated.json');
    expect(await c.listNamespaces()).toEqual([['analytics'], ['default'], ['sales']]);
    expect(remaining()).toBe(0);
  });

  it('retries ThrottlingException with the SDK backoff, then succeeds', async () => {
    const vars = await tableOnDisk();
    const { catalog: c, sent } = catalog('throttling.json', vars);
    const t = await c.loadTable(orders);
    expect(t.metadataLocation).toBe(vars.METADATA);
    expect(sent).toHaveLength(3);
  });

  it('reports throttling that outlasts the retries as one line naming the table', async () => {
    const vars = await tableOnDisk();
    const { catalog: c, sent } = catalog('throttling.json', vars, 2);
    const err = await c.loadTable(orders).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IoError);
    expect(String((err as Error).message)).toMatch(/^Glue GetTable on table sales\.orders kept being throttled after retries \(ThrottlingException\): Rate exceeded$/);
    expect(sent).toHaveLength(2);
  });

  it('turns AccessDeniedException into AccessDeniedError naming the resource, without retrying', async () => {
    const { catalog: c, sent } = catalog('access-denied.json');
    const err = await c.loadTable(orders).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccessDeniedError);
    expect((err as Error).message).toMatch(/^access denied to Glue table sales\.orders \(GetTable\): User: arn:aws:iam::123456789012:user\/analyst is not authorized/);
    expect((err as Error).message).not.toContain('\n');
    expect(sent).toHaveLength(1);
  });

  it('turns ConcurrentModificationException on UpdateTable into CommitFailedError and deletes the unreferenced file', async () => {
    const vars = await tableOnDisk();
    const { catalog: c, sent, remaining } = catalog('concurrent-modification.json', vars);
    const err = await c.commitTable(orders, [], [{ action: 'set-properties', updates: { a: '1' } }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommitFailedError);
    expect((err as Error).message).toMatch(/commit to sales\.orders failed: Glue detected a concurrent update of version 7/);
    expect(remaining()).toBe(0);
    // The UpdateTable request as sent: the new pointer, the old one as previous, the other parameters and SerDe kept.
    const update = sent[2]!.body as { TableInput: { Name: string; TableType: string; Parameters: Record<string, string>; StorageDescriptor: { Location: string; SerdeInfo?: unknown; Columns: unknown[] } } };
    expect(update.TableInput.Name).toBe('orders');
    expect(update.TableInput.TableType).toBe('EXTERNAL_TABLE');
    expect(update.TableInput.Parameters).toEqual({
      table_type: 'ICEBERG',
      EXTERNAL: 'TRUE',
      metadata_location: expect.stringMatching(/\/metadata\/00004-[0-9a-f-]{36}\.metadata\.json$/),
      previous_metadata_location: vars.METADATA,
    });
    expect(update.TableInput.StorageDescriptor.Location).toBe(vars.LOCATION);
    expect(update.TableInput.StorageDescriptor.SerdeInfo).toEqual({ SerializationLibrary: 'org.apache.iceberg.mr.hive.HiveIcebergSerDe' });
    expect(readdirSync(`${vars.LOCATION}/metadata`)).toEqual([vars.METADATA.slice(vars.METADATA.lastIndexOf('/') + 1)]);
  });

  it('turns EntityNotFoundException into NotFoundError for tables and databases', async () => {
    const { catalog: c } = catalog('entity-not-found.json');
    await expect(c.loadTable({ namespace: ['sales'], name: 'gone' })).rejects.toThrow(NotFoundError);
    await expect(c.listTables(['nowhere'])).rejects.toThrow(/^namespace nowhere does not exist$/);
  });

  it('says plainly that the credentials have expired', async () => {
    const { catalog: c } = catalog('expired-token.json');
    const err = await c.listNamespaces().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccessDeniedError);
    expect((err as Error).message).toMatch(/^the AWS credentials have expired \(ExpiredTokenException\) while calling Glue GetDatabases on databases: refresh them/);
  });
});
