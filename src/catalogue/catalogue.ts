// The Beijing specialty catalogue (attachment 2 of the 2023 Beijing plan, seed 001) and the rules
// that decide which 报考专业 a physician may register for. Pure: no HTTP, no database.
// How the table was read and why each rule exists: docs/catalogue.md.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export type Provider = 'general' | 'cosmetic' | 'health-check';

export interface Specialty {
  code: string;
  /** 报考专业, exactly as printed. */
  name: string;
  /** 一级科目 (association rows: 医疗美容科 / 健康体检). */
  subject: string;
  /** The 执业类别 cell as printed (carried down from the first row of its block). */
  category: string;
  /** The normalized 执业类别 values that may register (subset of CATEGORIES). */
  categories: string[];
  /** The 执业范围 cell as printed, split on 、 (outside brackets). */
  scopes: string[];
  provider: Provider;
  /** false only for 藏医专业 and 蒙医专业 (not tested online). */
  online: boolean;
}

export interface Catalogue {
  specialties: Specialty[];
  byCode: Map<string, Specialty>;
}

export interface Registrant {
  /** 执业类别, e.g. "临床" (spellings such as "临床类别" are accepted). */
  category: string;
  /** 执业范围 as registered, e.g. ["内科专业", "预防保健"]. */
  scopes: string[];
  /** "cosmetic" | "health-check" when the district delegated the physician to an association. */
  delegatedTo?: string | null;
}

export type Eligibility =
  | { ok: true; specialty: Specialty }
  | { ok: false; code: 'specialty_not_permitted' | 'validation_failed'; detail: string };

/** The four 执业类别 of the 医师法, in the order the notice prints them. */
export const CATEGORIES: readonly string[] = Object.freeze(['临床', '口腔', '公共卫生', '中医']);

const PROVIDER_NAMES: Record<Exclude<Provider, 'general'>, string> = {
  cosmetic: '北京医疗整形美容业协会',
  'health-check': '北京健康管理协会',
};

// ---------------------------------------------------------------------------------------------
// Normalization

/** NFKC (full-width brackets, letters, spaces → half-width), no whitespace, unified separators. */
function clean(s: string): string {
  return s
    .normalize('NFKC')
    .replace(/\s+/g, '')
    .replace(/[【〔［]/g, '(')
    .replace(/[】〕］]/g, ')');
}

const CATEGORY_ALIASES: Record<string, string> = {
  临床: '临床',
  临床医学: '临床',
  clinical: '临床',
  口腔: '口腔',
  口腔医学: '口腔',
  dental: '口腔',
  stomatology: '口腔',
  公共卫生: '公共卫生',
  公卫: '公共卫生',
  'public-health': '公共卫生',
  publichealth: '公共卫生',
  中医: '中医',
  中医学: '中医',
  中西医结合: '中医',
  民族医: '中医',
  民族医学: '中医',
  民族医学科: '中医',
  藏医: '中医',
  蒙医: '中医',
  维医: '中医',
  傣医: '中医',
  tcm: '中医',
};

/**
 * One of CATEGORIES, or null when the text is not a single 执业类别 (e.g. "护理", or the
 * combination "临床和中医", which a registration expresses as category 临床 + a 中医 scope).
 */
export function normalizeCategory(s: string): string | null {
  let t = clean(s).toLowerCase();
  // "中医（民族医学科、中西医结合）" → "中医": the bracket qualifies the category, it does not change it.
  t = t.replace(/\(.*\)$/, '');
  for (let prev = ''; prev !== t;) {
    prev = t;
    t = t.replace(/(执业助理医师|执业医师|助理医师|医师|类别|类)$/, '');
  }
  return CATEGORY_ALIASES[t] ?? null;
}

/**
 * Scope aliases: canonical key ← the spellings admins and the printed tables use (compared after
 * `clean` and after dropping the 专业 suffix). The canonical key is the table's own spelling where
 * the table prints one; see docs/catalogue.md for the reasons behind each group.
 */
export const SCOPE_ALIASES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  内科: ['内科', '内科学', '大内科'],
  预防保健: ['预防保健'],
  外科: ['外科', '外科学', '大外科'],
  '外科(整形外科)': ['外科(整形外科)', '外科(整形)', '整形外科'],
  '外科(麻醉)': ['外科(麻醉)', '外科(麻醉科)', '外科(麻醉学)', '麻醉', '麻醉科', '麻醉学'],
  儿科: ['儿科', '儿科学', '小儿科'],
  妇产科: ['妇产科', '妇产科学', '妇产'],
  眼科: ['眼科', '眼科学'],
  耳鼻咽喉科: ['耳鼻咽喉科', '耳鼻咽喉', '耳鼻喉科', '耳鼻喉'],
  眼耳鼻咽喉科: ['眼耳鼻咽喉科', '眼耳鼻咽喉', '眼耳鼻喉科', '眼耳鼻喉'],
  皮肤与性病: [
    '皮肤与性病',
    '皮肤病与性病',
    '皮肤病和性病',
    '皮肤和性病',
    '皮肤性病',
    '皮肤病性病',
    '皮肤科',
    '皮肤病',
  ],
  精神卫生: ['精神卫生', '精神科', '精神病', '精神病学'],
  急救医学: ['急救医学', '急诊医学', '急诊医学科', '急诊', '急诊科'],
  康复医学: ['康复医学', '康复医学科', '康复'],
  重症医学: ['重症医学', '重症医学科', '重症'],
  '医学检验、病理': [
    '医学检验、病理',
    '医学检验和病理',
    '医学检验与病理',
    '医学检验及病理',
    '医学检验',
    '医学检验科',
    '检验',
    '临床检验',
    '病理',
    '病理科',
  ],
  医学影像和放射治疗: [
    '医学影像和放射治疗',
    '医学影像与放射治疗',
    '医学影像及放射治疗',
    '医学影像、放射治疗',
    '医学影像',
    '医学影像科',
    '影像',
    '放射治疗',
    '放射',
    '放射诊断',
    '超声诊断',
    '超声',
    '医学影像科和放射',
    '医学影像科和超声',
    '医学影像和放射',
    '医学影像和超声',
  ],
  全科医学: ['全科医学', '全科', '全科医疗', '全科医疗科'],
  口腔: ['口腔', '口腔科', '口腔医学'],
  公共卫生: ['公共卫生', '公共卫生类别', '公共卫生类', '公卫'],
  中医: [
    '中医',
    '中医学',
    '中医(民族医学科、中西医结合)',
    '中医(民族医学、中西医结合)',
    '中医(民族医、中西医结合)',
    '中西医结合',
    '民族医',
    '民族医学',
    '民族医学科',
    '藏医',
    '蒙医',
    '维医',
    '傣医',
    '壮医',
    '朝医',
    '哈萨克医',
    '彝医',
  ],
});

/** Canonical key of the 中医 family (中医, 中西医结合, 民族医 scopes). */
const TCM_SCOPE = '中医';

const SCOPE_INDEX: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const [canonical, aliases] of Object.entries(SCOPE_ALIASES)) {
    for (const a of aliases) {
      const k = scopeKey(a);
      const seen = m.get(k);
      if (seen !== undefined && seen !== canonical)
        throw new Error(`scope alias ${a} maps to ${seen} and ${canonical}`);
      m.set(k, canonical);
    }
  }
  return m;
})();

/** clean + separators unified to 、 + the 专业 suffix dropped wherever it ends a name:
 * "内科专业" → "内科", "外科专业（整形外科）" → "外科(整形外科)", "医学检验，病理专业" → "医学检验、病理". */
function scopeKey(s: string): string {
  return clean(s)
    .replace(/[,;]/g, '、')
    .replace(/专业(?=$|[()、])/g, '');
}

/**
 * The canonical key of one 执业范围: tolerant of full-/half-width brackets and spaces, the trailing
 * 专业, and the aliases in SCOPE_ALIASES. Unknown scopes come back cleaned but otherwise unchanged.
 */
export function normalizeScope(s: string): string {
  const t = scopeKey(s);
  return SCOPE_INDEX.get(t) ?? t;
}

/** True when `s` normalizes to a scope the alias table knows. */
export function isKnownScope(s: string): boolean {
  return SCOPE_INDEX.has(scopeKey(s));
}

/** Splits "内科专业、外科专业" on 、 , ， ; ； / and newlines, but never inside brackets. */
export function splitScopes(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(' || ch === '（') depth++;
    else if ((ch === ')' || ch === '）') && depth > 0) depth--;
    if (depth === 0 && /[、,，;；/\n]/.test(ch)) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** Canonical keys of a registrant's scopes; a known compound such as "医学检验、病理专业" stays whole. */
function registrantScopeKeys(scopes: readonly string[]): Set<string> {
  const keys = new Set<string>();
  for (const raw of scopes) {
    if (typeof raw !== 'string' || raw.trim() === '') continue;
    if (isKnownScope(raw)) keys.add(normalizeScope(raw));
    else for (const part of splitScopes(raw)) keys.add(normalizeScope(part));
  }
  return keys;
}

export type Delegation = 'none' | 'cosmetic' | 'health-check';

const DELEGATION_ALIASES: Record<string, Delegation> = {
  '': 'none',
  none: 'none',
  general: 'none',
  无: 'none',
  cosmetic: 'cosmetic',
  医疗美容: 'cosmetic',
  医疗整形美容业协会: 'cosmetic',
  北京医疗整形美容业协会: 'cosmetic',
  'health-check': 'health-check',
  healthcheck: 'health-check',
  健康体检: 'health-check',
  健康管理协会: 'health-check',
  北京健康管理协会: 'health-check',
};

/** "none" when not delegated, the association otherwise, null when the value is not recognised. */
export function normalizeDelegation(s: string | null | undefined): Delegation | null {
  if (s === null || s === undefined) return 'none';
  return DELEGATION_ALIASES[clean(s).toLowerCase()] ?? null;
}

// ---------------------------------------------------------------------------------------------
// Loading

const nonEmpty = z.string().trim().min(1);

export const specialtySchema = z
  .object({
    code: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'codes are lower-case ASCII slugs'),
    name: nonEmpty,
    subject: nonEmpty,
    category: nonEmpty,
    categories: z
      .array(z.string().refine((c) => CATEGORIES.includes(c), { message: `must be one of ${CATEGORIES.join(', ')}` }))
      .min(1),
    scopes: z.array(nonEmpty).min(1),
    provider: z.enum(['general', 'cosmetic', 'health-check']),
    online: z.boolean(),
  })
  .strict();

export const catalogueFileSchema = z
  .object({ source: nonEmpty, specialties: z.array(specialtySchema).min(1) })
  .strict()
  .superRefine((file, ctx) => {
    const codes = new Set<string>();
    const names = new Set<string>();
    file.specialties.forEach((s, i) => {
      if (codes.has(s.code))
        ctx.addIssue({ code: 'custom', path: ['specialties', i, 'code'], message: `duplicate code ${s.code}` });
      codes.add(s.code);
      const key = `${s.provider}/${s.name}`;
      if (names.has(key))
        ctx.addIssue({ code: 'custom', path: ['specialties', i, 'name'], message: `duplicate name ${key}` });
      names.add(key);
      s.scopes.forEach((sc, j) => {
        if (!isKnownScope(sc))
          ctx.addIssue({
            code: 'custom',
            path: ['specialties', i, 'scopes', j],
            message: `scope ${sc} is not in SCOPE_ALIASES`,
          });
      });
    });
  });

/** <repo>/question-banks/catalogue.json: two levels up from src/catalogue/ and from dist/catalogue/. */
export const DEFAULT_CATALOGUE_FILE = fileURLToPath(new URL('../../question-banks/catalogue.json', import.meta.url));

export function loadCatalogue(file: string = DEFAULT_CATALOGUE_FILE): Catalogue {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`catalogue ${file}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = catalogueFileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`catalogue ${file} is invalid:\n  ${issues.join('\n  ')}`);
  }
  const specialties: Specialty[] = parsed.data.specialties.map((s) => Object.freeze({ ...s }) as Specialty);
  return { specialties, byCode: new Map(specialties.map((s) => [s.code, s])) };
}

/** The body of GET /v1/catalogue (DESIGN §4). */
export function publicCatalogue(cat: Catalogue): {
  specialties: Pick<Specialty, 'code' | 'name' | 'subject' | 'category' | 'scopes' | 'provider' | 'online'>[];
} {
  return {
    specialties: cat.specialties.map(({ code, name, subject, category, scopes, provider, online }) => ({
      code,
      name,
      subject,
      category,
      scopes: [...scopes],
      provider,
      online,
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Eligibility

const rowKeys = new WeakMap<Specialty, Set<string>>();
function specialtyScopeKeys(s: Specialty): Set<string> {
  let keys = rowKeys.get(s);
  if (!keys) {
    keys = new Set(s.scopes.map(normalizeScope));
    rowKeys.set(s, keys);
  }
  return keys;
}

/** A 中医 specialty: every 执业范围 it admits is of the 中医 family (中医专业, 藏医, 蒙医, 美容中医科). */
export function isTcmSpecialty(s: Specialty): boolean {
  const keys = specialtyScopeKeys(s);
  return keys.size > 0 && [...keys].every((k) => k === TCM_SCOPE);
}

const refuse = (detail: string): Eligibility => ({ ok: false, code: 'specialty_not_permitted', detail });
const invalid = (detail: string): Eligibility => ({ ok: false, code: 'validation_failed', detail });

export function checkEligibility(cat: Catalogue, specialtyCode: string, who: Registrant): Eligibility {
  const specialty = typeof specialtyCode === 'string' ? cat.byCode.get(specialtyCode.trim()) : undefined;
  if (!specialty) return invalid(`未知的报考专业代码「${String(specialtyCode)}」`);

  const category = typeof who.category === 'string' ? normalizeCategory(who.category) : null;
  if (!category) {
    return invalid(`无法识别的执业类别「${String(who.category)}」，应为${CATEGORIES.join('、')}之一`);
  }
  const scopes = Array.isArray(who.scopes) ? registrantScopeKeys(who.scopes) : new Set<string>();
  if (scopes.size === 0) return invalid('执业范围不能为空');

  const delegation = normalizeDelegation(who.delegatedTo);
  if (!delegation) {
    return invalid(
      `无法识别的委托协会「${String(who.delegatedTo)}」，应为 cosmetic（北京医疗整形美容业协会）或 health-check（北京健康管理协会）`,
    );
  }

  // 注3: association specialties only for physicians the district delegated to that association;
  // 二(二): a delegated physician takes the 业务水平测评 at that association, i.e. from its table.
  if (specialty.provider !== 'general' && delegation !== specialty.provider) {
    const assoc = PROVIDER_NAMES[specialty.provider];
    return refuse(`「${specialty.name}」是${assoc}的报考专业，仅限各区委托到该协会的医师报考`);
  }
  if (specialty.provider === 'general' && delegation !== 'none') {
    const assoc = PROVIDER_NAMES[delegation];
    return refuse(
      `该医师已由区考核办公室委托到${assoc}进行业务水平测评，只能报考${assoc}的专业，不能报考「${specialty.name}」`,
    );
  }

  if (!specialty.categories.includes(category)) {
    return refuse(`执业类别「${category}」不能报考「${specialty.name}」（该专业限执业类别：${specialty.category}）`);
  }

  // Xicheng 2026 三(六): a physician with several scopes picks any one of them (西学中医除外).
  if (category === '临床' && scopes.has(TCM_SCOPE) && isTcmSpecialty(specialty)) {
    return refuse(
      `西学中医师（临床类别加注中医执业范围）不能报考中医类专业「${specialty.name}」，应在其临床执业范围内选择报考专业`,
    );
  }

  const admitted = specialtyScopeKeys(specialty);
  if (![...scopes].some((k) => admitted.has(k))) {
    return refuse(
      `执业范围（${who.scopes.join('、')}）与「${specialty.name}」不符，该专业限执业范围：${specialty.scopes.join('、')}`,
    );
  }
  return { ok: true, specialty };
}
