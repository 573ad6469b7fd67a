import { SqlParseError } from '../errors.js';

export type TokenType = 'ident' | 'qident' | 'string' | 'number' | 'op' | 'param' | 'eof';

export interface Token {
  type: TokenType;
  /** Identifier or keyword as written (quoted ones unescaped), string contents, number or operator text. */
  value: string;
  /** Character offsets into the source. */
  start: number;
  end: number;
}

const OPERATORS = ['::', '=>', ':=', '<=', '>=', '<>', '!=', '==', '||', '->>', '->', '**', '//', '<<', '>>', '!~~', '~~', '^@'];

/** Splits SQL into tokens; comments and whitespace are dropped. */
export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) throw new SqlParseError(`unterminated comment starting at ${position(sql, i)}`);
      i = close + 2;
      continue;
    }
    const start = i;
    if (c === "'" || ((c === 'E' || c === 'e' || c === 'X' || c === 'x') && sql[i + 1] === "'")) {
      const prefix = c === "'" ? '' : c;
      i += prefix ? 2 : 1;
      let value = '';
      for (;;) {
        if (i >= n) throw new SqlParseError(`unterminated string literal starting at ${position(sql, start)}`);
        const ch = sql[i]!;
        if (ch === "'") {
          if (sql[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += ch;
        i++;
      }
      out.push({ type: 'string', value, start, end: i });
      continue;
    }
    if (c === '"' || c === '`') {
      i++;
      let value = '';
      for (;;) {
        if (i >= n) throw new SqlParseError(`unterminated quoted identifier starting at ${position(sql, start)}`);
        const ch = sql[i]!;
        if (ch === c) {
          if (sql[i + 1] === c) {
            value += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += ch;
        i++;
      }
      if (value.length === 0) throw new SqlParseError(`empty quoted identifier at ${position(sql, start)}`);
      out.push({ type: 'qident', value, start, end: i });
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      while (i < n && /[0-9_]/.test(sql[i]!)) i++;
      if (sql[i] === '.' && sql[i + 1] !== '.') {
        i++;
        while (i < n && /[0-9_]/.test(sql[i]!)) i++;
      }
      if ((sql[i] === 'e' || sql[i] === 'E') && /[-+0-9]/.test(sql[i + 1] ?? '')) {
        i += 2;
        while (i < n && /[0-9]/.test(sql[i]!)) i++;
      }
      out.push({ type: 'number', value: sql.slice(start, i), start, end: i });
      continue;
    }
    if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      while (i < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[i]!)) i++;
      out.push({ type: 'ident', value: sql.slice(start, i), start, end: i });
      continue;
    }
    if (c === '$' || c === '?') {
      i++;
      while (i < n && /[A-Za-z0-9_]/.test(sql[i]!)) i++;
      out.push({ type: 'param', value: sql.slice(start, i), start, end: i });
      continue;
    }
    const op = OPERATORS.find((o) => sql.startsWith(o, i));
    if (op) {
      i += op.length;
      out.push({ type: 'op', value: op, start, end: i });
      continue;
    }
    if ('(),;.=<>+-*/%[]{}:|&~!^@#'.includes(c)) {
      i++;
      out.push({ type: 'op', value: c, start, end: i });
      continue;
    }
    throw new SqlParseError(`unexpected character '${c}' at ${position(sql, i)}`);
  }
  out.push({ type: 'eof', value: '', start: n, end: n });
  return out;
}

/** `line:column` (1-based) of an offset. */
export function position(sql: string, offset: number): string {
  let line = 1;
  let col = 1;
  for (let i = 0; i < offset && i < sql.length; i++) {
    if (sql[i] === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  return `${line}:${col}`;
}
