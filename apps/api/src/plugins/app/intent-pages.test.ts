import type { IntentRecord } from '@neonops/intents';
import { describe, expect, it } from 'vitest';
import { mergeIntentPages } from './intent-pages.js';

const intent = (id: string, partial?: true) => ({ id, ...(partial ? { partial } : {}) }) as IntentRecord & { partial?: true };
const ids = (page: { items: { id: string }[]; nextCursor?: string }) => ({ ids: page.items.map((i) => i.id), next: page.nextCursor });

describe('mergeIntentPages', () => {
  it('interleaves both stores by id, once per id, Redis’s record first, cut at the limit', () => {
    const redis = { items: [intent('int_9'), intent('int_5')] };
    const archived = [intent('int_8', true), intent('int_5', true), intent('int_3', true)];
    const page = mergeIntentPages(redis, archived, 3);
    expect(ids(page)).toEqual({ ids: ['int_9', 'int_8', 'int_5'], next: 'int_5' });
    expect(page.items[2]).toEqual(intent('int_5'));
    expect(ids(mergeIntentPages(redis, archived, 10))).toEqual({ ids: ['int_9', 'int_8', 'int_5', 'int_3'], next: undefined });
    expect(ids(mergeIntentPages({ items: [] }, [], 10))).toEqual({ ids: [], next: undefined });
  });

  it('keeps history rows below where Redis stopped scanning for the next page', () => {
    // Redis read its scan budget down to int_6 and found one match: ids below int_6 are not known yet.
    const page = mergeIntentPages({ items: [intent('int_9')], nextCursor: 'int_6' }, [intent('int_7'), intent('int_6'), intent('int_2')], 5);
    expect(ids(page)).toEqual({ ids: ['int_9', 'int_7', 'int_6'], next: 'int_6' });
  });

  it('ignores history rows below a full Redis page', () => {
    const page = mergeIntentPages({ items: [intent('int_9'), intent('int_8')], nextCursor: 'int_8' }, [intent('int_7'), intent('int_1')], 2);
    expect(ids(page)).toEqual({ ids: ['int_9', 'int_8'], next: 'int_8' });
  });
});
