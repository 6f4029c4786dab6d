/**
 * "Stranded changes" (§6a): changes the server refused for a reason their author cannot fix (they
 * lost the neighbourhood), handed to an admin. Each shows what the change says beside the record
 * as it is now; the admin applies it (written on the author's behalf) or declines it with a reason.
 */
import { useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { formatDateTime } from '../../text.js';
import { errorText as codeText } from '../errors.js';
import { ErrorNotice, StaffPage, errorText, staff, useLookups, useRemote } from './common.jsx';
import { displayValue, fieldLabel, fieldSpec, inFormOrder, recordTitle } from './present.js';

const STATES = /** @type {const} */ (['escalated', 'applied', 'declined']);

/** @param {{user: any, path: string}} props */
export function StrandedChanges({ user, path }) {
  const [state, setState] = useState(/** @type {(typeof STATES)[number]} */ ('escalated'));
  const list = useRemote(() => staff.strandedOps(state), [state]);
  const ops = /** @type {any[]} */ (list.data?.ops ?? []);
  return (
    <StaffPage user={user} path={path} title={t('staff_stranded_title')}>
      <p class="muted">{t('staff_stranded_help')}</p>
      <div class="staff-toolbar" role="tablist">
        {STATES.map((s) => (
          <button
            key={s}
            type="button"
            role="tab"
            aria-selected={state === s}
            class={state === s ? 'primary' : ''}
            onClick={() => setState(s)}
          >
            {t(`staff_stranded_state.${s}`)}
            {state === s && list.data ? ` (${ops.length})` : ''}
          </button>
        ))}
      </div>
      <ErrorNotice error={list.error} />
      {list.loading && !list.data && <p class="muted">{t('staff_loading')}</p>}
      {list.data && ops.length === 0 && <p class="muted">{t('staff_stranded_none')}</p>}
      {ops.map((op) => (
        <StrandedOp key={op.op_id} op={op} onDecided={list.reload} />
      ))}
    </StaffPage>
  );
}

/** @param {{op: any, onDecided: () => void}} props */
function StrandedOp({ op, onDecided }) {
  const lookups = useLookups();
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState('');
  const [error, setError] = useState(/** @type {any} */ (null));
  const [result, setResult] = useState(/** @type {any} */ (null));
  const [busy, setBusy] = useState(false);
  const record = op.record;
  const sent = op.fields ?? {};
  const names = inFormOrder(op.collection, Object.keys(sent));
  const title = recordTitle(
    { collection: op.collection, fields: { ...(record?.fields ?? {}), ...sent } },
    lookups,
  );

  async function decide(/** @type {() => Promise<any>} */ call) {
    setError(null);
    setBusy(true);
    try {
      const answer = await call();
      if (answer?.status === 'rejected') setResult(answer);
      else onDecided();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const decline = () => {
    if (!reason.trim()) return setProblem(t('staff_decline_reason_required'));
    setProblem('');
    return decide(() => staff.declineOp(op.op_id, reason.trim()));
  };

  return (
    <section
      class="conflict-card"
      aria-label={`${t(`staff_collection.${op.collection}`)}: ${title}`}
    >
      <h2>
        {t(`staff_collection.${op.collection}`)}: {title}
      </h2>
      <p class="muted">
        {t('staff_stranded_sent_by', {
          name: op.user?.name ?? '',
          device: op.device_id ?? '',
          received: formatDateTime(op.received_at),
          escalated: formatDateTime(op.escalated_at),
        })}
      </p>
      <p>
        <span class="badge flagged">
          {t('server_said', { reason: codeText({ code: op.code }) })}
        </span>
      </p>
      {op.note && (
        <p class="notice">
          <strong>{t('staff_stranded_note')}:</strong> {op.note}
        </p>
      )}
      {op.delete ? (
        <p>{t('staff_stranded_delete')}</p>
      ) : (
        <div class="staff-table-wrap">
          <table class="staff-table">
            <thead>
              <tr>
                <th>{t('staff_field')}</th>
                <th>{t('staff_stranded_sent')}</th>
                <th>{t('staff_stranded_now')}</th>
              </tr>
            </thead>
            <tbody>
              {names.map((name) => {
                const spec = fieldSpec(op.collection, name);
                const now = record?.fields?.[name];
                const differs = !record || JSON.stringify(now) !== JSON.stringify(sent[name]);
                return (
                  <tr key={name} class={differs ? 'value-differs' : ''}>
                    <th scope="row">{fieldLabel(op.collection, name)}</th>
                    <td>{displayValue(spec, sent[name], lookups)}</td>
                    <td>
                      {record ? displayValue(spec, now, lookups) : t('staff_stranded_no_record')}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {op.state === 'declined' && (
        <p>
          {t('staff_stranded_declined_by', {
            name: op.decided_by?.name ?? '',
            at: formatDateTime(op.decided_at),
            reason: op.reason ?? '',
          })}
        </p>
      )}
      {op.state === 'applied' && (
        <p>
          {t('staff_stranded_applied_by', {
            name: op.decided_by?.name ?? '',
            at: formatDateTime(op.decided_at),
          })}
        </p>
      )}
      {result && (
        <p class="notice error" role="alert">
          {t('staff_stranded_still_refused', {
            reason: codeText({ code: result.code }),
            fields: inFormOrder(op.collection, Object.keys(result.errors ?? {}))
              .map((n) => fieldLabel(op.collection, n))
              .join(', '),
          })}
        </p>
      )}
      {error && (
        <p class="notice error" role="alert">
          {errorText(error)}
        </p>
      )}
      {op.state === 'escalated' && (
        <>
          <div class="field">
            <label for={`reason-${op.op_id}`}>{t('staff_decline_reason')}</label>
            <textarea
              id={`reason-${op.op_id}`}
              rows={2}
              value={reason}
              onInput={(e) => setReason(e.currentTarget.value)}
            />
            {problem && <p class="field-error">{problem}</p>}
          </div>
          <div class="actions wrap">
            <button
              type="button"
              class="primary"
              disabled={busy}
              onClick={() => decide(() => staff.applyOp(op.op_id))}
            >
              {t('staff_apply_change')}
            </button>
            <button type="button" class="danger" disabled={busy} onClick={decline}>
              {t('staff_decline_change')}
            </button>
          </div>
        </>
      )}
    </section>
  );
}
