/** Characters that must not reach a terminal raw: C0 controls, DEL, C1 controls, Unicode direction overrides, and the backslash that starts an escape. */
const UNSAFE = /[\\\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from the cluster (job names, worker ids, error messages) in a form safe to print:
 * control characters become visible escapes (`\n`, `\r`, `\t`, `\x1b`, `\u202e`) and a
 * backslash is doubled, so a name cannot break a table's line or send terminal escape
 * sequences, and the escaped form reads back unambiguously (as `ls -b`).
 * With `keepNewlines`, `\n` stays a line break (multi-line error text printed on its own).
 */
export function escapeControl(s: string, opts: { readonly keepNewlines?: boolean } = {}): string {
  return s.replace(UNSAFE, (c) => {
    switch (c) {
      case '\\':
        return '\\\\';
      case '\n':
        return opts.keepNewlines ? '\n' : '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default: {
        const code = c.charCodeAt(0);
        return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
      }
    }
  });
}
