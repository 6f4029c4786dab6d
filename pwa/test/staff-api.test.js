import { describe, expect, it } from 'vitest';
import { ApiError, createApi } from '../src/api.js';
import { createStaffApi, filenameFrom, queryString, readDownload } from '../src/staff-api.js';

/** A fake `request` that records each call and answers from a table. */
function fakeApi(answers = {}) {
  const calls = [];
  return {
    calls,
    request: async (method, path, body, opts) => {
      calls.push({ method, path, body, opts });
      const answer = answers[`${method} ${path.split('?')[0]}`];
      if (answer instanceof Error) throw answer;
      return typeof answer === 'function' ? answer(path, body) : (answer ?? {});
    },
  };
}

describe('staff api', () => {
  it('lists records with only the filters that are set', async () => {
    const api = fakeApi({ 'GET /records/households': { records: [], total: 0 } });
    await createStaffApi(api).records({
      collection: 'households',
      quarter: 'q1',
      review: '',
      q: 'nguyen van',
      created_by: undefined,
      limit: 50,
      offset: 100,
    });
    expect(api.calls[0].path).toBe(
      '/records/households?quarter=q1&q=nguyen+van&limit=50&offset=100',
    );
  });

  it('signs out one device, and asks the audit log with only the filters set', async () => {
    const api = fakeApi();
    const s = createStaffApi(api);
    await s.revokeDevice('u1', 'phone 1');
    await s.audit({ user: '', action: 'view', date_from: '2024-10-12', limit: 100, offset: 0 });
    expect(api.calls.map((c) => [c.method, c.path])).toEqual([
      ['POST', '/users/u1/devices/phone%201/revoke'],
      ['GET', '/audit?action=view&date_from=2024-10-12&limit=100&offset=0'],
    ]);
  });

  it('counts by asking for one record and reading the total', async () => {
    const api = fakeApi({ 'GET /records/visits': { records: [{}], total: 42 } });
    const n = await createStaffApi(api).count({
      collection: 'visits',
      quarter: 'q2',
      review: 'pending',
    });
    expect(n).toBe(42);
    expect(api.calls[0].path).toBe('/records/visits?quarter=q2&review=pending&limit=1');
  });

  it('sends a review with a trimmed comment, and null for an empty one', async () => {
    const api = fakeApi();
    const s = createStaffApi(api);
    await s.review('households', 'h1', 'has_issues', '  Sai số điện thoại  ');
    await s.review('households', 'h1', 'approved', '   ');
    expect(api.calls.map((c) => [c.method, c.path, c.body])).toEqual([
      [
        'POST',
        '/records/households/h1/review',
        { status: 'has_issues', comment: 'Sai số điện thoại' },
      ],
      ['POST', '/records/households/h1/review', { status: 'approved', comment: null }],
    ]);
  });

  it('resolves with `deleted` only when it was decided', async () => {
    const api = fakeApi();
    const s = createStaffApi(api);
    await s.resolve('c1', { phone: 'client', notes: { value: 'x' } });
    await s.resolve('c2', {}, true);
    expect(api.calls[0].body).toEqual({ choices: { phone: 'client', notes: { value: 'x' } } });
    expect(api.calls[1].body).toEqual({ choices: {}, deleted: true });
    expect(api.calls[1].path).toBe('/conflicts/c2/resolve');
  });

  it('reaches the user, device, audit and report endpoints', async () => {
    const api = fakeApi();
    const s = createStaffApi(api);
    await s.revokeTokens('u 1');
    await s.devices('u1');
    await s.updateUser('u1', { active: false });
    await s.audit({ limit: 100, offset: 200 });
    await s.report('c1', { quarters: ['a', 'b'], review: 'not_rejected', date_from: '2024-10-12' });
    await s.report('c1', { review: 'approved' });
    expect(api.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /users/u%201/revoke-tokens',
      'GET /users/u1/devices',
      'PATCH /users/u1',
      'GET /audit?limit=100&offset=200',
      'GET /reports/campaign/c1?date_from=2024-10-12&quarters=a%2Cb',
      'GET /reports/campaign/c1?review=approved',
    ]);
  });

  it('pushes one reference change with fresh UUIDs and returns its result', async () => {
    const api = fakeApi({
      'POST /sync/push': (_p, body) => ({ results: [{ status: 'applied', id: body.ops[0].id }] }),
    });
    const result = await createStaffApi(api).pushOne('dev', {
      collection: 'quarters',
      base_rev: null,
      fields: { code: 'KP9', name: 'Khu phố 9' },
    });
    const op = api.calls[0].body.ops[0];
    expect(api.calls[0].body.device_id).toBe('dev');
    expect(op.op_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(op.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(result).toEqual({ status: 'applied', id: op.id });
  });

  it('passes the server refusal through as an ApiError (403 for field staff)', async () => {
    const fetchImpl = async () =>
      new Response(JSON.stringify({ error: { code: 'forbidden', message: 'No.' } }), {
        status: 403,
      });
    const s = createStaffApi(createApi({ fetchImpl, getToken: async () => 't' }));
    await expect(s.conflicts('open')).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    await expect(s.download('/exports/households.csv')).rejects.toBeInstanceOf(ApiError);
  });

  it('has no connection as status 0 (the views then say they need one)', async () => {
    const fetchImpl = async () => {
      throw new TypeError('Failed to fetch');
    };
    const s = createStaffApi(createApi({ fetchImpl }));
    await expect(s.users()).rejects.toMatchObject({ status: 0, code: 'network' });
  });
});

describe('downloads', () => {
  it('reads the body in chunks, reporting progress, with the server file name', async () => {
    const parts = ['a,b\n', '1,2\n', '3,4\n'].map((s) => new TextEncoder().encode(s));
    const body = new ReadableStream({
      start(controller) {
        for (const p of parts) controller.enqueue(p);
        controller.close();
      },
    });
    const response = new Response(body, {
      headers: {
        'Content-Type': 'text/csv',
        'Content-Length': '12',
        'Content-Disposition': 'attachment; filename="bao-cao.csv"',
      },
    });
    const seen = [];
    const { blob, filename } = await readDownload(response, '/reports/campaign/x.csv', (p) =>
      seen.push(p),
    );
    expect(filename).toBe('bao-cao.csv');
    expect(await blob.text()).toBe('a,b\n1,2\n3,4\n');
    expect(seen.map((p) => p.loaded)).toEqual([0, 4, 8, 12]);
    expect(seen.at(-1)).toEqual({ loaded: 12, total: 12 });
  });

  it('goes through the api request (the UI never fetches), with the token', async () => {
    const seen = [];
    const fetchImpl = async (url, init) => {
      seen.push([url, init.headers.Authorization]);
      return new Response('x', { headers: { 'Content-Type': 'application/pdf' } });
    };
    const s = createStaffApi(createApi({ fetchImpl, getToken: async () => 'tok' }));
    const { filename } = await s.download('/reports/campaign/c1.pdf');
    expect(seen).toEqual([['/api/v1/reports/campaign/c1.pdf', 'Bearer tok']]);
    expect(filename).toBe('c1.pdf');
  });

  it.each([
    ['attachment; filename="a.csv"', 'a.csv'],
    ["attachment; filename*=UTF-8''b%C3%A1o-c%C3%A1o.pdf", 'báo-cáo.pdf'],
    [null, null],
  ])('file name of %s', (header, name) => expect(filenameFrom(header)).toBe(name));

  it('leaves empty values out of a query string', () => {
    expect(queryString({ a: 1, b: '', c: null, d: undefined, e: ['x', 'y'] })).toBe('?a=1&e=x&e=y');
    expect(queryString({})).toBe('');
  });
});

describe('household import', () => {
  it('sends the file itself as the body, and the preview digest and choice to apply it', async () => {
    const seen = [];
    const fetchImpl = async (url, init) => {
      seen.push({ url, type: init.headers['Content-Type'], body: init.body });
      return new Response(JSON.stringify({ digest: 'd' }), {
        headers: { 'Content-Type': 'application/json' },
      });
    };
    const s = createStaffApi(createApi({ fetchImpl }));
    const file = new Blob(['Khu phố,Chủ hộ,Địa chỉ\n'], { type: 'text/csv' });
    await s.previewImport(file);
    await s.applyImport(file, 'abc', 'update');
    expect(seen.map((c) => [c.url, c.type])).toEqual([
      ['/api/v1/imports/households/preview', 'application/octet-stream'],
      ['/api/v1/imports/households/apply?digest=abc&matches=update', 'application/octet-stream'],
    ]);
    expect(seen.every((c) => c.body === file)).toBe(true);
  });

  it('still sends JSON as JSON', async () => {
    const seen = [];
    const fetchImpl = async (url, init) => {
      seen.push([init.headers['Content-Type'], init.body]);
      return new Response('{}', { headers: { 'Content-Type': 'application/json' } });
    };
    await createApi({ fetchImpl }).push('dev', []);
    expect(seen).toEqual([['application/json', '{"device_id":"dev","ops":[]}']]);
  });
});
