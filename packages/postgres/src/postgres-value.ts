import { SluiceError } from '@sluice/core';

/**
 * One value as the text Postgres parses for its column, the same for COPY and for INSERT
 * parameters (so the two methods store the same thing): null and undefined are NULL;
 * strings as they are; numbers, bigints and booleans by String(); a Date in ISO 8601 UTC;
 * a Buffer or Uint8Array as bytea hex (`\x...`); an array as a Postgres array literal
 * (`{1,2,"a b"}`); any other object as JSON (for json/jsonb columns).
 */
export function toPostgresText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(v);
    case 'object':
      if (v instanceof Date) return v.toISOString();
      if (v instanceof Uint8Array) return '\\x' + Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
      if (Array.isArray(v)) return arrayLiteral(v);
      return JSON.stringify(v);
    default:
      throw new SluiceError('SLUICE_BAD_RECORD', `a ${typeof v} cannot be stored in a Postgres column; give strings, numbers, booleans, Dates, Buffers, arrays or plain objects`);
  }
}

function arrayLiteral(a: readonly unknown[]): string {
  return (
    '{' +
    a
      .map((x) => {
        if (x === null || x === undefined) return 'NULL';
        if (Array.isArray(x)) return arrayLiteral(x);
        const s = toPostgresText(x)!;
        return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
      })
      .join(',') +
    '}'
  );
}

/** One value in COPY's text format: `\N` for NULL, backslash, tab, newline and carriage return escaped. */
export function copyField(v: unknown): string {
  const s = toPostgresText(v);
  if (s === null) return '\\N';
  return /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : s;
}

/** A name quoted as an identifier: `"name"` (taken as written, case kept); `schema.table` is two. */
export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

export function quoteQualified(name: string): string {
  return name.split('.').map(quoteIdent).join('.');
}
