import zlib from 'node:zlib';
import { SluiceError } from '../errors.js';

/**
 * The compression codecs of text files, as Hadoop's that Spark reads and writes through:
 * 'gzip' (GzipCodec, `.gz`) and 'deflate' (DefaultCodec, `.deflate`: a zlib stream). A file
 * is read with the codec its name ends with (Hadoop's CompressionCodecFactory), whole: such a
 * file is not splittable.
 */
export type CompressionCodec = 'gzip' | 'deflate';

const EXTENSIONS: Readonly<Record<CompressionCodec, string>> = { gzip: '.gz', deflate: '.deflate' };

/** The codec a file is read with, by its name's extension; undefined for a plain file. */
export function codecOfFile(file: string): CompressionCodec | undefined {
  for (const [codec, ext] of Object.entries(EXTENSIONS) as [CompressionCodec, string][]) if (file.endsWith(ext)) return codec;
  return undefined;
}

/** The extension a part file written with `codec` gets (Hadoop's getDefaultExtension). */
export function codecExtension(codec: CompressionCodec): string {
  return EXTENSIONS[codec];
}

/** `codec` if it is one Sluice has, else SLUICE_BAD_ARGUMENT naming `where` and the codecs there are. */
export function checkCodec(codec: unknown, where: string): CompressionCodec {
  if (typeof codec === 'string' && Object.hasOwn(EXTENSIONS, codec)) return codec as CompressionCodec;
  throw new SluiceError('SLUICE_BAD_ARGUMENT', `${where}: unknown compression codec ${JSON.stringify(codec) ?? String(codec)}; the codecs are 'gzip' (.gz) and 'deflate' (.deflate)`);
}

export function compress(codec: CompressionCodec, data: Uint8Array): Buffer {
  return codec === 'gzip' ? zlib.gzipSync(data) : zlib.deflateSync(data);
}

/** A stream that decompresses what `codec` compressed (gzip: every member of a concatenated file). */
export function decompressor(codec: CompressionCodec): zlib.Gunzip | zlib.Inflate {
  return codec === 'gzip' ? zlib.createGunzip() : zlib.createInflate();
}

/** What `codec` compressed, decompressed at once (wholeTextFiles' files, read whole anyway). */
export function decompress(codec: CompressionCodec, data: Uint8Array): Buffer {
  return codec === 'gzip' ? zlib.gunzipSync(data) : zlib.inflateSync(data);
}
