import { formatDuration, formatDurationVerbose } from '@sluice/core/internal';

/** HTML text for any value: every page builds its markup from values through this. */
export function escapeHtml(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A table of escaped cells; a cell given as `{ html }` is markup the page built (a link). */
export type Cell = string | number | undefined | { readonly html: string };

export function cellHtml(c: Cell): string {
  return typeof c === 'object' ? c.html : escapeHtml(c);
}

export function table(headers: readonly string[], rows: readonly (readonly Cell[])[], attrs = ''): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${cellHtml(c)}</td>`).join('')}</tr>`).join('');
  return `<table${attrs}><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

export function link(href: string, text: string | number): { html: string } {
  return { html: `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>` };
}

export function ms(v: number | undefined): string {
  if (v === undefined) return '-';
  return v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(v < 10_000 ? 2 : 1)} s`;
}

/** A duration in a Streaming table cell, as Spark's UIUtils.formatDuration ("87 ms", "12 s", "1.2 min"); '-' when unknown. */
export function duration(v: number | undefined): string {
  return v === undefined ? '-' : formatDuration(v);
}

/** A duration in words, as Spark's UIUtils.formatDurationVerbose ("1 second", "2 minutes 3 seconds"); '-' when unknown. */
export function durationVerbose(v: number | undefined): string {
  return v === undefined ? '-' : formatDurationVerbose(v).trim();
}

/** The driver's time zone (an IANA name): the Streaming page's script writes batch times in it, as the server-side pages do. */
export function driverTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export function bytes(v: number): string {
  if (v < 1024) return `${v} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let x = v / 1024;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${x.toFixed(1)} ${units[i]}`;
}

export function time(v: number | undefined): string {
  return v === undefined ? '-' : new Date(v).toISOString().replace('T', ' ').replace('Z', '');
}

/** A whole page: title, navigation, body; `head` adds to <head> (scripts, refresh). */
export function page(title: string, body: string, opts: { head?: string; bodyAttrs?: string } = {}): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)} · Sluice</title>
<link rel="stylesheet" href="/static/sluice.css">${opts.head ?? ''}</head>
<body${opts.bodyAttrs ?? ''}><nav><a href="/">Sluice driver</a> · <a href="/api/v1/applications">REST API</a> · <a href="/metrics">Prometheus metrics</a></nav>
<h1>${escapeHtml(title)}</h1>
${body}</body></html>`;
}
