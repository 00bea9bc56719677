// Registration sheets as admins keep them: Chinese or English headers, UTF-8 or GBK.
import { parse } from 'csv-parse/sync';
import { decodeText } from '../banks/import/decode.js';
import { AppError } from '../errors.js';

const HEADERS: Record<string, string> = {
  idnumber: 'idNumber',
  身份证号: 'idNumber',
  身份证号码: 'idNumber',
  证件号码: 'idNumber',
  name: 'name',
  姓名: 'name',
  category: 'category',
  执业类别: 'category',
  scopes: 'scopes',
  scope: 'scopes',
  执业范围: 'scopes',
  level: 'level',
  级别: 'level',
  医师级别: 'level',
  specialty: 'specialty',
  报考专业: 'specialty',
  专业: 'specialty',
  password: 'password',
  密码: 'password',
  delegatedto: 'delegatedTo',
  委托: 'delegatedTo',
  委托协会: 'delegatedTo',
  procedure: 'procedure',
  程序: 'procedure',
  考核程序: 'procedure',
};
const LEVELS: Record<string, string> = {
  执业医师: 'physician',
  医师: 'physician',
  执业助理医师: 'assistant',
  助理医师: 'assistant',
  助理: 'assistant',
};
const PROCEDURES: Record<string, string> = {
  一般程序: 'general',
  一般: 'general',
  简易程序: 'simplified',
  简易: 'simplified',
  免考: 'exempt',
};
const DELEGATIONS: Record<string, string> = {
  北京医疗整形美容业协会: 'cosmetic',
  医疗美容: 'cosmetic',
  北京健康管理协会: 'health-check',
  健康体检: 'health-check',
};

/** Rows of a registration CSV as the objects the JSON body would carry (validated later, row by row). */
export function registrationsFromCsv(bytes: Uint8Array): Record<string, unknown>[] {
  const { text } = decodeText(bytes);
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, relax_column_count: true, trim: true, bom: true });
  } catch (e) {
    throw new AppError('validation_failed', `CSV 无法解析 (malformed CSV): ${(e as Error).message}`);
  }
  const [header, ...rows] = records;
  if (!header) throw new AppError('validation_failed', 'CSV 为空 (empty CSV)');
  const fields = header.map((h) => HEADERS[h.replace(/\s/g, '').toLowerCase()] ?? HEADERS[h.trim()]);
  const unknown = header.filter((_, i) => !fields[i]);
  if (unknown.length) throw new AppError('validation_failed', `未知的列 unknown columns: ${unknown.join(', ')}`);
  return rows.map((cells) => {
    const row: Record<string, unknown> = {};
    fields.forEach((f, i) => {
      const v = cells[i]?.trim();
      if (!f || !v) return;
      if (f === 'scopes')
        row.scopes = v
          .split(/[、;；,，|]/)
          .map((s) => s.trim())
          .filter(Boolean);
      else if (f === 'level') row.level = LEVELS[v] ?? v;
      else if (f === 'procedure') row.procedure = PROCEDURES[v] ?? v;
      else if (f === 'delegatedTo') row.delegatedTo = DELEGATIONS[v] ?? v;
      else row[f] = v;
    });
    return row;
  });
}
