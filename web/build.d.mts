/** Builds the web client into `outdir` (default dist/web); resolves to the directory written. */
export function buildWeb(opts?: { outdir?: string; quiet?: boolean }): Promise<string>;
