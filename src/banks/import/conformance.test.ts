// Every file of the conformance set (test/fixtures/conformance, see SOURCES.md there) must import to
// the counts, types and keys SOURCES.md lists, and every result must be a valid native bank.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseBank, type Question } from '../schema.js';
import { importBank, type ImportFormat, type ImportResult } from './index.js';

const ROOT = fileURLToPath(new URL('../../../test/fixtures/conformance', import.meta.url));

interface Expectation {
  format: ImportFormat;
  imported: number;
  skipped: number;
  types: Question['type'][];
  /** Per question: QTI/Aiken option identifiers (sourceKey), else option texts; T/F for true/false. */
  keys: string[][];
  optionCounts?: (number | undefined)[];
  extra?: (r: ImportResult, bytes: Buffer) => void;
}

/** The answer of a question, named the way SOURCES.md names it. */
function keyLabels(q: Question): string[] {
  if (q.type === 'single' || q.type === 'multiple') {
    return q.answer.map((k) => {
      const o = q.options.find((x) => x.key === k)!;
      return o.sourceKey ?? o.text;
    });
  }
  if (q.type === 'truefalse') return [...q.answer];
  throw new Error(`unexpected ${q.type}`);
}

const optionCount = (q: Question) => (q.type === 'single' || q.type === 'multiple' ? q.options.length : undefined);

const EXPECTED: Record<string, Expectation> = {
  'qti21/choice.xml': {
    format: 'qti',
    imported: 1,
    skipped: 0,
    types: ['single'],
    keys: [['ChoiceA']],
    optionCounts: [3],
    extra: (r) => {
      const q = r.questions[0]!;
      expect(q.type === 'single' && q.shuffle).toBe(false);
      expect(q.type === 'single' && q.stem).toBe('Look at the text in the picture.\nWhat does it say?');
      expect(r.notes.some((n) => n.detail.includes('图片') && n.detail.includes('images/sign.png'))).toBe(true);
    },
  },
  'qti21/choice_fixed.xml': {
    format: 'qti',
    imported: 1,
    skipped: 0,
    types: ['single'],
    keys: [['ChoiceA']],
    optionCounts: [4],
    extra: (r) => {
      const q = r.questions[0]!;
      if (q.type !== 'single') throw new Error('single expected');
      expect(q.shuffle).toBe(true);
      expect(q.options.at(-1)).toMatchObject({ sourceKey: 'ChoiceD', fixed: true, text: 'None of the above.' });
      expect(q.options.slice(0, 3).every((o) => o.fixed === undefined)).toBe(true);
    },
  },
  'qti21/choice_multiple.xml': {
    format: 'qti',
    imported: 1,
    skipped: 0,
    types: ['multiple'],
    keys: [['H', 'O']],
    optionCounts: [6],
    extra: (r) => {
      const q = r.questions[0]!;
      if (q.type !== 'multiple') throw new Error('multiple expected');
      expect(q.options.map((o) => o.key).join('')).toBe('ABCDEF');
      expect(q.options.map((o) => o.sourceKey)).toEqual(['H', 'He', 'C', 'O', 'N', 'Cl']);
      expect(q.answer).toEqual(['A', 'D']);
      expect(r.notes.some((n) => n.detail.includes('mapping'))).toBe(true);
    },
  },
  'qti21/chc_mcqS.xml': {
    format: 'qti',
    imported: 1,
    skipped: 0,
    types: ['single'],
    keys: [['ChoiceA']],
    optionCounts: [5],
    extra: (r) => {
      const q = r.questions[0]!;
      expect(q.type === 'single' && q.shuffle).toBe(true);
      expect(q.type === 'single' && q.stem.startsWith('Single choice (MCQ).\nEach option')).toBe(true);
      expect(JSON.stringify(q)).not.toMatch(/modalfeedback|you have selected/i);
    },
  },
  'qti21/Choicemultiple_871212949.xml': {
    format: 'qti',
    imported: 1,
    skipped: 0,
    types: ['multiple'],
    keys: [['choice_934383202', 'choice_2022864592', 'choice_1534527094']],
    optionCounts: [5],
    extra: (r) => {
      const q = r.questions[0]!;
      if (q.type !== 'multiple') throw new Error('multiple expected');
      expect(q.answer.map((k) => q.options.find((o) => o.key === k)!.text)).toEqual([
        'Erzgebirge',
        'Lausitz',
        'Vogtland',
      ]);
      expect(q.stem).toBe('Welche Naturräume finden sich im Freistaat Sachsen?');
    },
  },
  'qti21/Choicetruefalse_176040516.xml': {
    format: 'qti',
    imported: 1,
    skipped: 0,
    types: ['truefalse'],
    keys: [['T']],
    extra: (r, bytes) => {
      // the correct response choice_1164834606 is the option "Richtig" (true)
      expect(bytes.toString('utf8')).toContain('<value>choice_1164834606</value>');
      expect(bytes.toString('utf8')).toContain('identifier="choice_1164834606">Richtig<');
      expect(r.questions[0]!.type === 'truefalse' && r.questions[0]!.stem).toMatch(
        /^Das Bundesland Sachsen ist eines der neuen Bundesländer/,
      );
    },
  },
  'qti30/example-choice-item.xml': {
    format: 'qti',
    imported: 1,
    skipped: 0,
    types: ['single'],
    keys: [['ChoiceA']],
    optionCounts: [3],
  },
  'qti30/example-choice-multiple-item.xml': {
    format: 'qti',
    imported: 1,
    skipped: 0,
    types: ['multiple'],
    keys: [['ChoiceA', 'ChoiceB']],
    optionCounts: [3],
    extra: (r) => expect(r.questions[0]!.type === 'multiple' && r.questions[0]!.shuffle).toBe(false),
  },
  'qti30/composition_of_water_qti3.xml': {
    format: 'qti',
    imported: 1,
    skipped: 0,
    types: ['multiple'],
    keys: [['H', 'O']],
    optionCounts: [6],
  },
  'qti30/QUE_1_1.xml': {
    format: 'qti',
    imported: 1,
    skipped: 0,
    types: ['single'],
    keys: [['choice4']],
    optionCounts: [4],
    extra: (r) => {
      const q = r.questions[0]!;
      if (q.type !== 'single') throw new Error('single expected');
      expect(q.options.find((o) => o.key === q.answer[0])!.text).toBe('Richting het westen');
      expect(q.stem).toBe('In welke richting is de global shift bezig?');
    },
  },
  'gift/questions.gift.txt': {
    format: 'gift',
    imported: 5,
    skipped: 4,
    types: ['single', 'multiple', 'truefalse', 'truefalse', 'truefalse'],
    keys: [['yellow'], ['yellow', 'off-beige'], ['F'], ['T'], ['T']],
    optionCounts: [3, 4, undefined, undefined, undefined],
    extra: (r) => {
      expect(r.skipped.map((s) => s.reason)).toEqual([
        '不支持的题型：问答题 (essay)',
        '不支持的题型：配对题 (matching)',
        '不支持的题型：数值题 (numerical)',
        '不支持的题型：简答题 (short answer)',
      ]);
      expect(r.errors).toEqual([]);
      const ids = r.questions.map((q) => q.id);
      expect(ids).toContain('conf-2-08-TSL');
      expect(ids).toContain('conf-2-08-TSL-2');
      const q1 = r.questions.find((q) => q.id === 'conf-Q1')!;
      expect(q1.type === 'truefalse' && q1.explanation).toBe(
        "This is, of course, a Hitchiker's Guide to the Galaxy reference.",
      );
    },
  },
  'gift/examples.txt': {
    format: 'gift',
    imported: 23,
    skipped: 20,
    types: [
      'single',
      'single',
      'truefalse',
      'single',
      'single',
      'single',
      'single',
      'truefalse',
      'truefalse',
      'single',
      'single',
      'truefalse',
      'single',
      'single',
      'multiple',
      'multiple',
      'single',
      'single',
      'single',
      'single',
      'truefalse',
      'single',
      'single',
    ],
    keys: [
      ['no one'],
      ['entombed'],
      ['F'],
      ['no one'],
      ['entombed'],
      ['fourth'],
      ['China'],
      ['F'],
      ['T'],
      ['fourth'],
      ['right answer'],
      ['F'],
      ['full credit answer'],
      ['Nazareth'],
      ['Grant', "Grant's wife"],
      ['Grant', "Grant's wife"],
      ['= 2 + 3'],
      ['\\'],
      ['no one'],
      ['entombed'],
      ['F'],
      ['entombed'],
      ['full credit answer'],
    ],
    extra: (r) => {
      const blanks = r.questions.filter((q) => q.type === 'single' && q.stem.includes('_____'));
      expect(blanks).toHaveLength(7);
      expect(blanks.map((q) => q.type === 'single' && q.stem)).toContain('Jesus Christ was from _____.');
      const reasons = r.skipped.map((s) => s.reason);
      expect(reasons.filter((x) => x.includes('short answer'))).toHaveLength(9);
      expect(reasons.filter((x) => x.includes('numerical'))).toHaveLength(8);
      expect(reasons.filter((x) => x.includes('matching'))).toHaveLength(3);
      const ctl = r.questions.find((q) => q.id === 'conf-GIFT-Control-Characters')!;
      expect(ctl.type === 'single' && ctl.options.map((o) => o.text)).toEqual(['~', '=', '#', '{', '}', '\\']);
      expect(r.errors).toEqual([]);
    },
  },
  'gift/mcHTMLComment.gift': {
    format: 'gift',
    imported: 1,
    skipped: 0,
    types: ['single'],
    keys: [['Nunca.']],
    optionCounts: [3],
    extra: (r) => {
      const q = r.questions[0]!;
      if (q.type !== 'single') throw new Error('single expected');
      expect(q.stem).toBe(
        '¿En qué supuestos podría el Fiscal autorizar a la Policía Judicial la práctica de una diligencia de entrada y registro?',
      );
      expect(q.explanation).toMatch(/^Artículo 5 Estatuto Orgánico del Ministerio Fiscal:\nDos\. Igualmente/);
      expect(q.explanation).not.toMatch(/[<>]|LE0000017566|\\/);
      expect(q.id).toBe('conf-EE_mod_05_T39_P079');
    },
  },
  'moodlexml/multichoice.xml': {
    format: 'moodlexml',
    imported: 1,
    skipped: 0,
    types: ['single'],
    keys: [['French']],
    optionCounts: [4],
    extra: (r) => {
      const q = r.questions[0]!;
      if (q.type !== 'single') throw new Error('single expected');
      expect(q.answer).toEqual(['B']);
      expect(q.stem).toBe('Listen to this greeting:\n\nWhat language is being spoken?');
      expect(JSON.stringify(q)).not.toMatch(/PLUGINFILE|<img|base64/);
      const details = r.notes.map((n) => n.detail).join('\n');
      for (const f of ['bonjour.mp3', 'flag-uk.jpg', 'flag-france.jpg', 'flag-german.jpg', 'flag-denmark.jpg'])
        expect(details).toContain(f);
      expect(q.topic).toBe('Default for testhead/Multichoice');
    },
  },
  'moodlexml/nested_categories_with_questions.xml': {
    format: 'moodlexml',
    imported: 4,
    skipped: 1,
    types: ['truefalse', 'truefalse', 'truefalse', 'truefalse'],
    keys: [['T'], ['T'], ['T'], ['T']],
    extra: (r) => {
      expect(r.skipped).toEqual([{ ref: 'line 55 (Kappa Essay Question)', reason: '不支持的题型：问答题 (essay)' }]);
      expect(r.questions.map((q) => q.topic)).toEqual(['Iota', 'Iota/Kappa', 'Iota/Kappa/Lambda', 'Iota/Mu']);
      expect(r.questions.map((q) => q.type === 'truefalse' && q.stem)).toEqual([
        'Testing Iota Question',
        'Testing Kappa Question',
        'Testing Lambda Question',
        'Testing Mu Question',
      ]);
    },
  },
  'aiken/questions.aiken.txt': {
    format: 'aiken',
    imported: 2,
    skipped: 0,
    types: ['single', 'single'],
    keys: [['B'], ['A']],
    optionCounts: [4, 2],
    extra: (r) => {
      const [q1, q2] = r.questions;
      if (q1?.type !== 'single' || q2?.type !== 'single') throw new Error('single expected');
      expect(q1.options.find((o) => o.key === q1.answer[0])!.text).toBe('Martin Dougiamas');
      expect(q2.options.find((o) => o.key === q2.answer[0])!.text).toBe('True');
      // plain text stays exactly as typed
      expect(q2.stem).toBe(
        `Moodle's abilities include handling user input that includes <html class="cool"> & images:`,
      );
    },
  },
};

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full) : [path.relative(ROOT, full).split(path.sep).join('/')];
  });
}

describe('conformance set', () => {
  it('has an expectation for every file (and no expectation without a file)', () => {
    const files = listFiles(ROOT)
      .filter((f) => f !== 'SOURCES.md' && f !== 'README.md')
      .sort();
    expect(files).toEqual(Object.keys(EXPECTED).sort());
    expect(files).toHaveLength(16);
  });

  for (const [file, exp] of Object.entries(EXPECTED)) {
    it(`${file}: ${exp.imported} imported, ${exp.skipped} skipped`, async () => {
      const bytes = readFileSync(path.join(ROOT, file));
      const r = await importBank(exp.format, new Uint8Array(bytes), { bankId: 'conf' });
      expect(r.errors).toEqual([]);
      expect(r.imported).toBe(exp.imported);
      expect(r.questions).toHaveLength(exp.imported);
      expect(r.skipped).toHaveLength(exp.skipped);
      for (const s of r.skipped) expect(s.reason).toMatch(/[\u4e00-\u9fff]/);
      expect(r.questions.map((q) => q.type)).toEqual(exp.types);
      expect(r.questions.map(keyLabels)).toEqual(exp.keys);
      if (exp.optionCounts) expect(r.questions.map(optionCount)).toEqual(exp.optionCounts);
      const bank = parseBank({ bankId: 'conf', title: file, questions: r.questions });
      expect(bank.ok ? [] : bank.issues).toEqual([]);
      for (const q of r.questions) expect(q.id.startsWith('conf-')).toBe(true);
      exp.extra?.(r, bytes);
    });
  }

  it('adds up to the totals of SOURCES.md: 46 imported, 25 skipped', async () => {
    let imported = 0;
    let skipped = 0;
    const byFormat: Record<string, number> = {};
    for (const [file, exp] of Object.entries(EXPECTED)) {
      const r = await importBank(exp.format, new Uint8Array(readFileSync(path.join(ROOT, file))), { bankId: 'conf' });
      imported += r.imported;
      skipped += r.skipped.length;
      byFormat[exp.format] = (byFormat[exp.format] ?? 0) + r.imported;
    }
    expect({ imported, skipped }).toEqual({ imported: 46, skipped: 25 });
    expect(byFormat).toEqual({ qti: 10, gift: 29, moodlexml: 5, aiken: 2 });
  });
});
