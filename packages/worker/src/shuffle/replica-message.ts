import { EncodedMessage, hasLineBlockHeadroom } from '@sluice/core/internal';

/** BlockChunk's fields as protobuf tags: (field number << 3) | wire type (2: length-delimited, 0: varint). */
const BLOCK_ID_TAG = (1 << 3) | 2;
const DATA_TAG = (2 << 3) | 2;
const LAST_TAG = (3 << 3) | 0;

/**
 * The replica of a received line block as its PutBlock message (a BlockChunk: `block_id`,
 * `last` true, `data` the whole block), written in place: the header goes into the free
 * bytes in front of the block in its own ArrayBuffer (encodeLineBlock's headroom) and the
 * message is that header and the block, one buffer, nothing copied. protobufjs would
 * copy the block into a fresh buffer of the message's size (a 6 MB block: mapped and
 * faulted in page by page, the replica's largest cost on the sender with gRPC's framing).
 * The fields go in the order block_id, last, data (protobuf readers take any order), so
 * the block needs nothing after it.
 *
 * Undefined when `block` has no headroom (a block of records, a block cloned into a buffer
 * of its own) or its id does not fit in it: then the caller encodes the message as usual.
 * Writing the header changes no byte of the block, and a block sent again (to the next
 * peer) gets the same header.
 */
export function replicaMessageInPlace(blockId: string, block: Uint8Array): EncodedMessage | undefined {
  if (!hasLineBlockHeadroom(block)) return undefined;
  const id = Buffer.from(blockId, 'utf8');
  const headerBytes = 1 + varintBytes(id.length) + id.length + 2 + 1 + varintBytes(block.length);
  if (headerBytes > block.byteOffset) return undefined;
  const message = Buffer.from(block.buffer, block.byteOffset - headerBytes, headerBytes + block.length);
  let at = 0;
  message[at++] = BLOCK_ID_TAG;
  at = writeVarint(message, at, id.length);
  at += id.copy(message, at);
  message[at++] = LAST_TAG;
  message[at++] = 1;
  message[at++] = DATA_TAG;
  writeVarint(message, at, block.length);
  return new EncodedMessage(message);
}

function varintBytes(n: number): number {
  let bytes = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    bytes++;
  }
  return bytes;
}

/** Writes `n` (a non-negative integer below 2^53) as a protobuf varint at `at`; returns where it ends. */
function writeVarint(buf: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    buf[at++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buf[at++] = n;
  return at;
}
