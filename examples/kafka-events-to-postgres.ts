// A whole pipeline, as a user builds one: JSON events from a Kafka topic (some malformed),
// parsed with the malformed ones counted and left out, a 10-second window of events per user
// every 2 seconds and a running total per user kept with mapWithState, both written to
// Postgres, the offsets committed after, and everything recoverable from a checkpoint: stop
// it (`sluice stop JOB --graceful`, Ctrl-C on `sluice run`), start it again with the same
// CHECKPOINT_DIR, and it goes on where it stopped, each event counted once.
//
//   node packages/cli/bin/sluice.js run --workers 2 examples/kafka-events-to-postgres.ts BROKERS TOPIC PG_URL CHECKPOINT_DIR
//       BROKERS: host:port[,host:port...]; TOPIC: events as {"user": "ann", "amount": 12}
//       PG_URL: postgres://user@host:5432/db; CHECKPOINT_DIR: a directory the driver and workers see
//   psql PG_URL -c 'SELECT * FROM user_totals ORDER BY 1'
//
// Tables (created if missing): user_totals ("user" PRIMARY KEY, events, amount), the running
// totals, upserted each batch; user_windows (batch_time, "user", events), each window's counts,
// one row per user and slide (a user whose events left the window has a row with 0).
// Each partition of each batch is written once, also when a batch runs again after a recovery.
import pg from 'pg';
import { SluiceError, StateSpec, StreamingContext, Seconds, type SluiceContext, type State } from '@sluice/core';
import { KafkaUtils, decodeRecords, hasOffsetRanges, valueString } from '@sluice/kafka';
import { saveToPostgres } from '@sluice/postgres';

export interface UserEvent {
  readonly user: string;
  readonly amount: number;
}

/** An event, or an error naming what is wrong with the record's JSON (decodeRecords then leaves it out and counts it). */
export function parseEvent(text: string | null): UserEvent {
  const o = JSON.parse(text ?? 'null') as Partial<UserEvent> | null;
  if (typeof o?.user !== 'string' || typeof o.amount !== 'number') throw new Error(`not an event: ${JSON.stringify(text)?.slice(0, 80)}`);
  return { user: o.user, amount: o.amount };
}

export default async function kafkaEventsToPostgres(sc: SluiceContext, args: string[]): Promise<void> {
  const [brokerList, topic, connectionString, checkpointDir, groupId = 'sluice-kafka-events'] = args;
  if (!brokerList || !topic || !connectionString || !checkpointDir) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', 'kafka-events-to-postgres: give BROKERS TOPIC PG_URL CHECKPOINT_DIR, e.g. `127.0.0.1:29092 events postgres://postgres@localhost/postgres /tmp/events-ckpt`');
  }
  const db = new pg.Client({ connectionString });
  await db.connect();
  await db.query('CREATE TABLE IF NOT EXISTS user_totals ("user" text PRIMARY KEY, events bigint NOT NULL, amount bigint NOT NULL)');
  await db.query('CREATE TABLE IF NOT EXISTS user_windows (batch_time bigint NOT NULL, "user" text NOT NULL, events bigint NOT NULL, PRIMARY KEY (batch_time, "user"))');
  await db.end();

  const malformed = sc.longAccumulator('malformed events');
  // getOrCreate: the same graph every start; with a checkpoint, the stream goes on from it.
  const ssc = await StreamingContext.getOrCreate(sc, checkpointDir, () => {
    const ssc = new StreamingContext(sc, Seconds(1));
    ssc.checkpoint(checkpointDir);
    const records = KafkaUtils.createDirectStream(ssc, { brokers: brokerList.split(','), topics: [topic], groupId, startingOffsets: 'earliest' });
    const events = decodeRecords(records, (r) => parseEvent(valueString(r)), { onError: 'skip', skipped: malformed });
    events.cache(); // two outputs read it: parse (and count the malformed) once
    const amounts = events.map((e): [string, number] => [e.user, e.amount]);

    // Events per user over the last 10 s, every 2 s (with an inverse: each window is the last one minus what left plus what came).
    const windowed = amounts.map(([user]): [string, number] => [user, 1]).reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, Seconds(10), Seconds(2));
    windowed.foreachRDD(async (rdd, time) => {
      await saveToPostgres(rdd.map(([user, n]) => [time, user, n]), { connectionString, table: 'user_windows', columns: ['batch_time', 'user', 'events'], batchTime: time, outputId: 'user_windows' });
    });

    // Running totals per user: [events, amount] as the state.
    const totals = amounts.mapWithState(
      StateSpec.function((user: string, amount: number | undefined, state: State<[number, number]>) => {
        const [n, sum] = state.getOption() ?? [0, 0];
        state.update([n + 1, sum + (amount ?? 0)]);
        return user;
      }),
    );
    const rows = totals.stateSnapshots().map(([user, [n, amount]]) => ({ user, events: n, amount }));
    saveToPostgres(rows, { connectionString, table: 'user_totals', columns: ['user', 'events', 'amount'], conflictKey: ['user'] });

    // Output operations run in order: the offsets are committed once both tables were written.
    records.foreachRDD(async (rdd, time) => {
      if (hasOffsetRanges(rdd)) await records.commitAsync(rdd.offsetRanges());
      if (malformed.value > 0) console.log(`${time}: ${malformed.value} malformed events left out so far`);
    });
    return ssc;
  });
  ssc.start();
  await ssc.awaitTermination();
}
