import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBank, type Question } from '../schema.js';
import { importBank } from './index.js';

const valid = (questions: Question[]) => {
  const r = parseBank({ bankId: 'pkg', title: 't', questions });
  return r.ok ? [] : r.issues;
};
const qti = (bytes: Uint8Array) => importBank('qti', bytes, { bankId: 'pkg' });

const item21 = (id: string, body: string, correct: string[], extra = '') => `<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="${id}" title="${id}" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="${correct.length > 1 ? 'multiple' : 'single'}" baseType="identifier">
    <correctResponse>${correct.map((v) => `<value>${v}</value>`).join('')}</correctResponse>
  </responseDeclaration>
  ${extra}
  <itemBody>${body}</itemBody>
  <responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"/>
</assessmentItem>`;

const ITEM_A = item21(
  'item-a',
  `<p>医师定期考核的周期是 <em>几</em> 年？</p>
   <choiceInteraction responseIdentifier="RESPONSE" shuffle="true" maxChoices="1">
     <simpleChoice identifier="y1">一年</simpleChoice>
     <simpleChoice identifier="y2">两年</simpleChoice>
     <simpleChoice identifier="y3">三年</simpleChoice>
     <simpleChoice identifier="none" fixed="true">以上都不对</simpleChoice>
   </choiceInteraction>`,
  ['y3'],
);

const ITEM_B3 = `<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="item-b" title="B">
  <qti-response-declaration identifier="RESPONSE" cardinality="multiple" base-type="identifier">
    <qti-correct-response><qti-value>c1</qti-value><qti-value>c3</qti-value></qti-correct-response>
  </qti-response-declaration>
  <qti-outcome-declaration identifier="MAXSCORE" cardinality="single" base-type="float">
    <qti-default-value><qti-value>2</qti-value></qti-default-value>
  </qti-outcome-declaration>
  <qti-item-body>
    <qti-choice-interaction response-identifier="RESPONSE" max-choices="0">
      <qti-prompt>下列属于医师权利的有</qti-prompt>
      <qti-simple-choice identifier="c1">获取劳动报酬</qti-simple-choice>
      <qti-simple-choice identifier="c2">拒绝参加考核</qti-simple-choice>
      <qti-simple-choice identifier="c3">参加专业培训</qti-simple-choice>
    </qti-choice-interaction>
  </qti-item-body>
</qti-assessment-item>`;

const MANIFEST = `<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="pkg">
  <metadata><schema>QTIv2.1 Package</schema></metadata>
  <organizations/>
  <resources>
    <resource identifier="test" type="imsqti_test_xmlv2p1" href="tests/test.xml"><file href="tests/test.xml"/></resource>
    <resource identifier="ra" type="imsqti_item_xmlv2p1" href="items/item%20a.xml"><file href="items/item%20a.xml"/></resource>
    <resource identifier="css" type="webcontent" href="style.css"><file href="style.css"/></resource>
    <resource identifier="rb" type="imsqti_item_xmlv3p0" href="items/b.xml"><file href="items/b.xml"/></resource>
  </resources>
</manifest>`;

describe('QTI content packages', () => {
  it('imports the items a manifest lists, in manifest order, QTI 2.1 and 3.0 alike', async () => {
    const zip = zipSync({
      'imsmanifest.xml': strToU8(MANIFEST),
      'items/item a.xml': strToU8(ITEM_A),
      'items/b.xml': strToU8(ITEM_B3),
      'items/not-listed.xml': strToU8(item21('nope', '<p>x</p>', ['a'])),
      'tests/test.xml': strToU8('<assessmentTest identifier="t"/>'),
      'style.css': strToU8('p{}'),
    });
    const r = await qti(zip);
    expect(r.errors).toEqual([]);
    expect(r.skipped).toEqual([]);
    expect(r.imported).toBe(2);
    const [a, b] = r.questions;
    expect(a).toMatchObject({
      id: 'pkg-item-a',
      type: 'single',
      stem: '医师定期考核的周期是 几 年？',
      answer: ['C'],
      shuffle: true,
      points: 1,
    });
    expect(a?.type === 'single' && a.options).toEqual([
      { key: 'A', text: '一年', sourceKey: 'y1' },
      { key: 'B', text: '两年', sourceKey: 'y2' },
      { key: 'C', text: '三年', sourceKey: 'y3' },
      { key: 'D', text: '以上都不对', sourceKey: 'none', fixed: true },
    ]);
    expect(a?.source).toBe('qti items/item a.xml (item-a) "item-a"');
    expect(b).toMatchObject({
      id: 'pkg-item-b',
      type: 'multiple',
      stem: '下列属于医师权利的有',
      answer: ['A', 'C'],
      shuffle: false,
      points: 2,
    });
    expect(valid(r.questions)).toEqual([]);
  });

  it('keeps going when one listed item is broken or missing', async () => {
    const manifest = `<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources>
      <resource identifier="ra" type="imsqti_item_xmlv2p1" href="items/item%20a.xml"/>
      <resource identifier="rm" type="imsqti_item_xmlv2p1" href="items/missing.xml"/>
      <resource identifier="rc" type="imsqti_item_xmlv2p1" href="items/broken.xml"/>
      <resource identifier="rd" type="imsqti_item_xmlv2p2" href="items/b.xml"/>
    </resources></manifest>`;
    const zip = zipSync({
      'imsmanifest.xml': strToU8(manifest),
      'items/item a.xml': strToU8(ITEM_A),
      'items/broken.xml': strToU8('<assessmentItem identifier="x"><itemBody>\n<p>unclosed</itemBody></assessmentItem>'),
      'items/b.xml': strToU8(ITEM_B3),
    });
    const r = await qti(zip);
    expect(r.questions.map((q) => q.id)).toEqual(['pkg-item-a', 'pkg-item-b']);
    expect(r.errors.map((e) => e.ref)).toEqual(['items/missing.xml', 'items/broken.xml line 2']);
    expect(r.errors[0]!.detail).toContain('不存在');
    expect(r.errors[1]!.detail).toContain('XML 格式错误');
  });

  it('resolves hrefs against the manifest folder and xml:base', async () => {
    const manifest = `<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources xml:base="content">
      <resource identifier="r1" type="imsqti_item_xmlv3p0" xml:base="qti3" href="./b.xml"/>
      <resource identifier="r2" type="imsqti_item_xmlv2p1" href="../common/a.xml"/>
    </resources></manifest>`;
    const zip = zipSync({
      'pkg/imsmanifest.xml': strToU8(manifest),
      'pkg/content/qti3/b.xml': strToU8(ITEM_B3),
      'pkg/common/a.xml': strToU8(ITEM_A),
    });
    const r = await qti(zip);
    expect(r.errors).toEqual([]);
    expect(r.questions.map((q) => [q.id, q.source])).toEqual([
      ['pkg-item-b', 'qti pkg/content/qti3/b.xml (item-b) "B"'],
      ['pkg-item-a', 'qti pkg/common/a.xml (item-a) "item-a"'],
    ]);
  });

  it('imports every item of a zip without manifest, with a note', async () => {
    const zip = zipSync({ 'b.xml': strToU8(ITEM_B3), 'a.xml': strToU8(ITEM_A), 'readme.xml': strToU8('<readme/>') });
    const r = await qti(zip);
    expect(r.questions.map((q) => q.id)).toEqual(['pkg-item-a', 'pkg-item-b']);
    expect(r.notes.some((n) => n.detail.includes('imsmanifest.xml'))).toBe(true);
  });

  it('reports a zip that is not a QTI package', async () => {
    const r = await qti(zipSync({ 'hello.txt': strToU8('hi') }));
    expect(r.questions).toEqual([]);
    expect(r.errors).toEqual([
      { ref: 'file', detail: expect.stringContaining('既没有 imsmanifest.xml 也没有 QTI 题目文件') },
    ]);
    const corrupt = await qti(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]));
    expect(corrupt.errors).toEqual([{ ref: 'file', detail: expect.stringContaining('无法解压') }]);
  });
});

describe('QTI items', () => {
  const enc = (s: string) => new TextEncoder().encode(s);

  it('skips non-choice interactions and items with several interactions', async () => {
    const text = item21('t1', '<p>Name it: <textEntryInteraction responseIdentifier="RESPONSE"/></p>', ['x']);
    const r = await qti(enc(text));
    expect(r.skipped).toEqual([{ ref: 'item t1', reason: '不支持的题型：填空题 (text entry)' }]);
    const mixed = item21(
      't2',
      '<choiceInteraction responseIdentifier="RESPONSE"><simpleChoice identifier="a">a</simpleChoice><simpleChoice identifier="b">b</simpleChoice></choiceInteraction><extendedTextInteraction responseIdentifier="R2"/>',
      ['a'],
    );
    expect((await qti(enc(mixed))).skipped[0]!.reason).toBe('不支持的题型：问答题 (extended text)');
    const none = item21('t3', '<p>Read this.</p>', ['a']);
    expect((await qti(enc(none))).skipped[0]!.reason).toContain('没有作答交互');
  });

  it('takes the key from correctResponse only, and reports contradictions', async () => {
    const choices = '<simpleChoice identifier="a">a</simpleChoice><simpleChoice identifier="b">b</simpleChoice>';
    const noKey = item21(
      'k1',
      `<p>Q</p><choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">${choices}</choiceInteraction>`,
      [],
    );
    expect((await qti(enc(noKey))).errors[0]!.detail).toContain('correctResponse');
    const two = item21(
      'k2',
      `<p>Q</p><choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">${choices}</choiceInteraction>`,
      ['a', 'b'],
    );
    expect((await qti(enc(two))).errors[0]!.detail).toContain('maxChoices=1');
    const unknown = item21(
      'k3',
      `<p>Q</p><choiceInteraction responseIdentifier="RESPONSE">${choices}</choiceInteraction>`,
      ['zz'],
    );
    expect((await qti(enc(unknown))).errors[0]!.detail).toContain('不在选项中');
    // maxChoices 0 with one correct value is a multiple-answer question
    const open = item21(
      'k4',
      `<p>Q</p><choiceInteraction responseIdentifier="RESPONSE" maxChoices="0">${choices}</choiceInteraction>`,
      ['b'],
    );
    expect((await qti(enc(open))).questions[0]).toMatchObject({ type: 'multiple', answer: ['B'] });
  });

  it('turns a 2-option 对/错 single choice into a true/false question', async () => {
    const tf = item21(
      'tf',
      '<p>医师定期考核每三年一次。</p><choiceInteraction responseIdentifier="RESPONSE" maxChoices="1"><simpleChoice identifier="w">错误</simpleChoice><simpleChoice identifier="r">正确</simpleChoice></choiceInteraction>',
      ['r'],
    );
    const r = await qti(enc(tf));
    expect(r.questions[0]).toMatchObject({ type: 'truefalse', stem: '医师定期考核每三年一次。', answer: ['T'] });
  });

  it('explains files that are not items', async () => {
    expect((await qti(enc('<questestinterop><item/></questestinterop>'))).errors[0]!.detail).toContain('QTI 1.x');
    expect((await qti(enc('<assessmentTest identifier="t"/>'))).errors[0]!.detail).toContain('assessmentTest');
    expect((await qti(enc('<manifest/>'))).errors[0]!.detail).toContain('zip');
    expect((await qti(enc('not xml at all <'))).errors[0]!.detail).toContain('XML');
  });

  it('refuses an item that declares entities, alone or in a package', async () => {
    const bad = item21(
      'ent',
      '<p>&lol2;</p><choiceInteraction responseIdentifier="RESPONSE"><simpleChoice identifier="a">a</simpleChoice><simpleChoice identifier="b">b</simpleChoice></choiceInteraction>',
      ['a'],
    ).replace('?>', '?>\n<!DOCTYPE assessmentItem [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>');
    const alone = await qti(enc(bad));
    expect(alone.questions).toEqual([]);
    expect(alone.errors).toEqual([
      { ref: 'file', detail: expect.stringContaining('(entity declarations are refused)') },
    ]);
    const zip = zipSync({
      'imsmanifest.xml': strToU8(MANIFEST),
      'items/item a.xml': strToU8(bad),
      'items/b.xml': strToU8(ITEM_B3),
    });
    const pkg = await qti(zip);
    expect(pkg.questions.map((q) => q.id)).toEqual(['pkg-item-b']);
    expect(pkg.errors).toEqual([
      { ref: 'items/item a.xml', detail: expect.stringContaining('(entity declarations are refused)') },
    ]);
  });

  it('flattens XHTML: drops media with a note, keeps sub/sup readable, hides feedback', async () => {
    const body = `<div><p>CO<sub>2</sub> 与 10<sup>-3</sup> mol</p><object data="a.mp4"/><feedbackBlock outcomeIdentifier="F" identifier="x" showHide="show">SECRET</feedbackBlock></div>
      <choiceInteraction responseIdentifier="RESPONSE"><simpleChoice identifier="a">甲<feedbackInline outcomeIdentifier="F" identifier="a" showHide="show">SECRET</feedbackInline></simpleChoice><simpleChoice identifier="b"><img src="b.png"/>乙</simpleChoice></choiceInteraction>`;
    const r = await qti(enc(item21('x', body, ['a'])));
    const q = r.questions[0]!;
    expect(q.type === 'single' && [q.stem, q.options.map((o) => o.text)]).toEqual(['CO₂ 与 10⁻³ mol', ['甲', '乙']]);
    expect(JSON.stringify(q)).not.toContain('SECRET');
    const notes = r.notes.map((n) => n.detail).join('\n');
    expect(notes).toContain('a.mp4');
    expect(notes).toContain('b.png');
  });

  it('skips an item with an image-only choice, naming the item, instead of importing an empty option', async () => {
    const body = (choice: string) =>
      `<p>Which flag is French?</p><choiceInteraction responseIdentifier="RESPONSE"><simpleChoice identifier="a">${choice}</simpleChoice><simpleChoice identifier="b">None of them</simpleChoice></choiceInteraction>`;
    const r = await qti(enc(item21('flags', body('<img src="a.png" alt="flag"/>'), ['a'])));
    expect(r.questions).toEqual([]);
    expect(r.errors).toEqual([]);
    expect(r.skipped).toEqual([
      {
        ref: 'item flags',
        reason: '不支持：选项“a”只有图片，暂不能导入图片 (choice "a" is an image only; images cannot be delivered yet)',
      },
    ]);
    const wrapped = await qti(enc(item21('flags2', body('<p> <img src="a.png"/> </p>'), ['a'])));
    expect(wrapped.skipped.map((x) => x.ref)).toEqual(['item flags2']);
    // an image beside text is still dropped with a note and the option imports
    const mixed = await qti(enc(item21('flags3', body('<img src="a.png"/> France'), ['a'])));
    expect(mixed.questions[0]!.type === 'single' && mixed.questions[0]!.options[0]!.text).toBe('France');
  });
});

describe('QTI packages: size limits', () => {
  it('refuses an item over 4 MiB decompressed with 413, before parsing it', async () => {
    const huge = item21('big', `<p>${'x'.repeat(5 * 1024 * 1024)}</p>`, ['A']);
    const zip = zipSync({ 'big.xml': strToU8(huge) }, { level: 9 });
    expect(zip.byteLength).toBeLessThan(100_000);
    await expect(qti(zip)).rejects.toMatchObject({ code: 'payload_too_large', status: 413 });
  });

  it('refuses an entry whose compressed data is larger than the size it declares', async () => {
    const zip = zipSync({ 'a.xml': strToU8(item21('a', `<p>${'x'.repeat(5000)}</p>`, ['A'])) }, { level: 0 });
    // Patch the central directory's uncompressed size of the only entry to 1 byte.
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    let cd = zip.byteLength - 22;
    while (view.getUint32(cd, true) !== 0x06054b50) cd--;
    const dirStart = view.getUint32(cd + 16, true);
    view.setUint32(dirStart + 24, 1, true);
    await expect(qti(zip)).rejects.toMatchObject({ code: 'payload_too_large' });
  });
});
