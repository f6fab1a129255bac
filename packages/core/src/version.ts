/**
 * The version of @sluice/core, as its package.json gives it (a test checks the two agree): what
 * `sc.version` answers where Spark's gives Spark's version.
 */
export const SLUICE_VERSION = '0.1.0';
