import type { DriverJob } from '../job/driver-job.js';
import { escapeHtml } from './html.js';

/** A job's pages, as Spark's UI's top tabs: Jobs, Stages, Storage, Environment, Executors (and Streaming for a streaming job). */
export type JobTab = 'jobs' | 'stages' | 'storage' | 'environment' | 'executors' | 'streaming';

/** The tabs' row atop a job's pages, `active` marked (class "active", aria-current). */
export function jobTabs(j: DriverJob, active: JobTab | undefined): string {
  const base = `/jobs/${encodeURIComponent(j.id)}/`;
  const tabs: [JobTab, string, string][] = [
    ['jobs', 'Jobs', base],
    ['stages', 'Stages', `${base}stages/`],
    ['storage', 'Storage', `${base}storage/`],
    ['environment', 'Environment', `${base}environment/`],
    ['executors', 'Executors', `${base}executors/`],
  ];
  if (j.streaming) tabs.push(['streaming', 'Streaming', `${base}streaming/`]);
  const links = tabs.map(([key, label, href]) =>
    key === active ? `<a class="active" aria-current="page" data-tab="${key}" href="${escapeHtml(href)}">${escapeHtml(label)}</a>` : `<a data-tab="${key}" href="${escapeHtml(href)}">${escapeHtml(label)}</a>`,
  );
  return `<nav class="tabs" id="job-tabs">${links.join('')}</nav>`;
}
