/**
 * Headless Chromium for browser tests: Debian's `chromium` (no browser download: this machine has no network beyond
 * its package mirrors) driven by npm playwright-core. `deno task test` installs it first (scripts/setup_chromium.sh);
 * run any other way without Chromium, the test fails with the command that installs it.
 */

import { type Browser, chromium } from "./deps.ts";

/** Where Chromium is: EDDY_CHROMIUM, or Debian's /usr/bin/chromium. */
export const CHROMIUM = Deno.env.get("EDDY_CHROMIUM") ?? "/usr/bin/chromium";

/**
 * Starts headless Chromium.
 *
 * @throws {Error} naming the install command when Chromium is missing.
 */
export async function launchChromium(): Promise<Browser> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: install it with \`sudo apt-get install -y chromium\` (Debian), ` +
        `or point EDDY_CHROMIUM at a Chromium binary`,
    );
  }
  return await chromium.launch({
    executablePath: CHROMIUM,
    // Without the background-networking flags Chromium keeps dialling Google's hosts, which this network refuses.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
