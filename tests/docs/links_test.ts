/**
 * The documentation's relative links resolve: every `[text](target)` and `![alt](target)` in README.md,
 * ARCHITECTURE.md, BENCHMARKS.md and docs/*.md that is not a URL names a file of the repository, and its `#anchor`,
 * if any, a heading of that file (GitHub's slugs). Links inside code are not links. Nothing links outside the
 * repository.
 */

import { deepEqual } from "node:assert/strict";

const root = new URL("../../", import.meta.url);

function markdownFiles(): string[] {
  const docs = [...Deno.readDirSync(new URL("docs/", root))]
    .filter((entry) => entry.isFile && entry.name.endsWith(".md"))
    .map((entry) => `docs/${entry.name}`);
  return ["README.md", "ARCHITECTURE.md", "BENCHMARKS.md", ...docs.sort()];
}

/** The text outside fenced code blocks and inline code, line by line (line numbers kept). */
function prose(text: string): string[] {
  let fenced = false;
  return text.split("\n").map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return "";
    }
    return fenced ? "" : line.replace(/`[^`]*`/g, "");
  });
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as dashes. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/`/g, "").replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

/** The anchors of a Markdown file's headings (repeats get -1, -2, … as on GitHub). */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  let fenced = false;
  for (const line of text.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading === null) continue;
    const base = slug(heading[1]);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

function readText(url: URL): string | undefined {
  try {
    return Deno.readTextFileSync(url);
  } catch {
    return undefined;
  }
}

function exists(url: URL): boolean {
  try {
    Deno.statSync(url);
    return true;
  } catch {
    return false;
  }
}

Deno.test("docs: every relative link in README.md, ARCHITECTURE.md, BENCHMARKS.md and docs/*.md resolves", () => {
  const broken: string[] = [];
  for (const file of markdownFiles()) {
    const fileUrl = new URL(file, root);
    const text = Deno.readTextFileSync(fileUrl);
    prose(text).forEach((line, i) => {
      for (const match of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        const target = match[1];
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const where = `${file}:${i + 1}: ${target}`;
        const [path, anchor] = target.split("#", 2);
        const targetUrl = path === "" ? fileUrl : new URL(path, fileUrl);
        if (!targetUrl.href.startsWith(root.href)) {
          broken.push(`${where} (outside the repository)`);
          continue;
        }
        if (!exists(targetUrl)) {
          broken.push(`${where} (no such file)`);
          continue;
        }
        if (anchor === undefined || anchor === "") continue;
        if (!targetUrl.pathname.endsWith(".md")) continue;
        const targetText = readText(targetUrl) ?? "";
        if (!anchors(targetText).has(decodeURIComponent(anchor))) broken.push(`${where} (no such heading)`);
      }
    });
  }
  deepEqual(broken, []);
});

Deno.test("docs: headings become GitHub's anchors", () => {
  deepEqual(
    [...anchors("# `eddy run`\n## `serve()` in your own program\n```\n# not a heading\n```\n## Routes\n## Routes\n")],
    ["eddy-run", "serve-in-your-own-program", "routes", "routes-1"],
  );
});
