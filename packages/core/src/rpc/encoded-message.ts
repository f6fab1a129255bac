/**
 * A message already encoded as its type's protobuf bytes. The services' serializer
 * (loadProto) hands `bytes` to gRPC as they are, without protobufjs's `fromObject` and
 * `encode` (which copy every `bytes` field into a buffer of their own): a received block's
 * replica is laid out as its PutBlock message where the block was made (the block's
 * headroom, LINE_BLOCK_HEADROOM), so the only copy left on the sender is gRPC's framing.
 *
 * Whoever makes one vouches that `bytes` decode as the call's message type (a test of the
 * encoder against protobufjs's decoder is the check; the peer's decoder rejects anything
 * else as a bad message).
 */
export class EncodedMessage {
  constructor(readonly bytes: Buffer) {}
}
