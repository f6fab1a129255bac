import type { DriverJob } from '../job/driver-job.js';
import { escapeHtml, page, table } from './html.js';
import { jobTabs } from './job-tabs.js';
import type { EnvironmentView } from './rest-views.js';

/**
 * `/jobs/{id}/environment/`: Spark's Environment tab (EnvironmentPage) from the REST API's
 * `environment`: Runtime Information (Node.js's version where Spark's has Java's and Scala's)
 * and the Spark properties the driver and the job run with, sorted by key (the cluster secret
 * is never among them). Spark's Hadoop and system properties and classpath entries Sluice has
 * none of: the page says so.
 */
export function environmentPage(j: DriverJob, env: EnvironmentView): string {
  const body = `${jobTabs(j, 'environment')}
<h2>Runtime Information</h2>${table(['Name', 'Value'], [['Node.js Version', env.runtime.nodeVersion]], ' id="runtime"')}
<h2>Spark Properties (${env.sparkProperties.length})</h2>${table(['Name', 'Value'], env.sparkProperties.map(([k, v]) => [k, v]), ' id="spark-properties"')}
<p>${escapeHtml('Sluice has no Hadoop properties, JVM system properties or classpath entries: a job is one bundled script, and the properties above are all it runs with. The same list is at /api/v1/applications/{id}/environment.')}</p>`;
  return page(`Environment: ${j.name} (${j.id})`, body);
}
