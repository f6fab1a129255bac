// The lines of a file another process appends to while this one reads it. An append is one
// write(2), but a reader may see it cut short where it crosses a page (the file grows a page at
// a time), so the last line read can be a part of one: only the lines ended by a newline are
// taken, a tail without one is left for the next read.
import fs from 'node:fs';

/** The lines of `text` ended by a newline, empty ones left out; a tail with no newline is not taken. */
export function completeLinesOf(text: string): string[] {
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l.length > 0);
}

/** The complete lines of `file`, as completeLinesOf; [] while it does not exist. */
export function completeLines(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return completeLinesOf(text);
}
