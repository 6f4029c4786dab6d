import { describe, expect, it } from 'vitest';
import { currentCampaign, defaults } from '../src/forms.js';
import { validate } from '../src/validate.js';

/** @param {string} id @param {string} starts_on @param {string} ends_on @param {boolean} [active] */
const campaign = (id, starts_on, ends_on, active = true) => ({
  id,
  fields: { name: id, starts_on, ends_on, active },
});

describe('new records', () => {
  it('default to the active campaign running today, the latest started if several', () => {
    const campaigns = [
      campaign('old', '2024-10-12', '2024-10-24'),
      campaign('ended-early', '2026-11-01', '2026-12-31', false),
      campaign('long', '2026-01-01', '2026-12-31'),
      campaign('now', '2026-11-20', '2026-12-05'),
    ];
    expect(currentCampaign(campaigns, '2026-11-29')?.id).toBe('now');
    expect(currentCampaign(campaigns, '2026-06-01')?.id).toBe('long');
    expect(currentCampaign(campaigns, '2025-06-01')).toBeNull();
  });

  it.each(['visits', 'registrations', 'support', 'assessments', 'nominations'])(
    'a %s form saved untouched is refused, never made with a chosen answer',
    (collection) => {
      const problems = validate(collection, { household_id: 'h', ...defaults(collection) });
      expect(Object.keys(problems).length).toBeGreaterThan(0);
      for (const name of ['purpose', 'kind', 'status', 'result', 'domain', 'nominee_kind'])
        if (name in defaults(collection)) expect(problems[name]?.key).toBe('err_choose');
    },
  );
});
