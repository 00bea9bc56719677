// Turning source content into the plain text the engine stores. The engine never stores HTML:
// clients render question text as text. HTML content (QTI bodies, Moodle html/auto-format, GIFT
// [html]) is parsed into a tree and flattened; plain-text content is kept character for character.
import { checkFieldSize } from './limits.js';
import { isElement, type XElement, type XNode } from './xml.js';

/** Plain text after conversion, plus human-readable notes about what was dropped (images, media…). */
export interface RichText {
  text: string;
  dropped: string[];
}

// ---------------------------------------------------------------------------------------------
// Plain text

/** Removes C0 control characters (keeping tab and newline) and normalises line endings. */
export function cleanControl(s: string): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  return s.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '');
}

/** Plain-text content: kept as characters (no entity decoding, no tag stripping), trimmed. */
export function plainText(s: string): string {
  return cleanControl(checkFieldSize(s)).trim();
}

// Markdown is scanned by hand, not with regexes: `![a](x…` without a closing ")" made the old
// patterns (`\(([^)\s]*)[^)]*\)`, `\*\*(?=\S)([\s\S]*?\S)\*\*`) retry from every position to the
// end of the text, quadratic in its length. Each function below gives exactly what its regex gave
// (markdown.test.ts checks that on random input) in one pass: a search for a closing character is
// remembered, and a later search starting before the remembered position reuses it.

/** The first index ≥ `from` of `ch` in `s`, for non-decreasing `from` values: linear in all. */
function forwardFinder(s: string, ch: string): (from: number) => number {
  let found = -2;
  return (from) => {
    if (found === -1 || found >= from) return found;
    found = s.indexOf(ch, from);
    return found;
  };
}

const isSpace = (ch: string | undefined) => ch !== undefined && /\s/.test(ch);

/**
 * `[text](target …)` at each position, as `/\[([^\]]+)\]\(([^)\s]*)[^)]*\)/g` (images: a leading
 * `!` and `[^\]]*`) would find them; `replace` gets the bracketed text and the target up to the
 * first whitespace.
 */
function replaceBracketed(s: string, image: boolean, replace: (text: string, target: string) => string): string {
  const closeBracket = forwardFinder(s, ']');
  const closeParen = forwardFinder(s, ')');
  const open = image ? '![' : '[';
  let out = '';
  let copied = 0;
  for (let i = s.indexOf(open); i >= 0; i = s.indexOf(open, i + 1)) {
    const textStart = i + open.length;
    const j = closeBracket(textStart);
    if (j < 0) break; // no "]" from here on: nothing further can match
    if ((!image && j === textStart) || s[j + 1] !== '(') continue;
    const k = closeParen(j + 2);
    if (k < 0) break; // no ")" from here on
    let targetEnd = j + 2;
    while (targetEnd < k && !isSpace(s[targetEnd])) targetEnd++;
    out += s.slice(copied, i) + replace(s.slice(textStart, j), s.slice(j + 2, targetEnd));
    copied = k + 1;
    i = k; // the next search starts after the match
  }
  return copied === 0 ? s : out + s.slice(copied);
}

/**
 * `**text**` → `text`, as the regex `\*\*(?=\S)([\s\S]*?\S)\*\*` (global, replaced by `$1`; or `__`): the opening marker is
 * followed by a non-space, and the closing one is the first marker after it preceded by a non-space.
 */
function unwrapPairs(s: string, marker: string): string {
  let closer = -2; // the first valid closing marker at or after the last position asked for
  const nextCloser = (from: number): number => {
    if (closer === -1 || closer >= from) return closer;
    for (let p = s.indexOf(marker, from); ; p = s.indexOf(marker, p + 1)) {
      if (p < 0 || !isSpace(s[p - 1])) return (closer = p);
    }
  };
  let out = '';
  let copied = 0;
  for (let i = s.indexOf(marker); i >= 0; i = s.indexOf(marker, i + 1)) {
    const first = s[i + marker.length];
    if (first === undefined || isSpace(first)) continue;
    const p = nextCloser(i + marker.length + 1);
    if (p < 0) break;
    out += s.slice(copied, i) + s.slice(i + marker.length, p);
    copied = p + marker.length;
    i = copied - 1;
  }
  return copied === 0 ? s : out + s.slice(copied);
}

/**
 * Light Markdown to text: emphasis markers, inline code, headings and links are unwrapped, images
 * are dropped (with a note). Anything else is kept as typed. Linear in the length of the text.
 */
export function markdownToText(s: string): RichText {
  const dropped: string[] = [];
  let t = cleanControl(checkFieldSize(s));
  t = replaceBracketed(t, true, (_alt, src) => {
    dropped.push(`图片未导入 (image not imported): ${src}`);
    return '';
  });
  t = replaceBracketed(t, false, (text) => text);
  t = t.replace(/^\s{0,3}#{1,6}\s+/gm, '');
  t = unwrapPairs(unwrapPairs(t, '**'), '__');
  t = t.replace(/`([^`\n]+)`/g, '$1');
  t = t.replace(/\\([\\`*_{}[\]()#+\-.!])/g, '$1');
  return { text: t.trim(), dropped };
}

// ---------------------------------------------------------------------------------------------
// Entities

const LATIN1_160 =
  'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest ' +
  'Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig ' +
  'agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml';
const GREEK_UPPER =
  'Alpha Beta Gamma Delta Epsilon Zeta Eta Theta Iota Kappa Lambda Mu Nu Xi Omicron Pi Rho - Sigma Tau Upsilon Phi Chi Psi Omega';
const GREEK_LOWER =
  'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigmaf sigma tau upsilon phi chi psi omega';
const OTHER_ENTITIES: Record<string, number> = {
  quot: 34,
  amp: 38,
  apos: 39,
  lt: 60,
  gt: 62,
  OElig: 338,
  oelig: 339,
  Scaron: 352,
  scaron: 353,
  Yuml: 376,
  fnof: 402,
  circ: 710,
  tilde: 732,
  thetasym: 977,
  upsih: 978,
  piv: 982,
  ensp: 8194,
  emsp: 8195,
  thinsp: 8201,
  zwnj: 8204,
  zwj: 8205,
  lrm: 8206,
  rlm: 8207,
  ndash: 8211,
  mdash: 8212,
  lsquo: 8216,
  rsquo: 8217,
  sbquo: 8218,
  ldquo: 8220,
  rdquo: 8221,
  bdquo: 8222,
  dagger: 8224,
  Dagger: 8225,
  bull: 8226,
  hellip: 8230,
  permil: 8240,
  prime: 8242,
  Prime: 8243,
  lsaquo: 8249,
  rsaquo: 8250,
  oline: 8254,
  frasl: 8260,
  euro: 8364,
  image: 8465,
  weierp: 8472,
  real: 8476,
  trade: 8482,
  alefsym: 8501,
  larr: 8592,
  uarr: 8593,
  rarr: 8594,
  darr: 8595,
  harr: 8596,
  crarr: 8629,
  lArr: 8656,
  uArr: 8657,
  rArr: 8658,
  dArr: 8659,
  hArr: 8660,
  forall: 8704,
  part: 8706,
  exist: 8707,
  empty: 8709,
  nabla: 8711,
  isin: 8712,
  notin: 8713,
  ni: 8715,
  prod: 8719,
  sum: 8721,
  minus: 8722,
  lowast: 8727,
  radic: 8730,
  prop: 8733,
  infin: 8734,
  ang: 8736,
  and: 8743,
  or: 8744,
  cap: 8745,
  cup: 8746,
  int: 8747,
  there4: 8756,
  sim: 8764,
  cong: 8773,
  asymp: 8776,
  ne: 8800,
  equiv: 8801,
  le: 8804,
  ge: 8805,
  sub: 8834,
  sup: 8835,
  nsub: 8836,
  sube: 8838,
  supe: 8839,
  oplus: 8853,
  otimes: 8855,
  perp: 8869,
  sdot: 8901,
  lceil: 8968,
  rceil: 8969,
  lfloor: 8970,
  rfloor: 8971,
  lang: 9001,
  rang: 9002,
  loz: 9674,
  spades: 9824,
  clubs: 9827,
  hearts: 9829,
  diams: 9830,
};
const ENTITIES: Map<string, string> = (() => {
  const m = new Map<string, string>();
  LATIN1_160.split(' ').forEach((n, i) => m.set(n, String.fromCodePoint(160 + i)));
  GREEK_UPPER.split(' ').forEach((n, i) => n !== '-' && m.set(n, String.fromCodePoint(913 + i)));
  GREEK_LOWER.split(' ').forEach((n, i) => m.set(n, String.fromCodePoint(945 + i)));
  for (const [n, c] of Object.entries(OTHER_ENTITIES)) m.set(n, String.fromCodePoint(c));
  return m;
})();
const LEGACY_NO_SEMICOLON = new Set(['amp', 'lt', 'gt', 'quot', 'nbsp']);

/** Decodes HTML character references (named, decimal, hex). Unknown names stay as typed. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(
    /&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[A-Za-z][A-Za-z0-9]{1,31})(;?)/g,
    (m, body: string, semi: string) => {
      if (body.startsWith('#')) {
        const cp = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
        if (!Number.isFinite(cp) || cp <= 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return '\uFFFD';
        return String.fromCodePoint(cp);
      }
      const ch = ENTITIES.get(body);
      if (ch === undefined) return m;
      if (!semi && !LEGACY_NO_SEMICOLON.has(body)) return m;
      return ch;
    },
  );
}

// ---------------------------------------------------------------------------------------------
// HTML string -> tree

const VOID = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
  'keygen',
]);
const RAW_SKIP = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'noscript', 'iframe', 'template']);

/** A forgiving HTML reader: unclosed and stray tags are tolerated, a lone `<` is text. */
export function parseHtml(html: string): XElement {
  const root: XElement = { name: '#root', attrs: {}, children: [] };
  const stack: XElement[] = [root];
  const top = () => stack[stack.length - 1]!;
  const pushText = (t: string) => {
    if (t) top().children.push(decodeEntities(t));
  };
  let i = 0;
  const n = html.length;
  while (i < n) {
    const lt = html.indexOf('<', i);
    if (lt < 0) {
      pushText(html.slice(i));
      break;
    }
    pushText(html.slice(i, lt));
    i = lt;
    if (html.startsWith('<!--', i)) {
      const end = html.indexOf('-->', i + 4);
      i = end < 0 ? n : end + 3;
      continue;
    }
    if (html.startsWith('<![CDATA[', i)) {
      const end = html.indexOf(']]>', i + 9);
      top().children.push(html.slice(i + 9, end < 0 ? n : end));
      i = end < 0 ? n : end + 3;
      continue;
    }
    const next = html[i + 1] ?? '';
    if (next === '!' || next === '?') {
      const end = html.indexOf('>', i);
      i = end < 0 ? n : end + 1;
      continue;
    }
    const closing = next === '/';
    const nameMatch = /^[A-Za-z][A-Za-z0-9:_-]*/.exec(html.slice(i + (closing ? 2 : 1), i + (closing ? 2 : 1) + 64));
    if (!nameMatch) {
      pushText('<');
      i += 1;
      continue;
    }
    const name = nameMatch[0].toLowerCase();
    // find the end of the tag, respecting quoted attribute values
    let j = i + (closing ? 2 : 1) + nameMatch[0].length;
    let quote = '';
    while (j < n) {
      const c = html[j]!;
      if (quote) {
        if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '>') break;
      j++;
    }
    if (j >= n) {
      // An unbalanced quote inside the tag: take the first ">" instead; no ">" at all means the
      // "<" was text after all.
      const gt = html.indexOf('>', i);
      if (gt < 0) {
        pushText(html.slice(i));
        break;
      }
      j = gt;
    }
    const inside = html.slice(i + (closing ? 2 : 1) + nameMatch[0].length, j);
    i = j + 1;
    if (closing) {
      for (let k = stack.length - 1; k > 0; k--) {
        if (stack[k]!.name === name) {
          stack.length = k;
          break;
        }
      }
      continue;
    }
    const el: XElement = { name, attrs: parseAttributes(inside), children: [] };
    top().children.push(el);
    if (RAW_SKIP.has(name)) {
      const endRe = new RegExp(`</${name}\\s*>`, 'i');
      const m = endRe.exec(html.slice(i));
      i = m ? i + m.index + m[0].length : n;
      continue;
    }
    if (VOID.has(name) || /\/\s*$/.test(inside)) continue;
    stack.push(el);
  }
  return root;
}

function parseAttributes(s: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  const re = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    const key = m[1]!.toLowerCase();
    if (!(key in attrs)) attrs[key] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

// ---------------------------------------------------------------------------------------------
// Tree -> text

const BLOCK = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'center',
  'dd',
  'details',
  'dialog',
  'dir',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hgroup',
  'hr',
  'li',
  'main',
  'menu',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'summary',
  'table',
  'tbody',
  'thead',
  'tfoot',
  'tr',
  'ul',
  'caption',
  'legend',
  'body',
  'html',
  // QTI (names normalised to QTI 2 camelCase)
  'prompt',
  'itemBody',
  'simpleChoice',
  'choiceInteraction',
  'contentBody',
]);
const DROP_SILENT = new Set([
  'script',
  'style',
  'head',
  'title',
  'template',
  'noscript',
  'textarea',
  'select',
  'option',
  'button',
  'input',
  'meta',
  'link',
  'base',
  'param',
  'source',
  'track',
  'colgroup',
  'col',
  'area',
  'map',
  'datalist',
  'rp',
  // QTI parts that are not shown as item text
  'feedbackInline',
  'feedbackBlock',
  'modalFeedback',
  'templateInline',
  'templateBlock',
  'rubricBlock',
  'stylesheet',
  'companionMaterialsInfo',
  'catalogInfo',
]);
const MEDIA = new Set([
  'img',
  'image',
  'audio',
  'video',
  'object',
  'embed',
  'iframe',
  'svg',
  'canvas',
  'picture',
  'applet',
  'frame',
  'frameset',
]);

const SUP: Record<string, string> = {
  '0': '⁰',
  '1': '¹',
  '2': '²',
  '3': '³',
  '4': '⁴',
  '5': '⁵',
  '6': '⁶',
  '7': '⁷',
  '8': '⁸',
  '9': '⁹',
  '+': '⁺',
  '-': '⁻',
  '−': '⁻',
  '=': '⁼',
  '(': '⁽',
  ')': '⁾',
  n: 'ⁿ',
  i: 'ⁱ',
};
const SUB: Record<string, string> = {
  '0': '₀',
  '1': '₁',
  '2': '₂',
  '3': '₃',
  '4': '₄',
  '5': '₅',
  '6': '₆',
  '7': '₇',
  '8': '₈',
  '9': '₉',
  '+': '₊',
  '-': '₋',
  '−': '₋',
  '=': '₌',
  '(': '₍',
  ')': '₎',
};

export interface RenderOptions {
  /** Leave out the whole subtree of these elements. */
  skip?: (el: XElement) => boolean;
  /** Render other nodes in place of an element (QTI: an interaction becomes its prompt). */
  substitute?: (el: XElement) => XNode[] | undefined;
}

class Writer {
  private out = '';
  private pendingSpace = false;
  private pendingBreaks = 0;
  private started = false;

  text(s: string) {
    const collapsed = s.replace(/[ \t\n\r\f]+/g, ' ');
    if (collapsed === '') return;
    if (collapsed.startsWith(' ')) this.pendingSpace = true;
    const content = collapsed.replace(/^ +| +$/g, '');
    if (content) {
      this.flush();
      this.out += content;
      this.started = true;
    }
    if (collapsed.endsWith(' ')) this.pendingSpace = true;
  }

  pre(s: string) {
    if (!s) return;
    this.flush();
    this.out += s;
    this.started = true;
  }

  private flush() {
    if (this.pendingBreaks > 0 && this.started) this.out += '\n'.repeat(Math.min(this.pendingBreaks, 2));
    else if (this.pendingSpace && this.started && !this.out.endsWith('\n')) this.out += ' ';
    this.pendingBreaks = 0;
    this.pendingSpace = false;
  }

  block() {
    if (this.started) this.pendingBreaks = Math.max(this.pendingBreaks, 1);
    this.pendingSpace = false;
  }

  br() {
    if (this.started) this.pendingBreaks++;
    this.pendingSpace = false;
  }

  result(): string {
    return finalizeText(this.out);
  }
}

/** Final clean-up shared by every text: trimmed lines, NBSP as space, at most one empty line in a row. */
export function finalizeText(s: string): string {
  return cleanControl(s)
    .split('\n')
    .map((l) =>
      l
        .replace(/\u00A0/g, ' ')
        .replace(/[ \t]+$/g, '')
        .replace(/^[ \t]+/g, ''),
    )
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Flattens a tree of (X)HTML/QTI content to plain text. */
export function renderNodes(nodes: XNode[], opts: RenderOptions = {}): RichText {
  const w = new Writer();
  const dropped: string[] = [];
  const lists: { ordered: boolean; n: number }[] = [];
  let preDepth = 0;

  const inlineText = (children: XNode[]): string => {
    const sub = renderNodes(children, opts);
    dropped.push(...sub.dropped);
    return sub.text.replace(/\s+/g, ' ');
  };

  const visit = (node: XNode) => {
    if (!isElement(node)) {
      if (preDepth > 0) w.pre(node);
      else w.text(node);
      return;
    }
    const name = node.name;
    if (opts.skip?.(node)) return;
    const sub = opts.substitute?.(node);
    if (sub) {
      w.block();
      sub.forEach(visit);
      w.block();
      return;
    }
    if (DROP_SILENT.has(name)) return;
    if (MEDIA.has(name)) {
      const src = node.attrs.src ?? node.attrs.data ?? node.attrs.href ?? '';
      const what =
        name === 'img' || name === 'image' || name === 'svg' || name === 'picture'
          ? '图片未导入 (image not imported)'
          : '媒体未导入 (media not imported)';
      const label = src || node.attrs.alt || name;
      dropped.push(`${what}: ${label.replace('@@PLUGINFILE@@/', '')}`);
      return;
    }
    switch (name) {
      case 'br':
        w.br();
        return;
      case 'hr':
        w.block();
        return;
      case 'math': {
        dropped.push('数学公式已转为纯文本 (MathML flattened to text)');
        w.text(inlineText(node.children));
        return;
      }
      case 'printedVariable':
        dropped.push('模板变量未导入 (printedVariable not imported)');
        return;
      case 'include':
        dropped.push(`外部引用内容未导入 (xi:include not imported): ${node.attrs.href ?? ''}`);
        return;
      case 'sup':
      case 'sub': {
        const t = inlineText(node.children);
        const map = name === 'sup' ? SUP : SUB;
        const chars = [...t];
        if (chars.length && chars.every((c) => map[c] !== undefined)) w.text(chars.map((c) => map[c]).join(''));
        else if (name === 'sup' && t) w.text(chars.length > 1 ? `^(${t})` : `^${t}`);
        else w.text(t);
        return;
      }
      case 'a': {
        const href = node.attrs.href ?? '';
        if (href.includes('@@PLUGINFILE@@'))
          dropped.push(
            `链接的附件未导入，仅保留文字 (linked file not imported): ${href.replace('@@PLUGINFILE@@/', '')}`,
          );
        node.children.forEach(visit);
        return;
      }
      case 'ul':
      case 'ol':
        lists.push({ ordered: name === 'ol', n: 0 });
        w.block();
        node.children.forEach(visit);
        lists.pop();
        w.block();
        return;
      case 'li': {
        w.block();
        const list = lists[lists.length - 1];
        if (list) {
          list.n++;
          w.text(list.ordered ? `${list.n}. ` : '• ');
        }
        node.children.forEach(visit);
        w.block();
        return;
      }
      case 'td':
      case 'th':
        w.text(' ');
        node.children.forEach(visit);
        w.text(' ');
        return;
      case 'pre':
        w.block();
        preDepth++;
        node.children.forEach(visit);
        preDepth--;
        w.block();
        return;
    }
    const block = BLOCK.has(name);
    if (block) w.block();
    node.children.forEach(visit);
    if (block) w.block();
  };
  nodes.forEach(visit);
  return { text: w.result(), dropped: [...new Set(dropped)] };
}

/** HTML (a string) to plain text. */
export function htmlToText(html: string, opts: RenderOptions = {}): RichText {
  return renderNodes(parseHtml(cleanControl(checkFieldSize(html))).children, opts);
}

/** Moodle's "auto-format": HTML allowed, and line breaks are significant. */
export function moodleAutoToText(s: string): RichText {
  return htmlToText(cleanControl(s).replace(/\n/g, '<br>'));
}

// ---------------------------------------------------------------------------------------------
// Image-only content

/**
 * Markdown images and `<img src=…>` tags, nothing else: an image-only option as typed text. The
 * same as `/^(?:\s|&nbsp;)*(?:(?:!\[[^\]]*\]\([^)]*\)|<img\b[^>]*\bsrc\s*=[^>]*>)(?:\s|&nbsp;)*)+$/i`,
 * read in one pass (that regex backtracked over `[^>]*\bsrc…[^>]*` and was quadratic on a long tag).
 */
function imageOnlySource(s: string): boolean {
  let i = 0;
  const skipSpace = () => {
    for (;;) {
      if (isSpace(s[i])) i++;
      else if (s.slice(i, i + 6).toLowerCase() === '&nbsp;') i += 6;
      else return;
    }
  };
  skipSpace();
  if (i >= s.length) return false;
  while (i < s.length) {
    if (s.startsWith('![', i)) {
      const j = s.indexOf(']', i + 2);
      if (j < 0 || s[j + 1] !== '(') return false;
      const k = s.indexOf(')', j + 2);
      if (k < 0) return false;
      i = k + 1;
    } else if (s.slice(i, i + 4).toLowerCase() === '<img' && !/\w/.test(s[i + 4] ?? '')) {
      const gt = s.indexOf('>', i + 4);
      if (gt < 0 || !/\bsrc\s*=/i.test(s.slice(i + 4, gt))) return false;
      i = gt + 1;
    } else return false;
    skipSpace();
  }
  return true;
}

/**
 * Whether converted content had nothing but images (or other media): its text is empty and the
 * conversion dropped an image. `source`, when given, is the text as typed, for plain-text formats
 * where `![](a.png)` or `<img …>` would otherwise be kept as characters.
 */
export function imageOnly(r: RichText, source?: string): 'image' | 'media' | undefined {
  if (source !== undefined && imageOnlySource(source)) return 'image';
  if (r.text) return undefined;
  if (r.dropped.some((d) => d.startsWith('图片未导入'))) return 'image';
  if (r.dropped.some((d) => d.startsWith('媒体未导入'))) return 'media';
  return undefined;
}

/** The skip reason for a question with an image-only option; `which` names the option (Chinese, English). */
export function imageOnlyReason(kind: 'image' | 'media', which: [string, string]): string {
  const [zh, en] = which;
  return kind === 'image'
    ? `不支持：${zh}只有图片，暂不能导入图片 (${en} is an image only; images cannot be delivered yet)`
    : `不支持：${zh}只有音视频等媒体，暂不能导入媒体 (${en} is media only; media cannot be delivered yet)`;
}

// ---------------------------------------------------------------------------------------------
// True/false words

const TRUE_WORDS = new Set([
  'true',
  't',
  'richtig',
  'wahr',
  '对',
  '正确',
  '是',
  '√',
  '✓',
  '✔',
  'juist',
  'waar',
  'vrai',
  'verdadero',
  'vero',
  'verdadeiro',
  'yes',
  'y',
]);
const FALSE_WORDS = new Set([
  'false',
  'f',
  'falsch',
  '错',
  '错误',
  '否',
  '×',
  '✗',
  '✘',
  'x',
  'onjuist',
  'onwaar',
  'faux',
  'falso',
  'no',
  'n',
]);
/** Words that clearly name "true"/"false" as an option text (stricter than an answer cell). */
const TF_OPTION_TRUE = new Set([
  'true',
  'richtig',
  'wahr',
  '对',
  '正确',
  'juist',
  'waar',
  'vrai',
  'verdadero',
  'vero',
  'verdadeiro',
]);
const TF_OPTION_FALSE = new Set(['false', 'falsch', '错', '错误', 'onjuist', 'onwaar', 'faux', 'falso']);

function tfNormalize(s: string): string {
  return s
    .normalize('NFKC')
    .trim()
    .toLowerCase()
    .replace(/[.!。！]+$/u, '')
    .trim();
}

/** An answer cell or Aiken/GIFT word meaning true or false, or undefined. */
export function trueFalseWord(s: string): 'T' | 'F' | undefined {
  const w = tfNormalize(s);
  if (TRUE_WORDS.has(w)) return 'T';
  if (FALSE_WORDS.has(w)) return 'F';
  return undefined;
}

/** An option text that names true or false (Richtig/Falsch, True/False, 对/错, 正确/错误…). */
export function trueFalseOption(s: string): 'T' | 'F' | undefined {
  const w = tfNormalize(s);
  if (TF_OPTION_TRUE.has(w)) return 'T';
  if (TF_OPTION_FALSE.has(w)) return 'F';
  return undefined;
}
