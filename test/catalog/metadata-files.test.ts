import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  findLatestMetadata,
  metadataFileName,
  parseMetadataVersion,
  readMetadataFile,
  writeMetadataFile,
} from '../../src/catalog/metadata-files.js';
import { CommitFailedError, CorruptMetadataError, NotFoundError, ValidationError } from '../../src/errors.js';
import type { FileIO } from '../../src/io/file-io.js';
import { LocalFileIO } from '../../src/io/local.js';
import { newTableMetadata, serializeTableMetadata } from '../../src/spec/metadata.js';
import { SCHEMA } from './contract.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'floe-meta-'));
  dirs.push(d);
  return d;
};
const io = new LocalFileIO();
const text = (s: string) => new Uint8Array(Buffer.from(s));

describe('metadata file names', () => {
  it('pads the version to five digits and adds a uuid, as Java does', () => {
    expect(metadataFileName(1)).toMatch(/^00001-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.metadata\.json$/);
    expect(metadataFileName(123456)).toMatch(/^123456-/);
    expect(metadataFileName(3, 'gzip')).toMatch(/^00003-.*\.gz\.metadata\.json$/);
    expect(metadataFileName(1)).not.toBe(metadataFileName(1));
    expect(() => metadataFileName(-1)).toThrow(ValidationError);
    expect(() => metadataFileName(1.5)).toThrow(ValidationError);
  });
  it('parses versions of every naming scheme', () => {
    expect(parseMetadataVersion('/w/t/metadata/00003-6b1c2a4e-1111-2222-3333-444455556666.metadata.json')).toBe(3);
    expect(parseMetadataVersion('s3://b/t/metadata/00012-x.gz.metadata.json')).toBe(12);
    expect(parseMetadataVersion('00007-x.metadata.json.gz')).toBe(7);
    expect(parseMetadataVersion('/t/metadata/v3.metadata.json')).toBe(3);
    expect(parseMetadataVersion('v41.gz.metadata.json')).toBe(41);
    expect(parseMetadataVersion('/t/metadata/version-hint.text')).toBeNull();
    expect(parseMetadataVersion('/t/metadata/snap-1.avro')).toBeNull();
    expect(parseMetadataVersion('/t/metadata/x-00003.metadata.json')).toBeNull();
  });
});

describe('reading and writing metadata files', () => {
  const metadata = (location: string) => newTableMetadata({ schema: SCHEMA, location });

  it('writes under <location>/metadata and never over an existing file', async () => {
    const loc = fresh();
    const m = metadata(loc);
    const path = await writeMetadataFile(io, `${loc}/`, m, 4);
    expect(path).toMatch(new RegExp(`^${loc}/metadata/00004-[0-9a-f-]{36}\\.metadata\\.json$`));
    expect((await readMetadataFile(io, path))['table-uuid']).toBe(m['table-uuid']);
    const taken: FileIO = { ...wrap(io), writeIfAbsent: async () => false };
    await expect(writeMetadataFile(taken, loc, m, 5)).rejects.toThrow(CommitFailedError);
  });

  it('reads gzip files whatever their suffix', async () => {
    const loc = fresh();
    const m = metadata(loc);
    for (const name of ['00001-a.gz.metadata.json', '00001-a.metadata.json.gz', 'v1.gz.metadata.json']) {
      await io.write(`${loc}/metadata/${name}`, new Uint8Array(gzipSync(serializeTableMetadata(m))));
      expect((await readMetadataFile(io, `${loc}/metadata/${name}`))['table-uuid']).toBe(m['table-uuid']);
    }
  });

  it('names the file when it is missing or corrupt', async () => {
    const loc = fresh();
    await expect(readMetadataFile(io, `${loc}/metadata/00001-x.metadata.json`)).rejects.toThrow(NotFoundError);
    await expect(readMetadataFile(io, `${loc}/metadata/00001-x.metadata.json`)).rejects.toThrow(/00001-x\.metadata\.json/);
    const cases: [string, Uint8Array][] = [
      ['bad-json.metadata.json', text('{"format-version": 2,')],
      ['not-object.metadata.json', text('[1, 2]')],
      ['no-fields.metadata.json', text('{"format-version": 2}')],
      ['bad-version.metadata.json', text('{"format-version": 9}')],
      ['bad-gzip.gz.metadata.json', Uint8Array.of(0x1f, 0x8b, 0x08, 0x00, 0x01)],
      ['empty.metadata.json', new Uint8Array(0)],
    ];
    for (const [name, bytes] of cases) {
      await io.write(`${loc}/metadata/${name}`, bytes);
      const read = readMetadataFile(io, `${loc}/metadata/${name}`);
      await expect(read, name).rejects.toThrow(CorruptMetadataError);
      await expect(readMetadataFile(io, `${loc}/metadata/${name}`), name).rejects.toThrow(name);
    }
  });
});

describe('findLatestMetadata', () => {
  const put = async (dir: string, name: string, content = '{}') => io.write(`${dir}/metadata/${name}`, text(content));

  it('picks the highest version when there is no hint', async () => {
    const dir = fresh();
    await put(dir, '00001-a.metadata.json');
    await put(dir, '00010-b.metadata.json');
    await put(dir, '00002-c.metadata.json');
    await put(dir, 'snap-99.avro');
    expect(await findLatestMetadata(io, dir)).toBe(`${dir}/metadata/00010-b.metadata.json`);
    const hadoop = fresh();
    await put(hadoop, 'v1.metadata.json');
    await put(hadoop, 'v2.gz.metadata.json');
    expect(await findLatestMetadata(io, `${hadoop}/`)).toBe(`${hadoop}/metadata/v2.gz.metadata.json`);
  });

  it('follows version-hint.text as a number or a file name', async () => {
    const dir = fresh();
    await put(dir, 'v1.metadata.json');
    await put(dir, 'v2.metadata.json');
    await put(dir, 'v3.metadata.json');
    await put(dir, 'version-hint.text', '2\n');
    expect(await findLatestMetadata(io, dir)).toBe(`${dir}/metadata/v2.metadata.json`);
    const gz = fresh();
    await put(gz, 'v5.gz.metadata.json');
    await put(gz, 'version-hint.text', '5');
    expect(await findLatestMetadata(io, gz)).toBe(`${gz}/metadata/v5.gz.metadata.json`);
    const java = fresh();
    await put(java, '00004-x.metadata.json');
    await put(java, '00005-y.metadata.json');
    await put(java, 'version-hint.text', '4');
    expect(await findLatestMetadata(io, java)).toBe(`${java}/metadata/00004-x.metadata.json`);
    await put(java, 'version-hint.text', '00005-y.metadata.json');
    expect(await findLatestMetadata(io, java)).toBe(`${java}/metadata/00005-y.metadata.json`);
    // A hint naming a file that is not there falls back to the highest version.
    await put(java, 'version-hint.text', '9');
    expect(await findLatestMetadata(io, java)).toBe(`${java}/metadata/00005-y.metadata.json`);
  });

  it('is NotFoundError when the folder holds no metadata', async () => {
    const dir = fresh();
    await expect(findLatestMetadata(io, dir)).rejects.toThrow(NotFoundError);
    await put(dir, 'snap-1.avro');
    await expect(findLatestMetadata(io, dir)).rejects.toThrow(/no metadata file/);
  });
});

function wrap(inner: FileIO): FileIO {
  return {
    read: (p) => inner.read(p),
    write: (p, d) => inner.write(p, d),
    writeIfAbsent: (p, d) => inner.writeIfAbsent(p, d),
    stat: (p) => inner.stat(p),
    delete: (p) => inner.delete(p),
    list: (p) => inner.list(p),
    localPath: (p) => inner.localPath(p),
  };
}
