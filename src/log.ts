// One-line JSON logs on stdout/stderr: what an operator greps at 3 a.m.
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 } as const;
export type LogLevel = keyof typeof LEVELS;
export type Log = (msg: string, extra?: Record<string, unknown>, level?: Exclude<LogLevel, 'silent'>) => void;

export function makeLog(min: LogLevel): Log {
  return (msg, extra, level = 'info') => {
    if (LEVELS[level] < LEVELS[min]) return;
    const line = JSON.stringify({ t: new Date().toISOString(), level, msg, ...extra });
    (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(line + '\n');
  };
}
