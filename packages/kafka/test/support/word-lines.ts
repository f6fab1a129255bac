import type { Producer } from '@platformatic/kafka';

/** What sends lines: a producer, or a producer's open transaction. */
export interface LineSender {
  send: Producer['send'];
}

/** The input of the word-count tests: `expected` holds the count of each word sent with `count`. */
export interface WordLines {
  readonly expected: Map<string, number>;
  /** Sends `lines` lines to the topic, 100 a request; their words are counted unless `count` is false (an aborted transaction's). */
  send(producer: LineSender, lines: number, count?: boolean): Promise<void>;
}

/**
 * Lines of 1-4 words, from a seeded generator (the same seed, the same lines), each line to a
 * partition p of 3 and every word of it one of that partition's (word k lives in partition
 * k % 3), so a partition's counts are its own words'. What the tests expect is counted here,
 * from what was sent, never from what Sluice wrote.
 */
export function wordLines(topic: string, seed: number): WordLines {
  let state = seed;
  const rand = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296;
  const expected = new Map<string, number>();
  return {
    expected,
    async send(producer, lines, count = true) {
      for (let sent = 0; sent < lines; ) {
        const messages = [];
        for (let i = 0; i < 100 && sent < lines; i++, sent++) {
          const p = Math.floor(rand() * 3);
          const words = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => `w${3 * Math.floor(rand() * 12) + p}`);
          if (count) for (const w of words) expected.set(w, (expected.get(w) ?? 0) + 1);
          messages.push({ topic, partition: p, value: Buffer.from(words.join(' ')) });
        }
        await producer.send({ messages });
      }
    },
  };
}
