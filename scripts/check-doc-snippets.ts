/**
 * `npx tsx scripts/check-doc-snippets.ts` (`npm run docs:snippets`): type-checks every ```ts and
 * ```typescript code block of README.md and docs/ (the generated docs/api aside) against the real
 * API in lib/, the way a user who copies it would compile it: strict, `moduleResolution: bundler`,
 * libs ES2022 + DOM, the node types (and mocha's, for the spec examples of docs/testing.md), with
 * `rxjs-socket-pipeline`, `rxjs-socket-pipeline/protocols` and `rxjs-socket-pipeline/testing`
 * mapped to lib/index.ts, lib/protocols/index.ts and lib/testing/index.ts. All blocks are checked
 * in one program, each block its own module. Exits with 1 when a block has a diagnostic, when a
 * fence names TypeScript in a way this checker does not read (see below), or when it found no block.
 *
 * Conventions for the Markdown (use them sparingly; a block meant to be copied whole compiles as
 * it is, with its imports):
 *
 * - ```` ```ts fragment ````: an excerpt that cannot compile on its own (a few properties of a
 *   config object, `...` placeholders). Not checked; counted as skipped.
 * - A block is ```` ```ts ````, ```` ```typescript ```` or one of these followed by ` fragment`;
 *   any other fence whose language starts with `ts`, `tsx`, `mts`, `cts` or `typescript`
 *   (```` ```tsx ````, ```` ```ts,linenums ````, ```` ```ts{1,3} ````, ```` ```ts title="x" ````) is
 *   an error, "unrecognised TypeScript fence": it would otherwise go unchecked without a word.
 *   Blocks inside a blockquote (`> ```ts`) and in list items (indented) are read like the others.
 * - `// given: <code>`: a line the reader provides, such as `// given: declare const session:
 *   SocketSession<ChatMessage>;` for a `session` made in an earlier block or
 *   `// given: declare function fetchToken(): Promise<string>;`. The checker compiles the code after
 *   `given:` in place; a user who copies the block keeps a comment, and the compiler points at what
 *   to provide (a real `declare` would compile and then fail at run time).
 * - `// given ./file.ts: <code>`: the same, for a module of the reader's own that the block
 *   imports (`import { AuthService } from './auth.service'`): the code becomes that module.
 * - A block whose first line is `// name.ts` is that file: other blocks of the same page import it
 *   as `./name` (the Angular recipe's component imports its service).
 * - Packages the repository does not install but a recipe imports (Angular) resolve to the minimal
 *   declarations in {@link SHIMS}: the library's part of such a block is still checked strictly.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { markdownPages as allMarkdownPages } from './markdown-pages.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The virtual folder of each page's blocks: `<page>.snippets/` next to the page (never written). */
const SNIPPETS_SUFFIX = '.snippets';

/** Declarations of the packages a recipe imports but the repository does not install. */
export const SHIMS: Readonly<Record<string, string>> = {
  '@angular/core': `
    export declare function Injectable(options?: { providedIn?: 'root' | 'platform' | 'any' | null }): (target: Function, context?: unknown) => void;
    export declare function Component(options: { selector?: string; standalone?: boolean; imports?: unknown[]; template?: string }): (target: Function, context?: unknown) => void;
    export declare function inject<T>(token: abstract new (...args: never[]) => T): T;
    export interface OnDestroy { ngOnDestroy(): void }
    export interface WritableSignal<T> { (): T; set(value: T): void; update(updateFn: (value: T) => T): void }
    export declare function signal<T>(initialValue: T): WritableSignal<T>;
  `,
  '@angular/common': 'export declare class AsyncPipe {}',
  '@angular/forms': 'export declare class FormsModule {}',
};

/** One fenced TypeScript block of a Markdown page. */
export interface Snippet {
  /** The page, relative to the repository root. */
  readonly file: string;
  /** The line of the opening fence (1-based), as an editor shows it. */
  readonly line: number;
  /** The words after the language in the fence's info string (`fragment`). */
  readonly flags: readonly string[];
  /** The block's text, as written (without the `> ` of a blockquote). */
  readonly code: string;
  /**
   * Why the block is not read as TypeScript although its fence names it (`unrecognised TypeScript
   * fence`); reported as a diagnostic by {@link checkSnippets}.
   */
  readonly error?: string;
}

/** A diagnostic of one block, located in its page. */
export interface SnippetDiagnostic {
  readonly file: string;
  /** The block's opening fence. */
  readonly blockLine: number;
  /** The line of the page the diagnostic points at, when it points at one. */
  readonly line: number | undefined;
  /** The TypeScript diagnostic's code; 0 for the checker's own (an unrecognised fence). */
  readonly code: number;
  readonly message: string;
}

/** The outcome of a check. */
export interface SnippetReport {
  readonly checked: readonly Snippet[];
  readonly skipped: readonly Snippet[];
  readonly diagnostics: readonly SnippetDiagnostic[];
  /** For a faster next check (`oldProgram`). */
  readonly program: ts.Program;
}

/** README.md and the Markdown files under docs/, the generated API aside, relative to the root. */
export function markdownPages(): string[] {
  return allMarkdownPages().map((path) => relative(root, path));
}

/** The blockquote markers at the start of a line (`> `, `>`, `> > `). */
const QUOTE = /^(?: {0,3}> ?)+/;
/** An opening fence: indentation, the fence, the language, the rest of the info string. */
const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/;
/** A language that names TypeScript (`ts`, `tsx`, `mts`, `cts`, `typescript`), whatever follows it (`,linenums`, `{1,3}`). */
const TYPESCRIPT_LANGUAGE = /^(?:typescript|ts|tsx|mts|cts)(?![a-z0-9])/i;

/**
 * The ```ts / ```typescript blocks of one page (`file` relative to the root, `markdown` its text),
 * and, with an `error`, the blocks whose fence names TypeScript otherwise.
 */
export function extractSnippets(file: string, markdown: string): Snippet[] {
  const snippets: Snippet[] = [];
  const lines = markdown.split('\n').map((line) => line.replace(/\r$/, ''));
  for (let index = 0; index < lines.length; index++) {
    const quote = QUOTE.exec(lines[index]!)?.[0] ?? '';
    const open = FENCE.exec(lines[index]!.slice(quote.length));
    if (!open) continue;
    const [, indent, fence, language, rest] = open as unknown as [string, string, string, string, string];
    const body: string[] = [];
    let end = index + 1;
    for (; end < lines.length; end++) {
      // In a blockquote, a line without the quote ends the block (and the quote).
      if (quote && !QUOTE.test(lines[end]!)) {
        end--;
        break;
      }
      const close = quote ? lines[end]!.replace(QUOTE, '') : lines[end]!;
      if (close.trim().startsWith(fence) && close.trim().replace(fence[0]!.repeat(close.trim().length), '') === '') break;
      body.push(close.startsWith(indent) ? close.slice(indent.length) : close.trimStart());
    }
    const flags = rest.split(/[\s,]+/).filter(Boolean);
    const snippet: Snippet = { file, line: index + 1, flags, code: body.join('\n') };
    if (['ts', 'typescript'].includes(language.toLowerCase()) && (flags.length === 0 || (flags.length === 1 && flags[0] === 'fragment'))) {
      snippets.push(snippet);
    } else if (TYPESCRIPT_LANGUAGE.test(language)) {
      const info = `${language} ${rest}`.trim();
      snippets.push({
        ...snippet,
        error: `unrecognised TypeScript fence "${fence}${info}": write ${fence}ts (checked) or ${fence}ts fragment (not checked)`,
      });
    }
    index = end;
  }
  return snippets;
}

/** Every block of README.md and docs/, in page order. */
export function readSnippets(): Snippet[] {
  return markdownPages().flatMap((file) => extractSnippets(file, readFileSync(join(root, file), 'utf8')));
}

/** The compiler options a user of the package would have: strict, bundler resolution, the entries mapped to lib/. */
export function snippetCompilerOptions(): ts.CompilerOptions {
  return {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    moduleDetection: ts.ModuleDetectionKind.Force, // each block its own module, imports or not
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    types: ['node', 'mocha'],
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    paths: {
      'rxjs-socket-pipeline': [join(root, 'lib/index.ts')],
      'rxjs-socket-pipeline/protocols': [join(root, 'lib/protocols/index.ts')],
      'rxjs-socket-pipeline/testing': [join(root, 'lib/testing/index.ts')],
    },
    pathsBasePath: root,
  };
}

/** A block as a virtual source file: its path, its text (`given` lines uncommented) and the modules it provides. */
interface VirtualBlock {
  readonly snippet: Snippet;
  readonly path: string;
  readonly text: string;
}

const GIVEN = /^(\s*)\/\/ given(?: (\S+))?: (.*)$/;

/** Turns the checked blocks into virtual files: `<page>.snippets/L<line>.ts` (or the `// name.ts` it names). */
function virtualFiles(snippets: readonly Snippet[]): { blocks: VirtualBlock[]; files: Map<string, string> } {
  const files = new Map<string, string>();
  const blocks: VirtualBlock[] = [];
  for (const snippet of snippets) {
    const folder = join(root, snippet.file + SNIPPETS_SUFFIX);
    const named = /^\/\/ ([\w.-]+\.(?:ts|tsx|mts))\s*$/.exec(snippet.code.split('\n')[0] ?? '');
    const path = join(folder, named ? named[1]! : `L${snippet.line}.ts`);
    const text = snippet.code
      .split('\n')
      .map((line) => {
        const given = GIVEN.exec(line);
        if (!given) return line;
        const [, indent, module, code] = given as unknown as [string, string, string | undefined, string];
        if (!module) return indent + code;
        const modulePath = resolve(folder, module.replace(/\.js$/, '.ts'));
        files.set(modulePath, `${files.get(modulePath) ?? ''}${code}\n`);
        return '';
      })
      .join('\n');
    files.set(path, text);
    blocks.push({ snippet, path, text });
  }
  for (const [name, text] of Object.entries(SHIMS)) files.set(join(root, 'node_modules', name, 'index.d.ts'), text);
  return { blocks, files };
}

/** Parsed source files by path: lib/, node_modules and blocks, reused by later checks of the same process. */
const sourceFileCache = new Map<string, ts.SourceFile>();

/** Type-checks the blocks (all of README.md and docs/ by default) in one program. */
export function checkSnippets(snippets: readonly Snippet[] = readSnippets(), oldProgram?: ts.Program): SnippetReport {
  const unrecognised = snippets.filter((snippet) => snippet.error !== undefined);
  const checked = snippets.filter((snippet) => snippet.error === undefined && !snippet.flags.includes('fragment'));
  const skipped = snippets.filter((snippet) => snippet.error === undefined && snippet.flags.includes('fragment'));
  const { blocks, files } = virtualFiles(checked);
  const folders = new Set([...files.keys()].map((path) => dirname(path)));
  const options = snippetCompilerOptions();
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, directoryExists, getSourceFile } = host;
  host.fileExists = (path) => files.has(path) || fileExists.call(host, path);
  host.readFile = (path) => files.get(path) ?? readFile.call(host, path);
  host.directoryExists = (path) =>
    folders.has(path) || [...folders].some((folder) => folder.startsWith(path + '/')) || directoryExists!.call(host, path);
  host.getSourceFile = (path, language, ...rest) => {
    // Parsed files are kept for the next check in this process (the spec's), which then parses only what changed.
    const text = files.get(path);
    const cached = sourceFileCache.get(path);
    if (cached && (text === undefined || cached.text === text)) return cached;
    const sourceFile =
      text === undefined ? getSourceFile.call(host, path, language, ...rest) : ts.createSourceFile(path, text, language, true);
    if (sourceFile) sourceFileCache.set(path, sourceFile);
    return sourceFile;
  };
  const shimmed = new Set(Object.keys(SHIMS));
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, compilerOptions) =>
    literals.map((literal) => {
      if (shimmed.has(literal.text)) {
        const resolvedFileName = join(root, 'node_modules', literal.text, 'index.d.ts');
        return { resolvedModule: { resolvedFileName, extension: ts.Extension.Dts, isExternalLibraryImport: true } };
      }
      return ts.resolveModuleName(literal.text, containingFile, compilerOptions, host, undefined, redirected);
    });
  const program = ts.createProgram({ rootNames: blocks.map((block) => block.path), options, host, oldProgram });

  const diagnostics: SnippetDiagnostic[] = unrecognised.map((snippet) => ({
    file: snippet.file,
    blockLine: snippet.line,
    line: snippet.line,
    code: 0,
    message: snippet.error!,
  }));
  const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  for (const diagnostic of global) {
    diagnostics.push({ file: '(compiler options)', blockLine: 0, line: undefined, code: diagnostic.code, message: flatten(diagnostic) });
  }
  const byPath = new Map(blocks.map((block) => [block.path, block]));
  for (const block of blocks) {
    const sourceFile = program.getSourceFile(block.path)!;
    for (const diagnostic of [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)]) {
      diagnostics.push(locate(block, diagnostic));
    }
  }
  // A `given ./module` file is checked too, so a broken declaration there cannot go unnoticed.
  for (const path of files.keys()) {
    if (byPath.has(path) || path.startsWith(join(root, 'node_modules'))) continue;
    const sourceFile = program.getSourceFile(path);
    if (!sourceFile) continue;
    for (const diagnostic of [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)]) {
      const page = relative(root, path).split(SNIPPETS_SUFFIX)[0]!;
      diagnostics.push({
        file: page,
        blockLine: 0,
        line: undefined,
        code: diagnostic.code,
        message: `given ${relative(root, path)}: ${flatten(diagnostic)}`,
      });
    }
  }
  return { checked, skipped, diagnostics, program };
}

function locate(block: VirtualBlock, diagnostic: ts.Diagnostic): SnippetDiagnostic {
  const { snippet } = block;
  const line =
    diagnostic.file && diagnostic.start !== undefined
      ? snippet.line + 1 + diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line
      : undefined;
  return { file: snippet.file, blockLine: snippet.line, line, code: diagnostic.code, message: flatten(diagnostic) };
}

function flatten(diagnostic: ts.Diagnostic): string {
  return ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
}

/** The diagnostics as lines: `file:line (block at line N) TSxxxx: message`. */
export function formatSnippetDiagnostics(diagnostics: readonly SnippetDiagnostic[]): string {
  return diagnostics
    .map((item) => {
      const where = item.line === undefined ? item.file : `${item.file}:${item.line}`;
      const block = item.blockLine ? ` (block at line ${item.blockLine})` : '';
      return `${where}${block} ${item.code ? `TS${item.code}: ` : ''}${item.message.replace(/\n/g, '\n    ')}`;
    })
    .join('\n');
}

/**
 * What `npm run docs:snippets` prints for a report, and its exit code: 1 when a block has a
 * diagnostic (an unrecognised fence is one), and when no block was checked at all (an extraction
 * that finds nothing would otherwise pass).
 */
export function summarise(
  report: Pick<SnippetReport, 'checked' | 'skipped' | 'diagnostics'>,
  elapsedMs: number,
  verbose = false,
): { output: string; exitCode: 0 | 1 } {
  const lines: string[] = [];
  if (verbose) {
    for (const snippet of report.checked) lines.push(`checked ${snippet.file}:${snippet.line}`);
    for (const snippet of report.skipped) lines.push(`skipped ${snippet.file}:${snippet.line} (fragment)`);
  }
  if (report.diagnostics.length) lines.push(formatSnippetDiagnostics(report.diagnostics));
  const failing = new Set(report.diagnostics.map((item) => `${item.file}:${item.blockLine}`)).size;
  lines.push(
    `${report.checked.length} block(s) checked, ${report.skipped.length} skipped (fragment), ` +
      `${report.diagnostics.length} diagnostic(s) in ${failing} block(s), ${Math.round(elapsedMs)} ms`,
  );
  if (report.checked.length === 0) lines.push('no TypeScript block was checked: the extraction found nothing, which cannot be right');
  return { output: lines.join('\n'), exitCode: report.diagnostics.length || report.checked.length === 0 ? 1 : 0 };
}

function main(): void {
  const started = performance.now();
  const report = checkSnippets();
  const { output, exitCode } = summarise(report, performance.now() - started, process.argv.includes('--verbose'));
  console.log(output);
  process.exitCode = exitCode;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
