import { createReadStream, promises as fsp, type Stats } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import yauzl from 'yauzl';
import tarStream from 'tar-stream';
import { READ_CHUNK_BYTES } from './framing';

/** Limits that make a hostile archive harmless. */
export interface BundleLimits {
  /** An entry expanding beyond this ratio (uncompressed / compressed) is refused, once it is larger than `ratioFloorBytes`. */
  maxRatio: number;
  ratioFloorBytes: number;
  /** Largest single entry, and largest total expansion of one archive. */
  maxEntryBytes: number;
  maxTotalBytes: number;
  maxEntries: number;
}

export const DEFAULT_LIMITS: BundleLimits = {
  maxRatio: 200,
  ratioFloorBytes: 16 * 1024 * 1024,
  maxEntryBytes: 16 * 1024 ** 3,
  maxTotalBytes: 64 * 1024 ** 3,
  maxEntries: 100_000,
};

export class BundleError extends Error {}

export interface BundleEntry {
  /** Display path: the file path, or `<archive>!/<member>` for archive members. */
  path: string;
  container: string | null;
  member: string | null;
  /** Uncompressed size when known up front. */
  size: number | null;
  /** Set when the entry must not be read, with the reason. */
  refused?: string;
  /** For plain files on disk: the path to re-hash later (`casefile verify`). */
  diskPath?: string;
  /** Open the entry's bytes. Call at most once. */
  open(): Promise<Readable>;
}

export type InputKind = 'file' | 'folder' | 'zip' | 'tar.gz' | 'tar';

export async function inputKind(p: string): Promise<InputKind> {
  let st: Stats;
  try {
    st = await fsp.stat(p);
  } catch (e) {
    throw new BundleError(`cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (st.isDirectory()) return 'folder';
  const fh = await fsp.open(p, 'r');
  try {
    const b = Buffer.alloc(512);
    const { bytesRead } = await fh.read(b, 0, 512, 0);
    if (bytesRead >= 4 && b.readUInt32LE(0) === 0x04034b50) return 'zip';
    if (bytesRead >= 4 && b.readUInt32LE(0) === 0x06054b50) return 'zip'; // empty zip
    if (bytesRead >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'tar.gz';
    if (bytesRead >= 262 && b.toString('latin1', 257, 262) === 'ustar') return 'tar';
  } finally {
    await fh.close();
  }
  return 'file';
}

/** A member name that would land outside the bundle if extracted, or is otherwise unsafe. */
export function unsafeMemberName(name: string): string | null {
  if (name.includes('\0')) return 'entry name contains a NUL byte';
  const n = name.replace(/\\/g, '/');
  if (n.startsWith('/') || /^[A-Za-z]:/.test(n)) return `absolute path in archive: ${name}`;
  const parts = n.split('/');
  let depth = 0;
  for (const part of parts) {
    if (part === '..') {
      depth--;
      if (depth < 0) return `path escapes the bundle (zip-slip): ${name}`;
    } else if (part !== '.' && part !== '') depth++;
  }
  return null;
}

/** Count bytes flowing through and refuse when limits are crossed (decompression bombs). */
function guard(stream: Readable, what: string, compressedSize: number | null, limits: BundleLimits, total: { bytes: number }): Readable {
  let n = 0;
  const out = new Readable({ read() {} });
  stream.on('data', (c: Buffer) => {
    n += c.length;
    total.bytes += c.length;
    if (n > limits.maxEntryBytes) return fail(`${what} expands beyond ${limits.maxEntryBytes} bytes: refused as a decompression bomb`);
    if (total.bytes > limits.maxTotalBytes) return fail(`archive expands beyond ${limits.maxTotalBytes} bytes: refused as a decompression bomb`);
    if (compressedSize !== null && n > limits.ratioFloorBytes && n / Math.max(1, compressedSize) > limits.maxRatio)
      return fail(`${what} expands more than ${limits.maxRatio}:1 (${n} bytes from ${compressedSize}): refused as a decompression bomb`);
    if (!out.push(c)) stream.pause();
  });
  out._read = () => stream.resume();
  stream.on('end', () => out.push(null));
  stream.on('error', (e) => out.destroy(e));
  function fail(msg: string) {
    stream.destroy();
    out.destroy(new BundleError(msg));
  }
  return out;
}

/** Enumerate the files of a bundle (or a single file) as entries, in a stable order. */
export async function* enumerateInput(input: string, limits: BundleLimits = DEFAULT_LIMITS, onRawBytes?: (n: number) => void): AsyncGenerator<BundleEntry> {
  const abs = resolve(input);
  const kind = await inputKind(abs);
  if (kind === 'file') {
    const st = await fsp.stat(abs);
    yield { path: abs, container: null, member: null, size: st.size, diskPath: abs, open: async () => counting(createReadStream(abs, { highWaterMark: READ_CHUNK_BYTES }), onRawBytes) };
    return;
  }
  if (kind === 'folder') {
    yield* enumerateFolder(abs, onRawBytes);
    return;
  }
  if (kind === 'zip') {
    yield* enumerateZip(abs, limits, onRawBytes);
    return;
  }
  yield* enumerateTar(abs, kind === 'tar.gz', limits, onRawBytes);
}

function counting(s: Readable, onRawBytes?: (n: number) => void): Readable {
  if (onRawBytes) s.on('data', (c: Buffer) => onRawBytes(c.length));
  return s;
}

async function* enumerateFolder(root: string, onRawBytes?: (n: number) => void): AsyncGenerator<BundleEntry> {
  const realRoot = await fsp.realpath(root);
  const files: string[] = [];
  const walk = async (dir: string) => {
    const ents = await fsp.readdir(dir, { withFileTypes: true });
    ents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of ents) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else files.push(p);
    }
  };
  await walk(root);
  for (const p of files) {
    const member = relative(root, p).split(sep).join('/');
    const base = { path: p, container: root, member };
    const lst = await fsp.lstat(p);
    if (lst.isSymbolicLink()) {
      let target: string;
      try {
        target = await fsp.realpath(p);
      } catch {
        yield { ...base, size: null, refused: `symlink ${member} points to a missing target`, open: notOpenable };
        continue;
      }
      if (target !== realRoot && !target.startsWith(realRoot + sep)) {
        yield { ...base, size: null, refused: `symlink ${member} leaves the bundle (→ ${target}): not followed`, open: notOpenable };
        continue;
      }
      const st = await fsp.stat(target);
      if (!st.isFile()) {
        yield { ...base, size: null, refused: `symlink ${member} does not point to a regular file: not followed`, open: notOpenable };
        continue;
      }
      yield { ...base, size: st.size, diskPath: target, open: async () => counting(createReadStream(target, { highWaterMark: READ_CHUNK_BYTES }), onRawBytes) };
      continue;
    }
    if (!lst.isFile()) {
      yield { ...base, size: null, refused: `${member} is not a regular file`, open: notOpenable };
      continue;
    }
    yield { ...base, size: lst.size, diskPath: p, open: async () => counting(createReadStream(p, { highWaterMark: READ_CHUNK_BYTES }), onRawBytes) };
  }
}

async function notOpenable(): Promise<Readable> {
  throw new BundleError('entry was refused');
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((res, rej) =>
    yauzl.open(file, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false, decodeStrings: false }, (err, zf) =>
      err || !zf ? rej(new BundleError(`not a readable zip archive: ${err?.message}`)) : res(zf),
    ),
  );
}

function zipEntryName(e: yauzl.Entry): string {
  const raw = e.fileName as unknown as Buffer | string;
  if (typeof raw === 'string') return raw;
  if (e.generalPurposeBitFlag & 0x800) return raw.toString('utf8');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return raw.toString('latin1');
  }
}

async function* enumerateZip(file: string, limits: BundleLimits, onRawBytes?: (n: number) => void): AsyncGenerator<BundleEntry> {
  const zf = await openZip(file);
  const total = { bytes: 0 };
  try {
    const entries: yauzl.Entry[] = [];
    await new Promise<void>((res, rej) => {
      zf.on('entry', (e: yauzl.Entry) => {
        entries.push(e);
        if (entries.length > limits.maxEntries) {
          rej(new BundleError(`archive has more than ${limits.maxEntries} entries: refused`));
          return;
        }
        zf.readEntry();
      });
      zf.on('end', () => res());
      zf.on('error', (e: Error) => rej(new BundleError(`corrupt zip archive ${basename(file)}: ${e.message}`)));
      zf.readEntry();
    });
    const declaredTotal = entries.reduce((s, e) => s + e.uncompressedSize, 0);
    if (declaredTotal > limits.maxTotalBytes) throw new BundleError(`archive declares ${declaredTotal} bytes uncompressed: refused as a decompression bomb`);
    for (const e of entries) {
      // names are decoded here (not by yauzl) so that an unsafe name refuses one entry, not the archive
      const name = zipEntryName(e);
      if (name.endsWith('/')) continue; // directory
      const base = { path: `${file}!/${name}`, container: file, member: name, size: e.uncompressedSize };
      const unsafe = unsafeMemberName(name);
      if (unsafe) {
        yield { ...base, refused: unsafe, open: notOpenable };
        continue;
      }
      const mode = (e.externalFileAttributes >>> 16) & 0o170000;
      if (mode === 0o120000) {
        yield { ...base, refused: `symlink entry ${name} in archive: not followed`, open: notOpenable };
        continue;
      }
      if (e.uncompressedSize > limits.ratioFloorBytes && e.uncompressedSize / Math.max(1, e.compressedSize) > limits.maxRatio) {
        yield { ...base, refused: `${name} declares ${e.uncompressedSize} bytes from ${e.compressedSize} compressed (more than ${limits.maxRatio}:1): refused as a decompression bomb`, open: notOpenable };
        continue;
      }
      yield {
        ...base,
        open: () =>
          new Promise<Readable>((res, rej) =>
            zf.openReadStream(e, (err, s) => {
              if (err || !s) return rej(new BundleError(`cannot read ${name} from zip: ${err?.message}`));
              if (onRawBytes) onRawBytes(e.compressedSize);
              res(guard(s, name, e.compressedSize, limits, total));
            }),
          ),
      };
    }
  } finally {
    zf.close();
  }
}

async function* enumerateTar(file: string, gz: boolean, limits: BundleLimits, onRawBytes?: (n: number) => void): AsyncGenerator<BundleEntry> {
  const extract = tarStream.extract();
  const raw = counting(createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }), onRawBytes);
  const compressedSize = (await fsp.stat(file)).size;
  const total = { bytes: 0 };
  const source = gz ? raw.pipe(createGunzip()) : raw;
  let failed: Error | null = null;
  source.on('error', (e) => {
    failed = new BundleError(`corrupt ${gz ? 'gzip' : 'tar'} archive ${basename(file)}: ${e.message}`);
    extract.destroy(failed);
  });
  // Whole-archive expansion guard (tar entries carry no compressed size).
  let expanded = 0;
  source.on('data', (c: Buffer) => {
    expanded += c.length;
    if (gz && expanded > limits.ratioFloorBytes && expanded / Math.max(1, compressedSize) > limits.maxRatio) {
      failed = new BundleError(`archive expands more than ${limits.maxRatio}:1 (${expanded} bytes from ${compressedSize}): refused as a decompression bomb`);
      source.destroy();
      extract.destroy(failed);
    }
  });
  source.pipe(extract);
  let count = 0;
  try {
    for await (const entry of extract as unknown as AsyncIterable<Readable & { header: tarStream.Header }>) {
      const h = entry.header;
      const name = h.name;
      count++;
      if (count > limits.maxEntries) throw new BundleError(`archive has more than ${limits.maxEntries} entries: refused`);
      const base = { path: `${file}!/${name}`, container: file, member: name, size: h.size ?? null };
      const unsafe = unsafeMemberName(name);
      if (h.type === 'directory') {
        entry.resume();
        continue;
      }
      if (unsafe) {
        entry.resume();
        yield { ...base, refused: unsafe, open: notOpenable };
        continue;
      }
      if (h.type === 'symlink' || h.type === 'link') {
        entry.resume();
        const target = h.linkname ?? '';
        const joined = join(name, '..', target).replace(/\\/g, '/');
        const escapes = target.startsWith('/') || unsafeMemberName(joined) !== null;
        yield { ...base, refused: `${h.type} entry ${name} → ${target}${escapes ? ' leaves the bundle' : ''}: not followed`, open: notOpenable };
        continue;
      }
      if (h.type !== 'file' && h.type !== 'contiguous-file') {
        entry.resume();
        yield { ...base, refused: `${name} is a ${h.type} entry, not a regular file`, open: notOpenable };
        continue;
      }
      let opened = false;
      // tar-stream entries are streamx streams (no readableEnded): listen before handing the entry out
      const drained = new Promise<void>((r) => {
        entry.once('end', () => r());
        entry.once('close', () => r());
        entry.once('error', () => r());
      });
      yield {
        ...base,
        open: async () => {
          opened = true;
          return guard(entry, name, null, limits, total);
        },
      };
      if (!opened) entry.resume();
      // tar is sequential: wait for the consumer to drain this entry before the next
      await drained;
    }
  } catch (e) {
    throw failed ?? e;
  }
  if (failed) throw failed;
}
