/**
 * Where a user's error was thrown: `file:line:col` of the first frame of its stack (the
 * stack the worker sent is mapped to the user's files and trimmed to their frames), or
 * undefined when it has none.
 */
export function userFrame(stack: string): string | undefined {
  for (const line of stack.split('\n')) {
    const text = line.trim();
    if (!text.startsWith('at ')) continue;
    const open = text.indexOf(' (');
    const location = text.endsWith(')') && open >= 0 ? text.slice(open + 2, -1) : text.slice(3);
    if (/:\d+:\d+$/.test(location)) return location.startsWith('file://') ? decodeURI(location.slice('file://'.length)) : location;
  }
  return undefined;
}
