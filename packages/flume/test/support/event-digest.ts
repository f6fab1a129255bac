// A fingerprint of one Flume event (its headers, sorted, and its body bytes): the fixture
// job sums those of what it received, the test those of what it sent (test code on both
// sides; the receiver does not use it).
export function eventDigest(headers: Record<string, string>, body: Uint8Array): number {
  let h = 0x811c9dc5;
  const mix = (b: number): void => {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  const text = Object.keys(headers)
    .sort()
    .map((k) => `${k}=${headers[k]}`)
    .join('\n');
  for (const b of Buffer.from(text, 'utf8')) mix(b);
  mix(0x1f);
  for (const b of body) mix(b);
  mix(body.length & 0xff);
  return h;
}

/** Sum of digests mod 2^32 (order-free). */
export function addDigest(sum: number, d: number): number {
  return (sum + d) >>> 0;
}
