// Bytes to text. Chinese Excel saves CSV as GBK/GB18030 unless told otherwise, so text formats try
// strict UTF-8 first and fall back to GB18030 (a superset of GBK and GB2312).

/** 'utf-8', 'utf-16le', 'utf-16be', 'gb18030', or another label TextDecoder knows. */
export type TextEncodingName = string;

export interface DecodedText {
  text: string;
  encoding: TextEncodingName;
  /** A note for the report when the decoding had to guess or replace bytes. */
  note?: string;
}

function hasPrefix(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

/** UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030. */
export function decodeText(bytes: Uint8Array): DecodedText {
  if (hasPrefix(bytes, [0xef, 0xbb, 0xbf])) return decodeUtf8(bytes.subarray(3));
  if (hasPrefix(bytes, [0xff, 0xfe]))
    return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
  if (hasPrefix(bytes, [0xfe, 0xff]))
    return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: new TextDecoder('gb18030').decode(bytes), encoding: 'gb18030' };
  }
}

function decodeUtf8(bytes: Uint8Array): DecodedText {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return {
      text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes),
      encoding: 'utf-8',
      note: '文件标明为 UTF-8 但含有无效字节，已替换为 � (invalid UTF-8 bytes replaced)',
    };
  }
}

/**
 * XML: a BOM wins, then the encoding named in the XML declaration, then UTF-8 (strict) with a
 * GB18030 fallback.
 */
export function decodeXml(bytes: Uint8Array): DecodedText {
  if (hasPrefix(bytes, [0xef, 0xbb, 0xbf]) || hasPrefix(bytes, [0xff, 0xfe]) || hasPrefix(bytes, [0xfe, 0xff])) {
    return decodeText(bytes);
  }
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 200));
  const declared = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1]?.toLowerCase();
  if (declared && declared !== 'utf-8' && declared !== 'utf8') {
    try {
      const dec = new TextDecoder(declared);
      return { text: dec.decode(bytes), encoding: dec.encoding };
    } catch {
      // unknown label: fall through to detection
    }
  }
  const d = decodeText(bytes);
  if (d.encoding === 'gb18030' && declared !== undefined) {
    return { ...d, note: `文件声明为 ${declared} 但不是有效的 UTF-8，已按 GB18030 解码 (decoded as GB18030)` };
  }
  return d;
}
