/**
 * Writing zip64 archives whose offsets and sizes pass 4 GiB without writing
 * gigabytes: the file is sparse (a hole before the members, and a member's
 * declared data may end in a hole, which reads back as zeros). Each member's
 * written bytes are real (NumPy-made .npy files); the layout follows
 * APPNOTE 6.3 with every size and offset in zip64 extra fields, as an archive
 * past 4 GiB needs.
 */
import fs from "node:fs";

export interface SparseMember {
  name: string;
  /** the bytes written at the start of the member's data */
  head: Uint8Array;
  /** the member's stored size (>= head.length; the rest is a hole of zeros) */
  size: number;
  crc32: number;
}

const U32 = 0xffffffff;

export function writeSparseZip64(file: string, hole: number, members: SparseMember[]): { offsets: number[]; size: number } {
  const fd = fs.openSync(file, "w");
  try {
    let pos = hole;
    const offsets: number[] = [];
    const write = (b: Uint8Array) => {
      fs.writeSync(fd, b, 0, b.length, pos);
      pos += b.length;
    };
    for (const m of members) {
      offsets.push(pos);
      const name = Buffer.from(m.name);
      const local = Buffer.alloc(30 + name.length + 20);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(45, 4); // version needed: zip64
      local.writeUInt32LE(m.crc32 >>> 0, 14);
      local.writeUInt32LE(U32, 18);
      local.writeUInt32LE(U32, 22);
      local.writeUInt16LE(name.length, 26);
      local.writeUInt16LE(20, 28);
      name.copy(local, 30);
      local.writeUInt16LE(0x0001, 30 + name.length);
      local.writeUInt16LE(16, 32 + name.length);
      local.writeBigUInt64LE(BigInt(m.size), 34 + name.length);
      local.writeBigUInt64LE(BigInt(m.size), 42 + name.length);
      write(local);
      write(m.head);
      pos += m.size - m.head.length;
    }
    const cdStart = pos;
    members.forEach((m, i) => {
      const name = Buffer.from(m.name);
      const cd = Buffer.alloc(46 + name.length + 28);
      cd.writeUInt32LE(0x02014b50, 0);
      cd.writeUInt16LE(45, 4);
      cd.writeUInt16LE(45, 6);
      cd.writeUInt32LE(m.crc32 >>> 0, 16);
      cd.writeUInt32LE(U32, 20);
      cd.writeUInt32LE(U32, 24);
      cd.writeUInt16LE(name.length, 28);
      cd.writeUInt16LE(28, 30);
      cd.writeUInt32LE(U32, 42);
      name.copy(cd, 46);
      const e = 46 + name.length;
      cd.writeUInt16LE(0x0001, e);
      cd.writeUInt16LE(24, e + 2);
      cd.writeBigUInt64LE(BigInt(m.size), e + 4);
      cd.writeBigUInt64LE(BigInt(m.size), e + 12);
      cd.writeBigUInt64LE(BigInt(offsets[i]), e + 20);
      write(cd);
    });
    const cdSize = pos - cdStart;
    const eocd64At = pos;
    const eocd64 = Buffer.alloc(56);
    eocd64.writeUInt32LE(0x06064b50, 0);
    eocd64.writeBigUInt64LE(44n, 4);
    eocd64.writeUInt16LE(45, 12);
    eocd64.writeUInt16LE(45, 14);
    eocd64.writeBigUInt64LE(BigInt(members.length), 24);
    eocd64.writeBigUInt64LE(BigInt(members.length), 32);
    eocd64.writeBigUInt64LE(BigInt(cdSize), 40);
    eocd64.writeBigUInt64LE(BigInt(cdStart), 48);
    write(eocd64);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(eocd64At), 8);
    locator.writeUInt32LE(1, 16);
    write(locator);
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(0xffff, 8);
    eocd.writeUInt16LE(0xffff, 10);
    eocd.writeUInt32LE(U32, 12);
    eocd.writeUInt32LE(U32, 16);
    write(eocd);
    return { offsets, size: pos };
  } finally {
    fs.closeSync(fd);
  }
}
