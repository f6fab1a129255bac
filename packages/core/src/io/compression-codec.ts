import type { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { SluiceError } from '../errors.js';
import { bunzip2, createBunzip2 } from './bzip2.js';

/**
 * The compression codecs of text files, as Hadoop's that Spark reads and writes through:
 * 'gzip' (GzipCodec, `.gz`) and 'deflate' (DefaultCodec, `.deflate`: a zlib stream). A file
 * is read with the codec its name ends with (Hadoop's CompressionCodecFactory), whole: such a
 * file is not splittable. Read only: 'bzip2' (BZip2Codec, `.bz2`, through seek-bzip).
 */
export type CompressionCodec = 'gzip' | 'deflate';

/** A codec a text file is read through: the ones Sluice writes, and bzip2. */
export type ReadCodec = CompressionCodec | 'bzip2';

const EXTENSIONS: Readonly<Record<CompressionCodec, string>> = { gzip: '.gz', deflate: '.deflate' };
const READ_EXTENSIONS: Readonly<Record<ReadCodec, string>> = { ...EXTENSIONS, bzip2: '.bz2' };

/** The codec a file is read with, by its name's extension; undefined for a plain file. */
export function codecOfFile(file: string): ReadCodec | undefined {
  for (const [codec, ext] of Object.entries(READ_EXTENSIONS) as [ReadCodec, string][]) if (file.endsWith(ext)) return codec;
  return undefined;
}

/** The extension a part file written with `codec` gets (Hadoop's getDefaultExtension). */
export function codecExtension(codec: CompressionCodec): string {
  return EXTENSIONS[codec];
}

/**
 * Hadoop's class names of those codecs, as PySpark's saveAsTextFile(path, compressionCodecClass)
 * and Scala's classOf[GzipCodec] name them (since 2026-12-07; before, refused as unknown).
 */
export const HADOOP_CODEC_CLASSES: Readonly<Record<string, CompressionCodec>> = {
  'org.apache.hadoop.io.compress.GzipCodec': 'gzip',
  'org.apache.hadoop.io.compress.DefaultCodec': 'deflate',
};

/** What a codec is given as: its name, or Hadoop's class name of it. */
export type CompressionCodecName = CompressionCodec | 'org.apache.hadoop.io.compress.GzipCodec' | 'org.apache.hadoop.io.compress.DefaultCodec';

/** `codec` if it is one Sluice has (by name or Hadoop's class name), else SLUICE_BAD_ARGUMENT naming `where` and the codecs there are. */
export function checkCodec(codec: unknown, where: string): CompressionCodec {
  if (typeof codec === 'string' && Object.hasOwn(EXTENSIONS, codec)) return codec as CompressionCodec;
  if (typeof codec === 'string' && Object.hasOwn(HADOOP_CODEC_CLASSES, codec)) return HADOOP_CODEC_CLASSES[codec];
  throw new SluiceError('SLUICE_BAD_ARGUMENT', `${where}: unknown compression codec ${JSON.stringify(codec) ?? String(codec)}; the codecs are 'gzip' (.gz) and 'deflate' (.deflate)`);
}

export function compress(codec: CompressionCodec, data: Uint8Array): Buffer {
  return codec === 'gzip' ? zlib.gzipSync(data) : zlib.deflateSync(data);
}

/** A stream that decompresses what `codec` compressed (gzip and bzip2: every member or stream of a concatenated file). */
export function decompressor(codec: ReadCodec): Transform {
  return codec === 'gzip' ? zlib.createGunzip() : codec === 'deflate' ? zlib.createInflate() : createBunzip2();
}

/** What `codec` compressed, decompressed at once (wholeTextFiles' files, read whole anyway). */
export function decompress(codec: ReadCodec, data: Uint8Array): Buffer {
  return codec === 'gzip' ? zlib.gunzipSync(data) : codec === 'deflate' ? zlib.inflateSync(data) : bunzip2(data);
}
