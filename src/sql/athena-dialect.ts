import type { ColumnDef, PartitionTerm, SqlType, Statement } from './ast.js';
import { parseStatement } from './parser.js';

/**
 * Routing of floe/Spark-style lakehouse statements to Athena (engine version 3) on Iceberg.
 * Statements Athena runs natively on Iceberg — CREATE TABLE … TBLPROPERTIES ('table_type' =
 * 'ICEBERG'), INSERT INTO, DELETE, UPDATE, MERGE INTO, OPTIMIZE … REWRITE DATA USING BIN_PACK,
 * VACUUM, SELECT with FOR VERSION/TIMESTAMP AS OF — go as written. A few that Athena spells
 * differently are translated (Spark's `USING iceberg` CREATE TABLE, CTAS, CREATE NAMESPACE);
 * statements Athena rejects on Iceberg get a warning before they are sent
 * (source: Athena user guide, "Querying Iceberg tables" and "Supported DDL/DML for Iceberg").
 */
export interface AthenaRoute {
  /** The text to send to Athena. */
  sql: string;
  /** Human-readable warnings, printed on stderr before the statement runs. */
  warnings: string[];
  /** Whether floe rewrote the statement. */
  translated: boolean;
  /** Parsed statement when floe's parser understood it. */
  statement?: Statement;
}

/** Athena's own TBLPROPERTIES for Iceberg tables; other keys make CREATE TABLE fail there. */
const ATHENA_ICEBERG_PROPERTIES = new Set([
  'table_type',
  'format',
  'write_compression',
  'write_target_data_file_size_bytes',
  'optimize_rewrite_min_data_file_size_bytes',
  'optimize_rewrite_max_data_file_size_bytes',
  'optimize_rewrite_data_file_threshold',
  'optimize_rewrite_delete_file_threshold',
  'vacuum_min_snapshots_to_keep',
  'vacuum_max_snapshot_age_seconds',
  'vacuum_max_metadata_files_to_keep',
]);

/** Athena writes at most this many partitions in one INSERT INTO / CTAS (Athena limit). */
export const ATHENA_MAX_PARTITIONS_PER_WRITE = 100;

export function routeForAthena(text: string): AthenaRoute {
  const sql = text.trim().replace(/;\s*$/, '');
  const r = route(sql);
  return { ...r, translated: r.sql !== sql };
}

function route(sql: string): AthenaRoute {
  let stmt: Statement;
  try {
    stmt = parseStatement(sql);
  } catch {
    // Athena-only syntax (SHOW DATABASES, MSCK, …): Athena judges it.
    return { sql, warnings: [], translated: false };
  }
  const warnings: string[] = [];
  const same = (): AthenaRoute => ({ sql, warnings, translated: false, statement: stmt });
  switch (stmt.kind) {
    case 'query':
    case 'delete':
    case 'update':
    case 'optimize':
    case 'vacuum':
    case 'dropTable':
    case 'describe':
    case 'showCreateTable':
    case 'showTblProperties':
    case 'showTables':
    case 'dropNamespace':
    case 'set':
      return same();
    case 'merge':
      if (stmt.clauses.some((c) => c.action.type === 'updateAll' || c.action.type === 'insertAll')) {
        warnings.push('Athena MERGE INTO does not accept Spark\'s UPDATE SET * / INSERT *: list the columns');
      }
      return same();
    case 'insert':
      if (stmt.overwrite) warnings.push('Athena does not support INSERT OVERWRITE on Iceberg tables: use DELETE then INSERT INTO, or MERGE INTO');
      if (stmt.branch !== undefined) warnings.push(`Athena cannot write to Iceberg branches (branch_${stmt.branch})`);
      return same();
    case 'call':
      warnings.push(`Athena does not support CALL procedures (${stmt.procedure.join('.')}): run it with floe's own engine (--engine duckdb)`);
      return same();
    case 'alterTable': {
      const a = stmt.action;
      switch (a.type) {
        case 'createRef':
        case 'dropRef':
          warnings.push(`Athena does not support ${a.type === 'createRef' ? 'CREATE' : 'DROP'} ${a.refType.toUpperCase()} on Iceberg tables: use floe's own engine`);
          break;
        case 'addColumns':
          if (a.columns.some((c) => c.default !== undefined)) warnings.push('column DEFAULT values are an Iceberg v3 feature that Athena does not write');
          break;
        case 'setProperties':
          if (isV3(a.properties)) warnings.push('Athena does not support Iceberg format version 3');
          break;
        case 'addPartitionField':
        case 'dropPartitionField':
        case 'replacePartitionField':
        case 'writeOrderedBy':
        case 'writeUnordered':
        case 'setIdentifierFields':
        case 'dropIdentifierFields':
          warnings.push(`Athena does not support this ALTER TABLE form (${a.type}) on Iceberg tables: use floe's own engine`);
          break;
        case 'dropColumn':
        case 'renameColumn':
        case 'alterColumn':
        case 'unsetProperties':
        case 'renameTable':
          break;
        default: {
          const never: never = a;
          throw new Error(`unknown ALTER action ${String(never)}`);
        }
      }
      return same();
    }
    case 'createNamespace':
      // Athena's DDL is Hive's: CREATE DATABASE.
      return {
        sql: `CREATE DATABASE ${stmt.ifNotExists ? 'IF NOT EXISTS ' : ''}${stmt.name.map(hiveIdent).join('.')}`,
        warnings,
        translated: true,
        statement: stmt,
      };
    case 'showNamespaces':
      return { sql: 'SHOW DATABASES', warnings, translated: true, statement: stmt };
    case 'createTable':
      return createTable(sql, stmt, warnings);
    default: {
      const never: never = stmt;
      throw new Error(`unknown statement ${String(never)}`);
    }
  }
}

type CreateTable = Extract<Statement, { kind: 'createTable' }>;

function createTable(sql: string, stmt: CreateTable, warnings: string[]): AthenaRoute {
  if (isV3(stmt.properties)) warnings.push('Athena does not support Iceberg format version 3');
  if (stmt.columns.some((c) => c.default !== undefined)) warnings.push('column DEFAULT values are an Iceberg v3 feature that Athena does not write');
  const typeKey = Object.keys(stmt.properties).find((k) => k.toLowerCase() === 'table_type');
  // Written for Athena already: send as is.
  if (typeKey !== undefined && !/\busing\s+iceberg\b/i.test(sql)) return { sql, warnings, translated: false, statement: stmt };
  if (stmt.orReplace) warnings.push('Athena has no CREATE OR REPLACE TABLE: OR REPLACE was dropped');
  if (stmt.location === undefined) warnings.push("Athena needs LOCATION 's3://…' for an Iceberg table: add a LOCATION clause");
  const dropped = Object.keys(stmt.properties).filter((k) => !ATHENA_ICEBERG_PROPERTIES.has(k.toLowerCase()));
  if (dropped.length > 0) warnings.push(`Athena accepts only its own Iceberg TBLPROPERTIES: dropped ${dropped.join(', ')}`);
  const props: [string, string][] = [['table_type', 'ICEBERG']];
  for (const [k, v] of Object.entries(stmt.properties)) if (ATHENA_ICEBERG_PROPERTIES.has(k.toLowerCase()) && k.toLowerCase() !== 'table_type') props.push([k, v]);
  // Athena parses CREATE TABLE as Hive DDL (backquoted names) and CTAS as Trino SQL (double quotes).
  const name = stmt.asQuery ? quoteName(stmt.name) : stmt.name.map(hiveIdent).join('.');
  const ine = stmt.ifNotExists ? 'IF NOT EXISTS ' : '';
  if (stmt.asQuery) {
    // Athena CTAS: properties in WITH (…), partitioning as an array of transform strings.
    const withProps = [`table_type = 'ICEBERG'`, 'is_external = false'];
    if (stmt.location !== undefined) withProps.push(`location = ${lit(stmt.location)}`);
    if (stmt.partitionBy.length > 0) {
      withProps.push(`partitioning = ARRAY[${stmt.partitionBy.map((p) => lit(partitionText(p, false))).join(', ')}]`);
      warnings.push(`Athena's CREATE TABLE AS SELECT writes at most ${ATHENA_MAX_PARTITIONS_PER_WRITE} partitions: create the table, then INSERT with --chunk-partitions`);
    }
    for (const [k, v] of props.slice(1)) withProps.push(`${k} = ${lit(v)}`);
    return { sql: `CREATE TABLE ${ine}${name} WITH (${withProps.join(', ')}) AS ${stmt.asQuery.sql.trim()}`, warnings, translated: true, statement: stmt };
  }
  const cols = stmt.columns.map((c) => columnText(c, warnings));
  const parts = [`CREATE TABLE ${ine}${name} (${cols.join(', ')})`];
  if (stmt.comment !== undefined) parts.push(`COMMENT ${lit(stmt.comment)}`);
  if (stmt.partitionBy.length > 0) parts.push(`PARTITIONED BY (${stmt.partitionBy.map((p) => partitionText(p, true)).join(', ')})`);
  if (stmt.location !== undefined) parts.push(`LOCATION ${lit(stmt.location)}`);
  parts.push(`TBLPROPERTIES (${props.map(([k, v]) => `${lit(k)} = ${lit(v)}`).join(', ')})`);
  return { sql: parts.join(' '), warnings, translated: true, statement: stmt };
}

function columnText(c: ColumnDef, warnings: string[]): string {
  if (c.notNull) warnings.push(`Athena DDL has no NOT NULL: column ${c.name} is created nullable`);
  return `${hiveIdent(c.name)} ${hiveType(c.type, warnings, c.name)}${c.comment !== undefined ? ` COMMENT ${lit(c.comment)}` : ''}`;
}

/** Athena's Hive DDL spelling of a column type (source: Athena "Supported data types for Iceberg"). */
function hiveType(t: SqlType, warnings: string[], column: string): string {
  switch (t.kind) {
    case 'primitive':
      switch (t.name) {
        case 'boolean':
          return 'boolean';
        case 'int':
          return 'int';
        case 'long':
          return 'bigint';
        case 'float':
          return 'float';
        case 'double':
          return 'double';
        case 'date':
          return 'date';
        case 'timestamp':
          return 'timestamp';
        case 'timestamptz':
          warnings.push(`Athena DDL has no TIMESTAMPTZ: column ${column} is created as timestamp`);
          return 'timestamp';
        case 'timestamp_ns':
        case 'timestamptz_ns':
          warnings.push(`nanosecond timestamps are an Iceberg v3 type that Athena does not support: column ${column} is created as timestamp`);
          return 'timestamp';
        case 'time':
          warnings.push(`Athena does not support the Iceberg time type: column ${column} is created as string`);
          return 'string';
        case 'uuid':
          warnings.push(`Athena DDL has no uuid type: column ${column} is created as string`);
          return 'string';
        case 'string':
          return 'string';
        case 'binary':
          return 'binary';
        default: {
          const never: never = t.name;
          throw new Error(`unknown type ${String(never)}`);
        }
      }
    case 'decimal':
      return `decimal(${t.precision},${t.scale})`;
    case 'fixed':
      warnings.push(`Athena DDL has no fixed type: column ${column} is created as binary`);
      return 'binary';
    case 'list':
      return `array<${hiveType(t.element, warnings, column)}>`;
    case 'map':
      return `map<${hiveType(t.key, warnings, column)},${hiveType(t.value, warnings, column)}>`;
    case 'struct':
      return `struct<${t.fields.map((f) => `${f.name}:${hiveType(f.type, warnings, column)}`).join(',')}>`;
    default: {
      const never: never = t;
      throw new Error(`unknown type ${String(never)}`);
    }
  }
}

/** `day(ts)`, `bucket(16, id)`, `truncate(4, s)`, `col` — the same words in Athena. */
export function partitionText(p: PartitionTerm, quote: boolean): string {
  const col = quote ? hiveIdent(p.column) : p.column;
  switch (p.transform) {
    case 'identity':
      return col;
    case 'bucket':
    case 'truncate':
      return `${p.transform}(${p.param ?? 0}, ${col})`;
    case 'year':
    case 'month':
    case 'day':
    case 'hour':
      return `${p.transform}(${col})`;
    case 'void':
      return col;
    default: {
      const never: never = p.transform;
      throw new Error(`unknown transform ${String(never)}`);
    }
  }
}

function isV3(props: Record<string, string>): boolean {
  return Object.entries(props).some(([k, v]) => /^format[-_]version$/i.test(k) && Number(v) >= 3);
}

function quoteName(parts: string[]): string {
  return parts.map((p) => (/^[a-z_][a-z0-9_]*$/.test(p) ? p : `"${p.replace(/"/g, '""')}"`)).join('.');
}

function hiveIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `\`${name.replace(/`/g, '``')}\``;
}

function lit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
