import { tokenize } from './lexer.js';

/** Splits a script at `;` outside strings, quoted identifiers and comments; empty pieces are dropped. */
export function splitStatements(sql: string): string[] {
  const tokens = tokenize(sql);
  const out: string[] = [];
  let start = 0;
  let has = false;
  for (const t of tokens) {
    if (t.type === 'eof' || (t.type === 'op' && t.value === ';')) {
      if (has) out.push(sql.slice(start, t.start).trim());
      start = t.end;
      has = false;
    } else has = true;
  }
  return out;
}
