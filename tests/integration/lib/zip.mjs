// tests/integration/lib/zip.mjs: writes zip files for the course tests,
// including the hostile ones no zip tool would make (names with "..",
// absolute paths, symbolic links, non-UTF-8 names, bombs, 100,000
// entries).
//
// Owns: zipBuffer(entries) and writeZip(path, entries). An entry is
// { name: string | Buffer, data?: string | Buffer, dir?: true,
//   symlink?: target, deflate?: true, utf8Flag?: bool }.

import fs from 'node:fs';
import zlib from 'node:zlib';

function dosTime() {
  return { time: (12 << 11) | (0 << 5), date: ((2026 - 1980) << 9) | (11 << 5) | 23 };
}

/** The zip file's bytes for the given entries. */
export function zipBuffer(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  const { time, date } = dosTime();
  for (const e of entries) {
    const name = Buffer.isBuffer(e.name) ? e.name : Buffer.from(e.dir && !e.name.endsWith('/') ? e.name + '/' : e.name, 'utf8');
    const raw = e.symlink !== undefined ? Buffer.from(e.symlink, 'utf8')
      : Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data || '', 'utf8');
    const deflate = !!e.deflate && !e.dir;
    const body = deflate ? zlib.deflateRawSync(raw, { level: 9 }) : raw;
    const crc = zlib.crc32(raw);
    const utf8 = e.utf8Flag === undefined ? !Buffer.isBuffer(e.name) : e.utf8Flag;
    const flags = utf8 ? 0x0800 : 0;
    const method = deflate ? 8 : 0;
    // Unix mode in the high 16 bits of the external attributes.
    const mode = e.symlink !== undefined ? 0o120777 : e.dir ? 0o040755 : 0o100644;
    const external = ((mode << 16) | (e.dir ? 0x10 : 0)) >>> 0;

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, body);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(time, 12);
    central.writeUInt16LE(date, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(0, 30);
    central.writeUInt16LE(0, 32);
    central.writeUInt16LE(0, 34);
    central.writeUInt16LE(0, 36);
    central.writeUInt32LE(external, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const count = entries.length;
  const zip64 = count > 0xffff;
  const tail = [];
  if (zip64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeUInt16LE(45, 12);
    rec.writeUInt16LE(45, 14);
    rec.writeUInt32LE(0, 16);
    rec.writeUInt32LE(0, 20);
    rec.writeBigUInt64LE(BigInt(count), 24);
    rec.writeBigUInt64LE(BigInt(count), 32);
    rec.writeBigUInt64LE(BigInt(cd.length), 40);
    rec.writeBigUInt64LE(BigInt(offset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeUInt32LE(0, 4);
    loc.writeBigUInt64LE(BigInt(offset + cd.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(rec, loc);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip64 ? 0xffff : count, 8);
  end.writeUInt16LE(zip64 ? 0xffff : count, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, ...tail, end]);
}

/** Writes the zip to path; returns path. */
export function writeZip(path, entries) {
  fs.writeFileSync(path, zipBuffer(entries));
  return path;
}
