import { expect } from 'chai';
import type ts from 'typescript';
import {
  checkSnippets,
  extractSnippets,
  formatSnippetDiagnostics,
  readSnippets,
  summarise,
  type Snippet,
} from '../../scripts/check-doc-snippets.js';

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

  it('reads blocks in a blockquote, in a list item and with CRLF line ends, and checks them', () => {
    const bad = "const x: number = 'not a number';";
    const page = [
      '> A note:', // 1
      '>', // 2
      '> ```ts', // 3
      `> ${bad}`, // 4
      '> ```', // 5
      '', // 6
      '> > ```typescript', // 7
      '>> const y = 1;', // 8
      '> > ```', // 9
      '', // 10
      '- step', // 11
      '', // 12
      '    ```ts', // 13
      `    ${bad}`, // 14
      '    ```', // 15
      '', // 16
      '> ```ts', // 17: a quote that ends without a closing fence ends the block
      '> const z = 1;', // 18
      'after the quote', // 19
    ].join('\r\n');
    const snippets = extractSnippets('page.md', page);
    expect(snippets).to.deep.equal([
      { file: 'page.md', line: 3, flags: [], code: bad },
      { file: 'page.md', line: 7, flags: [], code: 'const y = 1;' },
      { file: 'page.md', line: 13, flags: [], code: bad },
      { file: 'page.md', line: 17, flags: [], code: 'const z = 1;' },
    ]);
    const report = checkSnippets(snippets, program);
    expect(report.diagnostics.map((item) => `${item.file}:${item.line} TS${item.code}`)).to.deep.equal([
      'page.md:4 TS2322',
      'page.md:14 TS2322',
    ]);
  });

  it('reports a fence that names TypeScript otherwise (```tsx, ```mts, ```ts,linenums, ```ts{1,3}...) as an error, not as prose', () => {
    const fences = [
      '```tsx',
      '```mts',
      '```cts',
      '```ts,linenums',
      '```ts{1,3}',
      '```ts title="a.ts"',
      '```ts,fragment',
      '~~~TypeScript twoslash',
      '> ```tsx',
    ];
    const page = fences.flatMap((fence) => [
      fence,
      `${fence.startsWith('>') ? '> ' : ''}const x: number = 1;`,
      fence.startsWith('>') ? '> ```' : fence.slice(0, 3),
      '',
    ]);
    // Not TypeScript: left alone.
    const others = [
      '```tsv',
      'a\tb',
      '```',
      '```typescriptish',
      'x',
      '```',
      '```ts fragment',
      '{ a: 1 }',
      '```',
      '```typescript fragment',
      'b',
      '```',
    ];
    const snippets = extractSnippets('page.md', [...page, ...others].join('\n'));
    expect(snippets.filter((snippet) => !snippet.error).map((snippet) => snippet.line)).to.deep.equal([
      4 * fences.length + 7,
      4 * fences.length + 10,
    ]);
    const unrecognised = snippets.filter((snippet) => snippet.error);
    expect(unrecognised.map((snippet) => snippet.line)).to.deep.equal(fences.map((_, index) => 4 * index + 1));
    const report = checkSnippets(snippets, program);
    expect(report.checked).to.have.length(0);
    expect(report.skipped).to.have.length(2);
    expect(report.diagnostics.map((item) => `${item.file}:${item.line} ${item.message.split(':')[0]}`)).to.deep.equal(
      fences.map((fence, index) => `page.md:${4 * index + 1} unrecognised TypeScript fence "${fence.replace('> ', '')}"`),
    );
    expect(formatSnippetDiagnostics(report.diagnostics.slice(0, 1))).to.equal(
      'page.md:1 (block at line 1) unrecognised TypeScript fence "```tsx": write ```ts (checked) or ```ts fragment (not checked)',
    );
    expect(summarise(report, 0).exitCode).to.equal(1);
  });

  it('fails when it checks no block at all (an extraction that finds nothing passes nothing)', () => {
    const none = summarise({ checked: [], skipped: [], diagnostics: [] }, 0);
    expect(none.exitCode).to.equal(1);
    expect(none.output).to.include('no TypeScript block was checked');
    const one: Snippet = { file: 'page.md', line: 1, flags: [], code: 'a;' };
    expect(summarise({ checked: [one], skipped: [], diagnostics: [] }, 0).exitCode).to.equal(0);
  });
});
