import { describe, expect, it } from 'vitest';
import {
  deleteDraft,
  draftKey,
  listDrafts,
  loadDraft,
  restoreDraft,
  saveDraft,
} from '../src/drafts.js';
import { freshDb } from './helpers.js';

const base = { head_name: 'Nguyễn Văn An', address: '1 Lê Lợi', phone: '' };

/** @param {Record<string, any>} form */
const draft = (form, key = 'households/h1') => ({
  key,
  collection: 'households',
  recordId: 'h1',
  householdId: null,
  path: '/households/h1/edit',
  title: 'Nguyễn Văn An',
  form,
  base,
});

describe('drafts', () => {
  it('one draft per record edited, and per new record of each household', () => {
    expect(draftKey('households', 'h1', null)).toBe('households/h1');
    expect(draftKey('households', null, null)).toBe('households/new/');
    expect(draftKey('visits', null, 'h1')).not.toBe(draftKey('visits', null, 'h2'));
  });

  it('an edit brings back only what the user changed, over the record as it is now', () => {
    const now = { ...base, address: '9 Trần Phú' }; // changed on the server since
    const restored = restoreDraft(now, draft({ ...base, phone: '0912345678' }), true);
    expect(restored).toEqual({ ...base, address: '9 Trần Phú', phone: '0912345678' });
  });

  it('a new record comes back whole', () => {
    const restored = restoreDraft({ ...base, head_name: '' }, draft(base), false);
    expect(restored.head_name).toBe('Nguyễn Văn An');
  });

  it('is kept, replaced, listed newest first and deleted', async () => {
    const db = freshDb();
    await saveDraft(db, draft({ ...base, phone: '1' }));
    await new Promise((r) => setTimeout(r, 2));
    await saveDraft(db, draft(base, 'households/new/'));
    await new Promise((r) => setTimeout(r, 2));
    await saveDraft(db, draft({ ...base, phone: '2' }));
    expect((await loadDraft(db, 'households/h1'))?.form.phone).toBe('2');
    expect((await listDrafts(db)).map((d) => d.key)).toEqual(['households/h1', 'households/new/']);
    await deleteDraft(db, 'households/h1');
    expect(await loadDraft(db, 'households/h1')).toBeNull();
  });
});
