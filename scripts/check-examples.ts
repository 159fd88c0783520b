/**
 * `npx tsx scripts/check-examples.ts`: lists the public symbols of the three entries (lib/index.ts,
 * lib/protocols/index.ts and lib/testing/index.ts) whose JSDoc has no `@example`. TypeDoc's validation checks that a symbol is
 * documented, not that it shows how to use it; this fills that gap. Functions, classes and
 * constants are required to have one; `--all` also lists interfaces and type aliases.
 * Exits with 1 when a required symbol lacks an example.
 */
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRIES = ['lib/index.ts', 'lib/protocols/index.ts', 'lib/testing/index.ts'];

/** A public symbol without an `@example`. */
export interface MissingExample {
  readonly entry: string;
  readonly name: string;
  readonly kind: 'function' | 'class' | 'constant' | 'interface' | 'type';
  readonly file: string;
}

/** Walks the exports of each entry and returns those whose declaration has no `@example` tag. */
export function findMissingExamples(): MissingExample[] {
  const program = ts.createProgram({
    rootNames: ENTRIES.map((entry) => join(root, entry)),
    options: { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, noEmit: true },
  });
  const checker = program.getTypeChecker();
  const missing: MissingExample[] = [];
  for (const entry of ENTRIES) {
    const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(join(root, entry))!)!;
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declaration = symbol.declarations?.[0];
      if (!declaration) continue;
      const kind = kindOf(symbol);
      if (!kind) continue;
      const hasExample = (symbol.declarations ?? []).some((node) => ts.getJSDocTags(node).some((tag) => tag.tagName.text === 'example'));
      if (!hasExample) missing.push({ entry, name: exported.name, kind, file: relative(root, declaration.getSourceFile().fileName) });
    }
  }
  return missing;
}

function kindOf(symbol: ts.Symbol): MissingExample['kind'] | undefined {
  if (symbol.flags & ts.SymbolFlags.Function) return 'function';
  if (symbol.flags & ts.SymbolFlags.Class) return 'class';
  if (symbol.flags & ts.SymbolFlags.Variable) return 'constant';
  if (symbol.flags & ts.SymbolFlags.Interface) return 'interface';
  if (symbol.flags & ts.SymbolFlags.TypeAlias) return 'type';
  return undefined;
}

function main(): void {
  const all = process.argv.includes('--all');
  const missing = findMissingExamples().filter((item) => all || !['interface', 'type'].includes(item.kind));
  for (const item of missing) console.log(`${item.entry}: ${item.kind} ${item.name} (${item.file}) has no @example`);
  console.log(`${missing.length} public symbol(s) without @example`);
  if (missing.some((item) => !['interface', 'type'].includes(item.kind))) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
