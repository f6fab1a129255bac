// The one function Sluice uses of seek-bzip (pure JavaScript bzip2 decoding; it ships no types).
declare module 'seek-bzip' {
  /** Decodes a whole bzip2 file; `multistream`: every stream of a concatenated file. Throws TypeError('Data error...') on corrupt data. */
  const seekBzip: { decode(input: Uint8Array, output?: undefined, multistream?: boolean): Buffer };
  export default seekBzip;
}
