// A small, order-preserving XML tree on top of fast-xml-parser, shared by the QTI, Moodle XML and
// content-package readers (and by the HTML reader in text.ts, which builds the same tree).
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface XElement {
  name: string;
  attrs: Record<string, string>;
  children: XNode[];
  /** Offset of the element's start tag in the parsed string, when known. */
  start?: number;
}
/** A text node is a plain string (CDATA sections are text too). */
export type XNode = XElement | string;

export const isElement = (n: XNode): n is XElement => typeof n !== 'string';

export type ParsedXml =
  | { ok: true; root: XElement }
  /** `refused`: the document is refused as a whole (entity declarations); do not read it piecemeal. */
  | { ok: false; detail: string; line?: number; msg?: string; refused?: true };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: true,
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  cdataPropName: '#cdata',
  // XHTML inside QTI often uses &nbsp; and friends without declaring them.
  htmlEntities: true,
  // Entities declared in a DOCTYPE are never expanded: parseXml refuses such documents before they
  // reach the parser. Should one get through, these limits keep a declared entity to a single
  // character and a single declaration, so nothing can grow ("billion laughs").
  processEntities: { enabled: true, maxEntityCount: 1, maxEntitySize: 1 },
  ignoreDeclaration: true,
  ignorePiTags: true,
  captureMetaData: true,
  maxNestedTags: 400,
});
const META = XMLParser.getMetaDataSymbol() as unknown as symbol;

/**
 * A DOCTYPE that declares entities (`<!ENTITY …>`, the "billion laughs" attack and external
 * entities alike). Question banks never need one; such documents are refused as a whole. The test
 * is on the raw text, so it also catches declarations the parser would read.
 */
export const declaresEntities = (text: string): boolean => /<!DOCTYPE\b/i.test(text) && /<!ENTITY\b/i.test(text);

export const ENTITIES_REFUSED =
  'XML 含有实体定义（DOCTYPE 中的 <!ENTITY>），已拒绝；请去掉 DOCTYPE 后再导入 (entity declarations are refused)';

/** Parses an XML document; never throws. The error detail is Chinese, with English after it. */
export function parseXml(text: string): ParsedXml {
  if (declaresEntities(text)) return { ok: false, refused: true, detail: ENTITIES_REFUSED };
  if (text.trim() === '') return { ok: false, detail: '文件为空 (the file is empty)' };
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: true });
  if (valid !== true) {
    const { line, col, msg } = valid.err;
    const where = col
      ? `第 ${line} 行第 ${col} 列）(malformed XML at line ${line}, column ${col})`
      : `第 ${line} 行）(malformed XML at line ${line})`;
    return { ok: false, line, msg, detail: `XML 格式错误（${where}: ${msg}` };
  }
  let raw: unknown;
  try {
    raw = parser.parse(text);
  } catch (e) {
    return { ok: false, detail: `XML 无法解析 (XML could not be parsed): ${(e as Error).message}` };
  }
  const nodes = convert(raw);
  const root = nodes.find(isElement);
  if (!root) return { ok: false, detail: 'XML 中没有根元素 (no root element)' };
  return { ok: true, root };
}

function convert(raw: unknown): XNode[] {
  const out: XNode[] = [];
  if (!Array.isArray(raw)) return out;
  for (const entry of raw as Record<string | symbol, unknown>[]) {
    if (!entry || typeof entry !== 'object') continue;
    for (const key of Object.keys(entry)) {
      if (key === ':@') continue;
      const value = entry[key];
      if (key === '#text') {
        if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
          out.push(String(value));
      } else if (key === '#cdata') {
        const parts = convert(value);
        out.push(parts.map((p) => (typeof p === 'string' ? p : '')).join(''));
      } else if (key.startsWith('?') || key.startsWith('!')) {
        // processing instructions, declarations
      } else {
        const attrsRaw = (entry[':@'] ?? {}) as Record<string, unknown>;
        const attrs: Record<string, string> = {};
        for (const [k, v] of Object.entries(attrsRaw)) attrs[k] = String(v);
        const meta = entry[META] as { startIndex?: number } | undefined;
        out.push({ name: key, attrs, children: convert(value), start: meta?.startIndex });
      }
    }
  }
  return out;
}

export function childElements(el: XElement, name?: string): XElement[] {
  return el.children.filter((c): c is XElement => isElement(c) && (name === undefined || c.name === name));
}

export function firstChild(el: XElement | undefined, name: string): XElement | undefined {
  if (!el) return undefined;
  return el.children.find((c): c is XElement => isElement(c) && c.name === name);
}

/** Every descendant element (depth first, document order) matching the predicate. */
export function descendants(el: XElement, pred: (e: XElement) => boolean, stopAtMatch = false): XElement[] {
  const out: XElement[] = [];
  const walk = (node: XElement) => {
    for (const c of node.children) {
      if (!isElement(c)) continue;
      const hit = pred(c);
      if (hit) out.push(c);
      if (!(hit && stopAtMatch)) walk(c);
    }
  };
  walk(el);
  return out;
}

export function textContent(node: XNode | undefined): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node;
  return node.children.map(textContent).join('');
}

/** Returns a function giving the 1-based line number of an offset in `text`. */
export function lineIndex(text: string): (offset: number | undefined) => number | undefined {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    if (offset === undefined || offset < 0) return undefined;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}
