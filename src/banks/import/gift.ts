// GIFT (Moodle's "General Import Format Template"), following Moodle's published grammar and the
// way qformat_gift reads it:
//
// - questions are separated by blank lines; lines whose first non-blank characters are `//` are
//   comments; `$CATEGORY: path` sets the category (used as the topic) and is not a question;
// - `::title::` names a question; `[html]`, `[moodle]`, `[plain]`, `[markdown]` set a text format;
// - `\~ \= \# \{ \} \: \\` are literal characters and `\n` is a line break;
// - the answer block `{…}` decides the type: `{}` essay, `{#…}` numerical, any `~` multiple choice,
//   `=` with `->` matching, `T`/`TRUE`/`F`/`FALSE` true/false, otherwise short answer;
// - text after the answer block makes it a missing-word question ("_____" marks the blank);
// - `#feedback` after an answer, `####general feedback` at the end of the block, `%50%` weights.
//
// A block that cannot be read is reported with its line and the next block is read normally.
import { isAppError } from '../../errors.js';
import { OPTION_KEYS } from '../schema.js';
import { Collector, UNSUPPORTED, unsupported } from './collector.js';
import { decodeText } from './decode.js';
import { htmlToText, imageOnly, imageOnlyReason, markdownToText, plainText, type RichText } from './text.js';
import type { ImportOptions, ImportResult, QuestionInput } from './types.js';

type Format = 'html' | 'moodle' | 'plain' | 'markdown';

// Escaped control characters are replaced by private-use placeholders while the structure is read.
const ESCAPES: Record<string, string> = {
  '~': '\uE000',
  '=': '\uE001',
  '#': '\uE002',
  '{': '\uE003',
  '}': '\uE004',
  ':': '\uE005',
  '\\': '\uE006',
};
const NEWLINE = '\uE007';
const BLANK = '\uE008';
const PLACEHOLDERS = /[\uE000-\uE008]/g;
const BLANK_TEXT = '_____';

function escapePre(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\\' && i + 1 < s.length) {
      const next = s[i + 1]!;
      if (ESCAPES[next] !== undefined) {
        out += ESCAPES[next];
        i++;
        continue;
      }
      if (next === 'n') {
        out += NEWLINE;
        i++;
        continue;
      }
    }
    out += ch;
  }
  return out;
}

const UNESCAPE = new Map<string, string>([
  ...Object.entries(ESCAPES).map(([k, v]) => [v, k] as [string, string]),
  [NEWLINE, '\n'],
]);

/** Puts the escaped characters back (the blank marker stays until the text is converted). */
function restore(s: string): string {
  return s.replace(/[\uE000-\uE007]/g, (ch) => UNESCAPE.get(ch) ?? ch);
}

function splitFormat(s: string, fallback: Format): { format: Format; body: string } {
  const m = /^\s*\[(html|moodle|plain|markdown)\]/.exec(s);
  if (m) return { format: m[1] as Format, body: s.slice(m[0].length) };
  return { format: fallback, body: s };
}

/** Text in a GIFT format to plain text. Only [html] is markup; everything else stays as typed. */
function convert(s: string, format: Format): RichText {
  const restored = restore(s);
  let r: RichText;
  if (format === 'html') r = htmlToText(restored);
  else if (format === 'markdown') r = markdownToText(restored);
  else r = { text: plainText(restored), dropped: [] };
  return { text: r.text.split(BLANK).join(BLANK_TEXT), dropped: r.dropped };
}

interface Block {
  line: number;
  text: string;
}

function splitBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  let cur: { line: number; lines: string[] } | undefined;
  text.split('\n').forEach((raw, i) => {
    const t = raw.trim();
    if (t === '') {
      if (cur) blocks.push({ line: cur.line, text: cur.lines.join('\n') });
      cur = undefined;
      return;
    }
    if (t.startsWith('//')) return;
    if (!cur) cur = { line: i + 1, lines: [] };
    cur.lines.push(raw);
  });
  if (cur) blocks.push({ line: cur.line, text: cur.lines.join('\n') });
  return blocks;
}

/** `$course$/top/Anatomy/Heart` → "Anatomy/Heart" (at most 100 characters, keeping the end). */
export function categoryTopic(path: string): string | undefined {
  const segs = path
    .split('/')
    .map((s) => s.trim())
    .filter((s) => s && !/^\$[a-z0-9]+\$$/i.test(s) && s.toLowerCase() !== 'top');
  while (segs.length > 1 && segs.join('/').length > 100) segs.shift();
  const t = segs.join('/').slice(-100).trim();
  return t || undefined;
}

export async function importGift(bytes: Uint8Array, opts: ImportOptions): Promise<ImportResult> {
  const c = new Collector(opts.bankId);
  const decoded = decodeText(bytes);
  if (decoded.note) c.note('file', decoded.note);
  const text = decoded.text.replace(/\r\n?/g, '\n').replace(PLACEHOLDERS, '');
  let topic: string | undefined;
  for (const block of splitBlocks(text)) {
    try {
      const cat = readBlock(c, block, topic);
      if (cat !== undefined) topic = cat || undefined;
    } catch (e) {
      if (isAppError(e)) throw e; // an import limit: the whole import is refused
      c.error(`line ${block.line}`, `无法读取此题 (could not read this question): ${(e as Error).message}`);
    }
  }
  return c.result();
}

/** Reads one block; returns a new topic when the block is a $CATEGORY line. */
function readBlock(c: Collector, block: Block, topic: string | undefined): string | undefined {
  let text = escapePre(block.text).trim();
  if (/^\$CATEGORY:/.test(text)) return categoryTopic(restore(text.slice('$CATEGORY:'.length))) ?? '';

  let title: string | undefined;
  if (text.startsWith('::')) {
    const end = text.indexOf('::', 2);
    if (end >= 0) {
      title = plainText(restore(text.slice(2, end))) || undefined;
      text = text.slice(end + 2).trim();
    } else {
      text = text.slice(2).trim();
    }
  }
  const ref = `line ${block.line}${title ? ` (${title})` : ''}`;

  const open = text.indexOf('{');
  const close = text.indexOf('}');
  if (open < 0 && close < 0) {
    c.skip(ref, '不是题目：说明文字，没有答案区 (description: no answer block)');
    return undefined;
  }
  if (open < 0) return void c.error(ref, '缺少“{”：答案区没有开始 (found "}" without "{")');
  if (close < 0) return void c.error(ref, '缺少“}”：答案区没有结束 (answer block not closed)');
  if (close < open) return void c.error(ref, '“}”出现在“{”之前 ("}" before "{")');
  const after = text.slice(close + 1);
  if (after.includes('{') || after.includes('}') || text.slice(open + 1, close).includes('{')) {
    return void c.error(
      ref,
      '一个题目里有多个答案区 {…}，可能是两题之间缺少空行，或花括号未转义 (several answer blocks: missing blank line between questions, or unescaped brace)',
    );
  }

  let answerText = text.slice(open + 1, close).trim();
  let generalFeedback: string | undefined;
  const gf = answerText.lastIndexOf('####');
  if (gf >= 0) {
    generalFeedback = answerText.slice(gf + 4);
    answerText = answerText.slice(0, gf).trim();
  }

  const beforeRaw = text.slice(0, open);
  const { format, body: before } = splitFormat(beforeRaw, 'moodle');

  // Question type, decided the way Moodle decides it.
  if (answerText === '') return void c.skip(ref, unsupported(UNSUPPORTED.essay));
  if (answerText.startsWith('#')) return void c.skip(ref, unsupported(UNSUPPORTED.numerical));
  const isMC = answerText.includes('~');
  if (!isMC && answerText.includes('=') && answerText.includes('->')) {
    return void c.skip(ref, unsupported(UNSUPPORTED.matching));
  }
  const tfWord = answerText.split('#')[0]!.trim().toUpperCase();
  const isTF = !isMC && ['T', 'TRUE', 'F', 'FALSE'].includes(tfWord);
  if (!isMC && !isTF) return void c.skip(ref, unsupported(UNSUPPORTED.shortanswer));

  // Question text; text after the answer block makes a missing-word question.
  let stemRaw: string;
  if (after.trim() === '') stemRaw = before;
  else if (isTF) {
    // A blank makes no sense in a true/false statement: keep real words, drop stray punctuation.
    stemRaw = /[\p{L}\p{N}]/u.test(after) ? `${before.trimEnd()} ${after.trimStart()}` : before;
    if (!/[\p{L}\p{N}]/u.test(after))
      c.note(
        ref,
        `答案区后多余的字符“${plainText(restore(after))}”已忽略 (stray characters after the answer block ignored)`,
      );
  } else stemRaw = before + BLANK + after;
  const stem = convert(stemRaw, format);
  c.notesFor(ref, stem.dropped);
  if (!stem.text || stem.text === BLANK_TEXT) return void c.error(ref, '题干为空 (empty question text)');

  let explanation: string | undefined;
  if (generalFeedback !== undefined) {
    const g = splitFormat(generalFeedback.trim(), format);
    const conv = convert(g.body, g.format);
    c.notesFor(ref, conv.dropped);
    explanation = conv.text || undefined;
  }

  const newId = () => c.makeId(title, `line${block.line}`);
  const base = {
    stem: stem.text,
    points: 1,
    ...(topic ? { topic } : {}),
    ...(explanation ? { explanation } : {}),
    source: `gift ${ref}`.slice(0, 500),
  };

  if (isTF) {
    const q: QuestionInput = { ...base, id: newId(), type: 'truefalse', answer: [tfWord.startsWith('T') ? 'T' : 'F'] };
    c.accept(q, ref);
    return undefined;
  }

  // Multiple choice: every "=" or "~" starts an answer; "%n%" is a weight, "#" starts feedback.
  const marks = [...answerText.matchAll(/[~=]/g)];
  const lead = answerText.slice(0, marks[0]?.index ?? answerText.length).trim();
  if (lead) {
    return void c.error(
      ref,
      `答案区开头有多余的文字“${plainText(restore(lead))}”，每个选项应以 = 或 ~ 开头 (text before the first answer)`,
    );
  }
  const answers: { mark: string; weight: number; text: string; n: number; conv: RichText; source: string }[] = [];
  for (let i = 0; i < marks.length; i++) {
    const start = marks[i]!.index + 1;
    const end = i + 1 < marks.length ? marks[i + 1]!.index : answerText.length;
    let bodyText = answerText.slice(start, end);
    const mark = marks[i]![0];
    let weight = mark === '=' ? 100 : 0;
    const w = /^\s*%(-?\d+(?:\.\d+)?)%/.exec(bodyText);
    if (w) {
      weight = Number(w[1]);
      bodyText = bodyText.slice(w[0].length);
    }
    const hash = bodyText.indexOf('#');
    const answerPart = hash >= 0 ? bodyText.slice(0, hash) : bodyText;
    const f = splitFormat(answerPart.trim(), format);
    const conv = convert(f.body, f.format);
    answers.push({ mark, weight, text: conv.text, n: i + 1, conv, source: restore(f.body) });
  }
  // An answer that is only a picture (`![](a.png)`, `<img …>`) cannot be shown (the engine has no
  // media yet): skip the question. In plain-text formats the picture is recognised as typed.
  for (const a of answers) {
    const media = imageOnly(a.conv, a.source);
    if (media) return void c.skip(ref, imageOnlyReason(media, [`第 ${a.n} 个选项`, `answer ${a.n}`]));
  }
  for (const a of answers) c.notesFor(ref, a.conv.dropped);
  const fail = (detail: string) => c.error(ref, detail);
  if (answers.length < 2) return void fail(`选择题至少需要 2 个选项，实际 ${answers.length} 个 (fewer than 2 answers)`);
  if (answers.length > OPTION_KEYS.length) {
    return void fail(
      `选项超过 ${OPTION_KEYS.length} 个，实际 ${answers.length} 个 (more than ${OPTION_KEYS.length} answers)`,
    );
  }
  const empty = answers.find((a) => !a.text);
  if (empty) return void fail(`第 ${empty.n} 个选项为空 (answer ${empty.n} is empty)`);

  const options = answers.map((a, i) => ({ key: OPTION_KEYS[i]!, text: a.text }));
  const single = answers.some((a) => a.mark === '=');
  let keys: (typeof OPTION_KEYS)[number][];
  if (single) {
    const full = answers.map((a, i) => ({ a, i })).filter(({ a }) => a.weight >= 99.99);
    if (full.length === 0) return void fail('单选题没有满分（=）选项 (no answer is fully correct)');
    if (full.length > 1) {
      return void c.skip(
        ref,
        '不支持：单选题有多个满分答案，任选其一即得分 (single-answer question with several fully correct answers)',
      );
    }
    keys = [OPTION_KEYS[full[0]!.i]!];
    if (answers.some((a) => a.weight !== 0 && a.weight < 99.99)) {
      c.noteMany('部分得分选项按错误选项导入 (partial-credit answers imported as wrong)', ref);
    }
  } else {
    keys = answers.flatMap((a, i) => (a.weight > 0 ? [OPTION_KEYS[i]!] : []));
    if (keys.length === 0) return void fail('多选题没有正分值的选项 (no answer has a positive weight)');
    c.noteMany('多选题的百分比权重已改为全对得分：正权重选项为答案 (weights replaced by all-or-nothing scoring)', ref);
  }
  const q: QuestionInput = { ...base, id: newId(), type: single ? 'single' : 'multiple', options, answer: keys };
  c.accept(q, ref);
  return undefined;
}
