/**
 * "To fix": every record in the worker's neighbourhoods that a supervisor flagged, with the
 * comment, who flagged it and when, and a way straight to its form. A record leaves the list when
 * the server has the fix (its review status becomes `edited`).
 */
import { db } from '../app.js';
import { t } from '../i18n.js';
import { toFixList } from '../queries.js';
import { formatDate, formatDateTime, formatMoney } from '../text.js';
import { navigate, useLive } from './hooks.js';

/**
 * Where a record is edited.
 * @param {string} collection
 * @param {string} id
 */
export function editPath(collection, id) {
  return collection === 'households'
    ? `/households/${id}/edit`
    : `/records/${collection}/${id}/edit`;
}

/**
 * What a record is, in words: "Registration: Health insurance", "Visit 12/10/2024", …
 * @param {string} collection
 * @param {Record<string, any>} f its fields
 */
export function recordKind(collection, f) {
  switch (collection) {
    case 'visits':
      return t('what_visit', {
        date: formatDate(f.visited_at),
        purpose: t(`purpose.${f.purpose}`),
      });
    case 'registrations':
      return t('what_registration', { kind: t(`registration_kind.${f.kind}`) });
    case 'support':
      return t('what_support', {
        kind: t(`support_kind.${f.kind}`),
        value: formatMoney(f.value_vnd),
      });
    case 'assessments':
      return t('what_assessment', { year: f.year ?? '' });
    default:
      return t(`collection.${collection}`);
  }
}

export function ToFix() {
  const list = useLive(() => toFixList(db), []);
  if (!list) return null;
  return (
    <main class="screen">
      <h1>{t('to_fix_title')}</h1>
      {list.items.length === 0 ? (
        <p class="muted">{t('to_fix_empty')}</p>
      ) : (
        <>
          <p class="muted">{t('to_fix_help')}</p>
          <ul class="cards" aria-label={t('to_fix_title')}>
            {list.items.map(({ record, household, review, fixed }) => {
              const name =
                record.collection === 'nominations'
                  ? record.fields.nominee
                  : (household?.fields.head_name ?? '');
              return (
                <li key={`${record.collection}/${record.id}`} class="card attention">
                  <strong>{name}</strong>
                  <span>{recordKind(record.collection, record.fields)}</span>
                  <span class="badges">
                    <span class={`badge review-${record.rv}`}>{t(`review.${record.rv}`)}</span>
                    {fixed && <span class="badge pending">{t('fix_waiting')}</span>}
                  </span>
                  {review.comment && (
                    <span class="notes">
                      <strong>{t('review_comment')}:</strong> {review.comment}
                    </span>
                  )}
                  <span class="muted">
                    {t('flagged_by', {
                      name: review.by?.name ?? '',
                      at: formatDateTime(review.at),
                    })}
                  </span>
                  <span class="actions">
                    <button
                      type="button"
                      class="primary"
                      onClick={() => navigate(editPath(record.collection, record.id))}
                    >
                      {t('fix')}
                    </button>
                  </span>
                </li>
              );
            })}
          </ul>
        </>
      )}
    </main>
  );
}
