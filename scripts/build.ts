/**
 * `npm run build`: dist/esm (ES modules) and dist/cjs (CommonJS) from lib/, each with .d.ts,
 * declaration maps and source maps.
 *
 * dist/esm is a full `tsc -p tsconfig.build.json` (type-checked). dist/cjs is the same set of files
 * transpiled one by one with tsconfig.build.cjs.json's options: `isolatedModules` guarantees that
 * this equals a full compile, and it halves the build time. The .d.ts files are the same for both
 * formats, so they are copied; a nested package.json marks dist/cjs as CommonJS for Node and TypeScript.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });

const cjs = parseConfig(join(root, 'tsconfig.build.cjs.json'));
const rootDir = cjs.options.rootDir!;
const esmDir = join(root, 'dist/esm');
const cjsDir = cjs.options.outDir!;
for (const file of cjs.fileNames) {
  const name = relative(rootDir, file).replace(/\.ts$/, '');
  const output = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: cjs.options, fileName: file });
  mkdirSync(dirname(join(cjsDir, name)), { recursive: true });
  writeFileSync(join(cjsDir, `${name}.js`), output.outputText);
  if (output.sourceMapText) writeFileSync(join(cjsDir, `${name}.js.map`), output.sourceMapText);
  for (const declaration of [`${name}.d.ts`, `${name}.d.ts.map`]) {
    if (existsSync(join(esmDir, declaration))) copyFileSync(join(esmDir, declaration), join(cjsDir, declaration));
  }
}
writeFileSync(join(cjsDir, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
console.log(`built ${relative(root, esmDir)} and ${relative(root, cjsDir)} (${cjs.fileNames.length} modules each)`);

function parseConfig(path: string): ts.ParsedCommandLine {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (!parsed || parsed.errors.length > 0) throw new Error(`cannot read ${path}`);
  return parsed;
}
