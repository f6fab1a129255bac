import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { SluiceError } from '../errors.js';

/** How sc.addArchive unpacks a file, by its name's ending as Spark's Utils.unpack: zip (and jar), tar.gz / tgz, tar; any other is copied as it is. */
export type ArchiveKind = 'zip' | 'tgz' | 'tar' | 'copy';

export function archiveKind(fileName: string): ArchiveKind {
  const n = fileName.toLowerCase();
  if (n.endsWith('.zip') || n.endsWith('.jar')) return 'zip';
  if (n.endsWith('.tar.gz') || n.endsWith('.tgz')) return 'tgz';
  if (n.endsWith('.tar')) return 'tar';
  return 'copy';
}

/**
 * Unpack archive `file` into the new directory `dest` (made here): a zip's stored and deflated
 * entries, a tar's (gzip'd or not) files, directories and links inside it. An entry whose path
 * leads out of `dest` (absolute, or through `..`), a zip64 or encrypted zip and a corrupt
 * archive are SLUICE_BAD_ARGUMENT naming the archive.
 */
export function unpackArchive(file: string, kind: Exclude<ArchiveKind, 'copy'>, dest: string): void {
  const bytes = fs.readFileSync(file);
  fs.mkdirSync(dest, { recursive: true });
  const bad = (why: string): SluiceError => new SluiceError('SLUICE_BAD_ARGUMENT', `sc.addArchive: cannot unpack ${file}: ${why}; give an intact .zip, .tar.gz, .tgz or .tar`);
  const target = (name: string): string => {
    const rel = name.replace(/\\/g, '/').replace(/^\.\/+/, '');
    if (rel.startsWith('/') || rel.split('/').includes('..')) throw bad(`the entry '${name}' leads out of the directory it is unpacked into`);
    return path.join(dest, rel);
  };
  if (kind === 'zip') unzip(bytes, target, bad);
  else {
    let tar: Buffer;
    try {
      tar = kind === 'tgz' ? zlib.gunzipSync(bytes) : bytes;
    } catch (err) {
      throw bad(`not gzip data (${(err as Error).message})`);
    }
    untar(tar, target, bad);
  }
}

function writeFile(p: string, data: Uint8Array, mode: number | undefined): void {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
  if (mode !== undefined && (mode & 0o777) !== 0) fs.chmodSync(p, mode & 0o777);
}

function unzip(b: Buffer, target: (name: string) => string, bad: (why: string) => SluiceError): void {
  let eocd = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 65535); i--) {
    if (b.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad('no end of central directory record (not a zip file)');
  const count = b.readUInt16LE(eocd + 10);
  let at = b.readUInt32LE(eocd + 16);
  if (count === 0xffff || at === 0xffffffff) throw bad('zip64 archives are not read');
  for (let e = 0; e < count; e++) {
    if (at + 46 > b.length || b.readUInt32LE(at) !== 0x02014b50) throw bad(`central directory entry ${e} is corrupt`);
    const flags = b.readUInt16LE(at + 8);
    const method = b.readUInt16LE(at + 10);
    const compressed = b.readUInt32LE(at + 20);
    const size = b.readUInt32LE(at + 24);
    const nameLen = b.readUInt16LE(at + 28);
    const next = at + 46 + nameLen + b.readUInt16LE(at + 30) + b.readUInt16LE(at + 32);
    const unixMode = b.readUInt32LE(at + 38) >>> 16;
    const local = b.readUInt32LE(at + 42);
    const name = b.subarray(at + 46, at + 46 + nameLen).toString('utf8');
    at = next;
    if (flags & 1) throw bad(`the entry '${name}' is encrypted`);
    const p = target(name);
    if (name.endsWith('/')) {
      fs.mkdirSync(p, { recursive: true });
      continue;
    }
    if (local + 30 > b.length || b.readUInt32LE(local) !== 0x04034b50) throw bad(`the entry '${name}''s local header is corrupt`);
    const start = local + 30 + b.readUInt16LE(local + 26) + b.readUInt16LE(local + 28);
    const raw = b.subarray(start, start + compressed);
    let data: Buffer;
    if (method === 0) data = raw;
    else if (method === 8) {
      try {
        data = zlib.inflateRawSync(raw);
      } catch (err) {
        throw bad(`the entry '${name}' does not inflate (${(err as Error).message})`);
      }
    } else throw bad(`the entry '${name}' is compressed by method ${method} (only stored and deflated entries are read)`);
    if (data.length !== size) throw bad(`the entry '${name}' has ${data.length} bytes where its header says ${size}`);
    // A symbolic link (S_IFLNK): its target is the entry's data.
    if ((unixMode & 0o170000) === 0o120000) link(p, data.toString('utf8'), name, target, bad);
    else writeFile(p, data, unixMode === 0 ? undefined : unixMode);
  }
}

function link(p: string, to: string, name: string, target: (name: string) => string, bad: (why: string) => SluiceError): void {
  if (path.isAbsolute(to)) throw bad(`the link '${name}' points out of the archive (${to})`);
  // Checked as an entry of the archive would be: its target inside what is unpacked.
  target(path.posix.join(path.posix.dirname(name.replace(/\\/g, '/')), to));
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.symlinkSync(to, p);
}

/** A tar header's number: octal text, or base-256 when its first byte has the high bit. */
function tarNumber(h: Buffer, off: number, len: number): number {
  if (h[off] & 0x80) {
    let n = h[off] & 0x7f;
    for (let i = 1; i < len; i++) n = n * 256 + h[off + i];
    return n;
  }
  const t = h.subarray(off, off + len).toString('latin1').replace(/\0.*$/s, '').trim();
  return t === '' ? 0 : parseInt(t, 8);
}

function untar(b: Buffer, target: (name: string) => string, bad: (why: string) => SluiceError): void {
  let at = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  while (at + 512 <= b.length) {
    const h = b.subarray(at, at + 512);
    const cString = (off: number, len: number): string => h.subarray(off, off + len).toString('utf8').replace(/\0.*$/s, '');
    if (h.every((x) => x === 0)) return;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    if (sum !== tarNumber(h, 148, 8)) throw bad(`the header at byte ${at} has a wrong checksum (not a tar file?)`);
    const size = tarNumber(h, 124, 12);
    const type = String.fromCharCode(h[156] || 48);
    const data = b.subarray(at + 512, at + 512 + size);
    if (data.length < size) throw bad(`the archive ends inside an entry (cut short?)`);
    at += 512 + Math.ceil(size / 512) * 512;
    const prefix = h.subarray(257, 263).toString('latin1').startsWith('ustar') ? cString(345, 155) : '';
    const name = paxPath ?? longName ?? (prefix === '' ? cString(0, 100) : `${prefix}/${cString(0, 100)}`);
    if (type === 'L') {
      longName = data.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    if (type === 'x') {
      for (const m of data.toString('utf8').matchAll(/(\d+) path=([^\n]*)\n/g)) paxPath = m[2];
      continue;
    }
    longName = undefined;
    paxPath = undefined;
    if (type === 'g') continue;
    if (name === '' || name === './') continue;
    const p = target(name);
    const mode = tarNumber(h, 100, 8);
    if (type === '5') fs.mkdirSync(p, { recursive: true });
    else if (type === '0' || type === '7') writeFile(p, data, mode);
    else if (type === '2') link(p, cString(157, 100), name, target, bad);
    else if (type === '1') {
      const from = target(cString(157, 100));
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.copyFileSync(from, p);
    }
    // Devices, FIFOs and others: not files a task reads, skipped.
  }
}
