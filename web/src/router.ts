// Navigation state shared by the pages (the route table lives in main.ts).

let afterLogin = '#/';
let loginNotice: string | null = null;
let rerender: () => void = () => {};

export function setRenderer(fn: () => void) {
  rerender = fn;
}

export function go(hash: string) {
  if (location.hash === hash || (hash === '#/' && (location.hash === '' || location.hash === '#'))) rerender();
  else location.hash = hash;
}

/** Where to go after logging in (the page that asked for it). */
export function setAfterLogin(hash: string, notice?: string) {
  afterLogin = hash;
  if (notice) loginNotice = notice;
}
export function takeAfterLogin(): string {
  const to = afterLogin;
  afterLogin = '#/';
  return to;
}
export function takeLoginNotice(): string | null {
  const n = loginNotice;
  loginNotice = null;
  return n;
}
