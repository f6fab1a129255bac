import net from 'node:net';
import { decodeRecords, encodeRecords } from '../codec/codec.js';
import { RawBlockSplitter, RAW_BLOCK_HEADER_BYTES } from './raw-block-splitter.js';
import { Receiver } from './receiver.js';

/** Default largest block rawSocketStream accepts (256 MiB); a larger length is taken as a broken stream. */
export const DEFAULT_MAX_RAW_BLOCK_BYTES = 256 * 1024 * 1024;

/**
 * One block of a rawSocketStream's wire format: a 4-byte big-endian payload length, then
 * the payload, `records` (an array) encoded with the record codec (v8 serialize, as
 * `v8.serialize(records)` gives for plain data). A producer writes such blocks back to back.
 */
export function encodeRawBlock(records: readonly unknown[]): Buffer {
  const payload = encodeRecords(records);
  const header = Buffer.allocUnsafe(RAW_BLOCK_HEADER_BYTES);
  header.writeUInt32BE(payload.length, 0);
  return Buffer.concat([header, payload]);
}

/**
 * Reads blocks of already-serialized records from a TCP server, as Spark's
 * RawNetworkReceiver (ssc.rawSocketStream): each block is a 4-byte big-endian length
 * and that many bytes of payload, an array of records in the record codec (see
 * encodeRawBlock); a block of length 0 carries no records (a keep-alive). Each block's
 * records are stored at once, so a block lands whole in one batch.
 *
 * A payload that is not an encoded array, or a length over `maxBlockBytes`, means the
 * stream cannot be trusted past that point: the receiver reports it (naming the source,
 * the block and the format) and reconnects, as it does when the connection is refused
 * or breaks. A connection closed inside a block is reported the same way.
 */
export class RawSocketReceiver<T> extends Receiver<T> {
  private socket: net.Socket | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly maxBlockBytes: number = DEFAULT_MAX_RAW_BLOCK_BYTES,
  ) {
    super();
  }

  private where(): string {
    return `rawSocketStream(${this.host}:${this.port})`;
  }

  onStart(): void {
    const socket = net.connect({ host: this.host, port: this.port });
    this.socket = socket;
    socket.on('error', (err) => this.restart(`${this.where()}: cannot read: ${err.message}`, err));
    socket.on('connect', () => {
      void this.consume(socket).then(
        (ended) => {
          if (!this.isStopped()) this.restart(`${this.where()}: ${ended}; reconnecting`);
        },
        (err: Error) => this.restart(`${this.where()}: ${err.message}`, err),
      );
    });
  }

  /** Reads blocks until the connection ends; returns how it ended, throws on a bad block. */
  private async consume(socket: net.Socket): Promise<string> {
    const splitter = new RawBlockSplitter(this.maxBlockBytes);
    for await (const chunk of socket as AsyncIterable<Buffer>) {
      if (this.isStopped()) return 'stopped';
      const payloads = splitter.push(chunk);
      let index = splitter.blocks - payloads.length;
      for (const payload of payloads) {
        const records = payload.length === 0 ? [] : decodeBlock(payload, index);
        index++;
        if (records.length === 0) continue;
        const stored = this.store(records as T[]);
        if (this.bufferFull()) await stored.catch(() => undefined);
      }
    }
    const cut = splitter.unfinished();
    if (cut) this.reportError(`${this.where()}: the connection closed inside block ${splitter.blocks} (${cut.read} of ${cut.of} bytes read); that block is lost`);
    return 'the server closed the connection';
  }

  onStop(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

function decodeBlock(payload: Buffer, index: number): unknown[] {
  let records: unknown;
  try {
    records = decodeRecords(payload);
  } catch (err) {
    throw new Error(
      `block ${index} (${payload.length} bytes) is not in the record codec: ${(err as Error).message}. Each block is a 4-byte big-endian length, then v8.serialize(array of records)`,
    );
  }
  if (!Array.isArray(records)) {
    throw new Error(`block ${index} (${payload.length} bytes) holds ${records === null ? 'null' : typeof records}, not an array of records; send v8.serialize([record, ...])`);
  }
  return records;
}
