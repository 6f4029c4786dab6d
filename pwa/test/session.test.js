import { describe, expect, it } from 'vitest';
import { deviceName } from '../src/session.js';

const hints = (/** @type {any} */ values) => ({
  userAgent: 'Mozilla/5.0 (Linux; Android 10; K) Chrome/131.0.0.0 Mobile Safari/537.36',
  userAgentData: { getHighEntropyValues: async () => values },
});

describe('what a device is called', () => {
  it.each([
    [
      {
        platform: 'Android',
        platformVersion: '14.0.0',
        fullVersionList: [
          { brand: 'Google Chrome', version: '131.0.6778.135' },
          { brand: 'Chromium', version: '131.0.6778.135' },
          { brand: 'Not_A Brand', version: '24.0.0.0' },
        ],
      },
      'Chrome 131 · Android 14',
    ],
    [
      {
        platform: 'Linux',
        platformVersion: '',
        fullVersionList: [
          { brand: 'Not)A;Brand', version: '8.0.0.0' },
          { brand: 'Chromium', version: '139.0.7258.5' },
        ],
      },
      'Chromium 139 · Linux',
    ],
    [
      {
        platform: 'Windows',
        platformVersion: '15.0.0',
        fullVersionList: [{ brand: 'Microsoft Edge', version: '131.0.2903.86' }],
      },
      'Microsoft Edge 131 · Windows 11',
    ],
  ])('from client hints %#', async (values, name) => {
    expect(await deviceName(hints(values))).toBe(name);
  });

  it('is the user agent where the browser gives no hints', async () => {
    const ua = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Version/17.5 Safari/604.1';
    expect(await deviceName({ userAgent: ua })).toBe(ua);
    const refusing = {
      userAgent: ua,
      userAgentData: { getHighEntropyValues: () => Promise.reject(new Error('no')) },
    };
    expect(await deviceName(refusing)).toBe(ua);
  });
});
