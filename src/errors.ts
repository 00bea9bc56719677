// One error vocabulary for the whole engine: services throw AppError with a stable code, and the
// HTTP layer turns it into RFC 9457 problem+json in one place (see app.ts onError).

export const ERROR_STATUS = {
  validation_failed: 400,
  unauthenticated: 401,
  forbidden: 403,
  attempt_cap_reached: 403,
  already_passed: 403,
  window_closed: 403,
  specialty_not_online: 403,
  not_registered_for_exam: 403,
  not_found: 404,
  attempt_in_progress: 409,
  section_closed: 409,
  attempt_not_finished: 409,
  bank_missing: 409,
  bank_too_small: 409,
  conflict: 409,
  payload_too_large: 413,
  invalid_choice: 422,
  question_not_in_section: 422,
  specialty_not_permitted: 422,
  import_failed: 422,
  rate_limited: 429,
  internal_error: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Titles are read by doctors and admins: Chinese first, English after. */
const TITLES: Record<ErrorCode, string> = {
  validation_failed: '请求格式有误 (validation failed)',
  unauthenticated: '未登录或登录已过期 (unauthenticated)',
  forbidden: '无权访问 (forbidden)',
  attempt_cap_reached: '考试次数已用完 (attempt cap reached)',
  already_passed: '已通过考核，无需再考 (already passed)',
  window_closed: '不在考试时间内 (exam window closed)',
  specialty_not_online: '该专业不进行网上考核 (specialty not online)',
  not_registered_for_exam: '未报名该考试 (not registered for this exam)',
  not_found: '未找到 (not found)',
  attempt_in_progress: '已有进行中的考试 (attempt in progress)',
  section_closed: '本部分已结束 (section closed)',
  attempt_not_finished: '考试尚未结束 (attempt not finished)',
  bank_missing: '题库不存在 (bank missing)',
  bank_too_small: '题库题量不足 (bank too small)',
  conflict: '状态冲突 (conflict)',
  payload_too_large: '请求内容过大 (payload too large)',
  invalid_choice: '选项无效 (invalid choice)',
  question_not_in_section: '题目不在当前部分 (question not in current section)',
  specialty_not_permitted: '不符合报考专业要求 (specialty not permitted)',
  import_failed: '导入失败 (import failed)',
  rate_limited: '请求过于频繁，请稍后再试 (rate limited)',
  internal_error: '服务器内部错误 (internal error)',
  unavailable: '服务暂不可用 (unavailable)',
};

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly extra?: Record<string, unknown> & { retryAfterSec?: number },
  ) {
    super(detail ?? code);
    this.name = 'AppError';
    this.status = ERROR_STATUS[code];
  }

  toProblem(instance?: string) {
    const { retryAfterSec: _r, ...rest } = this.extra ?? {};
    return {
      type: `urn:dingkao:problem:${this.code}`,
      title: TITLES[this.code],
      status: this.status,
      detail: this.detail ?? TITLES[this.code],
      code: this.code,
      ...(instance ? { instance } : {}),
      ...rest,
    };
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
