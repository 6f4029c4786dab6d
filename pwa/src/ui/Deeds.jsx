/**
 * "Việc làm cụ thể": the campaign's deeds by unit, with their progress. Everyone reads them; a
 * supervisor adds and updates their own unit's deed (offline too, through the outbox like any
 * record), an admin any unit's.
 */
import { useState } from 'preact/hooks';
import { db } from '../app.js';
import { deedsByUnit, deedsPath, mayWriteDeed } from '../deeds.js';
import { t } from '../i18n.js';
import { outboxByRecord, quartersInScope, referenceRecords } from '../queries.js';
import { currentCampaign } from '../forms.js';
import { formatDate, formatMoney, todayIso } from '../text.js';
import { navigate, useLive } from './hooks.js';
import { OpNotices } from './Households.jsx';
import { Link } from './Link.jsx';

/** @param {{user: any}} props */
export function Deeds({ user }) {
  const units = useLive(() => referenceRecords(db, 'units'), [], []) ?? [];
  const deeds = useLive(() => referenceRecords(db, 'deeds'), [], []) ?? [];
  const campaigns = useLive(() => referenceRecords(db, 'campaigns'), [], []) ?? [];
  const quarters =
    useLive(() => quartersInScope(db, { role: 'admin', quarters: [] }), [], []) ?? [];
  const pending = useLive(() => outboxByRecord(db), [], new Map()) ?? new Map();
  // The campaign in the address (`/deeds?campaign=…`): the one a deed was just saved under, or the
  // one picked here, so coming back from a form lands on the same campaign.
  const [chosen, setChosen] = useState(() => campaignInAddress());
  const ordered = [...campaigns].sort((a, b) =>
    String(b.fields.starts_on).localeCompare(String(a.fields.starts_on)),
  );
  // The campaign running today, else the latest active one.
  const shown =
    currentCampaign(campaigns, todayIso()) ??
    ordered.find((c) => c.fields.active !== false) ??
    ordered[0];
  const campaignId = campaigns.some((c) => c.id === chosen) ? chosen : (shown?.id ?? null);
  const choose = (/** @type {string} */ id) => {
    setChosen(id);
    history.replaceState(null, '', deedsPath(id));
  };
  const groups = deedsByUnit(units, deeds, campaignId, user.unit_id);
  const canAdd = user.role === 'admin' || mayWriteDeed(user, user.unit_id);
  const where = (/** @type {string|null} */ id) => quarters.find((q) => q.id === id)?.name;

  return (
    <main class="screen">
      <div class="title-row">
        <h1>{t('deeds_title')}</h1>
        {canAdd && (
          <button
            type="button"
            class="primary"
            onClick={() => navigate(deedsPath(campaignId, '/deeds/new'))}
          >
            {t('add_deed')}
          </button>
        )}
      </div>
      <p class="muted">{t('deeds_help')}</p>
      {ordered.length > 1 && (
        <label class="field">
          <span>{t('campaign')}</span>
          <select value={campaignId ?? ''} onChange={(e) => choose(e.currentTarget.value)}>
            {ordered.map((c) => (
              <option key={c.id} value={c.id}>
                {c.fields.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {ordered.length === 0 && <p class="muted">{t('no_campaign')}</p>}
      {groups.length === 0 && <p class="muted">{t('no_units')}</p>}
      <ul class="cards deeds">
        {groups.map((g) => (
          <li key={g.unit.id}>
            <section class="unit-deeds" aria-label={g.unit.fields.name}>
              <h2>
                {g.unit.fields.name}
                {g.own && <span class="badge own-unit">{t('your_unit')}</span>}
              </h2>
              {g.deeds.length === 0 && <p class="muted">{t('no_deed_yet')}</p>}
              {g.deeds.map((d) => {
                const body = (
                  <>
                    <strong>{d.fields.title}</strong>
                    <span class="badges">
                      <span class={`badge deed-${d.fields.status}`}>
                        {t(`deed_status.${d.fields.status}`)}
                      </span>
                      <OpNotices ops={pending.get(`deeds/${d.id}`) || []} />
                    </span>
                    <span class="muted">
                      {[formatDate(d.fields.planned_on), where(d.fields.quarter_id)]
                        .filter(Boolean)
                        .join(' · ')}
                    </span>
                    {d.fields.result && <span class="notes">{d.fields.result}</span>}
                    {(d.fields.beneficiaries > 0 || d.fields.value_vnd > 0) && (
                      <span class="muted">
                        {[
                          d.fields.beneficiaries > 0 &&
                            t('beneficiaries_n', { n: d.fields.beneficiaries }),
                          d.fields.value_vnd > 0 && formatMoney(d.fields.value_vnd),
                        ]
                          .filter(Boolean)
                          .join(' · ')}
                      </span>
                    )}
                  </>
                );
                return mayWriteDeed(user, d.fields.unit_id) ? (
                  <Link key={d.id} href={`/records/deeds/${d.id}/edit`} class="card">
                    {body}
                  </Link>
                ) : (
                  <div key={d.id} class="card">
                    {body}
                  </div>
                );
              })}
            </section>
          </li>
        ))}
      </ul>
    </main>
  );
}

/** The campaign the address names (`?campaign=…`), if any. */
function campaignInAddress() {
  return new URLSearchParams(location.search).get('campaign');
}
