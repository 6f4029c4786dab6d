import { afterEach, describe, expect, it } from 'vitest';
import { isEditing, setEditing } from '../src/editing.js';
import { createUpdates } from '../src/update.js';

/** A service worker as the page sees it: a state, and the messages it was sent. */
class FakeWorker extends EventTarget {
  /** @param {string} state */
  constructor(state) {
    super();
    this.state = state;
    /** @type {any[]} */
    this.messages = [];
  }
  /** @param {any} message */
  postMessage(message) {
    this.messages.push(message);
  }
  /** @param {string} state */
  become(state) {
    this.state = state;
    this.dispatchEvent(new Event('statechange'));
  }
}

class FakeRegistration extends EventTarget {
  constructor() {
    super();
    /** @type {FakeWorker|null} */ this.installing = null;
    /** @type {FakeWorker|null} */ this.waiting = null;
    /** @type {FakeWorker|null} */ this.active = new FakeWorker('activated');
    /** What the next update() finds on the server. */
    /** @type {FakeWorker|null} */ this.onServer = null;
  }
  async update() {
    if (this.onServer) this.found(this.onServer);
    this.onServer = null;
    return this;
  }
  /** @param {FakeWorker} worker a newer version starts installing */
  found(worker) {
    this.installing = worker;
    this.dispatchEvent(new Event('updatefound'));
  }
  /** The installing version finished installing and now waits. */
  installed() {
    const w = /** @type {FakeWorker} */ (this.installing);
    this.installing = null;
    this.waiting = w;
    w.become('installed');
  }
}

/** The page's `navigator.serviceWorker`, with one registration. */
class FakeContainer extends EventTarget {
  /** @param {{controlled: boolean}} options */
  constructor({ controlled }) {
    super();
    this.registration = new FakeRegistration();
    /** @type {any} */
    this.controller = controlled ? this.registration.active : null;
  }
  async register() {
    return this.registration;
  }
  async getRegistration() {
    return this.registration;
  }
  /** The waiting version takes over every page of the registration. */
  takeOver() {
    const reg = this.registration;
    const w = /** @type {FakeWorker} */ (reg.waiting);
    reg.waiting = null;
    reg.active = w;
    w.become('activating');
    this.controller = w;
    this.dispatchEvent(new Event('controllerchange'));
    w.become('activated');
  }
}

function page({ controlled = true } = {}) {
  const container = new FakeContainer({ controlled });
  const reloads = { count: 0 };
  const updates = createUpdates({
    container: /** @type {any} */ (container),
    reload: () => {
      reloads.count += 1;
    },
  });
  return { container, reg: container.registration, reloads, updates };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

afterEach(() => {
  setEditing('form', false);
  expect(isEditing()).toBe(false);
});

describe('app updates', () => {
  it('a new version found while the app is open waits, offered, without reloading', async () => {
    const { reg, reloads, updates } = page();
    await updates.register('/sw.js');
    expect(updates.status).toEqual({ waiting: false, ready: false });
    /** @type {any[]} */
    const seen = [];
    updates.subscribe((s) => seen.push(s));
    reg.onServer = new FakeWorker('installing');
    await updates.check();
    reg.installed();
    expect(updates.status.waiting).toBe(true);
    expect(seen.at(-1)).toEqual({ waiting: true, ready: false });
    expect(reloads.count).toBe(0);
  });

  it('a version already waiting when the window opens is offered, even to a late subscriber', async () => {
    const { reg, updates } = page();
    reg.waiting = new FakeWorker('installed');
    await updates.register('/sw.js');
    await flush();
    expect(updates.status.waiting).toBe(true); // the state is kept, not only announced
  });

  it('Update lets the waiting version take over, and the window reloads once', async () => {
    const { container, reg, reloads, updates } = page();
    reg.waiting = new FakeWorker('installed');
    await updates.register('/sw.js');
    const waiting = reg.waiting;
    const applied = updates.apply();
    await flush();
    expect(waiting.messages).toEqual([{ type: 'SKIP_WAITING' }]);
    container.takeOver();
    await applied;
    expect(reloads.count).toBe(1);
  });

  it('Update with nothing waiting looks for a version, and otherwise reloads into the newest', async () => {
    const { reloads, updates } = page();
    await updates.register('/sw.js');
    await updates.apply();
    expect(reloads.count).toBe(1);
  });

  it('Update when the server asked for a newer app installs it first, then takes it', async () => {
    const { container, reg, reloads, updates } = page();
    await updates.register('/sw.js');
    const newer = new FakeWorker('installing');
    reg.onServer = newer;
    const applied = updates.apply();
    await flush();
    expect(newer.messages).toEqual([]); // not before it is installed
    reg.installed();
    await flush();
    expect(newer.messages).toEqual([{ type: 'SKIP_WAITING' }]);
    container.takeOver();
    await applied;
    expect(reloads.count).toBe(1);
  });

  it('accepted in another window: a window not editing reloads into the new version', async () => {
    const { container, reg, reloads, updates } = page();
    reg.waiting = new FakeWorker('installed');
    await updates.register('/sw.js');
    container.takeOver(); // another window pressed Update
    expect(reloads.count).toBe(1);
  });

  it('accepted in another window: a window with a half-filled form keeps it, then reloads when it is saved or cancelled', async () => {
    const { container, reg, reloads, updates } = page();
    reg.waiting = new FakeWorker('installed');
    await updates.register('/sw.js');
    setEditing('form', true);
    container.takeOver();
    expect(reloads.count).toBe(0);
    expect(updates.status).toEqual({ waiting: false, ready: true });
    setEditing('form', true); // still typing
    expect(reloads.count).toBe(0);
    setEditing('form', false);
    await flush();
    expect(reloads.count).toBe(1);
  });

  it('the first version taking control of the page it was installed from reloads nothing', async () => {
    const { container, reg, reloads, updates } = page({ controlled: false });
    reg.active = null;
    reg.waiting = new FakeWorker('installed');
    await updates.register('/sw.js');
    container.takeOver(); // clients.claim() on first install
    expect(reloads.count).toBe(0);
    reg.waiting = new FakeWorker('installed');
    container.takeOver(); // a later version, accepted somewhere
    expect(reloads.count).toBe(1);
  });
});
