// IMS QTI 2.x (camelCase: assessmentItem, choiceInteraction…) and QTI 3.0 (kebab-case with a
// `qti-` prefix: qti-assessment-item, qti-choice-interaction…), one item XML or an IMS content
// package (.zip with imsmanifest.xml). QTI 3 names are mapped onto the QTI 2 vocabulary first, so
// one reader serves both.
//
// Only items whose single interaction is a choiceInteraction are imported. The key is always the
// correctResponse (never guessed from the response-processing template or a mapping); mapping
// weights (partial credit) are not kept, since the native `multiple` type is all-or-nothing.
import { isAppError } from '../../errors.js';
import { OPTION_KEYS } from '../schema.js';
import { Collector, unsupported } from './collector.js';
import { decodeXml } from './decode.js';
import { LIMITS } from './limits.js';
import { imageOnly, imageOnlyReason, renderNodes, trueFalseOption } from './text.js';
import type { ImportOptions, ImportResult, QuestionInput } from './types.js';
import { childElements, descendants, firstChild, parseXml, textContent, type XElement, type XNode } from './xml.js';
import { readZip } from './zip.js';

const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_m, ch: string) => ch.toUpperCase());

/** QTI 3 names → QTI 2 names (`qti-simple-choice` → `simpleChoice`, `max-choices` → `maxChoices`). */
export function normalizeQti(el: XElement): XElement {
  const name = el.name.startsWith('qti-') ? camel(el.name.slice(4)) : el.name;
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(el.attrs)) attrs[k.includes('-') ? camel(k) : k] = v;
  const children: XNode[] = el.children.map((ch) => (typeof ch === 'string' ? ch : normalizeQti(ch)));
  return { name, attrs, children, start: el.start };
}

const INTERACTIONS: Record<string, string> = {
  textEntryInteraction: '填空题 (text entry)',
  extendedTextInteraction: '问答题 (extended text)',
  orderInteraction: '排序题 (order)',
  associateInteraction: '关联题 (associate)',
  matchInteraction: '配对题 (match)',
  gapMatchInteraction: '拖放填空题 (gap match)',
  inlineChoiceInteraction: '下拉选择填空题 (inline choice)',
  hottextInteraction: '热文本题 (hottext)',
  hotspotInteraction: '热区题 (hotspot)',
  selectPointInteraction: '图上选点题 (select point)',
  graphicOrderInteraction: '图形排序题 (graphic order)',
  graphicAssociateInteraction: '图形关联题 (graphic associate)',
  graphicGapMatchInteraction: '图形拖放题 (graphic gap match)',
  positionObjectInteraction: '定位题 (position object)',
  sliderInteraction: '滑块题 (slider)',
  drawingInteraction: '绘图题 (drawing)',
  uploadInteraction: '上传文件题 (upload)',
  customInteraction: '自定义交互题 (custom interaction)',
  portableCustomInteraction: '自定义交互题 (portable custom interaction)',
};
/** Interactions that do not take a response the engine needs: ignored, with a note. */
const IGNORABLE: Record<string, string> = {
  endAttemptInteraction: '“结束作答”按钮已忽略 (endAttemptInteraction ignored)',
  mediaInteraction: '媒体播放交互未导入 (mediaInteraction not imported)',
};

const num = (s: string | undefined): number | undefined => {
  if (s === undefined || s.trim() === '') return undefined;
  const n = Number(s.trim());
  return Number.isFinite(n) ? n : undefined;
};

export async function importQti(bytes: Uint8Array, opts: ImportOptions): Promise<ImportResult> {
  const c = new Collector(opts.bankId);
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5 || bytes[2] === 7)) {
    importPackage(c, bytes);
  } else {
    importXmlFile(c, bytes, undefined);
  }
  return c.result();
}

/** One XML file: an item, or something we can explain (a test, a manifest, QTI 1.x). */
function importXmlFile(c: Collector, bytes: Uint8Array, path: string | undefined): void {
  const fileRef = path ?? 'file';
  const decoded = decodeXml(bytes);
  if (decoded.note) c.note(fileRef, decoded.note);
  const parsed = parseXml(decoded.text);
  if (!parsed.ok) {
    c.error(
      path ? `${path}${parsed.line ? ` line ${parsed.line}` : ''}` : parsed.line ? `line ${parsed.line}` : 'file',
      parsed.detail,
    );
    return;
  }
  const root = normalizeQti(parsed.root);
  switch (root.name) {
    case 'assessmentItem':
      readItem(c, root, path);
      return;
    case 'questestinterop':
      c.error(
        fileRef,
        '不支持 QTI 1.x 格式，请导出为 QTI 2.1 或 3.0 (QTI 1.x is not supported; export QTI 2.1 or 3.0)',
      );
      return;
    case 'assessmentTest':
      c.error(
        fileRef,
        '这是 QTI 试卷（assessmentTest），不含题目本身；请上传包含 imsmanifest.xml 的 zip 内容包 (an assessmentTest: upload the content package .zip)',
      );
      return;
    case 'manifest':
      c.error(fileRef, '这是 imsmanifest.xml；请上传整个 zip 内容包 (a manifest alone: upload the whole .zip package)');
      return;
    default:
      c.error(fileRef, `不是 QTI 题目：根元素为 <${parsed.root.name}> (root element is not an assessmentItem)`);
  }
}

function readItem(c: Collector, root: XElement, path: string | undefined): void {
  const identifier = (root.attrs.identifier ?? '').trim();
  const title = (root.attrs.title ?? '').trim();
  const ref = path ? `${path}${identifier ? ` (${identifier})` : ''}` : `item ${identifier || '(no identifier)'}`;
  const body = firstChild(root, 'itemBody');
  if (!body) return c.error(ref, '缺少 itemBody (no itemBody)');

  const all = descendants(body, (e) => e.name.endsWith('Interaction'), true);
  for (const e of all) if (IGNORABLE[e.name]) c.note(ref, IGNORABLE[e.name]!);
  const interactions = all.filter((e) => !IGNORABLE[e.name]);
  if (interactions.length === 0) return c.skip(ref, '不是题目：没有作答交互 (no interaction to answer)');
  const others = [...new Set(interactions.filter((e) => e.name !== 'choiceInteraction').map((e) => e.name))];
  if (others.length) return c.skip(ref, unsupported(others.map((n) => INTERACTIONS[n] ?? n).join('、')));
  if (interactions.length > 1) {
    return c.skip(ref, `不支持：一道题含 ${interactions.length} 个选择交互 (several choiceInteractions in one item)`);
  }
  if (firstChild(root, 'templateDeclaration') || firstChild(root, 'templateProcessing')) {
    return c.skip(ref, '不支持：含模板变量的题目（题目内容随机生成）(template item)');
  }
  const ci = interactions[0]!;

  // The key: correctResponse of the interaction's response variable.
  const respId = ci.attrs.responseIdentifier ?? '';
  const decl = childElements(root, 'responseDeclaration').find((d) => d.attrs.identifier === respId);
  if (!decl)
    return c.error(ref, `找不到作答变量“${respId}”的 responseDeclaration (no responseDeclaration for the interaction)`);
  const values = childElements(firstChild(decl, 'correctResponse') ?? { name: '', attrs: {}, children: [] }, 'value')
    .map((v) => textContent(v).trim())
    .filter(Boolean);
  if (values.length === 0) {
    return c.error(
      ref,
      '缺少正确答案 correctResponse；不会从评分模板或映射推测答案 (no correctResponse: the key is never guessed)',
    );
  }

  // Options.
  const choices = childElements(ci, 'simpleChoice');
  if (choices.length < 2) return c.error(ref, `选项少于 2 个 (fewer than 2 simpleChoice: ${choices.length})`);
  if (choices.length > OPTION_KEYS.length) {
    return c.error(
      ref,
      `选项超过 ${OPTION_KEYS.length} 个，实际 ${choices.length} 个 (more than ${OPTION_KEYS.length} choices)`,
    );
  }
  const options: { key: (typeof OPTION_KEYS)[number]; text: string; sourceKey: string; fixed?: boolean }[] = [];
  const seen = new Set<string>();
  for (const [i, ch] of choices.entries()) {
    const sourceKey = (ch.attrs.identifier ?? '').trim();
    if (!sourceKey) return c.error(ref, `第 ${i + 1} 个选项没有 identifier (choice ${i + 1} has no identifier)`);
    if (seen.has(sourceKey)) return c.error(ref, `选项 identifier“${sourceKey}”重复 (choice identifier repeats)`);
    seen.add(sourceKey);
    const t = renderNodes(ch.children);
    // An option that is only a picture cannot be shown (the engine has no media yet): skip the item.
    const media = imageOnly(t);
    if (media) return c.skip(ref, imageOnlyReason(media, [`选项“${sourceKey}”`, `choice "${sourceKey}"`]));
    c.notesFor(ref, t.dropped);
    if (!t.text) return c.error(ref, `选项“${sourceKey}”为空 (choice "${sourceKey}" is empty)`);
    options.push({
      key: OPTION_KEYS[i]!,
      text: t.text,
      sourceKey,
      ...(ch.attrs.fixed === 'true' ? { fixed: true } : {}),
    });
  }
  const byId = new Map(options.map((o) => [o.sourceKey, o.key]));
  const unknown = values.filter((v) => !byId.has(v));
  if (unknown.length) {
    return c.error(ref, `正确答案 ${unknown.join(', ')} 不在选项中 (correctResponse names no simpleChoice)`);
  }
  if (new Set(values).size !== values.length)
    return c.error(ref, '正确答案中有重复的选项 (a value repeats in correctResponse)');

  // Stem: the item body with the interaction replaced by its prompt.
  const stem = renderNodes(body.children, {
    substitute: (el) => (el === ci ? childElements(ci, 'prompt') : undefined),
    skip: (el) => IGNORABLE[el.name] !== undefined,
  });
  c.notesFor(ref, stem.dropped);
  if (!stem.text) return c.error(ref, '题干为空（图片不会导入）(empty question text; images are not imported)');

  // single / multiple: maxChoices (0 = unlimited; default 1) and the number of correct values.
  const maxChoices = num(ci.attrs.maxChoices) ?? 1;
  let type: 'single' | 'multiple';
  if (values.length > 1) {
    if (maxChoices === 1) {
      return c.error(
        ref,
        `maxChoices=1 但正确答案有 ${values.length} 个 (maxChoices is 1 but correctResponse has ${values.length} values)`,
      );
    }
    type = 'multiple';
  } else type = maxChoices === 1 ? 'single' : 'multiple';

  // Points: a whole-question maximum when the item declares one.
  const outcome = (id: string) => childElements(root, 'outcomeDeclaration').find((o) => o.attrs.identifier === id);
  const maxScore = num(textContent(firstChild(firstChild(outcome('MAXSCORE'), 'defaultValue'), 'value')));
  const normalMax = num(outcome('SCORE')?.attrs.normalMaximum);
  const points = [maxScore, normalMax].find((p): p is number => p !== undefined && p > 0 && p <= 100) ?? 1;

  if (firstChild(decl, 'mapping') || firstChild(decl, 'areaMapping')) {
    c.noteMany(
      '映射（mapping）给出的部分得分未保留，导入后全对才得分 (mapping partial credit not kept; all-or-nothing)',
      ref,
    );
  }

  const source = `qti ${ref}${title ? ` "${title}"` : ''}`.slice(0, 500);
  const id = () => c.makeId(identifier, path ? path.replace(/\.xml$/i, '') : 'item');

  // A two-option single choice whose options are true/false words becomes a true/false question.
  if (type === 'single' && options.length === 2) {
    const tf = options.map((o) => trueFalseOption(o.text));
    if (tf[0] && tf[1] && tf[0] !== tf[1]) {
      const correct = options.findIndex((o) => o.sourceKey === values[0]);
      const q: QuestionInput = { id: id(), type: 'truefalse', stem: stem.text, answer: [tf[correct]!], points, source };
      c.note(ref, `两个选项“${options[0]!.text}”“${options[1]!.text}”为对/错，已按判断题导入 (imported as true/false)`);
      c.accept(q, ref);
      return;
    }
  }

  const q: QuestionInput = {
    id: id(),
    type,
    stem: stem.text,
    options,
    answer: values.map((v) => byId.get(v)!),
    shuffle: ci.attrs.shuffle === 'true',
    points,
    source,
  };
  c.accept(q, ref);
}

// ---------------------------------------------------------------------------------------------
// Content packages

function normalizePath(p: string): string {
  let s = p.replace(/\\/g, '/');
  try {
    s = decodeURI(s);
  } catch {
    // keep as is
  }
  const out: string[] = [];
  for (const seg of s.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return out.join('/');
}

/** An xml:base value as a directory prefix. */
const dir = (base: string) => (base && !base.endsWith('/') ? `${base}/` : base);

function importPackage(c: Collector, bytes: Uint8Array): void {
  let files: Record<string, Uint8Array>;
  try {
    // Only XML is read; over a size limit the whole import is refused (413).
    files = readZip(bytes, { want: (name) => /\.xml$/i.test(name), maxEntry: LIMITS.qtiEntryBytes });
  } catch (e) {
    if (isAppError(e)) throw e;
    c.error('file', `无法解压 zip 文件 (could not read the zip): ${(e as Error).message}`);
    return;
  }
  const byPath = new Map<string, Uint8Array>();
  for (const [name, data] of Object.entries(files)) byPath.set(normalizePath(name), data);
  const lookup = (p: string) => {
    const hit = byPath.get(p);
    if (hit) return hit;
    const lower = p.toLowerCase();
    for (const [k, v] of byPath) if (k.toLowerCase() === lower) return v;
    return undefined;
  };

  const manifestPath = [...byPath.keys()]
    .filter((p) => p.toLowerCase() === 'imsmanifest.xml' || p.toLowerCase().endsWith('/imsmanifest.xml'))
    .sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b))[0];

  if (!manifestPath) {
    const items: [string, Uint8Array][] = [];
    for (const p of [...byPath.keys()].sort()) {
      const data = byPath.get(p)!;
      const head = new TextDecoder().decode(data.subarray(0, 4096));
      if (/<(?:[A-Za-z0-9_]+:)?(?:assessmentItem|qti-assessment-item)[\s>]/.test(head)) items.push([p, data]);
    }
    if (items.length === 0) {
      c.error('file', '压缩包中既没有 imsmanifest.xml 也没有 QTI 题目文件 (no manifest and no QTI item in the zip)');
      return;
    }
    c.note(
      'file',
      '压缩包中没有 imsmanifest.xml，已按文件名顺序导入其中的 QTI 题目文件 (no manifest: item files imported in name order)',
    );
    for (const [p, data] of items) importXmlFile(c, data, p);
    return;
  }

  const decoded = decodeXml(lookup(manifestPath)!);
  const parsed = parseXml(decoded.text);
  if (!parsed.ok) {
    c.error(`${manifestPath}${parsed.line ? ` line ${parsed.line}` : ''}`, parsed.detail);
    return;
  }
  const manifestDir = manifestPath.includes('/') ? manifestPath.slice(0, manifestPath.lastIndexOf('/') + 1) : '';
  const resourcesEls = descendants(parsed.root, (e) => e.name === 'resources');
  const done = new Set<string>();
  let itemCount = 0;
  for (const resources of resourcesEls) {
    const resBase = resources.attrs.base ?? '';
    for (const res of childElements(resources, 'resource')) {
      const type = (res.attrs.type ?? '').toLowerCase();
      const href = res.attrs.href ?? firstChild(res, 'file')?.attrs.href ?? '';
      const ref = href || res.attrs.identifier || 'resource';
      if (/^imsqti_xmlv1p/.test(type)) {
        c.error(ref, '不支持 QTI 1.x 资源，请导出为 QTI 2.1 或 3.0 (QTI 1.x resource not supported)');
        continue;
      }
      if (!/^imsqti_item_xmlv[23]p\d/.test(type)) continue; // tests, stimuli, web content…
      itemCount++;
      if (!href) {
        c.error(ref, '清单中的题目资源没有 href (item resource without href)');
        continue;
      }
      const path = normalizePath(manifestDir + dir(resBase) + dir(res.attrs.base ?? '') + href);
      if (done.has(path)) continue;
      done.add(path);
      const data = lookup(path);
      if (!data) {
        c.error(path, '清单中列出的题目文件在压缩包中不存在 (file listed in the manifest is missing from the zip)');
        continue;
      }
      importXmlFile(c, data, path);
    }
  }
  if (itemCount === 0) c.error('file', 'imsmanifest.xml 中没有 QTI 题目资源 (the manifest lists no QTI item)');
}
