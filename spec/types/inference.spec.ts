import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Compiles `inference.fixture.ts` with the repo's compiler options: inferred types must be what the
 * fixture pins, and every `@ts-expect-error` line must still be an error (else TS2578).
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = join(root, 'spec/types/inference.fixture.ts');
const UNUSED_EXPECT_ERROR = 2578;

function compilerOptions(): ts.CompilerOptions {
  const { config } = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
  return { ...options, noEmit: true, types: [], declaration: false, sourceMap: false };
}

/** Type-checks the fixture, optionally with its text replaced, and returns the diagnostics as text. */
function check(text?: string, oldProgram?: ts.Program): { program: ts.Program; diagnostics: readonly ts.Diagnostic[] } {
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  if (text !== undefined) {
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (fileName, language, ...rest) =>
      fileName === fixture ? ts.createSourceFile(fileName, text, language) : getSourceFile(fileName, language, ...rest);
  }
  const program = ts.createProgram({ rootNames: [fixture], options, host, oldProgram });
  return { program, diagnostics: ts.getPreEmitDiagnostics(program) };
}

function format(diagnostics: readonly ts.Diagnostic[]): string {
  return ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => root,
    getNewLine: () => '\n',
  });
}

describe('type inference and compile errors (spec/types/inference.fixture.ts)', function () {
  this.timeout(60_000);
  const source = readFileSync(fixture, 'utf8');
  let program: ts.Program;

  it('compiles with no diagnostic: every pinned type holds and every expected error is still an error', () => {
    const result = check();
    program = result.program;
    expect(format(result.diagnostics)).to.equal('');
  });

  it('pins enough wrong configurations to mean something', () => {
    expect(source.match(/@ts-expect-error/g) ?? []).to.have.length.of.at.least(15);
  });

  it('fails when a wrong config starts to compile (the check can fail)', () => {
    const wrong = "retryWithBackoff({ jitter: 'sometimes' });";
    expect(source).to.include(wrong);
    const { diagnostics } = check(source.replace(wrong, "retryWithBackoff({ jitter: 'full' });"), program);
    expect(diagnostics.map((diagnostic) => diagnostic.code)).to.deep.equal([UNUSED_EXPECT_ERROR]);
  });
});
