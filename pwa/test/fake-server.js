/**
 * An in-memory stand-in for the sync server, following sync-protocol.md closely enough for the
 * orchestrator's tests: exactly-once by op_id, revisions, three-way merge of top-level fields,
 * a change feed with cursors, and switches to make it fail the way a real one can.
 */
import { ApiError } from '../src/api.js';

export function createFakeServer() {
  /** @type {Map<string, {collection: string, id: string, rev: number, deleted: boolean, fields: any, history: any[], open_conflicts: number}>} */
  const records = new Map();
  /** @type {Map<string, {content: string, result: any}>} */
  const opLog = new Map();
  /** @type {{seq: number, key: string, evict?: boolean}[]} */
  const feed = [];
  let seq = 0;
  const conflicts = [];
  const server = {
    records,
    conflicts,
    feed,
    token: 'good-token',
    /** Next calls to fail: list of {on: 'push'|'pull', status, code, details?, afterApply?} */
    failures: /** @type {any[]} */ ([]),
    pushCalls: 0,
    pullCalls: 0,
    /** Ops per push call, to check batching. */
    pushSizes: /** @type {number[]} */ ([]),
    /** Cursors older than this seq answer 410. */
    oldestCursor: 0,
    /** Whether pull pages estimate what remains (§5 `remaining`). */
    estimates: false,
    /** The signed-in user, as `GET /me` answers. */
    user: {
      id: 'u1',
      username: 'canbo1',
      display_name: 'Cán bộ 1',
      role: 'field',
      quarters: ['q1'],
    },
    /** Neighbourhoods the user may not write: a change there is refused as `forbidden`. */
    notMine: /** @type {Set<string>} */ (new Set()),
    /** Ops handed to an admin, as `GET /ops/mine` answers. */
    stranded: /** @type {any[]} */ ([]),
    key: (/** @type {string} */ c, /** @type {string} */ id) => `${c}/${id}`,
    wire(/** @type {any} */ r) {
      return {
        id: r.id,
        collection: r.collection,
        rev: r.rev,
        deleted: r.deleted,
        fields: { ...r.fields },
        meta: {
          quarter_id: r.fields.quarter_id ?? null,
          open_conflicts: r.open_conflicts,
          review: { status: 'pending' },
        },
      };
    },
    /** Write a record as another device would. */
    put(
      /** @type {string} */ collection,
      /** @type {string} */ id,
      /** @type {any} */ fields,
      deleted = false,
    ) {
      const k = server.key(collection, id);
      const r = records.get(k);
      if (r) {
        r.fields = { ...r.fields, ...fields };
        r.rev += 1;
        r.deleted = deleted;
        r.history.push({ ...r.fields });
      } else {
        records.set(k, {
          collection,
          id,
          rev: 1,
          deleted,
          fields: { ...fields },
          history: [null, { ...fields }],
          open_conflicts: 0,
        });
      }
      feed.push({ seq: ++seq, key: k });
    },
    evict(/** @type {string} */ collection, /** @type {string} */ id) {
      feed.push({ seq: ++seq, key: server.key(collection, id), evict: true });
    },
    resolve(/** @type {string} */ collection, /** @type {string} */ id) {
      const r = records.get(server.key(collection, id));
      if (!r) return;
      r.open_conflicts = 0;
      r.rev += 1;
      r.history.push({ ...r.fields });
      feed.push({ seq: ++seq, key: server.key(collection, id) });
    },
    applyOp(/** @type {any} */ op) {
      const content = JSON.stringify({ ...op, client_time: undefined });
      const seen = opLog.get(op.op_id);
      if (seen) {
        if (seen.content === content) return { ...seen.result, replayed: true };
        return {
          op_id: op.op_id,
          status: 'rejected',
          id: op.id,
          rev: null,
          record: null,
          code: 'op_id_reused',
        };
      }
      const result = server.decide(op);
      opLog.set(op.op_id, { content, result });
      return result;
    },
    decide(/** @type {any} */ op) {
      const k = server.key(op.collection, op.id);
      const r = records.get(k);
      const reject = (/** @type {string} */ code, /** @type {any} */ errors = null) => ({
        op_id: op.op_id,
        status: 'rejected',
        id: op.id,
        rev: null,
        record: null,
        code,
        errors,
      });
      const quarter = op.fields?.quarter_id ?? r?.fields.quarter_id;
      if (quarter && server.notMine.has(quarter))
        return reject('forbidden', { quarter_id: ['This neighbourhood is not yours.'] });
      if (op.base_rev == null && !op.delete) {
        if (op.fields?.phone && !/^(0\d{9}|\+84\d{9})$/.test(op.fields.phone))
          return reject('validation', { phone: ['Not a Vietnamese phone number.'] });
        if (r) return reject('validation', { id: ['exists'] });
        server.put(op.collection, op.id, op.fields);
        const nr = records.get(k);
        return { op_id: op.op_id, status: 'applied', id: op.id, rev: 1, record: server.wire(nr) };
      }
      if (!r || op.base_rev > r.rev) return reject('unknown_base');
      if (op.delete) {
        server.put(op.collection, op.id, {}, true);
        const nr = /** @type {any} */ (records.get(k));
        return {
          op_id: op.op_id,
          status: 'applied',
          id: op.id,
          rev: nr.rev,
          record: server.wire(nr),
        };
      }
      if (op.fields?.phone && !/^(0\d{9}|\+84\d{9})$/.test(op.fields.phone))
        return reject('validation', { phone: ['Not a Vietnamese phone number.'] });
      const base = r.history[op.base_rev] || {};
      const apply = {};
      const conflicting = {};
      for (const [f, v] of Object.entries(op.fields)) {
        const byClient = JSON.stringify(v) !== JSON.stringify(base[f]);
        const byServer = JSON.stringify(r.fields[f]) !== JSON.stringify(base[f]);
        if (byClient && byServer && JSON.stringify(v) !== JSON.stringify(r.fields[f]))
          conflicting[f] = v;
        else apply[f] = v;
      }
      const status = Object.keys(conflicting).length
        ? 'conflict'
        : op.base_rev === r.rev
          ? 'applied'
          : 'merged';
      server.put(op.collection, op.id, apply);
      const nr = /** @type {any} */ (records.get(k));
      if (status === 'conflict') {
        nr.open_conflicts += 1;
        conflicts.push({ id: `c${conflicts.length + 1}`, record_id: op.id, fields: conflicting });
        return {
          op_id: op.op_id,
          status,
          id: op.id,
          rev: nr.rev,
          record: server.wire(nr),
          conflict_id: `c${conflicts.length}`,
        };
      }
      return { op_id: op.op_id, status, id: op.id, rev: nr.rev, record: server.wire(nr) };
    },
    /** An Api object (same shape as src/api.js) backed by this server. */
    api(/** @type {() => string|null} */ token = () => server.token) {
      const fail = (/** @type {string} */ on) => {
        const i = server.failures.findIndex((f) => f.on === on);
        if (i < 0) return null;
        return server.failures.splice(i, 1)[0];
      };
      const check = () => {
        if (token() !== server.token) throw new ApiError(401, 'unauthorized');
      };
      return {
        async login() {
          return { token: server.token, user: { ...server.user } };
        },
        async logout() {},
        async me() {
          check();
          return { ...server.user };
        },
        async myOps() {
          check();
          return { ops: server.stranded };
        },
        async escalate(/** @type {string} */ opId) {
          check();
          const sent = JSON.parse(opLog.get(opId)?.content ?? '{}');
          server.stranded.push({
            op_id: opId,
            collection: sent.collection,
            id: sent.id,
            state: 'escalated',
            at: new Date().toISOString(),
          });
          return { op_id: opId, state: 'escalated' };
        },
        async health() {},
        async push(/** @type {string} */ _device, /** @type {any[]} */ ops) {
          server.pushCalls++;
          check();
          const f = fail('push');
          if (f && !f.afterApply) throw new ApiError(f.status, f.code, undefined, f.details);
          server.pushSizes.push(ops.length);
          const results = ops.map((op) => server.applyOp(JSON.parse(JSON.stringify(op))));
          if (f) throw new ApiError(f.status, f.code); // the answer is lost after the server applied it
          return { results };
        },
        async pull(/** @type {string|undefined} */ cursor, /** @type {number} */ limit) {
          server.pullCalls++;
          check();
          const f = fail('pull');
          if (f) throw new ApiError(f.status, f.code, undefined, f.details);
          const from = cursor ? Number(cursor.slice(2)) : 0;
          if (cursor && from < server.oldestCursor) throw new ApiError(410, 'cursor_expired');
          const after = feed.filter((e) => e.seq > from);
          const page = after.slice(0, limit);
          /** @type {Map<string, any>} */
          const byKey = new Map();
          for (const e of page) {
            byKey.delete(e.key);
            byKey.set(e.key, e);
          }
          const changes = [...byKey.values()].map((e) => {
            const r = records.get(e.key);
            const [collection, id] = e.key.split('/');
            if (e.evict) return { op: 'evict', collection, id };
            return {
              op: r?.deleted ? 'delete' : 'upsert',
              collection,
              id,
              rev: r?.rev,
              record: server.wire(r),
            };
          });
          const last = page.length ? page[page.length - 1].seq : from;
          const page_ = { changes, cursor: `c:${last}`, more: after.length > limit };
          return server.estimates ? { ...page_, remaining: after.length - page.length } : page_;
        },
      };
    },
  };
  return server;
}
