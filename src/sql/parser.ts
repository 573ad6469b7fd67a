import { SqlParseError } from '../errors.js';
import type {
  AlterAction,
  Assignment,
  ColumnDef,
  MergeClause,
  PartitionTerm,
  QueryText,
  SortTerm,
  SqlType,
  Statement,
  StructFieldDef,
  TableFunctionName,
  TableFunctionRef,
  TableRef,
  TimeTravel,
  TransformKind,
} from './ast.js';
import { position, tokenize, type Token } from './lexer.js';

/** Parses a script of `;`-separated statements. */
export function parseScript(sql: string): Statement[] {
  const tokens = tokenize(sql);
  const out: Statement[] = [];
  let from = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === 'eof' || (t.type === 'op' && t.value === ';')) {
      if (i > from) out.push(new Parser(sql, tokens.slice(from, i), t).statement());
      from = i + 1;
    }
  }
  return out;
}

/** Parses exactly one statement. */
export function parseStatement(sql: string): Statement {
  const all = parseScript(sql);
  if (all.length !== 1) throw new SqlParseError(all.length === 0 ? 'empty statement' : `expected one statement, found ${all.length}`);
  return all[0]!;
}

const QUERY_STARTS = new Set(['select', 'with', 'values', 'from', 'table', 'explain', 'summarize', 'pivot', 'unpivot']);
const TABLE_FUNCTIONS = new Set<string>(['iceberg_scan', 'iceberg_snapshots', 'iceberg_metadata']);
/** Words that end a FROM list or cannot be an alias. */
const CLAUSE = new Set([
  'where', 'group', 'having', 'order', 'limit', 'offset', 'qualify', 'window', 'union', 'except', 'intersect',
  'on', 'using', 'join', 'left', 'right', 'inner', 'outer', 'full', 'cross', 'natural', 'positional', 'asof', 'semi', 'anti',
  'lateral', 'select', 'from', 'for', 'set', 'when', 'then', 'returning', 'fetch', 'tablesample', 'using', 'as', 'pivot', 'unpivot',
]);
const FROM_LIST_END = new Set(['where', 'group', 'having', 'order', 'limit', 'offset', 'qualify', 'window', 'union', 'except', 'intersect', 'select', 'returning']);

class Parser {
  private i = 0;

  constructor(
    private readonly sql: string,
    private readonly toks: Token[],
    private readonly endTok: Token,
  ) {}

  // ---------------------------------------------------------------------------------------------
  // Token helpers

  private peek(k = 0): Token {
    return this.toks[this.i + k] ?? this.endTok;
  }

  private atEnd(): boolean {
    return this.i >= this.toks.length;
  }

  private isWord(t: Token, word: string): boolean {
    return t.type === 'ident' && t.value.toLowerCase() === word;
  }

  private at(...words: string[]): boolean {
    return words.every((w, k) => this.isWord(this.peek(k), w));
  }

  private atOp(op: string, k = 0): boolean {
    const t = this.peek(k);
    return t.type === 'op' && t.value === op;
  }

  private accept(...words: string[]): boolean {
    if (!this.at(...words)) return false;
    this.i += words.length;
    return true;
  }

  private acceptOp(op: string): boolean {
    if (!this.atOp(op)) return false;
    this.i++;
    return true;
  }

  private fail(expected: string): never {
    const t = this.peek();
    const found = t.type === 'eof' || this.atEnd() ? 'end of statement' : `'${this.sql.slice(t.start, t.end)}'`;
    throw new SqlParseError(`syntax error at ${position(this.sql, t.start)}: expected ${expected}, found ${found}`);
  }

  private expect(...words: string[]): void {
    if (!this.accept(...words)) this.fail(words.map((w) => w.toUpperCase()).join(' '));
  }

  private expectOp(op: string, what = `'${op}'`): void {
    if (!this.acceptOp(op)) this.fail(what);
  }

  private expectEnd(): void {
    if (!this.atEnd()) this.fail('end of statement');
  }

  /** An identifier; unquoted ones lower-cased when `lower`. */
  private ident(what: string, lower = true): string {
    const t = this.peek();
    if (t.type === 'ident') {
      this.i++;
      return lower ? t.value.toLowerCase() : t.value;
    }
    if (t.type === 'qident') {
      this.i++;
      return t.value;
    }
    return this.fail(what);
  }

  private qualifiedName(what: string): string[] {
    const parts = [this.ident(what)];
    while (this.atOp('.')) {
      this.i++;
      parts.push(this.ident(what));
    }
    return parts;
  }

  private stringLit(what: string): string {
    const t = this.peek();
    if (t.type !== 'string') this.fail(what);
    this.i++;
    return t.value;
  }

  private integer(what: string): number {
    const t = this.peek();
    if (t.type !== 'number' || !/^\d+$/.test(t.value)) this.fail(what);
    this.i++;
    return Number(t.value);
  }

  /** An unsigned integer literal as its digits (for 64-bit values). */
  private digits(what: string): string {
    const t = this.peek();
    if (t.type !== 'number' || !/^\d+$/.test(t.value)) this.fail(what);
    this.i++;
    return t.value;
  }

  /** A property value: string, number, identifier or boolean, as text. */
  private propertyValue(): string {
    const t = this.peek();
    if (t.type === 'string' || t.type === 'number' || t.type === 'ident') {
      this.i++;
      return t.value;
    }
    if (t.type === 'op' && t.value === '-' && this.peek(1).type === 'number') {
      this.i += 2;
      return `-${this.peek(-1).value}`;
    }
    return this.fail('a property value');
  }

  /** `('k' = 'v', …)` */
  private properties(): Record<string, string> {
    this.expectOp('(');
    const out: Record<string, string> = {};
    if (this.acceptOp(')')) return out;
    do {
      const t = this.peek();
      let key: string;
      if (t.type === 'string') {
        this.i++;
        key = t.value;
      } else key = this.qualifiedName('a property name').join('.');
      if (!this.acceptOp('=')) this.fail("'=' after property name");
      out[key] = this.propertyValue();
    } while (this.acceptOp(','));
    this.expectOp(')');
    return out;
  }

  /** Index of the first token at depth 0 (from the current one) that is one of `words`, or the end. */
  private scanTo(stop: (t: Token) => boolean): number {
    let depth = 0;
    for (let k = this.i; k < this.toks.length; k++) {
      const t = this.toks[k]!;
      if (t.type === 'op' && (t.value === '(' || t.value === '[' || t.value === '{')) depth++;
      else if (t.type === 'op' && (t.value === ')' || t.value === ']' || t.value === '}')) depth--;
      else if (depth === 0 && stop(t)) return k;
      if (depth < 0) return k;
    }
    return this.toks.length;
  }

  /** The tokens [this.i, to) as QueryText; advances to `to`. */
  private textUntil(to: number, what: string): QueryText {
    if (to <= this.i) this.fail(what);
    const start = this.toks[this.i]!.start;
    const end = this.toks[to - 1]!.end;
    const q = scanQuery(this.sql, this.toks.slice(this.i, to), start, end);
    this.i = to;
    return q;
  }

  private restAsText(what: string): QueryText {
    return this.textUntil(this.toks.length, what);
  }

  // ---------------------------------------------------------------------------------------------
  // Statements

  statement(): Statement {
    const t = this.peek();
    if (t.type === 'op' && t.value === '(') return { kind: 'query', query: this.restAsText('a query') };
    if (t.type !== 'ident') this.fail('a statement');
    const w = t.value.toLowerCase();
    if (w === 'describe' || w === 'desc') {
      const next = this.peek(1);
      if (next.type === 'ident' && QUERY_STARTS.has(next.value.toLowerCase())) return { kind: 'query', query: this.restAsText('a query') };
    }
    if (QUERY_STARTS.has(w)) return { kind: 'query', query: this.restAsText('a query') };
    switch (w) {
      case 'create':
        return this.create();
      case 'drop':
        return this.drop();
      case 'insert':
        return this.insert();
      case 'show':
        return this.show();
      case 'describe':
      case 'desc':
        return this.describe();
      case 'delete':
        return this.deleteStmt();
      case 'update':
        return this.update();
      case 'merge':
        return this.merge();
      case 'alter':
        return this.alter();
      case 'call':
        return this.call();
      case 'optimize':
        return this.optimize();
      case 'vacuum': {
        this.i++;
        const name = this.qualifiedName('a table name');
        this.expectEnd();
        return { kind: 'vacuum', name };
      }
      case 'set':
        return this.set();
      case 'reset': {
        this.i++;
        const key = this.qualifiedName('a setting name').join('.');
        this.expectEnd();
        return { kind: 'set', key, value: '' };
      }
      case 'use': {
        this.i++;
        const ns = this.qualifiedName('a namespace');
        this.expectEnd();
        return { kind: 'set', key: 'floe.namespace', value: ns.join('.') };
      }
      default:
        throw new SqlParseError(`syntax error at ${position(this.sql, t.start)}: unknown statement '${t.value}'`);
    }
  }

  private create(): Statement {
    this.expect('create');
    const orReplace = this.accept('or', 'replace');
    if (this.accept('namespace') || this.accept('schema') || this.accept('database')) {
      const ifNotExists = this.accept('if', 'not', 'exists');
      const name = this.qualifiedName('a namespace name');
      let properties: Record<string, string> | undefined;
      for (;;) {
        if (this.accept('with', 'dbproperties') || this.accept('with', 'properties') || this.accept('with')) {
          properties = { ...(properties ?? {}), ...this.properties() };
        } else if (this.accept('comment')) {
          properties = { ...(properties ?? {}), comment: this.stringLit('a comment string') };
        } else if (this.accept('location')) {
          properties = { ...(properties ?? {}), location: this.stringLit('a location string') };
        } else break;
      }
      this.expectEnd();
      return { kind: 'createNamespace', name, ifNotExists, ...(properties ? { properties } : {}) };
    }
    this.accept('external');
    if (!this.accept('table')) this.fail('TABLE or NAMESPACE after CREATE');
    const ifNotExists = this.accept('if', 'not', 'exists');
    const name = this.qualifiedName('a table name');
    let columns: ColumnDef[] = [];
    if (this.atOp('(')) columns = this.columnDefs();
    let partitionBy: PartitionTerm[] = [];
    let properties: Record<string, string> = {};
    let comment: string | undefined;
    let location: string | undefined;
    let asQuery: QueryText | undefined;
    for (;;) {
      if (this.accept('using')) this.ident('a table format');
      else if (this.accept('partitioned', 'by')) partitionBy = this.partitionTerms();
      else if (this.accept('comment')) comment = this.stringLit('a comment string');
      else if (this.accept('location')) location = this.stringLit('a location string');
      else if (this.accept('tblproperties')) properties = { ...properties, ...this.properties() };
      else if (this.accept('with')) {
        // Trino/Athena: WITH (partitioning = ARRAY['day(ts)'], format = 'PARQUET', location = '…')
        const props = this.properties();
        for (const [k, v] of Object.entries(props)) {
          if (k === 'location') location = v;
          else properties[k] = v;
        }
      } else if (this.accept('as')) {
        asQuery = this.restAsText('a query after AS');
        break;
      } else break;
    }
    this.expectEnd();
    if (!asQuery && columns.length === 0) this.fail('a column list or AS SELECT');
    return {
      kind: 'createTable',
      name,
      ifNotExists,
      orReplace,
      columns,
      partitionBy,
      properties,
      ...(comment !== undefined ? { comment } : {}),
      ...(location !== undefined ? { location } : {}),
      ...(asQuery ? { asQuery } : {}),
    };
  }

  private columnDefs(): ColumnDef[] {
    this.expectOp('(');
    const out: ColumnDef[] = [];
    do out.push(this.columnDef());
    while (this.acceptOp(','));
    this.expectOp(')', "',' or ')' in the column list");
    return out;
  }

  private columnDef(): ColumnDef {
    const name = this.ident('a column name', false);
    const type = this.sqlType();
    const col: ColumnDef = { name, type, notNull: false };
    for (;;) {
      if (this.accept('not', 'null')) col.notNull = true;
      else if (this.accept('null')) col.notNull = false;
      else if (this.accept('comment')) col.comment = this.stringLit('a comment string');
      else if (this.accept('default')) {
        const end = this.scanTo((t) => (t.type === 'op' && t.value === ',') || this.isWord(t, 'comment') || this.isWord(t, 'not') || this.isWord(t, 'first') || this.isWord(t, 'after'));
        col.default = this.textUntil(end, 'a default value').sql;
      } else break;
    }
    return col;
  }

  sqlType(): SqlType {
    const t = this.peek();
    if (t.type !== 'ident') this.fail('a column type');
    this.i++;
    const w = t.value.toLowerCase();
    let type: SqlType;
    const prim = (name: Extract<SqlType, { kind: 'primitive' }>['name']): SqlType => ({ kind: 'primitive', name });
    switch (w) {
      case 'boolean':
      case 'bool':
        type = prim('boolean');
        break;
      case 'int':
      case 'integer':
      case 'int4':
      case 'smallint':
      case 'tinyint':
      case 'int2':
      case 'short':
      case 'byte':
        type = prim('int');
        break;
      case 'bigint':
      case 'long':
      case 'int8':
        type = prim('long');
        break;
      case 'float':
      case 'real':
      case 'float4':
        type = prim('float');
        break;
      case 'double':
      case 'float8':
        this.accept('precision');
        type = prim('double');
        break;
      case 'decimal':
      case 'numeric':
      case 'dec': {
        let precision = 38;
        let scale = 0;
        if (this.acceptOp('(')) {
          precision = this.integer('a decimal precision');
          if (this.acceptOp(',')) scale = this.integer('a decimal scale');
          this.expectOp(')');
        } else {
          precision = 18;
          scale = 3;
        }
        type = { kind: 'decimal', precision, scale };
        break;
      }
      case 'string':
      case 'text':
      case 'varchar':
      case 'char':
      case 'character':
        if (w === 'character') this.accept('varying');
        if (this.acceptOp('(')) {
          this.integer('a length');
          this.expectOp(')');
        }
        type = prim('string');
        break;
      case 'date':
        type = prim('date');
        break;
      case 'time':
        this.accept('without', 'time', 'zone');
        type = prim('time');
        break;
      case 'timestamp':
      case 'datetime':
        if (this.acceptOp('(')) {
          const p = this.integer('a timestamp precision');
          this.expectOp(')');
          if (p > 6) {
            type = this.accept('with', 'time', 'zone') ? prim('timestamptz_ns') : (this.accept('without', 'time', 'zone'), prim('timestamp_ns'));
            break;
          }
        }
        if (this.accept('with', 'time', 'zone')) type = prim('timestamptz');
        else {
          this.accept('without', 'time', 'zone');
          type = prim('timestamp');
        }
        break;
      case 'timestamp_ntz':
        type = prim('timestamp');
        break;
      case 'timestamptz':
      case 'timestamp_ltz':
        type = prim('timestamptz');
        break;
      case 'timestamp_ns':
        type = prim('timestamp_ns');
        break;
      case 'uuid':
        type = prim('uuid');
        break;
      case 'binary':
      case 'varbinary':
      case 'blob':
      case 'bytea':
      case 'bytes':
        type = prim('binary');
        break;
      case 'fixed':
        this.expectOp('(');
        type = { kind: 'fixed', length: this.integer('a fixed length') };
        this.expectOp(')');
        break;
      case 'array':
      case 'list': {
        const close = this.openAngle();
        type = { kind: 'list', element: this.sqlType() };
        this.closeAngle(close);
        break;
      }
      case 'map': {
        const close = this.openAngle();
        const key = this.sqlType();
        this.expectOp(',');
        type = { kind: 'map', key, value: this.sqlType() };
        this.closeAngle(close);
        break;
      }
      case 'struct':
      case 'row': {
        const close = this.openAngle();
        const fields: StructFieldDef[] = [];
        do {
          const name = this.ident('a field name', false);
          this.acceptOp(':');
          const f: StructFieldDef = { name, type: this.sqlType(), notNull: false };
          if (this.accept('not', 'null')) f.notNull = true;
          if (this.accept('comment')) f.comment = this.stringLit('a comment string');
          fields.push(f);
        } while (this.acceptOp(','));
        this.closeAngle(close);
        type = { kind: 'struct', fields };
        break;
      }
      default:
        throw new SqlParseError(`syntax error at ${position(this.sql, t.start)}: unknown column type '${t.value}'`);
    }
    while (this.atOp('[') && this.atOp(']', 1)) {
      this.i += 2;
      type = { kind: 'list', element: type };
    }
    return type;
  }

  private openAngle(): string {
    if (this.acceptOp('<')) return '>';
    if (this.acceptOp('(')) return ')';
    return this.fail("'<' or '('");
  }

  private closeAngle(close: string): void {
    if (close === '>' && this.atOp('>>')) {
      // `map<string, list<int>>`: split the `>>` token.
      const t = this.toks[this.i]!;
      this.toks.splice(this.i, 1, { type: 'op', value: '>', start: t.start, end: t.start + 1 }, { type: 'op', value: '>', start: t.start + 1, end: t.end });
    }
    this.expectOp(close);
  }

  /** `(term, …)` of partition terms. */
  private partitionTerms(): PartitionTerm[] {
    this.expectOp('(');
    const out: PartitionTerm[] = [];
    do out.push(this.partitionTerm());
    while (this.acceptOp(','));
    this.expectOp(')');
    return out;
  }

  partitionTerm(): PartitionTerm {
    const t = this.peek();
    const transforms: Record<string, TransformKind> = {
      bucket: 'bucket', truncate: 'truncate', year: 'year', years: 'year', month: 'month', months: 'month',
      day: 'day', days: 'day', date: 'day', hour: 'hour', hours: 'hour', date_hour: 'hour', identity: 'identity', void: 'void',
    };
    if (t.type === 'ident' && this.atOp('(', 1) && transforms[t.value.toLowerCase()]) {
      const transform = transforms[t.value.toLowerCase()]!;
      this.i += 2;
      let param: number | undefined;
      let column: string;
      if (transform === 'bucket' || transform === 'truncate') {
        if (this.peek().type === 'number') {
          param = this.integer('a number');
          this.expectOp(',');
          column = this.columnPath();
        } else {
          // Trino order: bucket(col, 16)
          column = this.columnPath();
          this.expectOp(',');
          param = this.integer('a number');
        }
      } else column = this.columnPath();
      this.expectOp(')');
      return { transform, column, ...(param !== undefined ? { param } : {}) };
    }
    return { transform: 'identity', column: this.columnPath() };
  }

  private columnPath(): string {
    const parts = [this.ident('a column name', false)];
    while (this.acceptOp('.')) parts.push(this.ident('a column name', false));
    return parts.join('.');
  }

  private drop(): Statement {
    this.expect('drop');
    if (this.accept('namespace') || this.accept('schema') || this.accept('database')) {
      const ifExists = this.accept('if', 'exists');
      const name = this.qualifiedName('a namespace name');
      const cascade = this.accept('cascade');
      if (!cascade) this.accept('restrict');
      this.expectEnd();
      return { kind: 'dropNamespace', name, ifExists, cascade };
    }
    if (!this.accept('table')) this.fail('TABLE or NAMESPACE after DROP');
    const ifExists = this.accept('if', 'exists');
    const name = this.qualifiedName('a table name');
    const purge = this.accept('purge');
    this.expectEnd();
    return { kind: 'dropTable', name, ifExists, purge };
  }

  private insert(): Statement {
    this.expect('insert');
    let overwrite = false;
    if (this.accept('overwrite')) overwrite = true;
    else this.expect('into');
    this.accept('table');
    const table = this.qualifiedName('a table name');
    let branch: string | undefined;
    const last = table[table.length - 1]!;
    if (table.length >= 2 && /^branch_./.test(last)) branch = last.slice('branch_'.length);
    let columns: string[] | undefined;
    // `(a, b) SELECT …` is a column list; `(SELECT …)` is the query.
    if (this.atOp('(') && !(this.isWord(this.peek(1), 'select') || this.isWord(this.peek(1), 'with') || this.isWord(this.peek(1), 'values'))) {
      this.i++;
      columns = [];
      do columns.push(this.ident('a column name', false));
      while (this.acceptOp(','));
      this.expectOp(')');
    }
    const source = this.restAsText('VALUES or a query');
    const first = source.sql.trimStart().slice(0, 8).toLowerCase();
    if (!/^(values|select|with|from|\(|table)/.test(first)) throw new SqlParseError(`expected VALUES or a query in INSERT, found '${source.sql.slice(0, 20)}'`);
    return { kind: 'insert', table, overwrite, source, ...(branch !== undefined ? { branch } : {}), ...(columns ? { columns } : {}) };
  }

  private show(): Statement {
    this.expect('show');
    if (this.accept('tables')) {
      let namespace: string[] | undefined;
      if (this.accept('from') || this.accept('in')) namespace = this.qualifiedName('a namespace name');
      this.expectEnd();
      return { kind: 'showTables', ...(namespace ? { namespace } : {}) };
    }
    if (this.accept('namespaces') || this.accept('schemas') || this.accept('databases')) {
      let parent: string[] | undefined;
      if (this.accept('from') || this.accept('in')) parent = this.qualifiedName('a namespace name');
      this.expectEnd();
      return { kind: 'showNamespaces', ...(parent ? { parent } : {}) };
    }
    if (this.accept('create', 'table')) {
      const name = this.qualifiedName('a table name');
      this.expectEnd();
      return { kind: 'showCreateTable', name };
    }
    if (this.accept('tblproperties')) {
      const name = this.qualifiedName('a table name');
      this.expectEnd();
      return { kind: 'showTblProperties', name };
    }
    return this.fail('TABLES, NAMESPACES, CREATE TABLE or TBLPROPERTIES after SHOW');
  }

  private describe(): Statement {
    this.i++;
    this.accept('table');
    const extended = this.accept('extended') || this.accept('formatted');
    const name = this.qualifiedName('a table name');
    this.expectEnd();
    return { kind: 'describe', name, extended };
  }

  /** `[AS] alias` unless the next word starts a clause. */
  private optionalAlias(): string | undefined {
    if (this.accept('as')) return this.ident('an alias');
    const t = this.peek();
    if (t.type === 'qident') return this.ident('an alias');
    if (t.type === 'ident' && !CLAUSE.has(t.value.toLowerCase())) return this.ident('an alias');
    return undefined;
  }

  private deleteStmt(): Statement {
    this.expect('delete');
    this.expect('from');
    const table = this.qualifiedName('a table name');
    const alias = this.optionalAlias();
    let where: QueryText | undefined;
    if (this.accept('where')) where = this.restAsText('a condition after WHERE');
    this.expectEnd();
    return { kind: 'delete', table, ...(alias !== undefined ? { alias } : {}), ...(where ? { where } : {}) };
  }

  private assignments(stopWords: string[]): Assignment[] {
    const out: Assignment[] = [];
    do {
      const column = this.columnPath();
      if (!this.acceptOp('=')) this.fail(`'=' after column '${column}'`);
      const end = this.scanTo((t) => (t.type === 'op' && t.value === ',') || stopWords.some((w) => this.isWord(t, w)));
      out.push({ column: column.includes('.') && column.split('.').length === 2 ? column : column, valueSql: this.textUntil(end, `a value for '${column}'`) });
    } while (this.acceptOp(','));
    return out;
  }

  private update(): Statement {
    this.expect('update');
    const table = this.qualifiedName('a table name');
    const alias = this.optionalAlias();
    this.expect('set');
    const assignments = this.assignments(['where']).map((a) => ({ ...a, column: stripAlias(a.column, alias ?? table[table.length - 1]!) }));
    let where: QueryText | undefined;
    if (this.accept('where')) where = this.restAsText('a condition after WHERE');
    this.expectEnd();
    return { kind: 'update', table, assignments, ...(alias !== undefined ? { alias } : {}), ...(where ? { where } : {}) };
  }

  private merge(): Statement {
    this.expect('merge');
    this.expect('into');
    const target = this.qualifiedName('a target table name');
    const targetAlias = this.optionalAlias();
    this.expect('using');
    let source: QueryText;
    if (this.atOp('(')) {
      this.i++;
      const end = this.scanTo((t) => t.type === 'op' && t.value === ')');
      source = this.textUntil(end, 'a source query');
      this.expectOp(')');
    } else {
      const start = this.i;
      this.qualifiedName('a source table name');
      const inner = scanQuery(this.sql, this.toks.slice(start, this.i), this.toks[start]!.start, this.toks[this.i - 1]!.end, true);
      const prefix = 'SELECT * FROM ';
      source = {
        sql: prefix + inner.sql,
        refs: inner.refs.map((r) => ({ ...r, start: r.start + prefix.length, end: r.end + prefix.length })),
        functions: [],
      };
    }
    const sourceAlias = this.optionalAlias();
    if (sourceAlias !== undefined && this.atOp('(')) {
      // `USING (VALUES …) AS s(a, b)`: name the source's columns.
      this.i++;
      const names: string[] = [];
      do names.push(this.ident('a column name', false));
      while (this.acceptOp(','));
      this.expectOp(')');
      const prefix = 'SELECT * FROM (';
      source = {
        sql: `${prefix}${source.sql}) AS __src(${names.map((x) => `"${x.replace(/"/g, '""')}"`).join(', ')})`,
        refs: source.refs.map((r) => ({ ...r, start: r.start + prefix.length, end: r.end + prefix.length })),
        functions: source.functions.map((f) => ({ ...f, start: f.start + prefix.length, end: f.end + prefix.length })),
      };
    }
    this.expect('on');
    const onEnd = this.scanTo((t) => this.isWord(t, 'when'));
    const on = this.textUntil(onEnd, 'a join condition after ON');
    const clauses: MergeClause[] = [];
    while (this.accept('when')) {
      let matched = true;
      if (this.accept('not', 'matched')) {
        matched = false;
        this.accept('by', 'target');
      } else this.expect('matched');
      let condition: QueryText | undefined;
      if (this.accept('and')) condition = this.textUntil(this.scanTo((t) => this.isWord(t, 'then')), 'a condition');
      this.expect('then');
      if (matched && this.accept('delete')) clauses.push({ matched, action: { type: 'delete' }, ...(condition ? { condition } : {}) });
      else if (matched && this.accept('update', 'set')) {
        if (this.acceptOp('*')) clauses.push({ matched, action: { type: 'updateAll' }, ...(condition ? { condition } : {}) });
        else {
          const assignments = this.assignments(['when']).map((a) => ({ ...a, column: stripAlias(a.column, targetAlias ?? target[target.length - 1]!) }));
          clauses.push({ matched, action: { type: 'update', assignments }, ...(condition ? { condition } : {}) });
        }
      } else if (!matched && this.accept('insert')) {
        if (this.acceptOp('*')) {
          clauses.push({ matched, action: { type: 'insertAll' }, ...(condition ? { condition } : {}) });
          continue;
        }
        let columns: string[] | undefined;
        if (this.acceptOp('(')) {
          columns = [];
          do columns.push(this.ident('a column name', false));
          while (this.acceptOp(','));
          this.expectOp(')');
        }
        this.expect('values');
        this.expectOp('(');
        const values: QueryText[] = [];
        do values.push(this.textUntil(this.scanTo((t) => t.type === 'op' && t.value === ','), 'a value'));
        while (this.acceptOp(','));
        this.expectOp(')');
        clauses.push({ matched, action: { type: 'insert', values, ...(columns ? { columns } : {}) }, ...(condition ? { condition } : {}) });
      } else this.fail(matched ? 'UPDATE SET or DELETE' : 'INSERT');
    }
    if (clauses.length === 0) this.fail('WHEN MATCHED or WHEN NOT MATCHED');
    this.expectEnd();
    return {
      kind: 'merge',
      target,
      source,
      on,
      clauses,
      ...(targetAlias !== undefined ? { targetAlias } : {}),
      ...(sourceAlias !== undefined ? { sourceAlias } : {}),
    };
  }

  private alter(): Statement {
    this.expect('alter');
    this.expect('table');
    const name = this.qualifiedName('a table name');
    const action = this.alterAction();
    this.expectEnd();
    return { kind: 'alterTable', name, action };
  }

  private position(): { first?: boolean; after?: string } {
    if (this.accept('first')) return { first: true };
    if (this.accept('after')) return { after: this.columnPath() };
    return {};
  }

  private alterAction(): AlterAction {
    if (this.accept('add', 'partition', 'field')) {
      const term = this.partitionTerm();
      const n = this.accept('as') ? this.ident('a partition field name', false) : undefined;
      return { type: 'addPartitionField', term, ...(n !== undefined ? { name: n } : {}) };
    }
    if (this.accept('drop', 'partition', 'field')) return { type: 'dropPartitionField', term: this.partitionTerm() };
    if (this.accept('replace', 'partition', 'field')) {
      const from = this.partitionTerm();
      this.expect('with');
      const to = this.partitionTerm();
      const n = this.accept('as') ? this.ident('a partition field name', false) : undefined;
      return { type: 'replacePartitionField', from, to, ...(n !== undefined ? { name: n } : {}) };
    }
    if (this.accept('write')) {
      if (this.accept('unordered')) return { type: 'writeUnordered' };
      this.accept('locally');
      this.expect('ordered', 'by');
      const fields: SortTerm[] = [];
      do {
        const term = this.partitionTerm();
        const direction = this.accept('desc') ? 'desc' : (this.accept('asc'), 'asc');
        let nullOrder: SortTerm['nullOrder'] = direction === 'asc' ? 'nulls-first' : 'nulls-last';
        if (this.accept('nulls', 'first')) nullOrder = 'nulls-first';
        else if (this.accept('nulls', 'last')) nullOrder = 'nulls-last';
        fields.push({ term, direction, nullOrder });
      } while (this.acceptOp(','));
      return { type: 'writeOrderedBy', fields };
    }
    if (this.accept('set', 'identifier', 'fields')) return { type: 'setIdentifierFields', columns: this.columnList() };
    if (this.accept('drop', 'identifier', 'fields')) return { type: 'dropIdentifierFields', columns: this.columnList() };
    if (this.accept('set', 'tblproperties') || this.accept('set', 'properties')) return { type: 'setProperties', properties: this.properties() };
    if (this.accept('unset', 'tblproperties')) {
      const ifExists = this.accept('if', 'exists');
      this.expectOp('(');
      const keys: string[] = [];
      do keys.push(this.peek().type === 'string' ? this.stringLit('a property name') : this.qualifiedName('a property name').join('.'));
      while (this.acceptOp(','));
      this.expectOp(')');
      return { type: 'unsetProperties', keys, ifExists };
    }
    if (this.accept('rename', 'column')) {
      const from = this.columnPath();
      this.expect('to');
      return { type: 'renameColumn', from, to: this.ident('a new column name', false) };
    }
    if (this.accept('rename', 'to')) return { type: 'renameTable', to: this.qualifiedName('a table name') };
    if (this.accept('add', 'columns') || this.accept('add', 'column') || this.accept('add')) {
      const paren = this.acceptOp('(');
      const columns: (ColumnDef & { first?: boolean; after?: string })[] = [];
      do {
        const colName = this.columnPath();
        const type = this.sqlType();
        const col: ColumnDef & { first?: boolean; after?: string } = { name: colName, type, notNull: false };
        for (;;) {
          if (this.accept('not', 'null')) col.notNull = true;
          else if (this.accept('comment')) col.comment = this.stringLit('a comment string');
          else if (this.accept('default')) {
            const end = this.scanTo((t) => (t.type === 'op' && (t.value === ',' || t.value === ')')) || ['comment', 'first', 'after', 'not'].some((w) => this.isWord(t, w)));
            col.default = this.textUntil(end, 'a default value').sql;
          } else if (this.at('first') || this.at('after')) Object.assign(col, this.position());
          else break;
        }
        columns.push(col);
      } while (this.acceptOp(','));
      if (paren) this.expectOp(')');
      return { type: 'addColumns', columns };
    }
    if (this.accept('drop', 'column') || this.accept('drop', 'columns')) {
      const ifExists = this.accept('if', 'exists');
      return { type: 'dropColumn', column: this.columnPath(), ifExists };
    }
    if (this.accept('alter', 'column') || this.accept('change', 'column') || this.accept('alter')) {
      const column = this.columnPath();
      if (this.accept('type') || this.accept('set', 'data', 'type')) return { type: 'alterColumn', column, newType: this.sqlType() };
      if (this.accept('set', 'not', 'null')) return { type: 'alterColumn', column, notNull: true };
      if (this.accept('drop', 'not', 'null')) return { type: 'alterColumn', column, notNull: false };
      if (this.accept('comment')) return { type: 'alterColumn', column, comment: this.stringLit('a comment string') };
      if (this.at('first') || this.at('after')) return { type: 'alterColumn', column, ...this.position() };
      return this.fail('TYPE, SET NOT NULL, DROP NOT NULL, COMMENT, FIRST or AFTER');
    }
    const create = this.accept('create', 'or', 'replace') ? 'replace' : this.accept('create') ? 'create' : this.accept('replace') ? 'replace' : undefined;
    if (create) {
      const refType = this.accept('branch') ? 'branch' : this.accept('tag') ? 'tag' : this.fail('BRANCH or TAG');
      const ifNotExists = this.accept('if', 'not', 'exists');
      const refName = this.ident('a branch or tag name', false);
      let snapshotId: string | undefined;
      let retainMs: number | undefined;
      // Snapshot ids are 64-bit: keep the digits, never round-trip through a JS number.
      if (this.accept('as', 'of', 'version')) snapshotId = this.peek().type === 'string' ? this.stringLit('a snapshot id') : this.digits('a snapshot id');
      if (this.accept('retain')) {
        const n = this.integer('a number');
        const unit = this.ident('DAYS, HOURS or MINUTES');
        const ms = { days: 86_400_000, day: 86_400_000, hours: 3_600_000, hour: 3_600_000, minutes: 60_000, minute: 60_000 }[unit];
        if (!ms) this.fail('DAYS, HOURS or MINUTES');
        retainMs = n * ms;
      }
      // Spark: WITH SNAPSHOT RETENTION [n SNAPSHOTS] [m DAYS|HOURS|MINUTES] (branches only).
      const keep: { minSnapshotsToKeep?: number; maxSnapshotAgeMs?: number } = {};
      if (this.accept('with', 'snapshot', 'retention')) {
        while (this.peek().type === 'number') {
          const n = this.integer('a number');
          const unit = this.ident('SNAPSHOTS, DAYS, HOURS or MINUTES');
          const ms = { days: 86_400_000, day: 86_400_000, hours: 3_600_000, hour: 3_600_000, minutes: 60_000, minute: 60_000 }[unit];
          if (unit === 'snapshots' || unit === 'snapshot') keep.minSnapshotsToKeep = n;
          else if (ms) keep.maxSnapshotAgeMs = n * ms;
          else this.fail('SNAPSHOTS, DAYS, HOURS or MINUTES');
        }
        if (keep.minSnapshotsToKeep === undefined && keep.maxSnapshotAgeMs === undefined) this.fail('n SNAPSHOTS or n DAYS');
      }
      return { type: 'createRef', refType, name: refName, ifNotExists, orReplace: create === 'replace', ...(snapshotId !== undefined ? { snapshotId } : {}), ...(retainMs !== undefined ? { retainMs } : {}), ...keep };
    }
    if (this.accept('drop', 'branch') || this.accept('drop', 'tag')) {
      const refType = this.isWord(this.peek(-1), 'branch') ? 'branch' : 'tag';
      const ifExists = this.accept('if', 'exists');
      return { type: 'dropRef', refType, name: this.ident('a branch or tag name', false), ifExists };
    }
    return this.fail('an ALTER TABLE action');
  }

  private columnList(): string[] {
    const out: string[] = [];
    do out.push(this.columnPath());
    while (this.acceptOp(','));
    return out;
  }

  private call(): Statement {
    this.expect('call');
    const procedure = this.qualifiedName('a procedure name');
    this.expectOp('(');
    const args = this.argumentList();
    this.expectEnd();
    return { kind: 'call', procedure, args };
  }

  /** Arguments up to the closing `)`: `expr` or `name => expr`. */
  private argumentList(): { positional: string[]; named: Record<string, string> } {
    const positional: string[] = [];
    const named: Record<string, string> = {};
    if (this.acceptOp(')')) return { positional, named };
    do {
      const t = this.peek();
      const isNamed = (t.type === 'ident' || t.type === 'qident') && (this.atOp('=>', 1) || this.atOp(':=', 1));
      const key = isNamed ? t.value.toLowerCase() : undefined;
      if (isNamed) this.i += 2;
      const end = this.scanTo((x) => x.type === 'op' && x.value === ',');
      const text = this.textUntil(end, 'an argument').sql;
      if (key !== undefined) named[key] = text;
      else positional.push(text);
    } while (this.acceptOp(','));
    this.expectOp(')');
    return { positional, named };
  }

  private optimize(): Statement {
    this.expect('optimize');
    const name = this.qualifiedName('a table name');
    if (this.accept('rewrite')) {
      this.expect('data');
      if (this.accept('using')) this.ident('a strategy such as BIN_PACK');
    }
    let where: QueryText | undefined;
    if (this.accept('where')) where = this.restAsText('a condition after WHERE');
    this.expectEnd();
    return { kind: 'optimize', name, ...(where ? { where } : {}) };
  }

  private set(): Statement {
    this.expect('set');
    this.accept('session');
    const key = this.qualifiedName('a setting name').join('.');
    if (!this.acceptOp('=') && !this.accept('to')) this.fail("'=' or TO");
    const t = this.peek();
    let value: string;
    if (t.type === 'string' || t.type === 'number' || t.type === 'ident' || t.type === 'qident') {
      value = t.type === 'ident' ? t.value : t.value;
      this.i++;
      while (this.atOp('.') && (this.peek(1).type === 'ident' || this.peek(1).type === 'qident')) {
        value += `.${this.peek(1).value}`;
        this.i += 2;
      }
    } else value = this.fail('a value');
    this.expectEnd();
    return { kind: 'set', key, value };
  }
}

function stripAlias(column: string, alias: string): string {
  const parts = column.split('.');
  return parts.length > 1 && parts[0]!.toLowerCase() === alias.toLowerCase() ? parts.slice(1).join('.') : column;
}

// -----------------------------------------------------------------------------------------------
// Table references inside query text

/**
 * Finds table references (FROM/JOIN items, comma joins, subqueries, CTE bodies, set operations)
 * and path-based table functions in query or expression tokens. Offsets are relative to `start`.
 */
function scanQuery(sql: string, toks: Token[], start: number, end: number, bareName = false): QueryText {
  const text = sql.slice(start, end);
  const refs: TableRef[] = [];
  const functions: TableFunctionRef[] = [];
  const word = (k: number): string => (toks[k]?.type === 'ident' ? toks[k]!.value.toLowerCase() : '');
  const isOp = (k: number, op: string): boolean => toks[k]?.type === 'op' && toks[k]!.value === op;

  // CTE names: `name AS (` or `name (cols) AS (` after WITH or a comma.
  const ctes = new Set<string>();
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k]!;
    if (t.type !== 'ident' && t.type !== 'qident') continue;
    const prev = k > 0 ? toks[k - 1]! : undefined;
    const afterWith = prev && ((prev.type === 'ident' && ['with', 'recursive'].includes(prev.value.toLowerCase())) || (prev.type === 'op' && prev.value === ','));
    if (!afterWith) continue;
    let j = k + 1;
    if (isOp(j, '(')) {
      let depth = 0;
      for (; j < toks.length; j++) {
        if (isOp(j, '(')) depth++;
        else if (isOp(j, ')') && --depth === 0) break;
      }
      j++;
    }
    if (word(j) === 'as') {
      j++;
      if (word(j) === 'not') j++;
      if (word(j) === 'materialized') j++;
      if (isOp(j, '(')) ctes.add(t.type === 'ident' ? t.value.toLowerCase() : t.value);
    }
  }

  /** Parses a table item at k; returns the index after it (and its alias). */
  const item = (k: number): number => {
    const t = toks[k];
    if (!t) return k;
    if (t.type === 'op' && t.value === '(') return k; // subquery or parenthesised join: scanned as we go
    if (t.type !== 'ident' && t.type !== 'qident') return k;
    if (t.type === 'ident' && ['lateral', 'unnest', 'values', 'select'].includes(t.value.toLowerCase())) return k;
    // Table function: name(…)
    if (isOp(k + 1, '(')) {
      const fname = t.value.toLowerCase();
      let depth = 0;
      let j = k + 1;
      for (; j < toks.length; j++) {
        if (isOp(j, '(')) depth++;
        else if (isOp(j, ')') && --depth === 0) break;
      }
      if (TABLE_FUNCTIONS.has(fname) && t.type === 'ident') {
        functions.push({
          start: t.start - start,
          end: (toks[j]?.end ?? end) - start,
          fn: fname as TableFunctionName,
          args: splitArgs(sql, toks.slice(k + 2, j)),
        });
      }
      return j + 1;
    }
    const parts: string[] = [];
    let j = k;
    for (;;) {
      const p = toks[j];
      if (!p || (p.type !== 'ident' && p.type !== 'qident')) break;
      parts.push(p.type === 'ident' ? p.value.toLowerCase() : p.value);
      j++;
      if (isOp(j, '.') && (toks[j + 1]?.type === 'ident' || toks[j + 1]?.type === 'qident')) j++;
      else break;
    }
    let last = toks[j - 1]!.end;
    let timeTravel: TimeTravel | undefined;
    if (word(j) === 'for' && ['version', 'system_version', 'timestamp', 'system_time'].includes(word(j + 1)) && word(j + 2) === 'as' && word(j + 3) === 'of') {
      const kind = word(j + 1).endsWith('version') ? 'version' : 'timestamp';
      let v = j + 4;
      const vt = toks[v];
      if (!vt || vt.type === 'eof') throw new SqlParseError(`expected a ${kind} after AS OF at ${position(sql, toks[j + 3]!.end)}`);
      if (kind === 'version') {
        let value: string;
        if (vt.type === 'number' || vt.type === 'string' || vt.type === 'ident' || vt.type === 'qident') value = vt.value;
        else if (vt.type === 'op' && vt.value === '-' && toks[v + 1]?.type === 'number') {
          v++;
          value = `-${toks[v]!.value}`;
        } else throw new SqlParseError(`expected a snapshot id or branch/tag name after VERSION AS OF at ${position(sql, vt.start)}`);
        timeTravel = { kind: 'version', value };
        last = toks[v]!.end;
        j = v + 1;
      } else {
        // TIMESTAMP '…' | '…' | an expression up to the next clause word at this depth.
        let e = v;
        if (word(v) === 'timestamp' && toks[v + 1]?.type === 'string') e = v + 2;
        else if (vt.type === 'string') e = v + 1;
        else {
          let depth = 0;
          for (; e < toks.length; e++) {
            if (isOp(e, '(')) depth++;
            else if (isOp(e, ')')) {
              if (depth === 0) break;
              depth--;
            } else if (depth === 0 && (isOp(e, ',') || CLAUSE.has(word(e)) || (toks[e]!.type === 'ident' && e > v && toks[e - 1]!.type !== 'op'))) break;
          }
        }
        if (e === v) throw new SqlParseError(`expected a timestamp after TIMESTAMP AS OF at ${position(sql, vt.start)}`);
        timeTravel = { kind: 'timestamp', expr: sql.slice(toks[v]!.start, toks[e - 1]!.end) };
        last = toks[e - 1]!.end;
        j = e;
      }
    }
    let name = parts;
    let metadataTable: string | undefined;
    const tail = name[name.length - 1]!;
    const dollar = tail.indexOf('$');
    if (dollar > 0) {
      metadataTable = tail.slice(dollar + 1).toLowerCase();
      name = [...name.slice(0, -1), tail.slice(0, dollar)];
    }
    const ref: TableRef = { start: t.start - start, end: last - start, name };
    if (timeTravel) ref.timeTravel = timeTravel;
    if (metadataTable !== undefined) ref.metadataTable = metadataTable;
    if (name.length === 1 && ctes.has(name[0]!) && !metadataTable) ref.cte = true;
    refs.push(ref);
    // Skip an alias (and column aliases).
    if (word(j) === 'as') j++;
    if ((toks[j]?.type === 'qident' || (toks[j]?.type === 'ident' && !CLAUSE.has(word(j)))) && toks[j - 1]) {
      j++;
      if (isOp(j, '(')) {
        let depth = 0;
        for (; j < toks.length; j++) {
          if (isOp(j, '(')) depth++;
          else if (isOp(j, ')') && --depth === 0) break;
        }
        j++;
      }
    }
    return j;
  };

  if (bareName) {
    item(0);
    return { sql: text, refs, functions };
  }

  // Per paren depth: whether that level is a query (saw SELECT/FROM-first) and is in a FROM list.
  const isQuery: boolean[] = [true];
  const inFrom: boolean[] = [false];
  let depth = 0;
  let k = 0;
  while (k < toks.length) {
    const t = toks[k]!;
    if (t.type === 'op' && t.value === '(') {
      depth++;
      isQuery[depth] = ['select', 'with', 'values', 'from', 'table'].includes(word(k + 1)) || isOp(k + 1, '(');
      inFrom[depth] = false;
      k++;
      continue;
    }
    if (t.type === 'op' && t.value === ')') {
      depth = Math.max(0, depth - 1);
      k++;
      // After a parenthesised FROM item: skip its alias, then a comma continues the list.
      if (inFrom[depth]) {
        if (word(k) === 'as') k++;
        if (toks[k]?.type === 'qident' || (toks[k]?.type === 'ident' && !CLAUSE.has(word(k)))) k++;
      }
      continue;
    }
    const w = word(k);
    if (w === 'select') isQuery[depth] = true;
    if (FROM_LIST_END.has(w) && w !== 'select') inFrom[depth] = false;
    if (w === 'select') inFrom[depth] = false;
    if (w === 'from' || w === 'join') {
      const prev = word(k - 1);
      if (w === 'from' && (prev === 'distinct' || !isQuery[depth])) {
        k++;
        continue;
      }
      inFrom[depth] = true;
      isQuery[depth] = true;
      k = Math.max(item(k + 1), k + 1);
      continue;
    }
    if (t.type === 'op' && t.value === ',' && inFrom[depth]) {
      k = Math.max(item(k + 1), k + 1);
      continue;
    }
    k++;
  }
  return { sql: text, refs, functions };
}

function splitArgs(sql: string, toks: Token[]): { positional: string[]; named: Record<string, string> } {
  const positional: string[] = [];
  const named: Record<string, string> = {};
  let depth = 0;
  let from = 0;
  const flush = (to: number): void => {
    if (to <= from) return;
    let s = from;
    let key: string | undefined;
    const t = toks[s]!;
    // DuckDB names table function parameters with `name = value` (also `=>` and `:=`).
    const sep = toks[s + 1]?.type === 'op' ? toks[s + 1]!.value : undefined;
    if ((t.type === 'ident' || t.type === 'qident') && (sep === '=>' || sep === ':=' || sep === '=')) {
      key = t.value.toLowerCase();
      s += 2;
    }
    if (s >= to) return;
    const text = sql.slice(toks[s]!.start, toks[to - 1]!.end);
    if (key !== undefined) named[key] = text;
    else positional.push(text);
  };
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k]!;
    if (t.type === 'op' && (t.value === '(' || t.value === '[')) depth++;
    else if (t.type === 'op' && (t.value === ')' || t.value === ']')) depth--;
    else if (depth === 0 && t.type === 'op' && t.value === ',') {
      flush(k);
      from = k + 1;
    }
  }
  flush(toks.length);
  return { positional, named };
}
