/**
 * `npx tsx scripts/check-doc-links.ts` (`npm run docs:links`): checks the Markdown of README.md and
 * docs/ (the generated docs/api aside). Every relative link must name a file or folder that exists
 * (in README.md a file: TypeDoc renders it into the API site and cannot follow a folder link), and
 * its `#anchor`, if any, a heading of the target page (GitHub's slugs). docs/README.md must link every
 * page under docs/, so no page is orphaned. Links inside code blocks and inline code are not links.
 * Exits with 1 when something is broken.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownPages } from './markdown-pages.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DOCS = join(root, 'docs');
const INDEX = join(DOCS, 'README.md');
/** The page TypeDoc renders (typedoc.json `readme`). */
const TYPEDOC_README = join(root, 'README.md');

/** One problem found in a Markdown file. */
export interface LinkProblem {
  /** The file, relative to the repository root. */
  readonly file: string;
  readonly line: number;
  /** The link target as written, or the page the index misses. */
  readonly target: string;
  readonly problem: string;
}

/** A relative link of a Markdown file, with its line. */
interface Link {
  readonly target: string;
  readonly line: number;
}

/** Checks every Markdown file of README.md and docs/; an empty list means all is well. */
export function findLinkProblems(): LinkProblem[] {
  const pages = markdownPages();
  const problems: LinkProblem[] = [];
  for (const page of pages) {
    for (const link of relativeLinks(readFileSync(page, 'utf8'))) {
      const problem = checkLink(page, link.target);
      if (problem) problems.push({ file: relative(root, page), line: link.line, target: link.target, problem });
    }
  }
  problems.push(...orphanedPages(pages));
  return problems;
}

/** `[text](target)` links outside fenced code and inline code, external ones left out. */
function relativeLinks(markdown: string): Link[] {
  const links: Link[] = [];
  let fenced = false;
  markdown.split('\n').forEach((text, index) => {
    if (/^\s*(```|~~~)/.test(text)) {
      fenced = !fenced;
      return;
    }
    if (fenced) return;
    const prose = text.replace(/`[^`]*`/g, '``');
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = match[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...
      links.push({ target, line: index + 1 });
    }
  });
  return links;
}

/** Why a link from `page` to `target` is broken, or `undefined` when it resolves. */
function checkLink(page: string, target: string): string | undefined {
  const [pathPart, anchor] = splitAnchor(target);
  const destination = pathPart === '' ? page : resolve(dirname(page), decodeURIComponent(pathPart));
  if (!existsSync(destination)) return 'no such file or folder';
  const folder = statSync(destination).isDirectory();
  if (folder && page === TYPEDOC_README) return 'a folder, which TypeDoc cannot copy (a warning that fails `npm run docs`): link a page';
  if (anchor === undefined) return undefined;
  if (folder || !destination.endsWith('.md')) return 'an anchor into something that is not a Markdown page';
  return headingSlugs(readFileSync(destination, 'utf8')).has(anchor.toLowerCase()) ? undefined : `no heading #${anchor} in that page`;
}

function splitAnchor(target: string): [string, string | undefined] {
  const hash = target.indexOf('#');
  return hash === -1 ? [target, undefined] : [target.slice(0, hash), target.slice(hash + 1)];
}

/** The anchors GitHub gives the headings of a page (a repeated heading gets `-1`, `-2`...). */
function headingSlugs(markdown: string): Set<string> {
  const slugs = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const text of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(text)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!heading) continue;
    const base = slugOf(heading[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    slugs.add(count === 0 ? base : `${base}-${count}`);
  }
  return slugs;
}

/** GitHub's heading slug: lower case, punctuation dropped, spaces to hyphens. */
function slugOf(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Pages under docs/ that docs/README.md does not link. */
function orphanedPages(pages: readonly string[]): LinkProblem[] {
  if (!existsSync(INDEX)) return [{ file: relative(root, INDEX), line: 0, target: '', problem: 'the docs index is missing' }];
  const linked = new Set(
    relativeLinks(readFileSync(INDEX, 'utf8')).map((link) => resolve(DOCS, decodeURIComponent(splitAnchor(link.target)[0]))),
  );
  return pages
    .filter((page) => page.startsWith(DOCS + '/') && page !== INDEX && !linked.has(page))
    .map((page) => ({
      file: relative(root, INDEX),
      line: 0,
      target: relative(DOCS, page),
      problem: 'page not linked from the docs index',
    }));
}

function main(): void {
  const problems = findLinkProblems();
  for (const item of problems) console.log(`${item.file}:${item.line}: ${item.target}: ${item.problem}`);
  console.log(`${problems.length} broken or missing doc link(s)`);
  if (problems.length > 0) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
