/**
 * The error a task's stack (userErrorInfo's) describes, with its causes: each an Error of
 * the name, message and frames written there. Undefined for a stack without a header.
 */
export function causeFromStack(stack: string): Error | undefined {
  const parts = stack.split(/\nCaused by: /);
  let cause: Error | undefined;
  for (let i = parts.length - 1; i >= 0; i--) {
    const lines = parts[i].split('\n');
    const firstFrame = lines.findIndex((l) => /^\s+at /.test(l));
    const headText = (firstFrame < 0 ? lines : lines.slice(0, firstFrame)).join('\n');
    if (headText === '') continue;
    const m = /^([A-Za-z_$][\w$.]*): ([\s\S]*)$/.exec(headText);
    const e = new Error(m ? m[2] : headText, cause === undefined ? undefined : { cause });
    e.name = m ? m[1] : 'Error';
    e.stack = parts[i];
    cause = e;
  }
  return cause;
}
