// How the web pages write a size and a duration (packages/driver/src/web/html.ts's bytes and
// ms), written again here so the browser tests compute what a page must show independently of
// the page's own code.

/** As the pages write a duration: '87 ms', '1.23 s', '12.3 s'. */
export function shownMs(v: number): string {
  return v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(v < 10_000 ? 2 : 1)} s`;
}

/** As the pages write a size: '873 B', '1.2 KiB', '3.4 MiB'. */
export function shownBytes(v: number): string {
  if (v < 1024) return `${v} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let i = 0;
  let x = v / 1024;
  for (; x >= 1024 && i < units.length - 1; i++) x /= 1024;
  return `${x.toFixed(1)} ${units[i]}`;
}
