import { PROTO_DESCRIPTOR_SHA256 } from './proto-descriptor.js';
import { SLUICE_VERSION } from '../version.js';

/**
 * The fingerprint of the contract between processes: the first 12 hex digits of the sha256 of
 * proto/'s messages and services as this build parsed them (comments left out, so a change to
 * the .proto's words alone keeps it). Two builds with the same version but another contract
 * (a field added, renumbered, retyped) differ here.
 */
export const PROTOCOL_ID = PROTO_DESCRIPTOR_SHA256.slice(0, 12);

/** What a process of this build says of itself when a worker registers (RegisterWorkerRequest / Response). */
export interface BuildIdentity {
  /** @sluice/core's version ('' from a build before the field: an older one). */
  readonly sluiceVersion: string;
  /** PROTOCOL_ID of its build ('' likewise). */
  readonly protocol: string;
}

export const THIS_BUILD: BuildIdentity = { sluiceVersion: SLUICE_VERSION, protocol: PROTOCOL_ID };

function describe(b: BuildIdentity): string {
  return b.sluiceVersion === '' && b.protocol === '' ? 'a Sluice build older than 2026-12-06 (it does not say its version)' : `Sluice ${b.sluiceVersion} (protocol ${b.protocol})`;
}

/**
 * Why a worker of build `worker` cannot work with a driver of build `driver`, or undefined when
 * they are the same build. As Spark requires its executors to run the driver's Spark version,
 * a cluster runs one build: another one's tasks, plans and messages are read with other meanings
 * (a field one side does not know is dropped without a word), so the two are refused at
 * registration, naming both builds, rather than left to fail (or compute wrongly) later.
 */
export function buildMismatch(worker: BuildIdentity, driver: BuildIdentity): string | undefined {
  if (worker.sluiceVersion === driver.sluiceVersion && worker.protocol === driver.protocol) return undefined;
  return (
    `the worker runs ${describe(worker)}, the driver ${describe(driver)}: ` +
    'a driver and its workers must be of one build: start the worker from the same Sluice install or checkout (built) as the driver, or the driver from the worker\'s'
  );
}
