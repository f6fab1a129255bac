import { SluiceError, splitHostPort } from '@sluice/core/internal';

/** What is wrong with `value` as a driver's HOST:PORT (port 1-65535), or undefined when nothing is. */
export function driverAddressProblem(value: string): string | undefined {
  const hp = splitHostPort(value);
  const port = hp ? Number(hp.port) : NaN;
  if (hp && port >= 1 && port <= 65535) return undefined;
  // A Spark master URL (spark://HOST:PORT) or another URL: the address is the part after '//'.
  const url = /^([a-z][a-z0-9+.-]*):\/\/([^/]*)/i.exec(value);
  if (url) return `it is a URL; give HOST:PORT without '${url[1]}://'${driverAddressProblem(url[2]!) === undefined ? ` (${url[2]})` : ''}`;
  return !value.includes(':') || value.endsWith(':') ? 'it has no port' : hp ? `port ${hp.port} is not from 1 to 65535` : 'it is not HOST:PORT (an IPv6 address goes in brackets: [::1]:7077)';
}

/**
 * `value` if it is a driver address (HOST:PORT, port 1-65535); otherwise a
 * SLUICE_BAD_ARGUMENT naming `option`, the value and what is wrong with it. Checked before
 * dialling: an address without a port would otherwise be dialled on gRPC's default port
 * (443) and fail, long after, as "no driver answers".
 */
export function driverAddress(value: string, option = '--driver'): string {
  const why = driverAddressProblem(value);
  if (why === undefined) return value;
  throw new SluiceError(
    'SLUICE_BAD_ARGUMENT',
    `${option} must be the driver's HOST:PORT (as \`sluice driver\` prints it, e.g. 10.0.0.5:7077), got '${value.slice(0, 100)}': ${why}`,
  );
}
