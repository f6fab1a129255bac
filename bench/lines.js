// The benches' input: `n` 100-byte lines (99 characters and '\n') of words from a 1,000-word
// vocabulary, from a fixed seed, as one Buffer — the same bytes in every bench and every run.
export function makeLines(n) {
  let seed = 1;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  const vocab = Array.from({ length: 1000 }, (_, i) => 'w' + i.toString(36).padStart(3, '0'));
  const lines = [];
  for (let i = 0; i < n; i++) {
    let line = '';
    while (line.length < 95) line += (line ? ' ' : '') + vocab[Math.floor(rand() * vocab.length)];
    lines.push(line.padEnd(99, 'x'));
  }
  return Buffer.from(lines.join('\n') + '\n');
}
