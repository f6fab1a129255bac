/**
 * Errors as Node's fs gives them, for tests that make an fs call fail (fs or fs.promises
 * patched): the message `CODE: text, syscall 'path'` with `code`, `syscall` and `path` set,
 * which is what the code under test reads (isDiskFull, notWritableFix, the message).
 */
export function fsError(code: string, text: string, syscall: string, p?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${text}, ${syscall}${p === undefined ? '' : ` '${p}'`}`), { code, syscall, ...(p === undefined ? {} : { path: p }) });
}

/** EACCES for `syscall` on `p`: a directory made read-only under the process, or a file it may not remove. */
export function refused(syscall: string, p: string): NodeJS.ErrnoException {
  return fsError('EACCES', 'permission denied', syscall, p);
}
