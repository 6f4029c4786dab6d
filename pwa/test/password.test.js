import { describe, expect, it } from 'vitest';
import { ApiError, createApi } from '../src/api.js';
import { passwordProblems, passwordRefusal } from '../src/password.js';

const good = { current: 'doorstep2024', next: 'mat-khau-moi', repeat: 'mat-khau-moi' };

describe('changing one’s password', () => {
  it('sends both passwords to the server, signed in', async () => {
    /** @type {any[]} */
    const calls = [];
    const fetchImpl = async (/** @type {any} */ url, /** @type {any} */ init) => {
      calls.push({ url, init });
      return new Response(JSON.stringify({ revoked: 2 }), { status: 200 });
    };
    const api = createApi({ fetchImpl, getToken: async () => 'tok' });
    expect(await api.changePassword('old-one', 'new-one-long')).toEqual({ revoked: 2 });
    expect(calls[0].url).toBe('/api/v1/me/password');
    expect(calls[0].init.method).toBe('POST');
    expect(calls[0].init.headers.Authorization).toBe('Bearer tok');
    expect(JSON.parse(calls[0].init.body)).toEqual({
      current_password: 'old-one',
      new_password: 'new-one-long',
    });
  });

  it('accepts a complete form', () => {
    expect(passwordProblems(good)).toEqual({});
  });

  it.each([
    [{ ...good, current: '' }, 'current', 'err_required'],
    [{ ...good, next: '', repeat: '' }, 'next', 'err_required'],
    [{ ...good, next: 'short12', repeat: 'short12' }, 'next', 'password_too_short'],
    [{ ...good, repeat: '' }, 'repeat', 'err_required'],
    [{ ...good, repeat: 'mat-khau-moj' }, 'repeat', 'password_mismatch'],
  ])('%o: %s says %s', (form, field, key) => {
    expect(passwordProblems(form)[field]?.key).toBe(key);
  });

  it.each([
    [new ApiError(403, 'wrong_password', '', { current_password: ['x'] }), 'current', null],
    [new ApiError(422, 'validation', '', { new_password: ['x'] }), 'next', null],
    [new ApiError(0, 'network'), null, 'password_needs_connection'],
    [new ApiError(0, 'timeout'), null, 'password_needs_connection'],
    [new ApiError(429, 'too_many_attempts'), null, 'password_too_many'],
    [new ApiError(500, 'internal'), null, 'server_said'],
  ])('a refusal %o goes to field %s, or says %s', (error, field, message) => {
    const refusal = passwordRefusal(error);
    expect(Object.keys(refusal.problems)).toEqual(field ? [field] : []);
    expect(refusal.message).toBe(message);
  });
});
