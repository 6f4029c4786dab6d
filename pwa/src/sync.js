/**
 * The sync orchestrator: push the outbox in batches, then pull from the saved cursor and apply
 * each page. Each phase is a small function; the network is never awaited inside an IndexedDB
 * transaction (push: take batch → send → store results; pull: fetch page → store page + cursor).
 */
import Dexie, { RangeSet } from 'dexie';
import { getMeta, isQuotaError, setMeta } from './db.js';
import { applyPushResults, returnToPending, storeStranded, takeBatch, toWire } from './outbox.js';
import { evictPhotos, uploadPhotos } from './photos.js';
import {
  BUNDLED_COLLECTIONS,
  bundleRows,
  bundleable,
  keyOf,
  makeBundles,
  mayBeBundled,
  unbundle,
} from './bundles.js';
import { buildRecord, serverRecordOutcome, storedMeta } from './records.js';
import { forgetServerData, isRevocation } from './session.js';
import { took } from './timings.js';

/**
 * How an error affects syncing.
 * @param {any} err
 * @returns {'retry'|'sign_in'|'update'|'resync'|'too_large'|'permanent'}
 */
export function classifyError(err) {
  const status = err?.status;
  if (status === 401) return 'sign_in';
  if (status === 426) return 'update';
  // A cursor the server no longer accepts (its secret changed): start again, like 410 (§5).
  if (status === 410 || (status === 400 && err?.details?.cursor)) return 'resync';
  if (status === 413) return 'too_large';
  if (status === 0 || status === undefined || status === 408 || status === 429 || status >= 500)
    return 'retry';
  return 'permanent';
}

/**
 * Delay before retry number `failures` (1, 2, …): exponential with full jitter.
 * @param {number} failures
 * @param {() => number} random
 */
export function backoffDelay(failures, random = Math.random) {
  const cap = Math.min(5 * 60_000, 2000 * 2 ** Math.max(0, failures - 1));
  return Math.round(1000 + random() * cap);
}

/**
 * Push every pending op, batch by batch.
 * @param {import('./db.js').DoorstepDb} db
 * @param {import('./api.js').Api} api
 * @param {{deviceId: string, batchSize: number}} opts
 * @returns {Promise<number>} ops answered
 */
export async function pushOutbox(db, api, opts) {
  let batchSize = opts.batchSize;
  let answered = 0;
  for (;;) {
    const batch = await takeBatch(db, batchSize);
    if (batch.length === 0) return answered;
    let response;
    try {
      response = await api.push(opts.deviceId, batch.map(toWire));
    } catch (err) {
      await returnToPending(db, batch);
      if (classifyError(err) === 'too_large' && batchSize > 1) {
        batchSize = Math.ceil(batchSize / 2);
        continue;
      }
      throw err;
    }
    await applyPushResults(db, batch, response.results || []);
    answered += batch.length;
  }
}

/** Changes stored per step when storing a pulled page on the page's own thread. */
const WRITE_SLICE = 1000;

/** Thrown when a pulled page arrives after signing out: it is not stored. */
export class SignedOutError extends Error {
  constructor() {
    super('signed out');
    this.name = 'SignedOutError';
    this.status = 401;
    this.code = 'signed_out';
  }
}

/**
 * Store one pulled page and the cursor after it, in one transaction: the cursor never moves past
 * a change that is not stored. Rows are read and written in bulk (a first sync of a large
 * neighbourhood is tens of thousands of records).
 *
 * `first`: the pull started from no cursor. The phone then holds no server state that a change
 * could be older than (the server sends each record at its newest, and later pages only newer),
 * so only the rows of records with outbox ops are read, to keep their pending changes on top;
 * every other row is written as the server sent it, and a tombstone or eviction deletes it.
 *
 * `slice`: changes handed to IndexedDB per step (see WRITE_SLICE); the pull worker stores a
 * page in one step. `signedIn`: store nothing unless a session is still stored (signing out
 * wipes the phone; a page that arrives after that must not put records back).
 * @param {import('./db.js').DoorstepDb} db
 * @param {{changes: any[], cursor: string}} page
 * @param {{first?: boolean, slice?: number, signedIn?: boolean}} [opts]
 */
export async function applyPullPage(
  db,
  page,
  { first = false, slice = WRITE_SLICE, signedIn = false } = {},
) {
  const changes = newestOfEach(page.changes || []);
  await db.transaction('rw', db.records, db.outbox, db.meta, db.bundles, async () => {
    if (signedIn && !(await getMeta(db, 'session'))) throw new SignedOutError();
    // A changed record is written to `records`, over its bundled copy (bundles.js); one the
    // page removes is first taken out of its bundle, which is rewritten once for the page.
    /** @type {[string, string][]} */
    const mayBeInBundles = [];
    for (const c of changes)
      if (mayBeBundled(c.collection) && removes(c)) mayBeInBundles.push([c.collection, c.id]);
    if (mayBeInBundles.length) await unbundle(db, mayBeInBundles);
    const opsByRecord = groupOps(await db.outbox.orderBy('seq').toArray());
    const read = keysToRead(changes, opsByRecord, first);
    const found = await db.records.bulkGet(read);
    const existing = new Map(read.map((k, i) => [`${k[0]}/${k[1]}`, found[i]]));
    // Stored a slice at a time: working out a slice's rows and handing them to IndexedDB is one
    // task of the main thread, so the app stays responsive while a page of 5,000 is stored.
    for (let start = 0; start < changes.length; start += slice) {
      const end = Math.min(changes.length, start + slice);
      const { puts, deletes, clearOps } = pageWrites(changes, start, end, {
        existing,
        opsByRecord,
        first,
      });
      if (clearOps.length) await db.outbox.bulkDelete(clearOps);
      if (deletes.length) await db.records.bulkDelete(deletes);
      if (puts.length) await db.records.bulkPut(puts);
    }
    await setMeta(db, 'cursor', page.cursor);
  });
}

/**
 * Whether a pulled change removes its record from the phone (a tombstone or an eviction): such a
 * record must leave its bundle, where `records` could not shadow it once its row is gone.
 * @param {any} change
 */
export function removes(change) {
  return change.op === 'evict' || change.op === 'delete' || !!change.record?.deleted;
}

/**
 * The changes of a page, each record's last only (in the order of those). The protocol sends a
 * record once per page, at its newest; should a page hold one twice, the later wins, as it would
 * on the next page, and the record is stored (and bundled) once.
 * @param {any[]} changes
 */
export function newestOfEach(changes) {
  return keyedChanges(changes).changes;
}

/**
 * newestOfEach, with the key (`collection/id`) of each change kept, in the same order.
 * @param {any[]} changes
 */
function keyedChanges(changes) {
  const keys = changes.map((c) => keyOf(c.collection, c.id));
  if (new Set(keys).size === keys.length) return { changes, keys };
  /** @type {Map<string, number>} */
  const last = new Map();
  keys.forEach((k, i) => last.set(k, i));
  const kept = keys.map((k, i) => last.get(k) === i);
  return { changes: changes.filter((_, i) => kept[i]), keys: keys.filter((_, i) => kept[i]) };
}

/**
 * Outbox ops by record (`collection/id`), each record's in outbox order.
 * @param {import('./db.js').OutboxOp[]} ops every op, in outbox order
 */
function groupOps(ops) {
  /** @type {Map<string, import('./db.js').OutboxOp[]>} */
  const byRecord = new Map();
  for (const op of ops) {
    const k = `${op.collection}/${op.id}`;
    const list = byRecord.get(k);
    if (list) list.push(op);
    else byRecord.set(k, [op]);
  }
  return byRecord;
}

/**
 * The stored rows a page must read before it is written: all of them, or on a first sync only
 * those of records with outbox ops (see applyPullPage).
 * @param {any[]} changes
 * @param {Map<string, import('./db.js').OutboxOp[]>} opsByRecord
 * @param {boolean} first
 * @returns {[string, string][]}
 */
function keysToRead(changes, opsByRecord, first) {
  /** @type {[string, string][]} */
  const keys = [];
  for (const c of changes)
    if (!first || opsByRecord.has(`${c.collection}/${c.id}`)) keys.push([c.collection, c.id]);
  return keys;
}

/**
 * What storing changes[start..end) of a page means: rows to put (and their keys, `collection/id`),
 * keys to delete, outbox ops to clear. A pure decision over the rows read (`existing`, by
 * `collection/id`) and the outbox. `keys`: the key of each change, if known.
 * @param {any[]} changes
 * @param {number} start
 * @param {number} end
 * @param {{existing: Map<string, import('./db.js').LocalRecord|undefined>,
 *   opsByRecord: Map<string, import('./db.js').OutboxOp[]>, first: boolean, keys?: string[]}} state
 */
function pageWrites(changes, start, end, { existing, opsByRecord, first, keys }) {
  /** @type {import('./db.js').LocalRecord[]} */
  const puts = [];
  /** @type {string[]} */
  const putKeys = [];
  /** @type {[string, string][]} */
  const deletes = [];
  /** @type {number[]} */
  const clearOps = [];
  for (let i = start; i < end; i++) {
    const change = changes[i];
    const k = keys ? keys[i] : keyOf(change.collection, change.id);
    const ops = opsByRecord.get(k);
    // A row written blind on a first sync may be there without having been read.
    const unread = first && !ops;
    const record = change.record;
    if (unread && record && change.op !== 'evict' && change.op !== 'delete' && !record.deleted) {
      // serverRecordOutcome of a record with no row read and no op: its server state.
      const server = {
        fields: record.fields || {},
        rev: record.rev,
        meta: storedMeta(record.meta),
        deleted: false,
      };
      puts.push(buildRecord(change.collection, change.id, server, null, false));
      putKeys.push(k);
      continue;
    }
    const current = existing.get(k);
    const key = /** @type {[string, string]} */ ([change.collection, change.id]);
    if (change.op === 'evict') {
      // Outbox ops are never dropped silently: with some left, the row stays, server part gone.
      if (!current && !unread) continue;
      if (!ops) deletes.push(key);
      else {
        puts.push(
          buildRecord(
            change.collection,
            change.id,
            null,
            current?.patch ?? null,
            current?.localDelete ?? false,
          ),
        );
        putKeys.push(k);
      }
      continue;
    }
    if (!record) continue;
    const wire = { ...record, collection: change.collection, id: change.id };
    if (change.op === 'delete') wire.deleted = true;
    const outcome = serverRecordOutcome(current, ops || [], wire);
    clearOps.push(...outcome.clearOps);
    if (outcome.row === null || (outcome.row === undefined && unread && wire.deleted))
      deletes.push(key);
    else if (outcome.row) {
      puts.push(outcome.row);
      putKeys.push(k);
    }
  }
  return { puts, putKeys, deletes, clearOps };
}

/**
 * Thrown when a page handed to storePullPage no longer fits what is stored: the cursor stored is
 * not the one the page was pulled from (the page before it was not stored), or the outbox now
 * holds changes to records of a page written without reading them. Nothing of the page is
 * stored; the pull goes on from the stored cursor.
 */
export class StalePageError extends Error {
  constructor(/** @type {string} */ why) {
    super(`page not stored: ${why}`);
    this.name = 'StalePageError';
    this.code = 'stale_page';
  }
}

/**
 * applyPullPage in one IndexedDB transaction of the browser's own API, for the pull worker: the
 * same decisions and guarantees, without Dexie's work per row (its promise per step and the key
 * ranges it keeps for live queries), and such that the next page can be handed over before this
 * one is stored (IndexedDB runs the transactions in the order they were made).
 *
 * Inside the transaction, before anything of the page counts: a session must still be stored
 * (`signedIn`), the stored cursor must be `from` (the one the page was pulled from; otherwise
 * StalePageError), and the outbox is read. On a first sync, a page whose records have no ops in
 * `known` (the outbox as last read) is written at once, without waiting for that read, and the
 * transaction is aborted (StalePageError) if the outbox turns out to hold ops for any of its
 * records; otherwise the rows are worked out once the outbox (and the rows of records with ops)
 * are read. Any failure aborts the whole transaction: nothing of the page nor its cursor stays.
 * Live queries elsewhere (the page) are then told what changed, as Dexie would. Resolves to the
 * outbox as read.
 *
 * Bundles (bundles.js): `bundled` is given on a first sync, the keys (`collection/id`) this
 * first sync has put in bundles so far; the page's rows that bundles.js `bundleable` allows, of
 * records with no op, not bundled before and not in `records` (whose row a bundle could never
 * overrule: those are written over, as without bundles), are then stored as bundle rows, and
 * their keys added to it. A record twice on a page counts once, as its last (newestOfEach). Before anything of the page is written or read, the records of the page that may be in
 * a bundle are moved out of their bundles into `records`, so that the page's writes and reads meet
 * them there: on a first sync those in `bundled`; on a later pull only those the page removes
 * (`removes`). Any other child record of a later pull is written to `records` as if it were not
 * bundled, its bundle left as it is: the row in `records` shadows the bundled copy (bundles.js),
 * which can only be older (§5: a later page brings changes committed after the first sync's).
 *
 * `timings`: milliseconds of the worker's own work added to it by step (`keys`: the page's keys
 * before the transaction; `rows`: working out the rows; `puts`: handing the rows and deletes to
 * IndexedDB; `bundles`: making the bundles; `bundlePuts`: handing them and the cursor over;
 * `notify`: telling live queries; all wall clock) and the wait from the last write handed over
 * to the transaction's end (`commit`, the browser's work, overlapping others).
 * @param {import('./db.js').DoorstepDb} db
 * @param {{changes: any[], cursor: string}} page
 * @param {{first?: boolean, signedIn?: boolean, from?: string|null,
 *   known?: import('./db.js').OutboxOp[]|null, bundled?: Set<string>|null,
 *   timings?: Record<string, number>|null}} [opts]
 * @returns {Promise<import('./db.js').OutboxOp[]>}
 */
export async function storePullPage(
  db,
  page,
  {
    first = false,
    signedIn = false,
    from = null,
    known = null,
    bundled = null,
    timings = null,
  } = {},
) {
  if (!db.isOpen()) await db.open(); // a wait, not the worker's own work: not in `keys`
  let since = performance.now();
  const { changes, keys } = keyedChanges(page.changes || []);
  const idb = db.backendDB();
  // Written without reading: a first sync, and no op known for any record of the page.
  let blind = first && !!known;
  if (blind && known?.length) {
    const mine = groupOps(known);
    blind = !keys.some((k) => mine.has(k));
  }
  /** @type {Set<string>} keys of the page that may be in a bundle */
  const suspects = new Set();
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i];
    const k = keys[i];
    const child = BUNDLED_COLLECTIONS.includes(c.collection);
    if (bundled ? bundled.has(k) : !first && child && removes(c)) suspects.add(k);
    // Every child record of the page may be in a bundle once it is stored: the next page, handed
    // over before this one is written, must look for them there (a page holds a record once).
    if (bundled && child) bundled.add(k);
  }
  took(timings, 'keys', since);
  let clearedOps = false;
  let touchedBundles = false;
  let wrote = 0;
  /** @type {import('./db.js').OutboxOp[]} */
  const ops = await new Promise((resolve, reject) => {
    const tx = idb.transaction(['records', 'outbox', 'meta', 'bundles'], 'readwrite');
    const records = tx.objectStore('records');
    const meta = tx.objectStore('meta');
    const bundles = tx.objectStore('bundles');
    /** @type {any} */
    let failed = null;
    /** @param {any} err */
    const fail = (err) => {
      failed ??= err;
      try {
        tx.abort();
      } catch {
        // already finished: its own error stands
      }
    };
    const session = meta.get('session');
    const cursor = meta.get('cursor');
    const outbox = tx.objectStore('outbox').getAll();
    tx.oncomplete = () => {
      if (wrote) took(timings, 'commit', wrote);
      resolve(outbox.result);
    };
    tx.onabort = () => reject(failed ?? tx.error ?? new Error('transaction aborted'));
    /**
     * @param {Map<string, import('./db.js').OutboxOp[]>} opsByRecord
     * @param {Map<string, import('./db.js').LocalRecord|undefined>} existing
     */
    const write = (opsByRecord, existing) => {
      let at = performance.now();
      const { puts, putKeys, deletes, clearOps } = pageWrites(changes, 0, changes.length, {
        existing,
        opsByRecord,
        first,
        keys,
      });
      took(timings, 'rows', at);
      at = performance.now();
      const outboxStore = tx.objectStore('outbox');
      for (const seq of clearOps) outboxStore.delete(seq);
      clearedOps ||= clearOps.length > 0;
      for (const key of deletes) records.delete(key);
      /** @type {import('./db.js').LocalRecord[]} */
      const toBundle = [];
      for (let i = 0; i < puts.length; i++) {
        const row = puts[i];
        const k = putKeys[i];
        if (bundled && bundleable(row) && !opsByRecord.has(k) && !suspects.has(k) && !held.has(k))
          toBundle.push(row);
        else records.put(row);
      }
      took(timings, 'puts', at);
      at = performance.now();
      const packed = makeBundles(toBundle);
      took(timings, 'bundles', at);
      at = performance.now();
      for (const b of packed) bundles.add(b);
      if (toBundle.length) touchedBundles = true;
      meta.put({ key: 'cursor', value: page.cursor });
      took(timings, 'bundlePuts', at);
      wrote = performance.now();
    };
    let outboxRead = false;
    let ready = false;
    const afterOutbox = () => {
      try {
        if (signedIn && !session.result) return fail(new SignedOutError());
        if ((cursor.result?.value ?? null) !== (from ?? null))
          return fail(new StalePageError('the cursor moved'));
        const opsByRecord = groupOps(outbox.result);
        if (blind) {
          if (changes.some((c) => opsByRecord.has(`${c.collection}/${c.id}`)))
            fail(new StalePageError('changes were made to its records'));
          return;
        }
        const read = keysToRead(changes, opsByRecord, first);
        /** @type {Map<string, import('./db.js').LocalRecord|undefined>} */
        const existing = new Map();
        if (read.length === 0) return write(opsByRecord, existing);
        let left = read.length;
        for (const key of read) {
          const got = records.get(key);
          got.onsuccess = () => {
            existing.set(`${key[0]}/${key[1]}`, got.result);
            if (--left > 0) return;
            try {
              write(opsByRecord, existing);
            } catch (err) {
              fail(err);
            }
          };
        }
      } catch (err) {
        fail(err);
      }
    };
    /** @type {Set<string>} child records in `records` (read on a first sync): never bundled */
    const held = new Set();
    // Before the page's own work: the records it may meet in bundles moved to `records`, and on
    // a first sync the child records `records` holds read.
    let waiting = 1 + (bundled ? BUNDLED_COLLECTIONS.length : 0);
    const step = () => {
      if (--waiting === 0) proceed();
    };
    if (bundled)
      for (const c of BUNDLED_COLLECTIONS) {
        const got = records.getAllKeys(IDBKeyRange.bound([c], [c, []]));
        got.onsuccess = () => {
          for (const [, i] of /** @type {[string, string][]} */ (got.result)) held.add(keyOf(c, i));
          step();
        };
      }
    // The page's own work, once the records it may meet in bundles are in `records`.
    const proceed = () => {
      ready = true;
      try {
        if (blind) write(new Map(), new Map());
      } catch (err) {
        fail(err);
        return;
      }
      if (outboxRead) afterOutbox();
    };
    outbox.onsuccess = () => {
      outboxRead = true;
      if (ready) afterOutbox();
    };
    if (suspects.size === 0) step();
    else
      moveOutOfBundles(records, bundles, suspects, step, fail, () => {
        touchedBundles = true;
      });
  });
  // What Dexie would say of this transaction: the records (all of them, as for any bulk put),
  // the cursor, and the outbox only if ops were cleared; so that only the live queries that read
  // those run again (each is a transaction that the next page's waits behind).
  since = performance.now();
  const tables = ['records'];
  if (clearedOps) tables.push('outbox');
  if (touchedBundles) tables.push('bundles');
  const parts = everythingIn(db, tables);
  parts[`idb://${db.name}/meta/`] = new RangeSet('cursor');
  Dexie.on('storagemutated').fire(parts);
  took(timings, 'notify', since);
  return ops;
}

/**
 * bundles.js `unbundle` in IndexedDB's own API, inside storePullPage's transaction: the bundles
 * holding any of `keys` lose those records, which are added to `records` (one already there keeps
 * its row); then `done`. `touched` is called if any bundle changes.
 *
 * A page may remove thousands of bundled records, many to a bundle: the `keys` index is asked
 * for bundle numbers only (no bundle is read per key), each bundle found is then read and
 * rewritten once; and with no bundle at all (a phone whose first sync stored none) nothing is
 * looked up.
 * @param {IDBObjectStore} records
 * @param {IDBObjectStore} bundles
 * @param {Set<string>} keys `collection/id`
 * @param {() => void} done
 * @param {(err: any) => void} fail
 * @param {() => void} touched
 */
function moveOutOfBundles(records, bundles, keys, done, fail, touched) {
  const any = bundles.getAllKeys(null, 1);
  any.onsuccess = () => {
    if (any.result.length === 0) return done();
    const index = bundles.index('keys');
    /** @type {Set<number>} */
    const numbers = new Set();
    let left = keys.size;
    for (const k of keys) {
      const got = index.getAllKeys(k);
      got.onsuccess = () => {
        for (const n of got.result) numbers.add(/** @type {number} */ (n));
        if (--left === 0) move(numbers);
      };
    }
  };
  /** @param {Set<number>} numbers */
  const move = (numbers) => {
    if (numbers.size === 0) return done();
    touched();
    let left = numbers.size;
    for (const n of numbers) {
      const got = bundles.get(n);
      got.onsuccess = () => {
        try {
          const b = /** @type {import('./db.js').Bundle} */ (got.result);
          const keep = [];
          for (const r of bundleRows(b)) {
            if (!keys.has(keyOf(r.collection, r.id))) {
              keep.push(r);
              continue;
            }
            const add = records.add(r);
            add.onerror = (event) => {
              // Already in `records`: that row wins.
              event.preventDefault();
              event.stopPropagation();
            };
          }
          if (keep.length === 0) bundles.delete(n);
          else bundles.put({ ...makeBundles(keep)[0], n });
          if (--left === 0) done();
        } catch (err) {
          fail(err);
        }
      };
    }
  };
}

/**
 * Dexie's description of "every key and index of these tables changed", which makes every live
 * query that read them run again, in every window and worker.
 * @param {import('./db.js').DoorstepDb} db
 * @param {string[]} tables
 */
function everythingIn(db, tables) {
  /** @type {Record<string, RangeSet>} */
  const parts = {};
  for (const name of tables) {
    const prefix = `idb://${db.name}/${name}/`;
    parts[prefix] = new RangeSet(-Infinity, [[[]]]);
    parts[`${prefix}:dels`] = new RangeSet(-Infinity, [[[]]]);
    for (const idx of db.table(name).schema.indexes)
      if (idx.name) parts[prefix + idx.name] = new RangeSet(-Infinity, [[[]]]);
  }
  return parts;
}

/**
 * Forget everything the server sent (keeping records with pending ops) and the cursor, so that the
 * next pull starts from the beginning (§5: 410 cursor_expired). The outbox is kept.
 * @param {import('./db.js').DoorstepDb} db
 */
export async function resetForFullResync(db) {
  await db.transaction('rw', db.records, db.outbox, db.meta, db.bundles, async () => {
    const withOps = new Set((await db.outbox.toArray()).map((o) => `${o.collection}/${o.id}`));
    // Bundles hold no record with ops (bundles.js).
    await db.bundles.clear();
    const drop = await db.records
      .filter((r) => !withOps.has(`${r.collection}/${r.id}`))
      .primaryKeys();
    await db.records.bulkDelete(drop);
    await setMeta(db, 'cursor', undefined);
  });
}

/**
 * Pull every page from the saved cursor. On 410 (or a cursor refused) starts over once from no
 * cursor.
 *
 * `direct` (the pull worker): each page is stored by storePullPage, and handed to it as soon as
 * it is read, while the page before it may still be being stored: the next page's rows are worked
 * out and handed to IndexedDB while the browser writes the previous ones. A page counts (progress,
 * the total returned) once stored; a failure waits for the pages handed over before it is thrown
 * (none is stored after the one that failed: each checks the cursor stored before it); a page
 * found stale is pulled again from the stored cursor.
 * @param {import('./db.js').DoorstepDb} db
 * @param {import('./api.js').Api} api
 * @param {{pageSize: number, onProgress?: (applied: number, total: number|null) => void,
 *   slice?: number, signedIn?: boolean, direct?: boolean, timings?: Record<string, number>}} opts
 *   `slice` and `signedIn`: see applyPullPage; `direct`: see above; `timings`: see storePullPage
 *   and the api's `pull`
 * @returns {Promise<number>} changes applied
 */
export async function pullChanges(db, api, opts) {
  const direct = !!opts.direct;
  let cursor = await getMeta(db, 'cursor');
  // From no cursor, every page of this run is part of a first sync (see applyPullPage).
  let fromScratch = !cursor;
  let applied = 0;
  let restarted = false;
  let stale = 0;
  /** @type {Promise<any>|null} */
  let prefetched = null;
  /** @type {import('./db.js').OutboxOp[]|null} the outbox as the last page stored read it */
  let known = direct ? await db.outbox.toArray() : null;
  /** @type {Set<string>|null} the records this first sync put in bundles (storePullPage) */
  let bundled = fromScratch ? new Set() : null;
  /** @type {Promise<void>[]} pages handed over and not yet settled, oldest first */
  const storing = [];
  /**
   * Wait until at most `keep` pages are being stored; the first failure, if any, after every
   * page handed over has settled (those after a failed one fail too: the cursor check).
   * @param {number} keep
   */
  const settle = async (keep) => {
    /** @type {any} */
    let failure = null;
    while (storing.length > (failure ? 0 : keep)) {
      try {
        await storing.shift();
      } catch (err) {
        failure ??= err;
      }
    }
    return failure;
  };
  /**
   * After a page was found stale: pull again from what is stored. Given up on after more than 3
   * stale pages with none stored between them (`stale` restarts with each page stored).
   */
  const resume = async () => {
    prefetched = null;
    if (++stale > 3) throw new StalePageError('the phone keeps changing under the pull');
    cursor = await getMeta(db, 'cursor');
    known = await db.outbox.toArray();
  };
  for (;;) {
    let page;
    try {
      page = await (prefetched ?? api.pull(cursor, opts.pageSize, opts.timings));
    } catch (err) {
      prefetched = null;
      const failure = await settle(0);
      if (failure instanceof StalePageError) {
        await resume();
        continue;
      }
      if (failure) throw failure;
      if (classifyError(err) === 'resync' && !restarted) {
        restarted = true;
        await resetForFullResync(db);
        cursor = undefined;
        fromScratch = true;
        bundled = new Set();
        known = direct ? await db.outbox.toArray() : null;
        continue;
      }
      throw err;
    }
    // Ask for the next page while this one is stored (outside the transaction); the cursor still
    // only moves once a page is stored, in order.
    prefetched = page.more ? api.pull(page.cursor, opts.pageSize, opts.timings) : null;
    prefetched?.catch(() => {}); // handled when awaited above
    const how = { first: fromScratch, slice: opts.slice, signedIn: opts.signedIn };
    const stored = direct
      ? storePullPage(db, page, {
          ...how,
          from: cursor ?? null,
          known,
          bundled,
          timings: opts.timings,
        })
      : applyPullPage(db, page, how);
    // A page counts once stored. Pages are stored in order, and none after one that failed.
    const count = (page.changes || []).length;
    const { remaining } = page;
    const counted = stored.then((/** @type {any} */ ops) => {
      if (ops) known = ops;
      stale = 0;
      applied += count;
      opts.onProgress?.(applied, typeof remaining === 'number' ? applied + remaining : null);
    });
    counted.catch(() => {}); // handled in settle
    storing.push(counted);
    cursor = page.cursor;
    // The worker hands the next page over while this one is stored; the page's thread does not.
    const failure = await settle(direct && page.more ? 1 : 0);
    if (failure instanceof StalePageError) {
      await settle(0);
      await resume();
      continue;
    }
    if (failure) {
      prefetched = null;
      throw failure;
    }
    // Let the UI breathe between pages on a large first sync (on the page's own thread).
    if (!direct) await new Promise((r) => setTimeout(r, 0));
    if (!page.more) return applied;
  }
}

/**
 * An error as the pull worker sends it (a structured clone keeps no class), and back.
 * @param {any} err
 */
export function errorToMessage(err) {
  return {
    name: err?.name ?? 'Error',
    message: err?.message ?? String(err),
    status: err?.status,
    code: err?.code,
    details: err?.details ?? null,
    inner: err?.inner?.name ? { name: err.inner.name } : undefined,
  };
}

/** @param {ReturnType<typeof errorToMessage>} data */
function errorFromMessage(data) {
  const err = /** @type {any} */ (new Error(data.message));
  Object.assign(err, data);
  return err;
}

/**
 * What the pull worker does with a request `{id, pageSize}` from the page: pullChanges, a page
 * stored in one step and only while signed in, telling `post` its progress, then `done` or
 * `error`. `done` carries where the pull's time went, in milliseconds by step (the api's and
 * storePullPage's, see there), with `total`: from the request to the last page stored. Each pull
 * has its own: a request still under way from a pull that failed adds to that pull's, not the next.
 * @param {import('./db.js').DoorstepDb} db
 * @param {import('./api.js').Api} api
 * @param {{id: number, pageSize: number}} request
 * @param {(message: any) => void} post
 */
export async function servePullRequest(db, api, { id, pageSize }, post) {
  const started = performance.now();
  /** @type {Record<string, number>} */
  const timings = {};
  try {
    const applied = await pullChanges(db, api, {
      pageSize,
      // One step per page: nothing waits on the worker's thread between steps.
      direct: true,
      signedIn: true,
      onProgress: (pulled, total) => post({ id, type: 'progress', pulled, total }),
      timings,
    });
    took(timings, 'total', started);
    /** @type {Record<string, number>} */
    const ms = {};
    for (const [step, value] of Object.entries(timings)) ms[step] = Math.round(value);
    post({ id, type: 'done', applied, timings: ms });
  } catch (err) {
    post({ id, type: 'error', error: errorToMessage(err) });
  }
}

/**
 * Pulls in a dedicated worker (pull-worker.js), made on first use and kept: fetching a page,
 * reading its JSON and storing it happen on the worker's thread, so the page stays responsive on
 * a first sync of tens of thousands of records. The worker runs pullChanges itself, with the same
 * guarantees (pending changes stay on top, the cursor is stored with its page). Returns a
 * function shaped like `(opts) => pullChanges(db, api, opts)`.
 * @param {() => Worker} makeWorker
 */
export function workerPull(makeWorker) {
  /** @type {Worker|null} */
  let worker = null;
  let next = 0;
  /** @param {{pageSize: number, onProgress?: (applied: number, total: number|null) => void}} opts */
  return (opts) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      const w = (worker ??= makeWorker());
      const done = () => {
        w.removeEventListener('message', onMessage);
        w.removeEventListener('error', onError);
      };
      const onMessage = (/** @type {MessageEvent} */ event) => {
        const m = event.data;
        if (m?.id !== id) return;
        if (m.type === 'progress') return opts.onProgress?.(m.pulled, m.total);
        done();
        if (m.type === 'done') resolve(m.applied);
        else reject(errorFromMessage(m.error));
      };
      // The worker could not run (its script did not load): made again next time.
      const onError = (/** @type {Event} */ event) => {
        done();
        event.preventDefault?.();
        worker = null;
        w.terminate();
        reject(Object.assign(new Error('pull worker failed'), { code: 'worker' }));
      };
      w.addEventListener('message', onMessage);
      w.addEventListener('error', onError);
      w.postMessage({ id, pageSize: opts.pageSize });
    });
}

/**
 * After a sync: the user as the server has them now (neighbourhoods change, §3 `GET /me`), and
 * what became of the changes they handed to an admin (§6a `GET /ops/mine`).
 * @param {import('./db.js').DoorstepDb} db
 * @param {import('./api.js').Api} api
 */
export async function refreshAccount(db, api) {
  const [user, mine] = await Promise.all([api.me(), api.myOps()]);
  await db.transaction('rw', db.meta, async () => {
    const session = await getMeta(db, 'session');
    if (session && user && JSON.stringify(session.user) !== JSON.stringify(user))
      await setMeta(db, 'session', { ...session, user });
  });
  await storeStranded(db, mine?.ops ?? []);
}

/**
 * `requests`: api calls in flight; `unreachable`: the last attempt got no answer from the server;
 * `pulled` and `total`: changes applied in this run, and about how many in all (§5 `remaining`).
 * @typedef {{running: boolean, phase: 'idle'|'push'|'pull'|'photos', requests: number, unreachable: boolean,
 *   pulled: number, total: number|null,
 *   lastSuccessAt: string|null, lastError: {code: string, message: string}|null,
 *   needsSignIn: boolean, updateRequired: boolean, retryAt: number|null, failures: number}} SyncStatus
 */

/**
 * The sync engine: one run at a time; failures are retried with backoff, except those that need
 * the user (sign in again, update the app).
 * @param {{db: import('./db.js').DoorstepDb, api: import('./api.js').Api, deviceId: () => Promise<string>,
 *   batchSize?: number, pageSize?: number, random?: () => number, now?: () => number,
 *   setTimer?: (fn: () => void, ms: number) => any, clearTimer?: (t: any) => void,
 *   lock?: <T>(fn: () => Promise<T>) => Promise<T>,
 *   pull?: (opts: {pageSize: number, onProgress: (applied: number, total: number|null) => void})
 *     => Promise<number>}} deps
 *   `pull`: pulls elsewhere (workerPull) instead of pullChanges on this thread; counted as one
 *   request in `requests` while it runs.
 */
export function createSyncEngine(deps) {
  const { db } = deps;
  const random = deps.random ?? Math.random;
  const now = deps.now ?? Date.now;
  const setTimer = deps.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = deps.clearTimer ?? ((t) => clearTimeout(t));
  const lock = deps.lock ?? ((fn) => fn());
  /** @type {Set<(s: SyncStatus) => void>} */
  const listeners = new Set();
  /** @type {SyncStatus} */
  let status = {
    running: false,
    phase: 'idle',
    requests: 0,
    unreachable: false,
    pulled: 0,
    total: null,
    lastSuccessAt: null,
    lastError: null,
    needsSignIn: false,
    updateRequired: false,
    retryAt: null,
    failures: 0,
  };
  /** @type {Promise<SyncStatus>|null} */
  let inFlight = null;
  let again = false;
  /** @type {any} */
  let timer = null;

  /** @param {Partial<SyncStatus>} change */
  function set(change) {
    status = { ...status, ...change };
    for (const fn of listeners) fn(status);
  }

  /**
   * An api call counted in `requests` while it is in flight (what "Syncing…" means).
   * @template {(...args: any[]) => Promise<any>} F
   * @param {F} call
   * @returns {F}
   */
  const counted = (call) =>
    /** @type {F} */ (
      async (...args) => {
        set({ requests: status.requests + 1 });
        try {
          return await call(...args);
        } finally {
          set({ requests: status.requests - 1 });
        }
      }
    );
  const api = {
    ...deps.api,
    push: counted(deps.api.push),
    pull: counted(deps.api.pull),
    me: counted(deps.api.me),
    myOps: counted(deps.api.myOps),
    photoUpload: counted(deps.api.photoUpload),
  };

  async function runOnce() {
    set({ running: true, phase: 'push', pulled: 0, total: null, retryAt: null });
    try {
      await returnToPending(db);
      const deviceId = await deps.deviceId();
      await pushOutbox(db, api, { deviceId, batchSize: deps.batchSize ?? 100 });
      set({ phase: 'pull' });
      const pullOpts = {
        pageSize: deps.pageSize ?? 5000,
        onProgress: (/** @type {number} */ pulled, /** @type {number|null} */ total) =>
          set({ pulled, total }),
      };
      let pulled = false;
      if (deps.pull)
        try {
          await counted(deps.pull)(pullOpts);
          pulled = true;
        } catch (err) {
          // No worker to pull in (it could not start): pull on this thread instead.
          if (/** @type {any} */ (err)?.code !== 'worker') throw err;
        }
      if (!pulled) await pullChanges(db, api, pullOpts);
      await evictPhotos(db);
      await refreshAccount(db, api);
      // Photos last, one at a time: the records (and their ops) never wait behind them.
      set({ phase: 'photos' });
      await uploadPhotos(db, api);
      const at = new Date(now()).toISOString();
      await setMeta(db, 'last_sync', at);
      await setMeta(db, 'needs_sign_in', undefined);
      set({
        lastSuccessAt: at,
        lastError: null,
        unreachable: false,
        failures: 0,
        needsSignIn: false,
        updateRequired: false,
      });
    } catch (err) {
      const kind = classifyError(err);
      const e = /** @type {any} */ (err);
      const lastError = isQuotaError(err)
        ? { code: 'storage_full', message: String(e?.message ?? err) }
        : { code: e?.code ?? 'error', message: e?.message ?? String(err) };
      // The last attempt could not reach the server at all (no answer): the header says Offline.
      set({ unreachable: e?.status === 0 });
      if (kind === 'sign_in' && isRevocation(err)) {
        // Revoked, deactivated or expired: nothing pulled stays readable on this phone.
        await forgetServerData(db, e.details.reason);
        set({ needsSignIn: true, lastError });
      } else if (kind === 'sign_in') {
        await setMeta(db, 'needs_sign_in', true);
        set({ needsSignIn: true, lastError });
      } else if (kind === 'update') {
        set({ updateRequired: true, lastError });
      } else {
        const failures = status.failures + 1;
        const delay = backoffDelay(failures, random);
        set({ failures, lastError, retryAt: now() + delay });
        if (timer) clearTimer(timer);
        timer = setTimer(() => {
          timer = null;
          engine.syncNow();
        }, delay);
      }
    } finally {
      set({ running: false, phase: 'idle' });
    }
  }

  const engine = {
    /** The current status. */
    get status() {
      return status;
    },
    /** @param {(s: SyncStatus) => void} fn @returns {() => void} unsubscribe */
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** Load what a previous run left in storage (last sync time, sign-in needed). */
    async load() {
      set({
        lastSuccessAt: (await getMeta(db, 'last_sync')) ?? null,
        needsSignIn: !!(await getMeta(db, 'needs_sign_in')),
      });
    },
    /**
     * Sync now. A call while a run is in flight schedules one more run after it (a save made
     * during a sync is pushed too).
     * @returns {Promise<SyncStatus>}
     */
    syncNow() {
      if (timer) {
        clearTimer(timer);
        timer = null;
      }
      if (inFlight) {
        again = true;
        return inFlight;
      }
      inFlight = (async () => {
        do {
          again = false;
          await lock(runOnce);
        } while (again && !status.needsSignIn && !status.updateRequired && !status.retryAt);
        inFlight = null;
        return status;
      })();
      return inFlight;
    },
    /** After signing in again. */
    clearSignIn() {
      set({ needsSignIn: false });
    },
    /** Stop any scheduled retry. */
    stop() {
      if (timer) clearTimer(timer);
      timer = null;
    },
  };
  return engine;
}

/** @typedef {ReturnType<typeof createSyncEngine>} SyncEngine */
