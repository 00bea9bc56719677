import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importBank } from './index.js';
import {
  decodeEntities,
  htmlToText,
  imageOnly,
  markdownToText,
  plainText,
  trueFalseOption,
  trueFalseWord,
} from './text.js';

describe('htmlToText', () => {
  it('strips tags, decodes entities once, and keeps line breaks sensibly', () => {
    const r = htmlToText(
      '<h2>标题</h2><p>第一段&nbsp;&nbsp;有 <b>粗体</b>、&lt;script&gt; 与 &amp;amp;</p>\n\n<p>第二段<br/>换行</p><ul><li>一</li><li>二</li></ul><ol><li>甲</li><li>乙</li></ol>',
    );
    expect(r.text).toBe('标题\n第一段  有 粗体、<script> 与 &amp;\n第二段\n换行\n• 一\n• 二\n1. 甲\n2. 乙');
    expect(r.dropped).toEqual([]);
  });

  it('drops scripts, styles, comments and media (with a note), keeps link text', () => {
    const r = htmlToText(
      '<style>p{color:red}</style><script>alert("x")</script><!-- hidden --><p>看图<img src="@@PLUGINFILE@@/a.png" alt="A"> <a href="https://x.org">链接</a><video src="v.mp4">fallback</video></p>',
    );
    expect(r.text).toBe('看图 链接');
    expect(r.dropped).toEqual(['图片未导入 (image not imported): a.png', '媒体未导入 (media not imported): v.mp4']);
  });

  it('is forgiving with broken markup and lone "<"', () => {
    expect(htmlToText('a < b and c < d <p>x').text).toBe('a < b and c < d\nx');
    expect(htmlToText('c<d e').text).toBe('c<d e'); // a tag never closed by ">" stays text
    expect(htmlToText('<p title="a > b">ok</p></div></span>tail').text).toBe('ok\ntail');
    expect(htmlToText('<p>unclosed <b>bold').text).toBe('unclosed bold');
    expect(htmlToText("<a title=it's>x</a> y").text).toBe('x y');
    expect(htmlToText('<pre>  a\n    b</pre>').text).toBe('a\nb');
    expect(htmlToText('x<sup>2</sup> H<sub>2</sub>O e<sup>iπ</sup>').text).toBe('x² H₂O e^(iπ)');
    expect(htmlToText('<table><tr><td>Na</td><td>140</td></tr><tr><td>K</td><td>4.0</td></tr></table>').text).toBe(
      'Na 140\nK 4.0',
    );
  });

  it('decodes numeric and named references, leaves unknown ones alone', () => {
    expect(decodeEntities('&#20013;&#x6587; &eacute; &alpha;&le;&beta; &bogus; &amp')).toBe('中文 é α≤β &bogus; &');
    expect(decodeEntities('&#0; &#x110000;')).toBe('\uFFFD \uFFFD');
  });
});

describe('plain text and words', () => {
  it('keeps plain text as characters', () => {
    expect(plainText('  <b>x</b> &amp; y\r\n  z\u0000 ')).toBe('<b>x</b> &amp; y\n  z');
    expect(markdownToText('**粗** and [link](http://x) ![img](p.png) `code`').text).toBe('粗 and link  code');
  });

  it('recognises true/false words', () => {
    expect(['对', '正确', 'T', 'true', '√', 'Richtig', 'Waar'].map(trueFalseWord)).toEqual([
      'T',
      'T',
      'T',
      'T',
      'T',
      'T',
      'T',
    ]);
    expect(['错', '错误', 'F', 'FALSE', '×', 'Falsch'].map(trueFalseWord)).toEqual(['F', 'F', 'F', 'F', 'F', 'F']);
    expect(trueFalseWord('也许')).toBeUndefined();
    // option texts are matched more strictly: "Yes"/"No" stay an ordinary choice
    expect([trueFalseOption('Yes'), trueFalseOption('Richtig.'), trueFalseOption('对')]).toEqual([undefined, 'T', 'T']);
  });
});

describe('importBank', () => {
  it('rejects programming errors but never throws for a bad file', async () => {
    await expect(importBank('csv', new Uint8Array(), { bankId: 'Bad Id' })).rejects.toThrow(/bankId/);
    await expect(importBank('pdf' as never, new Uint8Array(), { bankId: 'law' })).rejects.toThrow(/format/);
    for (const format of ['csv', 'xlsx', 'gift', 'moodlexml', 'qti', 'aiken'] as const) {
      const junk = new Uint8Array([0, 1, 2, 0xff, 0xfe, 0x3c, 0x7b, 0x22]);
      const r = await importBank(format, junk, { bankId: 'law' });
      expect(r.questions).toEqual([]);
      expect(r.imported).toBe(0);
    }
    const empty = await importBank('gift', new Uint8Array(), { bankId: 'law' });
    expect(empty).toEqual({ imported: 0, skipped: [], errors: [], notes: [], questions: [] });
  });
});

// The regexes markdownToText and the image-only test used before they were rewritten as linear
// scans: the reference the scans must agree with (on short input, where backtracking is harmless).
const OLD_IMAGE = /!\[([^\]]*)\]\(([^)\s]*)[^)]*\)/g;
const OLD_LINK = /\[([^\]]+)\]\(([^)\s]*)[^)]*\)/g;
const OLD_IMAGE_ONLY = /^(?:\s|&nbsp;)*(?:(?:!\[[^\]]*\]\([^)]*\)|<img\b[^>]*\bsrc\s*=[^>]*>)(?:\s|&nbsp;)*)+$/i;
function oldMarkdown(s: string) {
  const dropped: string[] = [];
  let t = s.replace(/\r\n?/g, '\n');
  t = t.replace(OLD_IMAGE, (_m, _alt: string, src: string) => {
    dropped.push(`图片未导入 (image not imported): ${src}`);
    return '';
  });
  t = t.replace(OLD_LINK, '$1');
  t = t.replace(/^\s{0,3}#{1,6}\s+/gm, '');
  t = t.replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, '$1').replace(/__(?=\S)([\s\S]*?\S)__/g, '$1');
  t = t.replace(/`([^`\n]+)`/g, '$1');
  t = t.replace(/\\([\\`*_{}[\]()#+\-.!])/g, '$1');
  return { text: t.trim(), dropped };
}

describe('Markdown and image-only scans are linear and give what the old regexes gave', () => {
  const alphabet = fc.constantFrom(...'![]()*_ a\n`#\\<>=s'.split(''), '<img', 'src=', '&nbsp;', '**', '__', '![');
  it('markdownToText agrees with the regexes on random input', () => {
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 40 }).map((a) => a.join('')),
        (s) => {
          expect(markdownToText(s)).toEqual(oldMarkdown(s));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('the image-only test agrees with the regex on random input', () => {
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 30 }).map((a) => a.join('')),
        (s) => {
          expect(imageOnly({ text: 'x', dropped: [] }, s) === 'image').toBe(OLD_IMAGE_ONLY.test(s));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('a 120 KB Markdown line that never closes its image, link or bold is read (it took minutes)', () => {
    const n = 120_000;
    const image = markdownToText(`![a](${'x'.repeat(n)}`);
    expect(image).toEqual({ text: `![a](${'x'.repeat(n)}`, dropped: [] });
    const nested = markdownToText('![a]('.repeat(n / 5));
    expect(nested.text).toBe('![a]('.repeat(n / 5).trim());
    const links = markdownToText('[a]('.repeat(n / 4));
    expect(links.dropped).toEqual([]);
    expect(markdownToText('**a '.repeat(n / 4)).text).toBe('**a '.repeat(n / 4).trim());
    expect(imageOnly({ text: 'x', dropped: [] }, `<img ${'src='.repeat(n / 4)}`)).toBeUndefined();
  });
});
