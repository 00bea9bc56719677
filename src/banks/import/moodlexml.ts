// Moodle XML (`<quiz><question type="…">…</question></quiz>`): multichoice (one or several
// answers) and truefalse are imported; category records set the topic and are not questions;
// every other type is skipped and reported. Images, `@@PLUGINFILE@@` links and embedded `<file>`
// elements are not carried (the engine stores text): each is named in a note.
import { isAppError } from '../../errors.js';
import { OPTION_KEYS } from '../schema.js';
import { Collector, UNSUPPORTED, unsupported } from './collector.js';
import { decodeXml } from './decode.js';
import { categoryTopic } from './gift.js';
import {
  htmlToText,
  imageOnly,
  imageOnlyReason,
  markdownToText,
  moodleAutoToText,
  plainText,
  trueFalseWord,
  type RichText,
} from './text.js';
import type { ImportOptions, ImportResult, QuestionInput } from './types.js';
import { childElements, firstChild, lineIndex, parseXml, textContent, type XElement } from './xml.js';

const SKIP_REASONS: Record<string, string> = {
  shortanswer: unsupported(UNSUPPORTED.shortanswer),
  numerical: unsupported(UNSUPPORTED.numerical),
  essay: unsupported(UNSUPPORTED.essay),
  match: unsupported(`${UNSUPPORTED.matching}；Moodle 配对题与 B1 配伍题结构不同`),
  randomsamatch: unsupported('随机简答配对题 (random short-answer matching)'),
  multianswer: unsupported(UNSUPPORTED.cloze),
  description: '不是题目：说明文字 (description)',
  calculated: unsupported(UNSUPPORTED.calculated),
  calculatedsimple: unsupported(UNSUPPORTED.calculated),
  calculatedmulti: unsupported('计算型选择题 (calculated multichoice)'),
  ddwtos: unsupported(UNSUPPORTED.dragdrop),
  ddimageortext: unsupported(UNSUPPORTED.dragdrop),
  ddmarker: unsupported(UNSUPPORTED.dragdrop),
  gapselect: unsupported(UNSUPPORTED.gapselect),
  ordering: unsupported(UNSUPPORTED.ordering),
  random: unsupported(UNSUPPORTED.random),
};

/** Text of a Moodle text field (`<x format="…"><text>…</text><file/></x>`) as plain text. */
function fieldText(el: XElement | undefined, defaultFormat = 'html'): RichText & { files: string[] } {
  if (!el) return { text: '', dropped: [], files: [] };
  const textEl = firstChild(el, 'text');
  const raw = textEl ? textContent(textEl) : el.children.filter((c) => typeof c === 'string').join('');
  const format = (el.attrs.format ?? defaultFormat).toLowerCase();
  let r: RichText;
  if (format === 'plain_text') r = { text: plainText(raw), dropped: [] };
  else if (format === 'markdown') r = markdownToText(raw);
  else if (format === 'moodle_auto_format') r = moodleAutoToText(raw);
  else r = htmlToText(raw);
  const files = childElements(el, 'file').map(
    (f) => `嵌入文件未导入 (embedded file not imported): ${f.attrs.name ?? '?'}`,
  );
  return { ...r, files };
}

const flag = (el: XElement | undefined): boolean | undefined => {
  const t = textContent(el).trim().toLowerCase();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  return undefined;
};

export async function importMoodleXml(bytes: Uint8Array, opts: ImportOptions): Promise<ImportResult> {
  const c = new Collector(opts.bankId);
  const decoded = decodeXml(bytes);
  if (decoded.note) c.note('file', decoded.note);
  const text = decoded.text;
  const lineOf = lineIndex(text);
  const parsed = parseXml(text);

  // Each entry: a <question> element and the offset of its start tag in the file.
  let entries: { q: XElement; offset: number | undefined }[] = [];
  if (parsed.ok) {
    if (parsed.root.name !== 'quiz') {
      c.error(
        'file',
        `不是 Moodle XML 题库：根元素应为 <quiz>，实际为 <${parsed.root.name}> (root element must be <quiz>)`,
      );
      return c.result();
    }
    entries = childElements(parsed.root, 'question').map((q) => ({ q, offset: q.start }));
  } else if (parsed.refused) {
    c.error('file', parsed.detail);
    return c.result();
  } else {
    // One broken question must not sink the file: read the <question> elements one by one.
    const chunks = [...text.matchAll(/<question\b[^>]*>[\s\S]*?<\/question\s*>/g)];
    if (chunks.length === 0) {
      c.error(parsed.line ? `line ${parsed.line}` : 'file', parsed.detail);
      return c.result();
    }
    c.note(
      'file',
      `${parsed.detail}；已逐题读取，其余题目照常导入 (the file is not well-formed: questions were read one by one)`,
    );
    for (const m of chunks) {
      const one = parseXml(m[0]);
      const startLine = lineOf(m.index) ?? 1;
      if (one.ok && one.root.name === 'question') {
        entries.push({ q: one.root, offset: m.index });
      } else {
        const line = one.ok ? startLine : startLine + (one.line ?? 1) - 1;
        const msg = one.ok ? '' : (one.msg ?? one.detail).replace(/\s*\(opened in line \d+, col \d+\)/, '');
        c.error(
          `line ${line}`,
          `此题的 XML 格式错误（第 ${line} 行）(malformed XML in this question, line ${line}): ${msg}`,
        );
      }
    }
  }

  let topic: string | undefined;
  let n = 0;
  for (const { q, offset } of entries) {
    n++;
    const type = (q.attrs.type ?? '').trim();
    if (type === 'category') {
      topic = categoryTopic(textContent(firstChild(firstChild(q, 'category'), 'text')));
      continue;
    }
    const name = plainText(textContent(firstChild(firstChild(q, 'name'), 'text')));
    const line = lineOf(offset);
    const ref = `${line ? `line ${line}` : `question ${n}`}${name ? ` (${name})` : ''}`;
    try {
      readQuestion(c, q, type, { ref, name, n, topic });
    } catch (e) {
      if (isAppError(e)) throw e; // an import limit: the whole import is refused
      c.error(ref, `无法读取此题 (could not read this question): ${(e as Error).message}`);
    }
  }
  if (!entries.some(({ q }) => (q.attrs.type ?? '').trim() !== 'category') && !c.hasErrors()) {
    // An empty <quiz/> (or categories only) must not look like a successful import of nothing.
    c.error('file', '文件中没有题目：<quiz> 下没有 <question> 题目元素 (no questions in the file)');
  }
  c.sortIssues((ref) => Number(/^line (\d+)/.exec(ref)?.[1] ?? 0));
  return c.result();
}

interface Ctx {
  ref: string;
  name: string;
  n: number;
  topic: string | undefined;
}

function readQuestion(c: Collector, q: XElement, type: string, ctx: Ctx): void {
  const { ref } = ctx;
  if (type !== 'multichoice' && type !== 'truefalse') {
    c.skip(ref, SKIP_REASONS[type] ?? unsupported(`${type || '（未注明）'} (${type || 'no type'})`));
    return;
  }
  const qt = fieldText(firstChild(q, 'questiontext'));
  c.notesFor(ref, [...qt.dropped, ...qt.files]);
  if (!qt.text) return c.error(ref, '题干为空（图片、附件不会导入）(empty question text; images are not imported)');

  const gf = fieldText(firstChild(q, 'generalfeedback'));
  c.notesFor(ref, [...gf.dropped, ...gf.files]);

  let points = 1;
  const grade = Number(textContent(firstChild(q, 'defaultgrade')).trim());
  if (Number.isFinite(grade) && grade > 0 && grade <= 100) points = grade;
  else if (Number.isFinite(grade) && grade > 100)
    c.note(ref, `分值 ${grade} 超过 100，已改为 1 (default grade above 100 replaced by 1)`);

  const idnumber = textContent(firstChild(q, 'idnumber')).trim();
  const newId = () => c.makeId(idnumber || ctx.name, `q${ctx.n}`);
  const base = {
    stem: qt.text,
    points,
    ...(ctx.topic ? { topic: ctx.topic } : {}),
    ...(gf.text ? { explanation: gf.text } : {}),
    source: `moodlexml ${ref}`.slice(0, 500),
  };

  const answers = childElements(q, 'answer').map((a, i) => {
    const t = fieldText(a, 'html');
    const fraction = Number(a.attrs.fraction ?? '0');
    return { t, text: t.text, fraction: Number.isFinite(fraction) ? fraction : 0, n: i + 1 };
  });
  // An answer that is only a picture cannot be shown (the engine has no media yet): skip the question.
  for (const a of answers) {
    const media = type === 'multichoice' ? imageOnly(a.t) : undefined;
    if (media) return c.skip(ref, imageOnlyReason(media, [`第 ${a.n} 个选项`, `answer ${a.n}`]));
  }
  for (const { t } of answers) c.notesFor(ref, [...t.dropped, ...t.files]);

  if (type === 'truefalse') {
    const right = answers.filter((a) => a.fraction >= 99.99);
    if (right.length !== 1)
      return c.error(ref, '判断题应恰好有一个 fraction="100" 的答案 (exactly one answer must have fraction 100)');
    const word = trueFalseWord(right[0]!.text);
    if (!word)
      return c.error(
        ref,
        `判断题的正确答案“${right[0]!.text}”不是 true/false (the correct answer is neither true nor false)`,
      );
    const tq: QuestionInput = { ...base, id: newId(), type: 'truefalse', answer: [word] };
    c.accept(tq, ref);
    return;
  }

  // multichoice
  if (answers.length < 2)
    return c.error(ref, `选择题至少需要 2 个选项，实际 ${answers.length} 个 (fewer than 2 answers)`);
  if (answers.length > OPTION_KEYS.length) {
    return c.error(
      ref,
      `选项超过 ${OPTION_KEYS.length} 个，实际 ${answers.length} 个 (more than ${OPTION_KEYS.length} answers)`,
    );
  }
  const empty = answers.find((a) => !a.text);
  if (empty) return c.error(ref, `第 ${empty.n} 个选项为空 (answer ${empty.n} is empty)`);
  const single = flag(firstChild(q, 'single')) ?? true;
  const options = answers.map((a, i) => ({ key: OPTION_KEYS[i]!, text: a.text }));
  let keys: (typeof OPTION_KEYS)[number][];
  if (single) {
    const full = answers.map((a, i) => ({ a, i })).filter(({ a }) => a.fraction >= 99.99);
    if (full.length === 0) return c.error(ref, '单选题没有 fraction="100" 的答案 (no answer is fully correct)');
    if (full.length > 1) {
      return c.skip(
        ref,
        '不支持：单选题有多个满分答案，任选其一即得分 (single-answer question with several fully correct answers)',
      );
    }
    keys = [OPTION_KEYS[full[0]!.i]!];
    if (answers.some((a) => a.fraction !== 0 && a.fraction < 99.99)) {
      c.noteMany('部分得分选项按错误选项导入 (partial-credit answers imported as wrong)', ref);
    }
  } else {
    keys = answers.flatMap((a, i) => (a.fraction > 0 ? [OPTION_KEYS[i]!] : []));
    if (keys.length === 0)
      return c.error(
        ref,
        '多选题没有 fraction 大于 0 的答案，Moodle 本身也不接受此题 (multiple-answer question without a positive fraction)',
      );
    // Moodle refuses a multiple-answer question whose positive fractions do not add up to 100 %
    // (qtype_multichoice: the total, as a fraction, rounded to 2 decimals must be 1). Such a key is
    // not trustworthy (a right answer marked 0, or "any of these" meant), so it is not imported.
    const total = answers.reduce((sum, a) => sum + (a.fraction > 0 ? a.fraction : 0), 0);
    if (Math.round(total) !== 100) {
      const shown = Number(total.toFixed(2));
      return c.error(
        ref,
        `多选题 fraction 大于 0 的答案相加为 ${shown}%，应为 100%；Moodle 本身也不接受此题，未导入，请核对正确选项 (the positive fractions add up to ${shown} %, not 100 %: Moodle refuses this question too)`,
      );
    }
    c.noteMany(
      '多选题的分数比例已改为全对得分：fraction 大于 0 的选项为答案 (fractions replaced by all-or-nothing scoring)',
      ref,
    );
  }
  const shuffle = flag(firstChild(q, 'shuffleanswers'));
  const mq: QuestionInput = {
    ...base,
    id: newId(),
    type: single ? 'single' : 'multiple',
    options,
    answer: keys,
    ...(shuffle !== undefined ? { shuffle } : {}),
  };
  c.accept(mq, ref);
}
