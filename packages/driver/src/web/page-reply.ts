import { escapeHtml, page } from './html.js';

/** An HTML answer. */
export interface PageReply {
  readonly status: number;
  readonly html: string;
}

export const missingPage = (what: string): PageReply => ({ status: 404, html: page('Not found', `<p>${escapeHtml(what)}</p><p><a href="/">Back to the driver</a></p>`) });
export const badRequestPage = (what: string): PageReply => ({ status: 400, html: page('Bad request', `<p>${escapeHtml(what)}</p><p><a href="/">Back to the driver</a></p>`) });
