import { describe, expect, it } from 'vitest';
import { parseBank, type Question } from '../schema.js';
import { importBank } from './index.js';

const moodle = (s: string) => importBank('moodlexml', new TextEncoder().encode(s), { bankId: 'md' });
const valid = (questions: Question[]) => {
  const r = parseBank({ bankId: 'md', title: 't', questions });
  return r.ok ? [] : r.issues;
};

const answer = (fraction: string, text: string, format = 'html') =>
  `<answer fraction="${fraction}" format="${format}"><text>${text}</text><feedback format="html"><text>fb</text></feedback></answer>`;

describe('Moodle XML', () => {
  it('maps multichoice (single flag, fractions), truefalse and text formats; skips other types', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/内科/心内科</text></category></question>
  <question type="multichoice">
    <name><text>多选 1</text></name>
    <questiontext format="plain_text"><text>下列 &lt;正确&gt; 的有 &amp; 哪些</text></questiontext>
    <generalfeedback format="moodle_auto_format"><text>第一行
第二行 &lt;b&gt;粗&lt;/b&gt;</text></generalfeedback>
    <defaultgrade>2.0000000</defaultgrade>
    <single>false</single>
    <shuffleanswers>0</shuffleanswers>
    ${answer('50', '甲')}${answer('-100', '乙')}${answer('50', '<![CDATA[<p>丙 &amp; 丁</p>]]>')}${answer('0', '**戊**', 'markdown')}
  </question>
  <question type="multichoice">
    <name><text>单选 2</text></name>
    <questiontext format="html"><text><![CDATA[<p>单选<br>第二行</p>]]></text></questiontext>
    <single>true</single>
    ${answer('100', 'A')}${answer('33.33333', 'B')}${answer('0', 'C')}
  </question>
  <question type="truefalse">
    <name><text>判断</text></name>
    <questiontext format="html"><text>地球是平的</text></questiontext>
    ${answer('0', 'true', 'moodle_auto_format')}${answer('100', 'false', 'moodle_auto_format')}
  </question>
  <question type="shortanswer"><name><text>sa</text></name><questiontext><text>x</text></questiontext></question>
  <question type="match"><name><text>m</text></name><questiontext><text>x</text></questiontext></question>
  <question type="multianswer"><name><text>cloze</text></name><questiontext><text>x</text></questiontext></question>
  <question type="description"><name><text>desc</text></name><questiontext><text>x</text></questiontext></question>
  <question type="multichoice">
    <name><text>坏题</text></name>
    <questiontext format="html"><text>没有满分答案</text></questiontext>
    <single>true</single>
    ${answer('50', 'A')}${answer('0', 'B')}
  </question>
</quiz>`;
    const r = await moodle(xml);
    expect(r.questions.map((q) => [q.id, q.type, 'answer' in q ? q.answer.join('') : ''])).toEqual([
      ['md-1', 'multiple', 'AC'],
      ['md-2', 'single', 'A'],
      ['md-判断', 'truefalse', 'F'], // a Chinese name is kept in the id (contract §8)
    ]);
    const [m, s, t] = r.questions;
    if (m?.type !== 'multiple' || s?.type !== 'single') throw new Error('types');
    expect(m.stem).toBe('下列 <正确> 的有 & 哪些'); // plain_text: the XML entities decode, nothing else
    expect(m.options.map((o) => o.text)).toEqual(['甲', '乙', '丙 & 丁', '戊']);
    expect(m).toMatchObject({ points: 2, shuffle: false, topic: '内科/心内科', explanation: '第一行\n第二行 粗' });
    expect(s.stem).toBe('单选\n第二行');
    expect(t).toMatchObject({ stem: '地球是平的' });
    expect(r.skipped.map((x) => x.reason)).toEqual([
      '不支持的题型：简答题 (short answer)',
      '不支持的题型：配对题 (matching)；Moodle 配对题与 B1 配伍题结构不同',
      '不支持的题型：嵌入式答案/完形填空题 (cloze)',
      '不是题目：说明文字 (description)',
    ]);
    expect(r.errors).toEqual([{ ref: 'line 29 (坏题)', detail: expect.stringContaining('没有 fraction="100"') }]);
    expect(valid(r.questions)).toEqual([]);
  });

  it('reports malformed XML and a wrong root instead of throwing', async () => {
    const bad = await moodle('<quiz>\n<question type="truefalse">\n</quiz>');
    expect(bad.questions).toEqual([]);
    expect(bad.errors[0]!.ref).toMatch(/^line \d+$/);
    expect(bad.errors[0]!.detail).toContain('XML 格式错误');
    const root = await moodle('<questions/>');
    expect(root.errors[0]!.detail).toContain('<quiz>');
  });

  it('reads the other questions when one question breaks the XML', async () => {
    const tf = (name: string, right: string) =>
      `<question type="truefalse"><name><text>${name}</text></name><questiontext format="plain_text"><text>${name} stem</text></questiontext>${answer(right === 'true' ? '100' : '0', 'true')}${answer(right === 'false' ? '100' : '0', 'false')}</question>`;
    const xml = [
      '<?xml version="1.0"?>',
      '<quiz>',
      tf('one', 'true'),
      '<question type="truefalse"><name><text>broken</text></name>',
      '<questiontext><text>a <b>b</text></questiontext></question>',
      tf('three', 'false'),
      '</quiz>',
    ].join('\n');
    const r = await moodle(xml);
    expect(r.questions.map((q) => [q.id, 'answer' in q ? q.answer.join('') : ''])).toEqual([
      ['md-one', 'T'],
      ['md-three', 'F'],
    ]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.ref).toBe('line 5');
    expect(r.errors[0]!.detail).toContain('此题的 XML 格式错误（第 5 行）');
    expect(r.notes.some((n) => n.detail.includes('逐题读取'))).toBe(true);
  });

  it('refuses entity declarations ("billion laughs") with an error, expanding nothing', async () => {
    const laughs = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE quiz [',
      ' <!ENTITY lol "lol">',
      ...Array.from({ length: 8 }, (_, i) => ` <!ENTITY lol${i + 2} "${`&lol${i || ''};`.repeat(10)}">`),
      ']>',
      '<quiz><question type="truefalse"><name><text>&lol9;</text></name>',
      '<questiontext format="plain_text"><text>&lol9;</text></questiontext>',
      `${answer('100', 'true')}${answer('0', 'false')}</question></quiz>`,
    ].join('\n');
    const simple = `<!DOCTYPE quiz [<!ENTITY x "hello">]><quiz><question type="truefalse"><questiontext format="plain_text"><text>&x;</text></questiontext>${answer('100', 'true')}${answer('0', 'false')}</question></quiz>`;
    for (const xml of [laughs, simple]) {
      const started = Date.now();
      const r = await moodle(xml);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(r.questions).toEqual([]);
      expect(r.imported).toBe(0);
      expect(r.errors).toEqual([{ ref: 'file', detail: expect.stringContaining('(entity declarations are refused)') }]);
      expect(r.errors[0]!.detail).toMatch(/^XML 含有实体定义/);
    }
  });

  it('answers a file without questions with an error, never an empty report', async () => {
    const files = {
      empty: '<quiz/>',
      emptyPair: '<?xml version="1.0"?>\n<quiz>\n</quiz>',
      categoriesOnly:
        '<quiz><question type="category"><category><text>$course$/top/x</text></category></question></quiz>',
      wrongRoot: '<questions><question type="truefalse"/></questions>',
      notXml: 'this is not XML at all',
      blank: ' \n',
      declarationOnly: '<?xml version="1.0"?>',
    };
    for (const [name, xml] of Object.entries(files)) {
      const r = await moodle(xml);
      expect(r.imported, name).toBe(0);
      expect(r.errors.length, name).toBeGreaterThan(0);
      expect(r.errors[0]!.detail, name).toMatch(/[\u4e00-\u9fff].*\(.+\)/);
      expect(r.errors[0]!.detail, name).not.toContain('undefined');
    }
    expect((await moodle(files.empty)).errors).toEqual([
      { ref: 'file', detail: expect.stringContaining('(no questions in the file)') },
    ]);
    expect((await moodle(files.categoriesOnly)).errors[0]!.detail).toContain('文件中没有题目');
    expect((await moodle(files.blank)).errors).toEqual([{ ref: 'file', detail: '文件为空 (the file is empty)' }]);
  });

  it('reports a multiple-answer question whose fractions Moodle would refuse, and imports the others', async () => {
    const multi = (name: string, answers: string) =>
      `<question type="multichoice"><name><text>${name}</text></name><questiontext format="plain_text"><text>${name} stem</text></questiontext><single>false</single>${answers}</question>`;
    const xml = [
      '<quiz>', // 1
      multi('ok', answer('33.33333', 'a') + answer('33.33333', 'b') + answer('33.33334', 'c') + answer('-100', 'd')), // 2
      multi('short', answer('50', 'a') + answer('30', 'b') + answer('0', 'c')), // 3
      multi('allhundred', answer('100', 'a') + answer('100', 'b') + answer('0', 'c')), // 4
      multi('nopositive', answer('0', 'a') + answer('-50', 'b')), // 5
      multi('last', answer('50', 'a') + answer('50', 'b') + answer('0', 'c')), // 6
      '</quiz>',
    ].join('\n');
    const r = await moodle(xml);
    expect(r.questions.map((q) => [q.id, 'answer' in q ? q.answer.join('') : ''])).toEqual([
      ['md-ok', 'ABC'],
      ['md-last', 'AB'],
    ]);
    expect(r.errors.map((e) => e.ref)).toEqual(['line 3 (short)', 'line 4 (allhundred)', 'line 5 (nopositive)']);
    expect(r.errors[0]!.detail).toMatch(
      /^多选题 fraction 大于 0 的答案相加为 80%.*\(the positive fractions add up to 80 %, not 100 %/,
    );
    expect(r.errors[1]!.detail).toContain('相加为 200%');
    expect(r.errors[2]!.detail).toContain('没有 fraction 大于 0 的答案');
    expect(r.skipped).toEqual([]);
    expect(r.imported).toBe(2);
  });

  it('skips a question whose answer is only an image, naming the question', async () => {
    const img = '<![CDATA[<p><img src="@@PLUGINFILE@@/flag-fr.png" alt="French flag" /></p>]]>';
    const xml = [
      '<quiz>', // 1
      `<question type="multichoice"><name><text>flags</text></name><questiontext format="html"><text>Which flag is French?</text></questiontext><single>true</single>${answer('100', img)}${answer('0', 'None')}</question>`, // 2
      `<question type="multichoice"><name><text>ok</text></name><questiontext format="html"><text>Pick</text></questiontext>${answer('100', 'A')}${answer('0', 'B')}</question>`, // 3
      '</quiz>',
    ].join('\n');
    const r = await moodle(xml);
    expect(r.questions.map((q) => q.id)).toEqual(['md-ok']);
    expect(r.errors).toEqual([]);
    expect(r.skipped).toEqual([
      {
        ref: 'line 2 (flags)',
        reason:
          '不支持：第 1 个选项只有图片，暂不能导入图片 (answer 1 is an image only; images cannot be delivered yet)',
      },
    ]);
  });
});
