// The spreadsheet template of DESIGN §5, shared by CSV and xlsx: one header row (Chinese names,
// English aliases), one question per row; A3/A4 rows with the same 组号 form a case, B1 rows with
// the same 组号 form a matching group with shared options. Rows are referred to as Excel shows them
// (the header is row 1 in the template).
import { OPTION_KEYS } from '../schema.js';
import { type Collector, UNSUPPORTED, unsupported } from './collector.js';
import { plainText, trueFalseOption, trueFalseWord } from './text.js';
import type { QuestionInput } from './types.js';

type OptionKey = (typeof OPTION_KEYS)[number];

export interface SheetRow {
  /** Row number as the spreadsheet shows it (1-based). */
  row: number;
  cells: string[];
  /** Cells holding an Excel error value (#N/A, #REF!…): 0-based column index and the value. */
  cellErrors?: { col: number; value: string }[];
}

export type Column =
  | 'id'
  | 'type'
  | 'stem'
  | 'answer'
  | 'points'
  | 'topic'
  | 'difficulty'
  | 'explanation'
  | 'group'
  | 'groupStem'
  | `option${OptionKey}`;

/** The template's columns, in order, with their Chinese names (DESIGN §5). */
export const TEMPLATE_COLUMNS: { column: Column; header: string }[] = [
  { column: 'id', header: '编号' },
  { column: 'type', header: '题型' },
  { column: 'stem', header: '题干' },
  ...OPTION_KEYS.map((k) => ({ column: `option${k}` as Column, header: `选项${k}` })),
  { column: 'answer', header: '答案' },
  { column: 'points', header: '分值' },
  { column: 'topic', header: '知识点' },
  { column: 'difficulty', header: '难度' },
  { column: 'explanation', header: '解析' },
  { column: 'group', header: '组号' },
  { column: 'groupStem', header: '组题干' },
];

const ALIASES: Record<string, Column> = {};
const alias = (column: Column, ...names: string[]) => names.forEach((n) => (ALIASES[normalizeHeader(n)] = column));
alias('id', '编号', '题号', '试题编号', '题目编号', 'id', 'question id', 'no', 'no.', 'number');
alias('type', '题型', '类型', '题目类型', '试题类型', 'type', 'question type', 'kind');
alias('stem', '题干', '题目', '试题', '题目内容', '试题内容', '问题', 'stem', 'question', 'question text', 'text');
for (const k of OPTION_KEYS)
  alias(`option${k}`, `选项${k}`, `${k}`, `${k}选项`, `option ${k}`, `option_${k}`, `choice ${k}`);
alias('answer', '答案', '正确答案', '标准答案', '参考答案', 'answer', 'answers', 'key', 'correct', 'correct answer');
alias('points', '分值', '分数', '分', 'points', 'point', 'score', 'marks');
alias('topic', '知识点', '考点', '章节', 'topic', 'knowledge point');
alias('difficulty', '难度', '难度系数', 'difficulty');
alias('explanation', '解析', '答案解析', '试题解析', '题目解析', 'explanation', 'analysis', 'rationale', 'feedback');
alias('group', '组号', '题组', '题组号', '分组', 'group', 'group id', 'group no');
alias(
  'groupStem',
  '组题干',
  '共用题干',
  '公共题干',
  '病例',
  '病例摘要',
  'group stem',
  'case stem',
  'shared stem',
  'case',
);

function normalizeHeader(h: string): string {
  return h
    .normalize('NFKC')
    .replace(/[(（【[][^)）】\]]*[)）】\]]/g, '') // "题干(必填)" → "题干"
    .replace(/[*＊:：]/g, '')
    .replace(/[\s_-]+/g, ' ')
    .trim()
    .toLowerCase()
    .replace(/ /g, '');
}

type Kind = 'single' | 'multiple' | 'truefalse' | 'case' | 'matching';

const TYPES: Record<string, Kind> = {};
const typeAlias = (kind: Kind, ...names: string[]) => names.forEach((n) => (TYPES[n] = kind));
typeAlias(
  'single',
  '单选',
  '单项选择',
  '单选择',
  '最佳选择',
  'a',
  'a1',
  'a2',
  'a1/a2',
  'a1a2',
  'single',
  'singlechoice',
  'sc',
);
typeAlias(
  'multiple',
  '多选',
  '多项选择',
  '多选择',
  '不定项',
  '不定项选择',
  'x',
  'multiple',
  'multiplechoice',
  'multi',
  'mc',
);
typeAlias('truefalse', '判断', '是非', '对错', '正误', 'truefalse', 'true/false', 'tf', 'judge', 'judgement');
typeAlias('case', 'a3', 'a4', 'a3/a4', 'a3a4', '共用题干', '病例组', '案例', 'case');
typeAlias('matching', 'b', 'b1', '配伍', '配伍选择', '共用备选答案', 'matching');
const UNSUPPORTED_TYPES: Record<string, string> = {
  填空: UNSUPPORTED.fillblank,
  简答: UNSUPPORTED.shortanswer,
  问答: UNSUPPORTED.essay,
  论述: '论述题 (essay)',
  名词解释: '名词解释 (definition)',
  计算: UNSUPPORTED.calculated,
  案例分析: '案例分析题 (case analysis, free text)',
  病例分析: '病例分析题 (case analysis, free text)',
  essay: UNSUPPORTED.essay,
  shortanswer: UNSUPPORTED.shortanswer,
  fillblank: UNSUPPORTED.fillblank,
  numerical: UNSUPPORTED.numerical,
};

function classifyType(raw: string): Kind | { unsupported: string } | undefined {
  let t = raw.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, '');
  t = t.replace(/题$/, '').replace(/型$/, '');
  const kind = TYPES[t];
  if (kind) return kind;
  const reason = UNSUPPORTED_TYPES[t];
  return reason ? { unsupported: reason } : undefined;
}

export function columnLetter(n: number): string {
  let s = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
}

const rowRef = (row: number) => `row ${row}`;

function rowsRef(rows: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < rows.length;) {
    let j = i;
    while (j + 1 < rows.length && rows[j + 1] === rows[j]! + 1) j++;
    parts.push(i === j ? `${rows[i]}` : `${rows[i]}-${rows[j]}`);
    i = j + 1;
  }
  return `${rows.length > 1 ? 'rows' : 'row'} ${parts.join(', ')}`;
}

class RowError extends Error {}

interface Cells {
  get(col: Column): string;
  row: number;
}

export interface TableSource {
  /** "csv" or "xlsx", used in `source`. */
  label: string;
  rows: SheetRow[];
}

/** Reads the template's rows into questions. */
export function importTable(c: Collector, src: TableSource): void {
  const { rows } = src;
  // The header: the first row (among the first 10 non-empty ones) naming at least two template
  // columns, one of them 题干, 题型 or 答案. Rows above it (a title, say) are ignored.
  let headerIdx = -1;
  let seen = 0;
  for (let i = 0; i < rows.length && seen < 10; i++) {
    const r = rows[i]!;
    if (r.cells.every((x) => x.trim() === '')) continue;
    seen++;
    const cols = r.cells.map((h) => ALIASES[normalizeHeader(h)]).filter((x) => x !== undefined);
    if (cols.length >= 2 && (cols.includes('stem') || cols.includes('type') || cols.includes('answer'))) {
      headerIdx = i;
      break;
    }
  }
  if (headerIdx < 0) {
    if (rows.some((r) => r.cells.some((x) => x.trim() !== ''))) {
      c.error(
        rowRef(rows.find((r) => r.cells.some((x) => x.trim()))!.row),
        '找不到表头：第一行应为 编号、题型、题干、选项A…选项H、答案… (no header row with 题型/题干/答案 found)',
      );
    } else {
      c.note('file', '文件为空 (empty file)');
    }
    return;
  }
  const header = rows[headerIdx]!;
  const colOf = new Map<Column, number>();
  header.cells.forEach((h, i) => {
    if (h.trim() === '') return;
    const col = ALIASES[normalizeHeader(h)];
    if (!col) return c.note(rowRef(header.row), `忽略无法识别的列“${h.trim()}” (unknown column ignored)`);
    if (colOf.has(col))
      return c.note(rowRef(header.row), `列“${h.trim()}”重复，使用第一列 (repeated column: the first one is used)`);
    colOf.set(col, i);
  });
  const missing = (['type', 'stem', 'answer'] as Column[]).filter((k) => !colOf.has(k));
  if (missing.length) {
    const names = missing.map((k) => TEMPLATE_COLUMNS.find((t) => t.column === k)!.header).join('、');
    c.error(rowRef(header.row), `缺少必需的列：${names} (required columns missing)`);
    return;
  }

  const CONTENT: Column[] = [
    'type',
    'stem',
    'answer',
    'explanation',
    'groupStem',
    ...OPTION_KEYS.map((k) => `option${k}` as Column),
  ];
  type Slot =
    { kind: 'leaf'; cells: Cells; leafKind: 'single' | 'multiple' | 'truefalse' } | { kind: 'group'; key: string };
  const slots: Slot[] = [];
  const groups = new Map<string, { kind: 'case' | 'matching'; name: string; rows: Cells[] }>();
  const mapped = new Set(colOf.values());

  for (const r of rows.slice(headerIdx + 1)) {
    const cells: Cells = {
      row: r.row,
      get: (col) => {
        const i = colOf.get(col);
        return i === undefined ? '' : plainText(r.cells[i] ?? '');
      },
    };
    const cellErrors = (r.cellErrors ?? []).filter((e) => mapped.has(e.col));
    if (!cellErrors.length && CONTENT.every((col) => cells.get(col) === '')) continue; // blank (or only 编号/分值 prefilled)
    const ref = rowRef(r.row);
    if (cellErrors.length) {
      const what = cellErrors.map(
        (e) => `${columnLetter(e.col + 1)}${r.row}（${(header.cells[e.col] ?? '').trim()}）= ${e.value}`,
      );
      c.error(ref, `单元格是 Excel 错误值：${what.join('，')} (cell holds an Excel error value)`);
      continue;
    }
    const typeRaw = cells.get('type');
    if (!typeRaw) {
      c.error(ref, '题型为空，应为 单选/A1/A2、多选/X、判断、A3/A4、B1 之一 (type is empty)');
      continue;
    }
    const kind = classifyType(typeRaw);
    if (kind === undefined) {
      c.error(ref, `无法识别的题型“${typeRaw}”，应为 单选/A1/A2、多选/X、判断、A3/A4、B1 之一 (unknown type)`);
      continue;
    }
    if (typeof kind === 'object') {
      c.skip(ref, unsupported(kind.unsupported));
      continue;
    }
    if (kind === 'case' || kind === 'matching') {
      const name = cells.get('group');
      if (!name) {
        c.error(
          ref,
          `${kind === 'case' ? 'A3/A4' : 'B1'} 题缺少组号，同一组的题目应填写相同的组号 (group id is required)`,
        );
        continue;
      }
      const key = `${kind}\u0000${name}`;
      let g = groups.get(key);
      if (!g) {
        g = { kind, name, rows: [] };
        groups.set(key, g);
        slots.push({ kind: 'group', key });
      }
      g.rows.push(cells);
      continue;
    }
    slots.push({ kind: 'leaf', cells, leafKind: kind });
  }

  for (const slot of slots) {
    if (slot.kind === 'leaf') {
      const ref = rowRef(slot.cells.row);
      try {
        const q = leafFromRow(c, slot.cells, slot.leafKind, src.label);
        c.accept({ ...q, id: c.makeId(slot.cells.get('id'), `row${slot.cells.row}`) }, ref);
      } catch (e) {
        if (e instanceof RowError) c.error(ref, e.message);
        else throw e;
      }
    } else {
      const g = groups.get(slot.key)!;
      if (g.kind === 'case') buildCase(c, g.name, g.rows, src.label);
      else buildMatching(c, g.name, g.rows, src.label);
    }
  }
  // Report in row order, as an admin reads the sheet.
  c.sortIssues((ref) => Number(/\brows? (\d+)/.exec(ref)?.[1] ?? 0));
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Leaf = DistributiveOmit<Extract<QuestionInput, { type: 'single' | 'multiple' | 'truefalse' }>, 'id'>;

function readOptions(cells: Cells): { key: OptionKey; text: string }[] {
  const texts = OPTION_KEYS.map((k) => cells.get(`option${k}`));
  let last = -1;
  texts.forEach((t, i) => t && (last = i));
  const out: { key: OptionKey; text: string }[] = [];
  for (let i = 0; i <= last; i++) {
    if (!texts[i])
      throw new RowError(
        `选项${OPTION_KEYS[i]}为空，但后面还有选项 (option ${OPTION_KEYS[i]} is empty but later options are filled)`,
      );
    out.push({ key: OPTION_KEYS[i]!, text: texts[i]! });
  }
  return out;
}

function parseLetters(raw: string): OptionKey[] {
  const t = raw
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\s,，、;；/|+]+/g, '');
  if (!/^[A-H]+$/.test(t))
    throw new RowError(`答案“${raw}”无法识别，应为 A–H 的字母，如 C、ACD、A,C,D (answer not recognised)`);
  const letters = [...t] as OptionKey[];
  if (new Set(letters).size !== letters.length)
    throw new RowError(`答案“${raw}”中有重复的字母 (a letter repeats in the answer)`);
  return letters;
}

function parsePoints(cells: Cells): number {
  const raw = cells.get('points');
  if (!raw) return 1;
  const n = Number(raw.normalize('NFKC').replace(/分$/, '').trim());
  if (!Number.isFinite(n) || n <= 0 || n > 100)
    throw new RowError(`分值“${raw}”无效，应为大于 0、不超过 100 的数 (points must be a number in (0, 100])`);
  return n;
}

function parseDifficulty(c: Collector, cells: Cells): number | undefined {
  const raw = cells.get('difficulty');
  if (!raw) return undefined;
  const t = raw.normalize('NFKC').trim();
  const n = t.endsWith('%') ? Number(t.slice(0, -1)) / 100 : Number(t);
  if (Number.isFinite(n) && n >= 0 && n <= 1) return n;
  c.note(
    rowRef(cells.row),
    `难度“${raw}”应为 0 到 1 之间的小数（或百分数），已忽略 (difficulty ignored: expected 0–1)`,
  );
  return undefined;
}

function common(c: Collector, cells: Cells, label: string) {
  const topic = cells.get('topic');
  const explanation = cells.get('explanation');
  const difficulty = parseDifficulty(c, cells);
  if (topic.length > 100) throw new RowError(`知识点超过 100 个字符 (topic longer than 100 characters)`);
  return {
    points: parsePoints(cells),
    ...(topic ? { topic } : {}),
    ...(difficulty !== undefined ? { difficulty } : {}),
    ...(explanation ? { explanation } : {}),
    source: `${label} ${rowRef(cells.row)}`,
  };
}

function leafFromRow(
  c: Collector,
  cells: Cells,
  kind: 'single' | 'multiple' | 'truefalse',
  label: string,
  inCase = false,
): Leaf {
  const stem = cells.get('stem');
  if (!stem) throw new RowError('题干为空 (stem is empty)');
  const answerRaw = cells.get('answer');
  if (!answerRaw) throw new RowError('答案为空 (answer is empty)');
  if (kind === 'truefalse') {
    let word = trueFalseWord(answerRaw);
    if (!word && /^[ABab]$/.test(answerRaw.normalize('NFKC'))) {
      // 判断题 written with options A/B: 正确/错误
      const opt = cells.get(`option${answerRaw.normalize('NFKC').toUpperCase() as 'A' | 'B'}`);
      word = opt ? trueFalseOption(opt) : undefined;
    }
    if (!word)
      throw new RowError(
        `判断题答案“${answerRaw}”无法识别，应为 对/错、正确/错误、T/F、√/× (true/false answer not recognised)`,
      );
    return { type: 'truefalse', stem, answer: [word], ...common(c, cells, label) };
  }
  const options = readOptions(cells);
  if (options.length < 2) throw new RowError(`选项少于 2 个 (fewer than 2 options)`);
  const answer = parseLetters(answerRaw);
  if (kind === 'single' && answer.length !== 1) {
    if (inCase)
      throw new RowError(`A3/A4 题只能有一个答案，实际为“${answerRaw}” (a case question has exactly one key)`);
    throw new RowError(
      `单选题只能有一个答案，实际为“${answerRaw}”；多个答案请用题型 多选/X (single-answer question with several keys)`,
    );
  }
  const missing = answer.filter((k) => !options.some((o) => o.key === k));
  if (missing.length)
    throw new RowError(`答案 ${missing.join('')} 对应的选项为空 (answer key ${missing.join('')} has no option)`);
  return { type: kind, stem, options, answer, ...common(c, cells, label) };
}

function buildCase(c: Collector, name: string, rows: Cells[], label: string): void {
  const ref = `group ${name} (${rowsRef(rows.map((r) => r.row))})`;
  const stems = rows.map((r) => r.get('groupStem')).filter(Boolean);
  if (stems.length === 0) {
    for (const r of rows)
      c.error(
        rowRef(r.row),
        `A3/A4 组“${name}”没有组题干（病例），请在该组第一行填写 组题干 (case group without shared stem)`,
      );
    return;
  }
  if (new Set(stems).size > 1)
    c.note(ref, '同一组的组题干不一致，使用第一个 (differing shared stems: the first one is used)');
  const caseId = c.makeId(`case-${name}`, `case-row${rows[0]!.row}`);
  const subs: Extract<QuestionInput, { type: 'case' }>['questions'] = [];
  const used: number[] = [];
  for (const r of rows) {
    try {
      if (subs.length >= 20) throw new RowError('一组 A3/A4 题最多 20 小题 (a case holds at most 20 questions)');
      const leaf = leafFromRow(c, r, 'single', label, true);
      subs.push({ ...leaf, id: c.makeId(r.get('id'), `${caseId}-${subs.length + 1}`) });
      used.push(r.row);
    } catch (e) {
      if (e instanceof RowError) c.error(rowRef(r.row), e.message);
      else throw e;
    }
  }
  const topic = rows.map((r) => r.get('topic')).find(Boolean);
  if (subs.length === 0) {
    c.release({ id: caseId, type: 'case', stem: 'x', questions: [] });
    return;
  }
  const q: QuestionInput = {
    id: caseId,
    type: 'case',
    stem: stems[0]!,
    ...(topic && topic.length <= 100 ? { topic } : {}),
    source: `${label} ${rowsRef(used)}`.slice(0, 500),
    questions: subs,
  };
  c.accept(q, ref);
}

function buildMatching(c: Collector, name: string, rows: Cells[], label: string): void {
  const ref = `group ${name} (${rowsRef(rows.map((r) => r.row))})`;
  let options: { key: OptionKey; text: string }[] | undefined;
  let optionsRow = 0;
  for (const r of rows) {
    try {
      const o = readOptions(r);
      if (o.length) {
        options = o;
        optionsRow = r.row;
        break;
      }
    } catch (e) {
      if (!(e instanceof RowError)) throw e;
      c.error(rowRef(r.row), e.message);
      return void rows
        .filter((x) => x !== r)
        .forEach((x) =>
          c.error(rowRef(x.row), `B1 组“${name}”的共用选项有误，见第 ${r.row} 行 (the group's options are invalid)`),
        );
    }
  }
  if (!options || options.length < 2) {
    for (const r of rows)
      c.error(
        rowRef(r.row),
        `B1 组“${name}”缺少共用选项（至少 2 个），请在该组第一行填写 选项A… (matching group without shared options)`,
      );
    return;
  }
  const groupId = c.makeId(`b1-${name}`, `b1-row${rows[0]!.row}`);
  const items: Extract<QuestionInput, { type: 'matching' }>['questions'] = [];
  const used: number[] = [];
  for (const r of rows) {
    try {
      if (items.length >= 20)
        throw new RowError('一组 B1 题最多 20 小题 (a matching group holds at most 20 questions)');
      if (r.row !== optionsRow) {
        const own = readOptions(r);
        if (own.length && JSON.stringify(own) !== JSON.stringify(options)) {
          throw new RowError(
            `与本组第 ${optionsRow} 行的共用选项不一致；B1 组的选项只需在第一行填写 (options differ from the group's shared options)`,
          );
        }
      }
      const stem = r.get('stem');
      if (!stem) throw new RowError('题干为空 (stem is empty)');
      const answerRaw = r.get('answer');
      if (!answerRaw) throw new RowError('答案为空 (answer is empty)');
      const answer = parseLetters(answerRaw);
      if (answer.length !== 1)
        throw new RowError(`B1 题只能有一个答案，实际为“${answerRaw}” (a matching item has exactly one key)`);
      if (!options.some((o) => o.key === answer[0]))
        throw new RowError(`答案 ${answer[0]} 不在本组的共用选项中 (key is not among the group's options)`);
      const { topic: _topic, ...rest } = common(c, r, label);
      items.push({ id: c.makeId(r.get('id'), `${groupId}-${items.length + 1}`), stem, answer, ...rest });
      used.push(r.row);
    } catch (e) {
      if (e instanceof RowError) c.error(rowRef(r.row), e.message);
      else throw e;
    }
  }
  if (items.length === 0) {
    c.release({ id: groupId, type: 'matching', options: [], questions: [] });
    return;
  }
  const stem = rows.map((r) => r.get('groupStem')).find(Boolean);
  const topic = rows.map((r) => r.get('topic')).find(Boolean);
  const q: QuestionInput = {
    id: groupId,
    type: 'matching',
    ...(stem ? { stem } : {}),
    ...(topic && topic.length <= 100 ? { topic } : {}),
    source: `${label} ${rowsRef(used)}`.slice(0, 500),
    options,
    questions: items,
  };
  c.accept(q, ref);
}
