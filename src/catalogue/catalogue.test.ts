import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CATEGORIES,
  DEFAULT_CATALOGUE_FILE,
  SCOPE_ALIASES,
  checkEligibility,
  isKnownScope,
  isTcmSpecialty,
  loadCatalogue,
  normalizeCategory,
  normalizeDelegation,
  normalizeScope,
  publicCatalogue,
  splitScopes,
  type Eligibility,
  type Registrant,
} from './catalogue.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const cat = loadCatalogue();
const byProvider = (p: string) => cat.specialties.filter((s) => s.provider === p);
const check = (code: string, who: Registrant): Eligibility => checkEligibility(cat, code, who);
const expectOk = (code: string, who: Registrant) => {
  const r = check(code, who);
  expect(r, JSON.stringify(r)).toMatchObject({ ok: true, specialty: { code } });
};
const expectRefused = (code: string, who: Registrant, detail?: RegExp) => {
  const r = check(code, who);
  expect(r.ok, JSON.stringify(r)).toBe(false);
  if (r.ok) return;
  expect(r.code).toBe('specialty_not_permitted');
  if (detail) expect(r.detail).toMatch(detail);
};
const expectInvalid = (code: string, who: Registrant, detail?: RegExp) => {
  const r = check(code, who);
  expect(r.ok, JSON.stringify(r)).toBe(false);
  if (r.ok) return;
  expect(r.code).toBe('validation_failed');
  if (detail) expect(r.detail).toMatch(detail);
};

describe('catalogue file', () => {
  it('loads from <repo>/question-banks/catalogue.json by default', () => {
    expect(DEFAULT_CATALOGUE_FILE).toBe(join(repoRoot, 'question-banks', 'catalogue.json'));
    // The compiled module lives at dist/catalogue/catalogue.js: two levels up is the repo root too.
    const fromDist = fileURLToPath(
      new URL('../../question-banks/catalogue.json', pathToFileURL(join(repoRoot, 'dist/catalogue/catalogue.js'))),
    );
    expect(fromDist).toBe(DEFAULT_CATALOGUE_FILE);
    const raw = JSON.parse(readFileSync(DEFAULT_CATALOGUE_FILE, 'utf8')) as { source: string };
    expect(raw.source).toContain('北京市2023年度医师定期考核工作方案');
    expect(cat.byCode.size).toBe(cat.specialties.length);
  });

  it('has every row of attachment 2: 45 general, 4 cosmetic, 8 health-check', () => {
    expect(byProvider('general')).toHaveLength(45);
    expect(byProvider('cosmetic')).toHaveLength(4);
    expect(byProvider('health-check')).toHaveLength(8);
    expect(cat.specialties).toHaveLength(57);
  });

  it('transcribes the 报考专业 column in printed order', () => {
    expect(byProvider('general').map((s) => s.name)).toEqual([
      '内科',
      '呼吸内科专业',
      '消化内科专业',
      '神经内科专业',
      '心血管内科专业',
      '血液内科专业',
      '肾病学专业',
      '内分泌专业',
      '免疫学专业',
      '老年病专业',
      '感染专业',
      '外科',
      '普通外科专业',
      '神经外科专业',
      '骨科专业',
      '泌尿外科专业',
      '胸外科专业',
      '心脏大血管外科专业',
      '烧伤科专业',
      '整形外科专业',
      '儿内科',
      '儿外科',
      '妇产科专业',
      '眼科专业',
      '耳鼻咽喉科专业',
      '皮肤与性病专业',
      '精神科专业',
      '急救医学专业',
      '康复医学专业',
      '麻醉科',
      '重症医学科',
      '医学检验科',
      '病理科',
      '放射诊断专业',
      '超声诊断专业',
      '放射治疗专业',
      '临床核医学专业',
      '介入放射学专业',
      '全科医学',
      '口腔专业',
      '防病专业',
      '卫生专业',
      '中医专业',
      '藏医专业',
      '蒙医专业',
    ]);
    expect(byProvider('cosmetic').map((s) => s.name)).toEqual([
      '美容外科专业',
      '美容皮肤科专业',
      '美容中医科专业',
      '美容牙科专业',
    ]);
    expect(byProvider('health-check').map((s) => s.name)).toEqual([
      '内科',
      '外科',
      '妇产科',
      '眼科专业',
      '耳鼻咽喉科专业',
      '放射诊断专业',
      '超声诊断专业',
      '口腔专业',
    ]);
    expect(byProvider('cosmetic').every((s) => s.subject === '医疗美容科')).toBe(true);
    expect(byProvider('health-check').every((s) => s.subject === '健康体检')).toBe(true);
  });

  it('carries the 执业范围 and 一级科目 of a block down to every row of it', () => {
    const internal = byProvider('general').filter((s) => s.subject === '内科');
    expect(internal).toHaveLength(11);
    for (const s of internal) expect(s.scopes).toEqual(['内科专业', '预防保健']);
    const surgery = byProvider('general').filter((s) => s.subject === '外科');
    expect(surgery).toHaveLength(9);
    for (const s of surgery) expect(s.scopes).toEqual(['外科', '外科（整形外科）', '外科（麻醉）']);
    const imaging = byProvider('general').filter((s) => s.subject === '医学影像科');
    expect(imaging).toHaveLength(5);
    for (const s of imaging) expect(s.scopes).toEqual(['医学影像科', '放射治疗专业', '超声诊断专业']);
    for (const s of byProvider('general').filter((x) => x.subject === '公共卫生')) {
      expect(s.scopes).toEqual(['公共卫生']);
      expect(s.category).toBe('公共卫生');
    }
    expect(cat.byCode.get('pediatric-surgery')).toMatchObject({ subject: '儿科', scopes: ['儿科专业', '外科'] });
    expect(cat.byCode.get('cosmetic-dermatology')).toMatchObject({ category: '临床', scopes: ['皮肤与性病专业'] });
  });

  it('keeps the bracketed 中医（民族医学科、中西医结合） as one scope', () => {
    expect(cat.byCode.get('traditional-chinese-medicine')).toMatchObject({
      category: '中医（民族医学科、中西医结合）、临床和中医',
      categories: ['临床', '中医'],
      scopes: ['中医（民族医学科、中西医结合）'],
    });
    expect(cat.byCode.get('general-practice')).toMatchObject({
      category: '临床、临床和中医',
      categories: ['临床', '中医'],
    });
  });

  it('derives categories from the printed 执业类别 cell', () => {
    for (const s of cat.specialties) {
      const parts = splitScopes(s.category).flatMap((p) => p.split('和'));
      const derived = [...new Set(parts.map((p) => normalizeCategory(p)))];
      expect(derived, s.code).not.toContain(null);
      expect([...derived].sort(), s.code).toEqual([...s.categories].sort());
      for (const c of s.categories) expect(CATEGORIES).toContain(c);
    }
  });

  it('has the six fixed codes', () => {
    const fixed: Record<string, string> = {
      'internal-medicine': '内科',
      'general-practice': '全科医学',
      surgery: '外科',
      pediatrics: '儿内科',
      'obstetrics-gynecology': '妇产科专业',
      stomatology: '口腔专业',
    };
    for (const [code, name] of Object.entries(fixed)) {
      expect(cat.byCode.get(code), code).toMatchObject({ name, provider: 'general' });
    }
  });

  it('has unique lower-case slug codes, prefixed for associations', () => {
    const codes = cat.specialties.map((s) => s.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const s of cat.specialties) {
      expect(s.code).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      if (s.provider === 'cosmetic') expect(s.code).toMatch(/^cosmetic-/);
      if (s.provider === 'health-check') expect(s.code).toMatch(/^hc-/);
      if (s.provider === 'general') expect(s.code).not.toMatch(/^(cosmetic|hc)-/);
    }
  });

  it('marks only 藏医专业 and 蒙医专业 as not online', () => {
    const offline = cat.specialties.filter((s) => !s.online);
    expect(offline.map((s) => [s.code, s.name])).toEqual([
      ['tibetan-medicine', '藏医专业'],
      ['mongolian-medicine', '蒙医专业'],
    ]);
    expect(cat.specialties.filter((s) => s.online)).toHaveLength(55);
  });

  it('knows every printed scope in the alias table', () => {
    for (const s of cat.specialties) for (const sc of s.scopes) expect(isKnownScope(sc), `${s.code}: ${sc}`).toBe(true);
  });

  it('publicCatalogue answers the DESIGN §4 shape', () => {
    const view = publicCatalogue(cat);
    expect(view.specialties).toHaveLength(57);
    expect(Object.keys(view.specialties[0]!).sort()).toEqual([
      'category',
      'code',
      'name',
      'online',
      'provider',
      'scopes',
      'subject',
    ]);
    expect(view.specialties.find((s) => s.code === 'tibetan-medicine')).toMatchObject({
      online: false,
      provider: 'general',
    });
  });
});

describe('loadCatalogue validation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'catalogue-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const good = JSON.parse(readFileSync(DEFAULT_CATALOGUE_FILE, 'utf8')) as {
    source: string;
    specialties: Record<string, unknown>[];
  };
  const write = (name: string, data: unknown) => {
    const f = join(dir, name);
    writeFileSync(f, typeof data === 'string' ? data : JSON.stringify(data));
    return f;
  };

  it('loads an explicit file', () => {
    expect(loadCatalogue(write('ok.json', good)).specialties).toHaveLength(57);
  });
  it('rejects a duplicate code', () => {
    const bad = { ...good, specialties: [...good.specialties, { ...good.specialties[0] }] };
    expect(() => loadCatalogue(write('dup.json', bad))).toThrow(/duplicate code internal-medicine/);
  });
  it('rejects a non-slug code, an unknown category, an unknown field and an unknown scope', () => {
    const first = good.specialties[0]!;
    expect(() =>
      loadCatalogue(write('slug.json', { ...good, specialties: [{ ...first, code: 'Internal Medicine' }] })),
    ).toThrow(/slug/);
    expect(() =>
      loadCatalogue(write('cat.json', { ...good, specialties: [{ ...first, categories: ['护理'] }] })),
    ).toThrow(/categories/);
    expect(() => loadCatalogue(write('extra.json', { ...good, specialties: [{ ...first, extra: 1 }] }))).toThrow(
      /extra/,
    );
    expect(() =>
      loadCatalogue(write('scope.json', { ...good, specialties: [{ ...first, scopes: ['针灸推拿专业'] }] })),
    ).toThrow(/针灸推拿/);
  });
  it('rejects malformed JSON and a missing file with the path in the message', () => {
    expect(() => loadCatalogue(write('broken.json', '{ nope'))).toThrow(/broken\.json/);
    expect(() => loadCatalogue(join(dir, 'missing.json'))).toThrow(/missing\.json/);
  });
});

describe('normalization', () => {
  it('normalizes 执业类别 spellings', () => {
    expect(normalizeCategory('临床')).toBe('临床');
    expect(normalizeCategory(' 临床类别 ')).toBe('临床');
    expect(normalizeCategory('口腔执业助理医师')).toBe('口腔');
    expect(normalizeCategory('公共卫生类别')).toBe('公共卫生');
    expect(normalizeCategory('中医（民族医学科、中西医结合）')).toBe('中医');
    expect(normalizeCategory('中医(中西医结合)')).toBe('中医');
    expect(normalizeCategory('TCM')).toBe('中医');
    expect(normalizeCategory('临床和中医')).toBeNull();
    expect(normalizeCategory('护理')).toBeNull();
    expect(normalizeCategory('')).toBeNull();
  });

  it('normalizes 执业范围 spellings to one key', () => {
    const same = (a: string, b: string) => expect(normalizeScope(a), `${a} ~ ${b}`).toBe(normalizeScope(b));
    same('内科专业', '内科');
    same('内科 专业', '内科');
    same('外科（整形外科）', '外科(整形外科)');
    same('外科专业（整形外科）', '外科（整形外科）');
    same('外科（麻醉）', '麻醉科');
    same('皮肤病与性病专业', '皮肤与性病专业');
    same('皮肤性病', '皮肤与性病');
    same('医学影像和放射治疗专业', '医学影像科');
    same('医学影像科和放射专业', '医学影像和放射治疗');
    same('医学影像科和超声专业', '超声诊断专业');
    same('医学检验、病理专业', '病理专业');
    same('医学检验，病理专业', '医学检验');
    same('眼耳鼻喉科', '眼耳鼻咽喉科专业');
    same('耳鼻喉科', '耳鼻咽喉科专业');
    same('急诊医学', '急救医学专业');
    same('精神科', '精神卫生专业');
    same('全科', '全科医学专业');
    same('中西医结合专业', '中医（民族医学科、中西医结合）');
    same('中医专业', '中医(民族医学科、中西医结合)');
    same('公共卫生类别专业', '公共卫生');
    expect(normalizeScope('外科（整形外科）')).not.toBe(normalizeScope('外科'));
    expect(normalizeScope('眼科专业')).not.toBe(normalizeScope('眼耳鼻咽喉科专业'));
    expect(normalizeScope('儿科专业')).not.toBe(normalizeScope('内科专业'));
    expect(normalizeScope('职业病专业')).toBe('职业病');
    expect(isKnownScope('职业病专业')).toBe(false);
  });

  it('maps every alias of the table to its own key', () => {
    for (const [key, aliases] of Object.entries(SCOPE_ALIASES))
      for (const a of aliases) expect(normalizeScope(a), a).toBe(key);
  });

  it('splits scopes outside brackets only', () => {
    expect(splitScopes('内科专业、预防保健')).toEqual(['内科专业', '预防保健']);
    expect(splitScopes('外科、外科（整形外科）, 外科(麻醉)')).toEqual(['外科', '外科（整形外科）', '外科(麻醉)']);
    expect(splitScopes('中医（民族医学科、中西医结合）')).toEqual(['中医（民族医学科、中西医结合）']);
  });

  it('normalizes the delegation', () => {
    expect(normalizeDelegation(undefined)).toBe('none');
    expect(normalizeDelegation(null)).toBe('none');
    expect(normalizeDelegation('')).toBe('none');
    expect(normalizeDelegation('cosmetic')).toBe('cosmetic');
    expect(normalizeDelegation('北京医疗整形美容业协会')).toBe('cosmetic');
    expect(normalizeDelegation('Health-Check')).toBe('health-check');
    expect(normalizeDelegation('北京健康管理协会')).toBe('health-check');
    expect(normalizeDelegation('hospital')).toBeNull();
  });
});

describe('checkEligibility', () => {
  it('rejects an unknown specialty code as validation_failed', () => {
    expectInvalid('cardiac-surgery', { category: '临床', scopes: ['外科专业'] }, /未知的报考专业代码/);
    expectInvalid('', { category: '临床', scopes: ['外科专业'] });
  });

  it('rejects malformed registrant data as validation_failed', () => {
    expectInvalid('internal-medicine', { category: '护理', scopes: ['内科专业'] }, /执业类别/);
    expectInvalid('internal-medicine', { category: '临床', scopes: [] }, /执业范围不能为空/);
    expectInvalid('internal-medicine', { category: '临床', scopes: ['  '] }, /执业范围不能为空/);
    expectInvalid('internal-medicine', { category: '临床', scopes: ['内科专业'], delegatedTo: 'hospital' }, /委托/);
  });

  it('permits a matching category and scope', () => {
    expectOk('internal-medicine', { category: '临床', scopes: ['内科专业'] });
    expectOk('surgery', { category: '临床', scopes: ['外科'] });
    expectOk('pediatrics', { category: '临床', scopes: ['儿科专业'] });
    expectOk('obstetrics-gynecology', { category: '临床', scopes: ['妇产科专业'] });
    expectOk('stomatology', { category: '口腔', scopes: ['口腔专业'] });
    expectOk('disease-prevention', { category: '公共卫生', scopes: ['公共卫生类别专业'] });
    expectOk('hygiene', { category: '公共卫生', scopes: ['公共卫生'] });
    expectOk('general-practice', { category: '临床', scopes: ['全科医学专业'] });
    expectOk('traditional-chinese-medicine', { category: '中医', scopes: ['中医专业'] });
    expectOk('traditional-chinese-medicine', { category: '中医', scopes: ['中西医结合专业'] });
    expectOk('anesthesiology', { category: '临床', scopes: ['外科（麻醉）'] });
    expectOk('anesthesiology', { category: '临床', scopes: ['外科'] });
  });

  it('carries the block scope down: a 内科专业 physician may take 呼吸内科专业 and 感染专业', () => {
    expectOk('respiratory-medicine', { category: '临床', scopes: ['内科专业'] });
    expectOk('infectious-diseases', { category: '临床', scopes: ['内科专业'] });
    expectOk('geriatrics', { category: '临床', scopes: ['预防保健'] });
    expectOk('plastic-surgery', { category: '临床', scopes: ['外科（整形外科）'] });
    expectOk('interventional-radiology', { category: '临床', scopes: ['医学影像和放射治疗专业'] });
  });

  it('refuses a scope the row does not admit', () => {
    expectRefused('ophthalmology', { category: '临床', scopes: ['内科专业'] }, /执业范围.*眼科专业/);
    expectRefused('respiratory-medicine', { category: '临床', scopes: ['外科专业'] });
    expectRefused('anesthesiology', { category: '临床', scopes: ['外科（整形外科）'] });
    expectRefused('pediatric-surgery', { category: '临床', scopes: ['内科专业'] });
  });

  it('lets a physician with several scopes pick any one of them', () => {
    const who: Registrant = { category: '临床', scopes: ['外科专业', '内科专业'] };
    expectOk('surgery', who);
    expectOk('internal-medicine', who);
    expectOk('cardiology', who);
    expectOk('orthopedics', who);
    expectRefused('psychiatry', who);
    // the same, sent as one 、-joined string
    expectOk('neurosurgery', { category: '临床', scopes: ['内科专业、外科专业'] });
    expectOk('gastroenterology', { category: '临床', scopes: ['内科专业、外科专业'] });
  });

  it('refuses a category the row does not admit', () => {
    expectRefused('internal-medicine', { category: '口腔', scopes: ['口腔专业'] }, /执业类别「口腔」不能报考「内科」/);
    expectRefused('internal-medicine', { category: '口腔', scopes: ['内科专业'] }, /执业类别/);
    expectRefused('stomatology', { category: '临床', scopes: ['口腔专业'] }, /执业类别/);
    expectRefused('hygiene', { category: '临床', scopes: ['公共卫生'] });
    expectRefused('internal-medicine', { category: '中医', scopes: ['内科专业'] });
    expectRefused('tibetan-medicine', { category: '临床', scopes: ['中医专业'] });
  });

  it('refuses 西学中 physicians a 中医 specialty but lets them take their 临床 ones', () => {
    const xixuezhong: Registrant = { category: '临床', scopes: ['内科专业', '中医专业'] };
    expectRefused('traditional-chinese-medicine', xixuezhong, /西学中/);
    expectRefused('traditional-chinese-medicine', { category: '临床', scopes: ['中西医结合专业'] }, /西学中/);
    expectRefused('tibetan-medicine', xixuezhong);
    expectOk('internal-medicine', xixuezhong);
    expectOk('general-practice', { category: '临床', scopes: ['全科医学专业', '中医专业'] });
    expect(isTcmSpecialty(cat.byCode.get('traditional-chinese-medicine')!)).toBe(true);
    expect(isTcmSpecialty(cat.byCode.get('cosmetic-traditional-chinese-medicine')!)).toBe(true);
    expect(isTcmSpecialty(cat.byCode.get('general-practice')!)).toBe(false);
  });

  it('lets 中医 physicians register for 藏医/蒙医 although those are not online', () => {
    const r = check('mongolian-medicine', { category: '中医', scopes: ['蒙医专业'] });
    expect(r).toMatchObject({ ok: true, specialty: { code: 'mongolian-medicine', online: false } });
    expectOk('tibetan-medicine', { category: '中医', scopes: ['藏医'] });
  });

  it('opens association specialties only to physicians delegated to that association', () => {
    const surgeon: Registrant = { category: '临床', scopes: ['外科（整形外科）'] };
    expectRefused('cosmetic-surgery', surgeon, /北京医疗整形美容业协会.*委托/);
    expectOk('cosmetic-surgery', { ...surgeon, delegatedTo: 'cosmetic' });
    expectRefused('cosmetic-surgery', { ...surgeon, delegatedTo: 'health-check' }, /北京医疗整形美容业协会/);
    expectOk('cosmetic-surgery', { category: '临床', scopes: ['耳鼻咽喉科专业'], delegatedTo: 'cosmetic' });
    expectOk('cosmetic-dermatology', {
      category: '临床',
      scopes: ['皮肤病与性病专业'],
      delegatedTo: '北京医疗整形美容业协会',
    });
    expectOk('cosmetic-traditional-chinese-medicine', {
      category: '中医',
      scopes: ['中医专业'],
      delegatedTo: 'cosmetic',
    });
    expectOk('cosmetic-dentistry', { category: '口腔', scopes: ['口腔'], delegatedTo: 'cosmetic' });
    expectRefused('cosmetic-dentistry', { category: '临床', scopes: ['口腔'], delegatedTo: 'cosmetic' });

    const internist: Registrant = { category: '临床', scopes: ['内科专业'] };
    expectRefused('hc-internal-medicine', internist, /北京健康管理协会/);
    expectRefused('hc-internal-medicine', { ...internist, delegatedTo: null }, /北京健康管理协会/);
    expectOk('hc-internal-medicine', { ...internist, delegatedTo: 'health-check' });
    expectRefused('hc-internal-medicine', { ...internist, delegatedTo: 'cosmetic' });
    expectRefused('hc-surgery', { ...internist, delegatedTo: 'health-check' }, /执业范围/);
    expectOk('hc-diagnostic-radiology', {
      category: '临床',
      scopes: ['医学影像和放射治疗专业'],
      delegatedTo: 'health-check',
    });
    expectOk('hc-diagnostic-ultrasound', { category: '临床', scopes: ['超声诊断专业'], delegatedTo: 'health-check' });
    expectOk('hc-stomatology', { category: '口腔', scopes: ['口腔专业'], delegatedTo: 'health-check' });
  });

  it('keeps a delegated physician to the association table', () => {
    expectRefused(
      'internal-medicine',
      { category: '临床', scopes: ['内科专业'], delegatedTo: 'health-check' },
      /北京健康管理协会/,
    );
    expectRefused(
      'dermatology-venereology',
      { category: '临床', scopes: ['皮肤与性病专业'], delegatedTo: 'cosmetic' },
      /北京医疗整形美容业协会/,
    );
  });

  it('accepts the usual spellings of a scope', () => {
    expectOk('dermatology-venereology', { category: '临床', scopes: ['皮肤病与性病专业'] });
    expectOk('dermatology-venereology', { category: '临床类别', scopes: ['皮肤与性病'] });
    expectOk('diagnostic-radiology', { category: '临床', scopes: ['医学影像和放射治疗专业'] });
    expectOk('diagnostic-ultrasound', { category: '临床', scopes: ['医学影像科'] });
    expectOk('plastic-surgery', { category: '临床', scopes: ['外科(整形外科)'] });
    expectOk('plastic-surgery', { category: '临床', scopes: ['外科专业（整形外科）'] });
    expectOk('pathology', { category: '临床', scopes: ['医学检验、病理专业'] });
    expectOk('laboratory-medicine', { category: '临床', scopes: ['医学检验专业'] });
    expectOk('otorhinolaryngology', { category: '临床', scopes: ['眼耳鼻喉科专业'] });
    expectOk('emergency-medicine', { category: '临床', scopes: ['急诊医学专业'] });
    expectOk('internal-medicine', { category: '临床', scopes: [' 内科 '] });
    expectOk('traditional-chinese-medicine', { category: '中医类别', scopes: ['中医（民族医学科、中西医结合）'] });
  });

  it('explains refusals in Chinese', () => {
    const r = check('ophthalmology', { category: '临床', scopes: ['内科专业'] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.detail).toMatch(/[\u4e00-\u9fff]/);
  });
});
