import { expect } from 'chai';
import type ts from 'typescript';
import { checkSnippets, extractSnippets, formatSnippetDiagnostics, readSnippets, type Snippet } from '../../scripts/check-doc-snippets.js';

/**
 * Every ```ts block of README.md and docs/ compiles, strictly, against lib/ (see
 * scripts/check-doc-snippets.ts for the conventions: `ts fragment`, `// given: ...`). One program
 * for all blocks; the checks that break a block reuse it.
 */
describe('code blocks of README.md and docs/ (scripts/check-doc-snippets.ts)', function () {
  this.timeout(60_000);
  const snippets = readSnippets();
  let program: ts.Program | undefined;

  it('compile against the real API, strictly, each as its own module', () => {
    const report = checkSnippets(snippets);
    program = report.program;
    expect(formatSnippetDiagnostics(report.diagnostics), 'diagnostics of the docs code blocks').to.equal('');
    // Most blocks are checked: a fragment is the exception, and an extraction that found nothing would pass.
    expect(report.checked.length).to.be.at.least(35);
    expect(report.skipped.length).to.be.at.most(Math.floor(snippets.length / 6));
  });

  it('fails on a wrong option name, at its line of the page (the check can fail)', () => {
    const quickStart = snippets.find((snippet) => snippet.file === 'README.md' && snippet.code.includes('connect({'))!;
    const broken: Snippet = { ...quickStart, code: quickStart.code.replace('heartbeat: { interval:', 'heartbeat: { intervall:') };
    expect(broken.code).to.not.equal(quickStart.code);
    const report = checkSnippets([broken], program);
    const line = quickStart.line + 1 + broken.code.split('\n').findIndex((text) => text.includes('intervall'));
    expect(report.diagnostics.map((item) => `${item.file}:${item.line} TS${item.code}`)).to.deep.equal([`README.md:${line} TS2561`]);
    expect(report.diagnostics[0]!.message).to.include("'intervall' does not exist");
  });

  it('fails on a missing import, and compiles what a `// given:` line declares', () => {
    const block = (code: string): Snippet => ({ file: 'check.md', line: 10, flags: [], code });
    const report = checkSnippets(
      [
        block("const session = connect({ url: 'wss://x', inbound: ChatMessage });"),
        block(
          "import { connect } from 'rxjs-socket-pipeline';\n// given: declare const ChatMessage: import('io-ts').Type<{ id: number }>;\nconnect({ url: 'wss://x', inbound: ChatMessage, grace: '5s' });",
        ),
        block('...connect({ url }),'),
      ].map((snippet, index) => ({ ...snippet, line: 10 * (index + 1), flags: index === 2 ? ['fragment'] : [] })),
      program,
    );
    expect(report.skipped).to.have.length(1);
    expect(report.diagnostics.map((item) => `${item.file}:${item.line} TS${item.code}`)).to.deep.equal([
      'check.md:11 TS2304', // connect
      'check.md:11 TS2304', // ChatMessage
      'check.md:23 TS2322', // grace: '5s'
    ]);
  });

  it('reads the fence info string and the page lines of a block', () => {
    const page = [
      '# Title',
      '',
      '```ts fragment',
      'a;',
      '```',
      '',
      '```typescript',
      'b;',
      'c;',
      '```',
      '```sh',
      'npm test',
      '```',
      '  ```ts',
      '  d;',
      '  ```',
    ].join('\n');
    expect(extractSnippets('page.md', page)).to.deep.equal([
      { file: 'page.md', line: 3, flags: ['fragment'], code: 'a;' },
      { file: 'page.md', line: 7, flags: [], code: 'b;\nc;' },
      { file: 'page.md', line: 14, flags: [], code: 'd;' },
    ]);
  });
});
