/**
 * The collections by kind (domain.md), one list each for the stores, the pull worker and the
 * screens. A leaf module: it imports nothing, so any module may import it (records.js and
 * bundles.js import each other's neighbours, and a list defined in either was undefined in the
 * other at load).
 */

/** A household's children: each record names its household in `household_id`. */
export const CHILD_COLLECTIONS = ['visits', 'registrations', 'support', 'assessments'];

/** Reference data, read-only for field staff. */
export const REFERENCE_COLLECTIONS = ['quarters', 'groups', 'campaigns'];
