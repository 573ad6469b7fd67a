import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import avro from 'avsc';
import { CorruptMetadataError, UnsupportedError } from '../errors.js';

/**
 * Avro object container files (Avro spec: "Object Container Files"), read and written
 * synchronously over in-memory bytes. `avsc` encodes and decodes the records; Avro `long`
 * values are exchanged as `bigint` so 64-bit snapshot ids and counts stay exact.
 */

const BigLong = avro.types.LongType.__with({
  fromBuffer: (b: Buffer) => b.readBigInt64LE(0),
  toBuffer: (n: bigint | number) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt(n));
    return b;
  },
  fromJSON: (x: unknown) => BigInt(x as number),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint' || (typeof n === 'number' && Number.isInteger(n)),
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

const TYPE_OPTIONS = {
  typeHook: (schema: unknown) =>
    typeof schema === 'object' && schema !== null && (schema as { type?: unknown }).type === 'long' ? BigLong : undefined,
  // Unknown logical types (Iceberg's decimal/uuid/timestamp-micros) decode as their underlying type.
  wrapUnions: false,
};

export type AvroSchema = Record<string, unknown> | string | unknown[];

export function avroType(schema: AvroSchema): avro.Type {
  // A fresh registry per schema: avsc records named types in it.
  const options = { ...TYPE_OPTIONS, registry: { long: BigLong } };
  return avro.Type.forSchema(schema as avro.Schema, options as unknown as Partial<avro.ForSchemaOptions>);
}

/**
 * Decoders by schema text: building an avsc type costs far more than decoding a small manifest,
 * and a table's manifests share a handful of schemas. Types are immutable once built.
 */
const typeCache = new Map<string, avro.Type>();

function cachedType(schemaText: string, schema: AvroSchema): avro.Type {
  let type = typeCache.get(schemaText);
  if (!type) {
    type = avroType(schema);
    typeCache.set(schemaText, type);
    if (typeCache.size > 256) typeCache.delete(typeCache.keys().next().value as string);
  }
  return type;
}

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]);
const headerType = avro.Type.forSchema({
  type: 'record',
  name: 'org.apache.avro.file.Header',
  fields: [
    { name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } },
    { name: 'meta', type: { type: 'map', values: 'bytes' } },
    { name: 'sync', type: { type: 'fixed', name: 'Sync', size: 16 } },
  ],
});
const plainLong = avro.Type.forSchema('long');

export interface AvroFile {
  /** The writer's schema as JSON (parsed `avro.schema`). */
  schema: Record<string, unknown>;
  /** Key-value metadata other than `avro.*`, as text. */
  metadata: Record<string, string>;
  records: Record<string, unknown>[];
}

export function readAvroFile(bytes: Uint8Array, what: string): AvroFile {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC)) throw new CorruptMetadataError(`${what} is not an Avro file`);
  try {
    const { value: header, offset } = headerType.decode(buf, 0) as { value: { meta: Record<string, Buffer>; sync: Buffer }; offset: number };
    if (offset < 0) throw new Error('truncated header');
    const schemaText = header.meta['avro.schema']?.toString('utf8');
    if (!schemaText) throw new Error('no avro.schema in the header');
    const codec = header.meta['avro.codec']?.toString('utf8') ?? 'null';
    const schema = JSON.parse(schemaText) as Record<string, unknown>;
    const type = cachedType(schemaText, schema);
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(header.meta)) if (!k.startsWith('avro.')) metadata[k] = v.toString('utf8');
    const records: Record<string, unknown>[] = [];
    let pos = offset;
    while (pos < buf.length) {
      const count = plainLong.decode(buf, pos);
      const size = plainLong.decode(buf, count.offset);
      if (count.offset < 0 || size.offset < 0) throw new Error('truncated block header');
      const start = size.offset;
      const end = start + (size.value as number);
      if (end + 16 > buf.length) throw new Error('truncated block');
      let block = buf.subarray(start, end);
      if (codec === 'deflate') block = inflateRawSync(block);
      else if (codec !== 'null') throw new UnsupportedError(`${what} uses Avro codec '${codec}' (floe reads null and deflate)`);
      let p = 0;
      for (let i = 0; i < (count.value as number); i++) {
        const r = type.decode(block, p);
        if (r.offset < 0) throw new Error('truncated record');
        records.push(r.value as Record<string, unknown>);
        p = r.offset;
      }
      if (!buf.subarray(end, end + 16).equals(header.sync)) throw new Error('sync marker mismatch');
      pos = end + 16;
    }
    return { schema, metadata, records };
  } catch (e) {
    if (e instanceof UnsupportedError) throw e;
    throw new CorruptMetadataError(`${what} is not a readable Avro file: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function writeAvroFile(schema: Record<string, unknown>, metadata: Record<string, string>, records: unknown[]): Uint8Array {
  const schemaText = JSON.stringify(schema);
  const type = cachedType(schemaText, schema);
  const meta: Record<string, Buffer> = {
    'avro.schema': Buffer.from(schemaText, 'utf8'),
    'avro.codec': Buffer.from('deflate', 'utf8'),
  };
  for (const [k, v] of Object.entries(metadata)) meta[k] = Buffer.from(v, 'utf8');
  const sync = randomBytes(16);
  const header = headerType.toBuffer({ magic: MAGIC, meta, sync });
  const chunks: Buffer[] = [header];
  if (records.length > 0) {
    const body = deflateRawSync(Buffer.concat(records.map((r) => type.toBuffer(r))));
    chunks.push(plainLong.toBuffer(records.length), plainLong.toBuffer(body.length), body, sync);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
