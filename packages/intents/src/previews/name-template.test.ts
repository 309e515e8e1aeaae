import { describe, expect, it } from 'vitest';
import { checkNameTemplate, DEFAULT_PREVIEW_NAME_TEMPLATE, PreviewNameError, renderPreviewName, sanitizeBranchName } from './name-template.js';

const values = { number: '42', head_ref: 'feature/login', base_ref: 'main', repo: 'shop', owner: 'acme', sha: 'abc1234' };

describe('preview branch names', () => {
  it('renders the default template like Neon’s GitHub integration', () => {
    expect(renderPreviewName(DEFAULT_PREVIEW_NAME_TEMPLATE, values)).toBe('preview/pr-42-feature/login');
    expect(renderPreviewName('{owner}/{repo}#{number}@{sha}', values)).toBe('acme/shop-42-abc1234');
  });

  it('replaces unsafe characters, one dash per character, and collapses runs', () => {
    expect(sanitizeBranchName('fix: the “bug”  now!!')).toBe('fix-the-bug-now');
    expect(sanitizeBranchName('feat/🚀-launch')).toBe('feat/launch');
    expect(sanitizeBranchName('a//b///c')).toBe('a/b/c');
    expect(sanitizeBranchName('../..//x..y')).toBe('x.y');
    expect(sanitizeBranchName('ünïcödé')).toBe('n-c-d');
    expect(sanitizeBranchName('-/-lead/trail-/')).toBe('lead/trail');
  });

  it('cuts to Neon’s 256 characters, keeping the front (the PR number) and trimming what the cut leaves', () => {
    const long = renderPreviewName(DEFAULT_PREVIEW_NAME_TEMPLATE, { ...values, head_ref: `${'x'.repeat(240)}/${'y'.repeat(100)}` });
    expect(long.length).toBeLessThanOrEqual(256);
    expect(long.startsWith('preview/pr-42-x')).toBe(true);
    expect(sanitizeBranchName(`${'a'.repeat(255)}/b`)).toBe('a'.repeat(255));
    expect(sanitizeBranchName(`${'a'.repeat(255)}-b`)).toBe('a'.repeat(255));
    expect(sanitizeBranchName('abcdef', 4)).toBe('abcd');
  });

  it('refuses a template that yields nothing usable, or names unknown placeholders', () => {
    expect(() => renderPreviewName('{head_ref}', { ...values, head_ref: '日本語' })).toThrow(PreviewNameError);
    expect(() => renderPreviewName('///', values)).toThrow(/no usable branch name/);
    expect(() => checkNameTemplate('pr-{nubmer}')).toThrow(/unknown placeholder \{nubmer\}/);
    expect(() => checkNameTemplate('pr-{number')).toThrow(/does not pair/);
    expect(() => checkNameTemplate('preview/{head_ref}')).not.toThrow();
  });
});
