/**
 * The project's Markdown pages: README.md and every `.md` under docs/, the generated API reference
 * (docs/api/, TypeDoc's output, gitignored) aside. Shared by the doc link and doc snippet checks.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DOCS = join(ROOT, 'docs');
const GENERATED = join(DOCS, 'api');

/** Absolute paths: README.md first, then docs/ sorted. */
export function markdownPages(): string[] {
  return [join(ROOT, 'README.md'), ...markdownFiles(DOCS)];
}

function markdownFiles(folder: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (path !== GENERATED) files.push(...markdownFiles(path));
    } else if (entry.name.endsWith('.md')) {
      files.push(path);
    }
  }
  return files.sort();
}
