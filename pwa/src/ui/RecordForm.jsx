/** One form screen for every collection, driven by the field lists in forms.js. */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { afterSave, db } from '../app.js';
import { getRecord, householdRecords } from '../bundles.js';
import { isQuotaError } from '../db.js';
import { deedsPath } from '../deeds.js';
import { deleteDraft, draftKey, loadDraft, restoreDraft, saveDraft } from '../drafts.js';
import { FORMS, currentCampaign, defaults, fromForm, settle, toForm } from '../forms.js';
import { t } from '../i18n.js';
import { deleteRecord, saveChange } from '../outbox.js';
import { PHOTO_COLLECTIONS, commitPhotos, dropDraftPhotos, dropUnsentPhotos } from '../photos.js';
import { possibleDuplicates, quartersInScope, referenceRecords } from '../queries.js';
import { formatDate, formatDateTime, formatMoney, todayIso, uuidv7 } from '../text.js';
import { validate } from '../validate.js';
import {
  CheckField,
  CheckGroup,
  LocationField,
  SelectField,
  TextField,
  enumOptions,
} from './fields.jsx';
import { navigate, useEditing, useLive } from './hooks.js';
import { refusal } from './errors.js';
import { Link } from './Link.jsx';
import { PhotoField } from './PhotoField.jsx';

const TITLES = {
  households: ['new_household', 'edit_household'],
  visits: ['log_visit', 'log_visit'],
  registrations: ['add_registration', 'add_registration'],
  support: ['add_support', 'add_support'],
  assessments: ['add_assessment', 'add_assessment'],
  nominations: ['add_nomination', 'add_nomination'],
  deeds: ['add_deed', 'edit_deed'],
};

/**
 * Where a form goes back to once saved or deleted: the household, or the list of records that are
 * not a household's (a deed's on the campaign it is under).
 * @param {string} collection
 * @param {string} recordId
 * @param {Record<string, any>|undefined} fields
 */
function backTo(collection, recordId, fields) {
  if (collection === 'households') return `/households/${recordId}`;
  if (collection === 'nominations') return '/nominations';
  if (collection === 'deeds') return deedsPath(fields?.campaign_id);
  return `/households/${fields?.household_id}`;
}

/**
 * @param {{collection: string, id?: string|null, householdId?: string|null,
 *   user: {role: string, quarters: string[], unit_id?: string|null}}} props
 */
export function RecordForm({ collection, id = null, householdId = null, user }) {
  const specs = FORMS[collection];
  const key = draftKey(collection, id, householdId);
  const newId = useMemo(() => uuidv7(), []);
  // A new record keeps the id its draft was given, so a draft saved twice is one record.
  const idRef = useRef(id ?? newId);
  const recordId = idRef.current;
  const existing = useLive(
    () => (id ? getRecord(db, collection, id).then((r) => r ?? null) : Promise.resolve(null)),
    [collection, id],
  );
  const draft = useLive(() => loadDraft(db, key), [key]);
  const rejected = useLive(
    () =>
      db.outbox
        .where('[collection+id]')
        .equals([collection, recordId])
        .filter((o) => o.state === 'rejected')
        .first(),
    [collection, recordId],
  );
  // Undefined until read: a new record's defaults wait for them (an empty list is an answer).
  const quartersRead = useLive(() => quartersInScope(db, user), [user]);
  const quarters = quartersRead ?? [];
  const groups = useLive(() => referenceRecords(db, 'groups'), [], []) ?? [];
  const campaignsRead = useLive(() => referenceRecords(db, 'campaigns'), []);
  const campaigns = campaignsRead ?? [];
  const units = useLive(() => referenceRecords(db, 'units'), [], []) ?? [];
  const household = useLive(
    () =>
      householdId
        ? db.records.get(['households', householdId]).then((r) => r ?? null)
        : Promise.resolve(null),
    [householdId],
  );

  const [form, setForm] = useState(/** @type {Record<string, any>|null} */ (null));
  const initial = useRef(/** @type {string} */ (''));
  const [restored, setRestored] = useState(false);
  const [problems, setProblems] = useState(/** @type {import('../validate.js').Problems} */ ({}));
  const [message, setMessage] = useState('');
  const [saving, setSaving] = useState(false);

  // Fill the form once, when what it starts from is known: the record (or the defaults of a new
  // one), with a draft of this form laid over it.
  useEffect(() => {
    if (form) return;
    if (draft === undefined) return;
    if (id && existing === undefined) return;
    if (!id && (quartersRead === undefined || campaignsRead === undefined)) return;
    if (!id && householdId && household === undefined) return;
    // A deed added from the Deeds screen starts on the campaign that screen shows.
    const onScreen = new URLSearchParams(location.search).get('campaign');
    const activeCampaign =
      campaigns.find((c) => c.id === onScreen) ?? currentCampaign(campaigns, todayIso());
    const start = existing
      ? existing.fields
      : defaults(collection, {
          quarterId: quarters.length === 1 ? quarters[0].id : (household?.fields.quarter_id ?? ''),
          campaignId: activeCampaign?.id ?? null,
          unitId: user.unit_id ?? null,
        });
    const f = toForm(specs, start);
    initial.current = JSON.stringify(f);
    if (draft) {
      if (!id) idRef.current = draft.recordId;
      setForm(restoreDraft(f, draft, !!id));
      setRestored(true);
    } else setForm(f);
  }, [existing, quarters, campaigns, household, draft]);

  // Photos added and not saved yet are part of the form's draft (kept under the record's id).
  const draftPhotos =
    useLive(
      () =>
        db.photos
          .where('[collection+record]')
          .equals([collection, recordId])
          .filter((p) => p.state === 'draft')
          .count(),
      [collection, recordId],
      0,
    ) ?? 0;
  const dirty = !!form && (JSON.stringify(form) !== initial.current || draftPhotos > 0);
  useEditing(key, dirty);

  // Keep what is typed as a draft, as it is typed; none once the form is back to where it started.
  // Written again once the household is read, so the draft is titled by its head even when typing
  // began first.
  useEffect(() => {
    if (!form) return;
    const write = dirty
      ? saveDraft(db, {
          key,
          collection,
          recordId,
          householdId: householdId ?? existing?.fields.household_id ?? null,
          path: location.pathname,
          title: draftTitle(collection, form, household ?? null),
          form,
          base: JSON.parse(initial.current),
        })
      : deleteDraft(db, key);
    write.catch((err) => setMessage(isQuotaError(err) ? t('storage_full') : String(err)));
  }, [form, draftPhotos, household]);

  // The server's reasons for refusing this record's last change, shown on the fields.
  useEffect(() => {
    if (!rejected?.errors || typeof rejected.errors !== 'object') return;
    /** @type {import('../validate.js').Problems} */
    const fromServer = {};
    for (const field of Object.keys(rejected.errors)) {
      fromServer[field] = { key: 'server_refused_field' };
    }
    setProblems((p) => ({ ...fromServer, ...p }));
  }, [rejected]);

  const duplicates = useLive(
    async () =>
      collection === 'households' && form
        ? possibleDuplicates(db, {
            id: recordId,
            quarter_id: form.quarter_id,
            head_name: form.head_name,
            address: form.address,
          })
        : [],
    [collection, form?.quarter_id, form?.head_name, form?.address],
    [],
  );

  // A registration of a kind the household already has in this campaign: say so before saving.
  const sameKind = useLive(
    async () => {
      const hh = householdId ?? existing?.fields.household_id;
      if (collection !== 'registrations' || !form?.kind || !form.campaign_id || !hh) return [];
      const rows = await householdRecords(db, 'registrations', hh);
      return rows.filter(
        (r) =>
          r.id !== recordId &&
          !r.localDelete &&
          r.fields.kind === form.kind &&
          r.fields.campaign_id === form.campaign_id,
      );
    },
    [collection, form?.kind, form?.campaign_id, existing],
    [],
  );

  if (id && existing === null) return <p class="notice">{t('not_found')}</p>;
  if (!form) return null;

  const set = (/** @type {string} */ name) => (/** @type {any} */ v) => {
    setForm({ ...form, [name]: v });
    if (problems[name]) setProblems({ ...problems, [name]: undefined });
  };

  /** @param {import('../forms.js').FieldSpec} s */
  const options = (s) => {
    if (s.enumPrefix) return enumOptions(s.enumPrefix);
    if (s.options === 'quarters') return quarters.map((q) => ({ value: q.id, label: q.name }));
    if (s.options === 'groups')
      return groups
        .filter((g) => g.fields.quarter_id === form.quarter_id)
        .map((g) => ({ value: g.id, label: g.fields.name }));
    if (s.options === 'campaigns')
      return campaigns
        .filter((c) => c.fields.active !== false || c.id === form.campaign_id)
        .map((c) => ({ value: c.id, label: c.fields.name }));
    if (s.options === 'units')
      return (
        units
          .filter((u) => u.fields.active !== false || u.id === form[s.name])
          // A supervisor writes only their own unit's deed (the server holds to it too).
          .filter((u) => collection !== 'deeds' || user.role === 'admin' || u.id === user.unit_id)
          .map((u) => ({ value: u.id, label: u.fields.name }))
          .sort((a, b) => a.label.localeCompare(b.label, 'vi'))
      );
    return [];
  };

  const submit = async (/** @type {Event} */ e) => {
    e.preventDefault();
    const fields = settle(collection, fromForm(specs, form), units);
    if (householdId) fields.household_id = householdId;
    else if (existing?.fields.household_id) fields.household_id = existing.fields.household_id;
    const found = validate(collection, fields);
    setProblems(found);
    if (Object.keys(found).length) {
      setMessage(t('fix_errors'));
      requestAnimationFrame(() => document.querySelector('[aria-invalid="true"]')?.focus());
      return;
    }
    setSaving(true);
    try {
      await saveChange(db, collection, recordId, fields);
      await commitPhotos(db, collection, recordId);
      await deleteDraft(db, key);
      initial.current = JSON.stringify(form);
      afterSave();
      navigate(backTo(collection, recordId, fields), { replace: true });
    } catch (err) {
      setMessage(isQuotaError(err) ? t('storage_full') : t('save_failed', { reason: String(err) }));
    } finally {
      setSaving(false);
    }
  };

  const discardDraft = async () => {
    await deleteDraft(db, key);
    await dropDraftPhotos(db, collection, recordId);
    setForm(JSON.parse(initial.current));
    setRestored(false);
    setProblems({});
    setMessage('');
    requestAnimationFrame(() =>
      document.querySelector('main form :is(input, select, textarea)')?.focus(),
    );
  };

  const remove = async () => {
    if (!confirm(t('confirm_delete'))) return;
    await deleteRecord(db, collection, recordId);
    await dropUnsentPhotos(db, collection, recordId);
    await deleteDraft(db, key);
    initial.current = JSON.stringify(form);
    afterSave();
    navigate(collection === 'households' ? '/' : backTo(collection, recordId, existing?.fields), {
      replace: true,
    });
  };

  const cancel = () => (history.length > 1 ? history.back() : navigate('/'));

  const [newTitle, editTitle] = TITLES[collection];
  return (
    <main class="screen">
      <h1>{t(id ? editTitle : newTitle)}</h1>
      {household && (
        <p class="muted">
          {household.fields.head_name} – {household.fields.address}
        </p>
      )}
      {existing?.rv && <ReviewNotice review={existing.server?.meta?.review} />}
      {restored && (
        <div class="notice info" role="status">
          <span>{t('draft_restored')}</span>{' '}
          <button type="button" class="secondary" onClick={discardDraft}>
            {t('discard_draft')}
          </button>
        </div>
      )}
      {rejected && (
        <p class="notice error" role="alert">
          {t('needs_attention')}: {refusal(rejected)}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <p class="muted required-legend">{t('required_legend')}</p>
        {specs.map((s) => {
          if (s.when && !s.when(form)) return null;
          const label = t(s.label);
          const common = {
            key: s.name,
            name: s.name,
            label,
            problem: problems[s.name],
            required: s.required,
          };
          switch (s.kind) {
            case 'select':
              return (
                <SelectField
                  {...common}
                  value={form[s.name]}
                  onInput={set(s.name)}
                  options={options(s)}
                  placeholder={t(s.placeholder ?? (s.required ? 'choose' : 'none'))}
                />
              );
            case 'check':
              return (
                <CheckField
                  key={s.name}
                  name={s.name}
                  label={label}
                  checked={form[s.name]}
                  onInput={set(s.name)}
                />
              );
            case 'checks':
              return (
                <CheckGroup
                  key={s.name}
                  name={s.name}
                  legend={label}
                  value={form[s.name]}
                  options={enumOptions(/** @type {string} */ (s.enumPrefix))}
                  onInput={set(s.name)}
                />
              );
            case 'location':
              return <LocationField key={s.name} value={form[s.name]} onInput={set(s.name)} />;
            case 'int':
              return (
                <TextField
                  {...common}
                  value={form[s.name]}
                  onInput={set(s.name)}
                  type="number"
                  inputMode="numeric"
                />
              );
            case 'money': {
              const n = Number(String(form[s.name]).replace(/[.\s]/g, ''));
              return (
                <TextField
                  {...common}
                  value={form[s.name]}
                  onInput={set(s.name)}
                  inputMode="numeric"
                  hint={Number.isFinite(n) ? formatMoney(n) : undefined}
                />
              );
            }
            case 'phone':
              return (
                <TextField
                  {...common}
                  value={form[s.name]}
                  onInput={set(s.name)}
                  type="tel"
                  inputMode="tel"
                />
              );
            case 'date':
              return (
                <TextField {...common} value={form[s.name]} onInput={set(s.name)} type="date" />
              );
            case 'datetime':
              return (
                <TextField
                  {...common}
                  value={form[s.name]}
                  onInput={set(s.name)}
                  type="datetime-local"
                />
              );
            case 'multiline':
            case 'lines':
              return <TextField {...common} value={form[s.name]} onInput={set(s.name)} multiline />;
            default:
              return <TextField {...common} value={form[s.name]} onInput={set(s.name)} />;
          }
        })}
        {PHOTO_COLLECTIONS.includes(collection) && (
          <PhotoField collection={collection} recordId={recordId} />
        )}
        {sameKind && sameKind.length > 0 && (
          <p class="notice warn" role="alert">
            {t('registration_exists', {
              kind: t(`registration_kind.${sameKind[0].fields.kind}`),
              status: t(`registration_status.${sameKind[0].fields.status}`),
              date: formatDate(sameKind[0].fields.registered_on),
            })}{' '}
            <Link href={`/records/registrations/${sameKind[0].id}/edit`}>
              {t('open_registration')}
            </Link>
          </p>
        )}
        {duplicates && duplicates.length > 0 && (
          <p class="notice warn" role="alert">
            {t('duplicate_warning', {
              name: duplicates[0].fields.head_name,
              address: duplicates[0].fields.address,
            })}{' '}
            <Link href={`/households/${duplicates[0].id}`}>{t('open_it')}</Link>
          </p>
        )}
        {message && (
          <p class="notice error" role="alert">
            {message}
          </p>
        )}
        <div class="actions">
          <button type="submit" class="primary" disabled={saving}>
            {t('save')}
          </button>
          <button type="button" class="secondary" onClick={cancel}>
            {t('cancel')}
          </button>
          {id && existing && (
            <button type="button" class="danger" onClick={remove}>
              {t('delete')}
            </button>
          )}
        </div>
      </form>
    </main>
  );
}

/**
 * A supervisor's comment on a flagged record, shown above its fields.
 * @param {{review: any}} props
 */
function ReviewNotice({ review }) {
  if (!review) return null;
  return (
    <div class="notice warn" role="note" aria-label={t('review_comment')}>
      <p>
        <strong>{t(`review.${review.status}`)}</strong>
        {review.comment ? ` – ${review.comment}` : ''}
      </p>
      <p class="muted">
        {t('flagged_by', { name: review.by?.name ?? '', at: formatDateTime(review.at) })}
      </p>
    </div>
  );
}

/**
 * Whom a draft is about, for the list of drafts: the household's head, or the nominee.
 * @param {string} collection
 * @param {Record<string, any>} form
 * @param {import('../db.js').LocalRecord|null} household
 */
function draftTitle(collection, form, household) {
  if (collection === 'households') return form.head_name ?? '';
  if (collection === 'nominations') return form.nominee ?? '';
  if (collection === 'deeds') return form.title ?? '';
  return household?.fields.head_name ?? '';
}
