/**
 * `address` as HOST:PORT — the host a name or an IPv4 address, or an IPv6 address in brackets
 * (returned without them) — with the port as written (digits, not range-checked); undefined
 * when it is not so written.
 */
export function splitHostPort(address: string): { readonly host: string; readonly port: string } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d+)$/.exec(address);
  return m ? { host: (m[1] ?? m[2])!, port: m[3]! } : undefined;
}
