import type { IcebergType, NestedField, PrimitiveTypeName, StructType } from '../spec/types.js';
import { UnsupportedError, ValidationError } from '../errors.js';
import type { SqlType } from './ast.js';

/**
 * SQL column types → Iceberg types. Field ids are placeholders numbered from `nextId`; table
 * creation reassigns fresh ids anyway (spec: new tables assign ids from 1).
 */
export function icebergTypeOf(t: SqlType, nextId: () => number): IcebergType {
  switch (t.kind) {
    case 'primitive':
      return t.name as PrimitiveTypeName;
    case 'decimal':
      if (t.precision < 1 || t.precision > 38 || t.scale < 0 || t.scale > t.precision) {
        throw new ValidationError(`invalid decimal(${t.precision}, ${t.scale}): precision 1–38, scale 0–precision`);
      }
      return `decimal(${t.precision}, ${t.scale})`;
    case 'fixed':
      return `fixed[${t.length}]`;
    case 'struct':
      return {
        type: 'struct',
        fields: t.fields.map((f) => ({
          id: nextId(),
          name: f.name,
          required: f.notNull,
          type: icebergTypeOf(f.type, nextId),
          ...(f.comment !== undefined ? { doc: f.comment } : {}),
        })),
      };
    case 'list': {
      const id = nextId();
      return { type: 'list', 'element-id': id, element: icebergTypeOf(t.element, nextId), 'element-required': false };
    }
    case 'map': {
      const keyId = nextId();
      const valueId = nextId();
      return {
        type: 'map',
        'key-id': keyId,
        key: icebergTypeOf(t.key, nextId),
        'value-id': valueId,
        value: icebergTypeOf(t.value, nextId),
        'value-required': false,
      };
    }
    default: {
      const never: never = t;
      throw new Error(`unknown SQL type ${String(never)}`);
    }
  }
}

/** DuckDB's type spelling (from DESCRIBE) → Iceberg type, for CREATE TABLE … AS SELECT. */
export function icebergTypeOfDuckdb(typeText: string, nextId: () => number): IcebergType {
  const p = new TypeParser(typeText);
  const t = p.parse(nextId);
  p.expectEnd();
  return t;
}

class TypeParser {
  private pos = 0;
  constructor(private readonly s: string) {}

  expectEnd(): void {
    this.ws();
    if (this.pos < this.s.length) throw new ValidationError(`cannot read type '${this.s}'`);
  }

  parse(nextId: () => number): IcebergType {
    this.ws();
    let t = this.base(nextId);
    for (;;) {
      this.ws();
      if (this.s.startsWith('[]', this.pos)) {
        this.pos += 2;
        t = { type: 'list', 'element-id': nextId(), element: t, 'element-required': false };
        continue;
      }
      return t;
    }
  }

  private base(nextId: () => number): IcebergType {
    const word = this.word().toUpperCase();
    switch (word) {
      case 'BOOLEAN':
        return 'boolean';
      case 'TINYINT':
      case 'SMALLINT':
      case 'INTEGER':
      case 'UTINYINT':
      case 'USMALLINT':
        return 'int';
      case 'BIGINT':
      case 'UINTEGER':
        return 'long';
      case 'HUGEINT':
      case 'UBIGINT':
        return 'decimal(38, 0)';
      case 'FLOAT':
        return 'float';
      case 'DOUBLE':
        return 'double';
      case 'DECIMAL': {
        this.ws();
        if (this.s[this.pos] !== '(') return 'decimal(18, 3)';
        const [p, sc] = this.args();
        return `decimal(${p}, ${sc ?? 0})`;
      }
      case 'VARCHAR':
      case 'JSON':
        return 'string';
      case 'DATE':
        return 'date';
      case 'TIME':
        return 'time';
      case 'TIMESTAMP':
        if (this.s.slice(this.pos).toUpperCase().startsWith(' WITH TIME ZONE')) {
          this.pos += ' WITH TIME ZONE'.length;
          return 'timestamptz';
        }
        return 'timestamp';
      case 'TIMESTAMPTZ':
        return 'timestamptz';
      case 'TIMESTAMP_NS':
        return 'timestamp_ns';
      case 'TIMESTAMP_MS':
      case 'TIMESTAMP_S':
        return 'timestamp';
      case 'UUID':
        return 'uuid';
      case 'BLOB':
        return 'binary';
      case 'STRUCT': {
        const fields: NestedField[] = [];
        this.expect('(');
        for (;;) {
          this.ws();
          const name = this.name();
          const id = nextId();
          const type = this.parse(nextId);
          fields.push({ id, name, required: false, type });
          this.ws();
          if (this.s[this.pos] === ',') {
            this.pos++;
            continue;
          }
          this.expect(')');
          break;
        }
        const st: StructType = { type: 'struct', fields };
        return st;
      }
      case 'MAP': {
        this.expect('(');
        const keyId = nextId();
        const valueId = nextId();
        const key = this.parse(nextId);
        this.expect(',');
        const value = this.parse(nextId);
        this.expect(')');
        return { type: 'map', 'key-id': keyId, key, 'value-id': valueId, value, 'value-required': false };
      }
      case 'NULL':
      case '"NULL"':
        return 'string';
      default:
        throw new UnsupportedError(`DuckDB type ${word} has no Iceberg equivalent`);
    }
  }

  private args(): number[] {
    this.expect('(');
    const out: number[] = [];
    for (;;) {
      this.ws();
      const m = /^\d+/.exec(this.s.slice(this.pos));
      if (!m) throw new ValidationError(`cannot read type '${this.s}'`);
      out.push(Number(m[0]));
      this.pos += m[0].length;
      this.ws();
      if (this.s[this.pos] === ',') {
        this.pos++;
        continue;
      }
      this.expect(')');
      return out;
    }
  }

  private name(): string {
    if (this.s[this.pos] === '"') {
      let out = '';
      this.pos++;
      while (this.pos < this.s.length) {
        const c = this.s[this.pos]!;
        if (c === '"') {
          if (this.s[this.pos + 1] === '"') {
            out += '"';
            this.pos += 2;
            continue;
          }
          this.pos++;
          return out;
        }
        out += c;
        this.pos++;
      }
      throw new ValidationError(`cannot read type '${this.s}'`);
    }
    return this.word();
  }

  private word(): string {
    this.ws();
    const m = /^("NULL"|[A-Za-z_][A-Za-z0-9_]*)/.exec(this.s.slice(this.pos));
    if (!m) throw new ValidationError(`cannot read type '${this.s}'`);
    this.pos += m[0].length;
    return m[0];
  }

  private expect(c: string): void {
    this.ws();
    if (this.s[this.pos] !== c) throw new ValidationError(`cannot read type '${this.s}'`);
    this.pos++;
  }

  private ws(): void {
    while (this.s[this.pos] === ' ') this.pos++;
  }
}
