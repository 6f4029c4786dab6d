/** "Dân vận khéo" nominations proposed from this phone and pulled for the user's neighbourhoods. */
import { db } from '../app.js';
import { inCollection } from '../db.js';
import { t } from '../i18n.js';
import { outboxByRecord, quartersInScope } from '../queries.js';
import { navigate, useLive } from './hooks.js';
import { OpNotices } from './Households.jsx';
import { Link } from './Link.jsx';

/** @param {{user: any}} props */
export function Nominations({ user }) {
  const rows = useLive(
    async () => (await inCollection(db, 'nominations').toArray()).filter((r) => !r.localDelete),
    [],
  );
  const quarters =
    useLive(() => quartersInScope(db, { role: 'admin', quarters: [] }), [], []) ?? [];
  const pending = useLive(() => outboxByRecord(db), [], new Map()) ?? new Map();
  return (
    <main class="screen">
      <div class="title-row">
        <h1>{t('nominations')}</h1>
        <button type="button" class="primary" onClick={() => navigate('/nominations/new')}>
          {t('add_nomination')}
        </button>
      </div>
      {rows && rows.length === 0 && <p class="muted">{t('no_nominations')}</p>}
      <ul class="cards">
        {(rows || []).map((r) => (
          <li key={r.id}>
            <Link href={`/records/nominations/${r.id}/edit`} class="card">
              <strong>{r.fields.nominee}</strong>
              <span class="muted">
                {t(`nominee_kind.${r.fields.nominee_kind}`)} · {t(`domain.${r.fields.domain}`)} ·{' '}
                {quarters.find((q) => q.id === r.fields.quarter_id)?.name ?? ''}
              </span>
              <span class="notes">{r.fields.achievement}</span>
              <span class="badges">
                <OpNotices ops={pending.get(`nominations/${r.id}`) || []} />
                {r.server?.meta?.review?.status && (
                  <span class={`badge review-${r.server.meta.review.status}`}>
                    {t(`review.${r.server.meta.review.status}`)}
                  </span>
                )}
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </main>
  );
}
