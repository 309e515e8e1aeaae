import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { githubOutputFile, parseGithubOutput } from '../test/helpers.js';
import { escapeCommandData, githubOutputBlock, maskedParts, writeGithubOutputs } from './github.js';
import { formatEnv, shellQuote, type ResultValue } from './results.js';

const uri = 'postgresql://app_owner:p%40ss%25word@ep-cool-1.eu-central-1.aws.neon.tech/app?sslmode=require&channel_binding=require';

describe('GitHub Actions outputs', () => {
  it('masks each secret first (the URL and its password, raw and decoded, escaped), then appends multi-line-safe blocks after what was there', async () => {
    const gh = await githubOutputFile();
    const { appendFile } = await import('node:fs/promises');
    await appendFile(gh.path, 'earlier=step\n');
    const lines: string[] = [];
    const values: ResultValue[] = [
      { output: 'db_url', env: 'DATABASE_URL', value: uri, secret: true },
      { output: 'note', env: 'NOTE', value: 'two\nlines', secret: false },
      { output: 'host', env: 'NEONOPS_HOST', value: 'ep-cool-1.eu-central-1.aws.neon.tech', secret: false },
    ];
    writeGithubOutputs(gh.path, values, { write: (s: string) => lines.push(s) });

    expect(lines.join('')).toBe(
      [`::add-mask::${uri.replace(/%/g, '%25')}`, '::add-mask::p%2540ss%2525word', '::add-mask::p@ss%25word', ''].join('\n'),
    );
    const file = await readFile(gh.path, 'utf8');
    expect(parseGithubOutput(file)).toEqual({ earlier: 'step', db_url: uri, note: 'two\nlines', host: 'ep-cool-1.eu-central-1.aws.neon.tech' });
    // Each block has its own random delimiter.
    const delimiters = [...file.matchAll(/<<(ghadelimiter_[0-9a-f-]{36})\n/g)].map((m) => m[1]);
    expect(new Set(delimiters).size).toBe(3);
  });

  it('refuses a value that contains its delimiter, and masks every line of a multi-line secret', () => {
    expect(() => githubOutputBlock('x', 'a\nEOF\nb', 'EOF')).toThrow(/contains its delimiter/);
    expect(maskedParts('line one\nline two')).toEqual(['line one\nline two', 'line one', 'line two']);
    expect(escapeCommandData('a%b\r\nc')).toBe('a%25b%0D%0Ac');
  });
});

describe('env output', () => {
  it('quotes what a shell would split or expand, and leaves plain values alone', () => {
    expect(shellQuote('int_01abc')).toBe('int_01abc');
    expect(shellQuote(uri)).toBe(`'${uri}'`);
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe(`''`);
    expect(formatEnv([{ output: 'db_url', env: 'DATABASE_URL', value: uri, secret: true }])).toBe(`DATABASE_URL='${uri}'\n`);
  });
});
