/** playwright-core, pinned: the browser tests drive Debian's Chromium with it (no browser download). */
export { type Browser, chromium, type Page } from "npm:playwright-core@1.64.1";
