import { describe, expect, it } from 'vitest';
import { isEditing, onEditingChange, setEditing } from '../src/editing.js';

describe('editing', () => {
  it('is editing while any form is dirty, and tells listeners when that changes', () => {
    /** @type {boolean[]} */
    const heard = [];
    const off = onEditingChange((e) => heard.push(e));
    expect(isEditing()).toBe(false);
    setEditing('households/new:', true);
    setEditing('visits/abc', true);
    expect(isEditing()).toBe(true);
    setEditing('households/new:', false);
    expect(isEditing()).toBe(true);
    setEditing('visits/abc', false);
    expect(isEditing()).toBe(false);
    off();
    setEditing('visits/abc', true);
    setEditing('visits/abc', false);
    expect(heard).toEqual([true, false]);
  });
});
