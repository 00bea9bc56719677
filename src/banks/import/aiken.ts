// Aiken (Moodle's one-answer multiple-choice text format):
//
//   Question text (one or more lines)
//   A. option            (also "A)"; full-width "Ａ．", "A、" and "A）" are accepted)
//   B) option
//   ANSWER: B
//
// Questions are separated by blank lines (optional after an ANSWER line). The text is plain text and
// stays exactly as typed: `<b>` or `&amp;` are characters, not markup.
import { OPTION_KEYS } from '../schema.js';
import { Collector } from './collector.js';
import { decodeText } from './decode.js';
import { plainText } from './text.js';
import type { ImportOptions, ImportResult, QuestionInput } from './types.js';

const OPTION_RE = /^([A-ZＡ-Ｚ])(?:[.)](?:[ \t]+|$)|\s*[．、）][ \t]*)(.*)$/u;
const ANSWER_RE = /^ANSWER\s*[:：]\s*(.*)$/iu;
/** An answer line in another spelling ("答案：B", "Answer B"): ends the question, never starts one. */
const OTHER_ANSWER_RE = /^(?:ANSWER|ANS|KEY|答案|正确答案|参考答案)(?![A-Za-z])/iu;

interface Draft {
  line: number;
  stem: string[];
  options: { label: string; text: string; line: number }[];
  /** A blank line followed the stem before any option. */
  blankAfterStem?: boolean;
}

export async function importAiken(bytes: Uint8Array, opts: ImportOptions): Promise<ImportResult> {
  const c = new Collector(opts.bankId);
  const decoded = decodeText(bytes);
  if (decoded.note) c.note('file', decoded.note);
  const lines = decoded.text.replace(/\r\n?/g, '\n').split('\n');

  let q: Draft | undefined;
  const ref = (d: Draft) => `line ${d.line}`;

  const close = (d: Draft, answer: string | undefined) => {
    if (answer === undefined) {
      c.error(ref(d), '缺少 ANSWER 行 (no "ANSWER:" line after the options)');
      return;
    }
    finish(c, d, answer);
  };

  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.trim();
    if (line === '') {
      // A blank line after the options ends the question. Between the stem and the first option it
      // is tolerated as spacing; if text follows instead of an option, a new question starts there.
      if (q && q.options.length > 0) {
        close(q, undefined);
        q = undefined;
      } else if (q) q.blankAfterStem = true;
      return;
    }
    const ans = ANSWER_RE.exec(line);
    if (ans) {
      if (!q) {
        c.error(`line ${lineNo}`, 'ANSWER 行前面没有题目 (an "ANSWER:" line without a question)');
        return;
      }
      close(q, ans[1]!.trim());
      q = undefined;
      return;
    }
    const opt = q && q.stem.length > 0 ? OPTION_RE.exec(line) : null;
    if (q && opt) {
      q.options.push({ label: opt[1]!.normalize('NFKC'), text: opt[2]!, line: lineNo });
      q.blankAfterStem = false;
      return;
    }
    if (q && q.options.length > 0 && OTHER_ANSWER_RE.test(line)) {
      // "答案：B" instead of "ANSWER: B": the question ends here; the line is not the next stem.
      c.error(
        ref(q),
        `缺少 ANSWER 行：第 ${lineNo} 行“${line.slice(0, 40)}”应写作“ANSWER: 字母” (no "ANSWER:" line; line ${lineNo} should read "ANSWER: <letter>")`,
      );
      q = undefined;
      return;
    }
    if (q && q.options.length > 0) {
      // Text after the options but no ANSWER line: the previous question is incomplete and this
      // line starts the next one.
      close(q, undefined);
      q = undefined;
    }
    if (q && q.blankAfterStem) {
      // Text, a blank line, then more text: the first block had neither options nor an ANSWER line
      // (or options not written "A. …"); it must not swallow the question that follows.
      c.error(
        ref(q),
        '缺少选项和 ANSWER 行（选项应写作“A. …”或“A) …”，空行表示题目结束）(no options and no "ANSWER:" line before the blank line)',
      );
      q = undefined;
    }
    if (!q) q = { line: lineNo, stem: [], options: [] };
    q.stem.push(raw);
  });
  if (q) close(q, undefined);
  return c.result();
}

function finish(c: Collector, d: Draft, answerRaw: string): void {
  const ref = `line ${d.line}`;
  const stem = plainText(d.stem.join('\n'));
  if (!stem) return c.error(ref, '题干为空 (empty question text)');
  if (d.options.length < 2) return c.error(ref, `选项少于 2 个 (fewer than 2 options: ${d.options.length})`);
  if (d.options.length > OPTION_KEYS.length) {
    return c.error(
      ref,
      `选项超过 ${OPTION_KEYS.length} 个 (more than ${OPTION_KEYS.length} options: ${d.options.length})`,
    );
  }
  const seen = new Set<string>();
  for (const o of d.options) {
    if (seen.has(o.label)) return c.error(`line ${o.line}`, `选项 ${o.label} 重复 (option label ${o.label} repeats)`);
    seen.add(o.label);
    if (!plainText(o.text)) return c.error(`line ${o.line}`, `选项 ${o.label} 内容为空 (option ${o.label} is empty)`);
  }
  const letters = parseLetters(answerRaw);
  if (!letters) {
    return c.error(ref, `答案“${answerRaw}”无法识别，应为选项字母 (answer is not an option letter)`);
  }
  const keyOf = new Map(d.options.map((o, i) => [o.label, OPTION_KEYS[i]!]));
  const answer = letters.map((l) => keyOf.get(l));
  const missing = letters.filter((l) => !keyOf.has(l));
  if (missing.length) {
    return c.error(ref, `答案 ${missing.join('')} 不在选项中 (answer ${missing.join('')} is not among the options)`);
  }
  const options = d.options.map((o, i) => ({ key: OPTION_KEYS[i]!, text: plainText(o.text), sourceKey: o.label }));
  const q: QuestionInput = {
    id: c.makeId(undefined, `line${d.line}`),
    type: letters.length > 1 ? 'multiple' : 'single',
    stem,
    options,
    answer: answer as (typeof OPTION_KEYS)[number][],
    points: 1,
    source: `aiken ${ref}`,
  };
  if (letters.length > 1)
    c.note(
      ref,
      'Aiken 只定义单选题；答案含多个字母，已按多选题导入 (several answer letters: imported as multiple-answer)',
    );
  c.accept(q, ref);
}

/** "B", "b", "A, C", "AC" → letters; undefined when it is not a list of letters. */
function parseLetters(s: string): string[] | undefined {
  const t = s.normalize('NFKC').trim().toUpperCase();
  if (!/^[A-Z](?:\s*[,，、;；\s]?\s*[A-Z])*$/.test(t)) return undefined;
  const letters = t.replace(/[^A-Z]/g, '').split('');
  if (new Set(letters).size !== letters.length) return undefined;
  return letters;
}
