/**
 * Units and their concrete deeds as the Deeds screen shows them: who may write a deed, and the
 * campaign's deeds grouped by unit. Pure functions over local records (test/deeds.test.js).
 */

/**
 * @typedef {{id: string, fields: Record<string, any>, localDelete?: boolean}} Row
 * @typedef {{unit: Row, own: boolean, deeds: Row[]}} UnitDeeds
 */

/**
 * Whether this user may add or change a deed of that unit: admins any unit's, supervisors their
 * own unit's only (the server holds to the same rule).
 * @param {{role: string, unit_id?: string|null}} user
 * @param {string|null|undefined} unitId
 */
export function mayWriteDeed(user, unitId) {
  if (user.role === 'admin') return true;
  return user.role === 'supervisor' && !!user.unit_id && user.unit_id === unitId;
}

/**
 * The Deeds screen (or its new-deed form) on a campaign: where a form goes back to once a deed is
 * saved, so the screen shows the campaign the deed was saved under, not the one running today.
 * @param {string|null|undefined} campaignId
 * @param {string} [path]
 */
export function deedsPath(campaignId, path = '/deeds') {
  return campaignId ? `${path}?campaign=${encodeURIComponent(campaignId)}` : path;
}

/**
 * The campaign's deeds by unit: every active unit and every unit with a deed in the campaign, the
 * user's own unit first, then by name; each unit's deeds by date.
 * @param {Row[]} units
 * @param {Row[]} deeds
 * @param {string|null} campaignId
 * @param {string|null|undefined} ownUnit
 * @returns {UnitDeeds[]}
 */
export function deedsByUnit(units, deeds, campaignId, ownUnit) {
  /** @type {Map<string, Row[]>} */
  const byUnit = new Map();
  for (const d of deeds) {
    if (d.localDelete || d.fields.campaign_id !== campaignId) continue;
    byUnit.set(d.fields.unit_id, [...(byUnit.get(d.fields.unit_id) ?? []), d]);
  }
  return units
    .filter((u) => !u.localDelete && (u.fields.active !== false || byUnit.has(u.id)))
    .map((unit) => ({
      unit,
      own: unit.id === ownUnit,
      deeds: (byUnit.get(unit.id) ?? []).sort((a, b) =>
        String(a.fields.planned_on).localeCompare(String(b.fields.planned_on)),
      ),
    }))
    .sort(
      (a, b) =>
        Number(b.own) - Number(a.own) ||
        String(a.unit.fields.name).localeCompare(String(b.unit.fields.name), 'vi'),
    );
}
