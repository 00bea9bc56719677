// The empty spreadsheet template of DESIGN §5 (GET /v1/admin/banks/template.xlsx): sheet 1 "题目"
// holds only the header row (admins fill it in; this is the sheet the importer reads), sheet 2
// "说明" explains every column and type code, sheet 3 "示例" shows one example per type.
import ExcelJS from 'exceljs';
import { TEMPLATE_COLUMNS } from './table.js';

export const TEMPLATE_HEADERS: string[] = TEMPLATE_COLUMNS.map((c) => c.header);

/** One example row per type, in template column order (编号 … 组题干). Importable as they are. */
export const TEMPLATE_EXAMPLES: string[][] = [
  [
    'law-0001',
    'A1',
    '《中华人民共和国医师法》自何时起施行？',
    '2021年1月1日',
    '2022年3月1日',
    '2022年1月1日',
    '2023年3月1日',
    '2021年8月20日',
    '',
    '',
    '',
    'B',
    '1',
    '医师法',
    '0.6',
    '医师法于2021年8月20日通过，自2022年3月1日起施行。',
    '',
    '',
  ],
  [
    'im-0001',
    'A2',
    '患者，男，58岁。突发胸骨后压榨性疼痛2小时，心电图示V1～V4导联ST段弓背向上抬高。最可能的诊断是',
    '急性前壁心肌梗死',
    '急性下壁心肌梗死',
    '稳定型心绞痛',
    '急性心包炎',
    '主动脉夹层',
    '',
    '',
    '',
    'A',
    '1',
    '冠心病',
    '0.7',
    'V1～V4 导联对应左心室前壁。',
    '',
    '',
  ],
  [
    'law-0002',
    '多选',
    '下列属于医师在执业活动中享有的权利的有',
    '在注册的执业范围内，按照有关规范进行医学诊查',
    '获取劳动报酬',
    '参加专业培训，接受继续医学教育',
    '拒绝参加医师定期考核',
    '',
    '',
    '',
    '',
    'ABC',
    '2',
    '医师法',
    '',
    '多选题全部选对才得分。答案可写作 ABC 或 A,B,C。',
    '',
    '',
  ],
  [
    'law-0003',
    '判断',
    '医师定期考核每三年为一个周期。',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    '对',
    '1',
    '定期考核',
    '',
    '判断题答案可写 对/错、正确/错误、T/F、√/×。',
    '',
    '',
  ],
  [
    'ob-0001',
    'A3',
    '最可能的诊断是',
    '异位妊娠破裂',
    '急性阑尾炎',
    '卵巢囊肿蒂扭转',
    '先兆流产',
    '黄体破裂',
    '',
    '',
    '',
    'A',
    '1',
    '异位妊娠',
    '',
    '',
    'ob-c01',
    '患者，女，32岁。停经40天，阴道少量流血2天，突发右下腹剧痛伴晕厥1小时。查体：血压80/50 mmHg，右下腹压痛、反跳痛。',
  ],
  [
    'ob-0002',
    'A3',
    '为明确诊断，简便可靠的检查是',
    '腹部CT',
    '阴道后穹隆穿刺',
    '血常规',
    '腹部X线平片',
    '宫腔镜检查',
    '',
    '',
    '',
    'B',
    '1',
    '异位妊娠',
    '',
    '',
    'ob-c01',
    '',
  ],
  [
    'nu-0001',
    'B1',
    '缺乏时可引起夜盲症的是',
    '维生素A',
    '维生素B1',
    '维生素C',
    '维生素D',
    '维生素K',
    '',
    '',
    '',
    'A',
    '1',
    '营养',
    '',
    '',
    'nu-b01',
    '',
  ],
  ['nu-0002', 'B1', '缺乏时可引起脚气病的是', '', '', '', '', '', '', '', '', 'B', '1', '营养', '', '', 'nu-b01', ''],
];

const COLUMN_HELP: [string, string, string][] = [
  ['编号', '否', '题目编号，如 law-0001。导入后题目 id 为“题库编号-编号”；不填则按行号生成。'],
  ['题型', '是', '见下方“题型代码”：单选/A1/A2、多选/X、判断、A3/A4、B1。'],
  ['题干', '是', '题目正文。按纯文本保存，不解析 HTML。A3/A4、B1 题填写各小题的题干。'],
  [
    '选项A…选项H',
    '选择题必填',
    '最多 8 个选项，从选项A起连续填写，中间不能空。判断题不填。B1 组只需在组内第一行填写共用选项。',
  ],
  ['答案', '是', '选择题填字母：C、ACD 或 A,C,D；判断题填 对/错、正确/错误、T/F、√/×。'],
  ['分值', '否', '大于 0、不超过 100 的数，不填为 1。多选题全部选对才得分。'],
  ['知识点', '否', '不超过 100 个字符。'],
  ['难度', '否', '0 到 1 之间的小数（如 0.6）或百分数（如 60%）。'],
  ['解析', '否', '答案解析，考后展示用。'],
  ['组号', 'A3/A4、B1 必填', '同一组的各小题填写相同的组号（如 ob-c01）。组号只在同一文件内有意义。'],
  ['组题干', 'A3/A4 必填', 'A3/A4 的共用病例，填在该组第一行即可；B1 可填共用说明（可不填）。'],
];

const TYPE_HELP: [string, string, string][] = [
  ['单选、A1、A2', '单选题 (single)', '一个最佳答案。A2 为病例摘要型单选题，格式与 A1 相同。'],
  ['多选、X', '多选题 (multiple)', '两个或以上正确答案；全部选对才得分。'],
  ['判断', '判断题 (true/false)', '答案为 对 或 错。'],
  ['A3、A4', '共用题干题 (case)', '同一组号的若干道单选题共用一个病例（组题干），作为一个整体抽题。'],
  ['B1', '共用备选答案题 (matching)', '同一组号的若干道题共用一组选项（写在组内第一行）。'],
];

function styleHeader(row: ExcelJS.Row): void {
  row.font = { bold: true };
  row.alignment = { vertical: 'middle', horizontal: 'center' };
  row.eachCell((cell) => {
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } };
    cell.border = { bottom: { style: 'thin' } };
  });
}

const WIDTHS: Record<string, number> = {
  编号: 12,
  题型: 8,
  题干: 48,
  答案: 8,
  分值: 6,
  知识点: 14,
  难度: 6,
  解析: 36,
  组号: 10,
  组题干: 48,
};

export async function buildTemplateXlsx(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'dingkao-exam-engine';
  wb.created = new Date(0);
  wb.modified = new Date(0);

  const sheet = wb.addWorksheet('题目', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = TEMPLATE_HEADERS.map((h) => ({ header: h, key: h, width: WIDTHS[h] ?? 16 }));
  styleHeader(sheet.getRow(1));
  // A drop-down of the type codes on the 题型 column (other spellings such as "A1型题" stay allowed).
  const typeCol = TEMPLATE_HEADERS.indexOf('题型') + 1;
  const letter = String.fromCharCode(64 + typeCol);
  (
    sheet as unknown as { dataValidations: { add(range: string, v: ExcelJS.DataValidation): void } }
  ).dataValidations.add(`${letter}2:${letter}5000`, {
    type: 'list',
    allowBlank: true,
    showErrorMessage: false,
    formulae: ['"单选,A1,A2,多选,X,判断,A3,A4,B1"'],
  });

  const help = wb.addWorksheet('说明');
  help.columns = [
    { header: '列名', key: 'a', width: 16 },
    { header: '是否必填', key: 'b', width: 16 },
    { header: '说明', key: 'c', width: 90 },
  ];
  styleHeader(help.getRow(1));
  COLUMN_HELP.forEach((r) => help.addRow(r));
  help.addRow([]);
  const typeHeader = help.addRow(['题型代码', '导入为', '说明']);
  styleHeader(typeHeader);
  TYPE_HELP.forEach((r) => help.addRow(r));
  help.addRow([]);
  const notesHeader = help.addRow(['注意事项', '', '']);
  styleHeader(notesHeader);
  [
    '只导入第一个工作表（“题目”）。“说明”和“示例”工作表不会被导入，可以删除。',
    '第 1 行是表头，请勿修改列名；题目从第 2 行开始，导入报告中的行号与 Excel 行号一致。',
    '也可另存为 CSV 导入：UTF-8（可带 BOM）或 GBK/GB18030 编码均可。',
    '填空、简答、问答等非选择题不会导入，导入报告中会逐行列出。',
    '某一行有错误时只跳过该行，其余各行照常导入。',
  ].forEach((t) => help.addRow(['', '', t]));
  help.getColumn(3).alignment = { wrapText: true, vertical: 'top' };

  const ex = wb.addWorksheet('示例', { views: [{ state: 'frozen', ySplit: 1 }] });
  ex.columns = TEMPLATE_HEADERS.map((h) => ({ header: h, key: h, width: WIDTHS[h] ?? 16 }));
  styleHeader(ex.getRow(1));
  TEMPLATE_EXAMPLES.forEach((r) => ex.addRow(r));

  const out = await wb.xlsx.writeBuffer();
  return Buffer.from(out);
}
