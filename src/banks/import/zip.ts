// Reading zips (xlsx files, QTI content packages) within bounds. fflate's unzipSync allocates each
// entry's output buffer from the size the central directory declares and never writes past it, so
// refusing entries whose declared size is over the limit bounds the memory; the bytes it actually
// wrote are counted as well. An entry whose compressed data is larger than its declared size (plus
// deflate's worst-case overhead) is lying about its size and is refused too: inflating it could run
// far past the buffer.
import { unzipSync } from 'fflate';
import { entryTooLarge, LIMITS, tooLarge, zipTooLarge } from './limits.js';

export interface ZipLimits {
  /** Which entries to decompress (others are skipped without being read). */
  want: (name: string) => boolean;
  /** Decompressed bytes of one entry. */
  maxEntry: number;
  /** Decompressed bytes of all the wanted entries. */
  maxTotal?: number;
}

/** Deflate never grows data by more than 5 bytes per 16 KiB block, plus a few bytes of framing. */
const maxCompressed = (declared: number) => declared + Math.ceil(declared / 16_384) * 5 + 1024;

/** The wanted entries of a zip; throws 413 (AppError payload_too_large) when one is over a limit. */
export function readZip(bytes: Uint8Array, limits: ZipLimits): Record<string, Uint8Array> {
  const maxTotal = limits.maxTotal ?? LIMITS.zipTotalBytes;
  let declaredTotal = 0;
  const files = unzipSync(bytes, {
    filter: (f) => {
      if (!limits.want(f.name)) return false;
      if (f.originalSize > limits.maxEntry) throw entryTooLarge(f.name, f.originalSize, limits.maxEntry);
      if (f.size > maxCompressed(f.originalSize))
        throw tooLarge(
          `压缩包中的文件“${f.name}”声明的解压大小小于其压缩数据，文件已损坏或被篡改`,
          `zip entry "${f.name}" declares a size smaller than its compressed data`,
        );
      declaredTotal += f.originalSize;
      if (declaredTotal > maxTotal) throw zipTooLarge(maxTotal);
      return true;
    },
  });
  let total = 0;
  for (const [name, data] of Object.entries(files)) {
    if (data.byteLength > limits.maxEntry) throw entryTooLarge(name, data.byteLength, limits.maxEntry);
    total += data.byteLength;
    if (total > maxTotal) throw zipTooLarge(maxTotal);
  }
  return files;
}
