/** Labelled form controls that show what to fix. */
import { t } from '../i18n.js';
import { values } from '../vocabulary.js';

let counter = 0;
/** @param {string} name */
const uid = (name) => `f-${name}-${++counter}`;

/**
 * @param {{problem?: import('../validate.js').Problem|null, id: string}} props
 */
function ProblemText({ problem, id }) {
  if (!problem) return null;
  return (
    <p class="field-error" id={id}>
      {t(problem.key, problem.params)}
    </p>
  );
}

/**
 * A field's label; a required field's is marked. The mark stands outside the <label>, so that the
 * field's name stays its label alone (the control itself says it is required).
 * @param {{id: string, text: string, required?: boolean}} props
 */
function Label({ id, text, required }) {
  return (
    <span class="label-row">
      <label for={id}>{text}</label>
      {required && (
        <span class="required-mark" aria-hidden="true">
          *
        </span>
      )}
    </span>
  );
}

/**
 * @param {{label: string, name: string, value: any, onInput: (v: any) => void,
 *   problem?: import('../validate.js').Problem|null, type?: string, multiline?: boolean,
 *   required?: boolean, inputMode?: string, hint?: string, autoComplete?: string, min?: number, max?: number,
 *   maxLength?: number}} props
 */
export function TextField(props) {
  const id = uid(props.name);
  const errId = `${id}-err`;
  const common = {
    id,
    name: props.name,
    value: props.value ?? '',
    'aria-invalid': props.problem ? 'true' : undefined,
    'aria-describedby': props.problem ? errId : undefined,
    required: props.required,
    'aria-required': props.required ? 'true' : undefined,
    onInput: (/** @type {any} */ e) => props.onInput(e.currentTarget.value),
  };
  return (
    <div class={`field${props.problem ? ' invalid' : ''}`}>
      <Label id={id} text={props.label} required={props.required} />
      {props.multiline ? (
        <textarea rows={3} {...common} />
      ) : (
        <input
          type={props.type ?? 'text'}
          inputMode={/** @type {any} */ (props.inputMode)}
          autoComplete={props.autoComplete ?? 'off'}
          min={props.min}
          max={props.max}
          maxLength={props.maxLength}
          {...common}
        />
      )}
      {props.hint && <p class="field-hint">{props.hint}</p>}
      <ProblemText problem={props.problem} id={errId} />
    </div>
  );
}

/**
 * @param {{label: string, name: string, value: any, onInput: (v: string) => void,
 *   options: {value: string, label: string}[], problem?: import('../validate.js').Problem|null,
 *   placeholder?: string, required?: boolean}} props
 */
export function SelectField(props) {
  const id = uid(props.name);
  const errId = `${id}-err`;
  return (
    <div class={`field${props.problem ? ' invalid' : ''}`}>
      <Label id={id} text={props.label} required={props.required} />
      <select
        id={id}
        name={props.name}
        required={props.required}
        aria-required={props.required ? 'true' : undefined}
        value={props.value ?? ''}
        aria-invalid={props.problem ? 'true' : undefined}
        aria-describedby={props.problem ? errId : undefined}
        onChange={(e) => props.onInput(/** @type {HTMLSelectElement} */ (e.currentTarget).value)}
      >
        {props.placeholder !== undefined && <option value="">{props.placeholder}</option>}
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <ProblemText problem={props.problem} id={errId} />
    </div>
  );
}

/**
 * @param {{label: string, name: string, checked: boolean, onInput: (v: boolean) => void}} props
 */
export function CheckField(props) {
  return (
    <label class="field check">
      <input
        type="checkbox"
        name={props.name}
        checked={props.checked}
        onChange={(e) => props.onInput(/** @type {HTMLInputElement} */ (e.currentTarget).checked)}
      />
      <span>{props.label}</span>
    </label>
  );
}

/**
 * A group of checkboxes for a list field.
 * @param {{legend: string, name: string, value: string[], options: {value: string, label: string}[],
 *   onInput: (v: string[]) => void}} props
 */
export function CheckGroup(props) {
  return (
    <fieldset class="field checks">
      <legend>{props.legend}</legend>
      {props.options.map((o) => (
        <CheckField
          key={o.value}
          name={`${props.name}-${o.value}`}
          label={o.label}
          checked={props.value.includes(o.value)}
          onInput={(on) =>
            props.onInput(on ? [...props.value, o.value] : props.value.filter((v) => v !== o.value))
          }
        />
      ))}
    </fieldset>
  );
}

/**
 * Location, captured only when the user asks (the browser then asks for permission).
 * @param {{value: any, onInput: (v: any) => void}} props
 */
export function LocationField({ value, onInput }) {
  const capture = () => {
    if (!navigator.geolocation) return alert(t('location_denied'));
    navigator.geolocation.getCurrentPosition(
      (pos) =>
        onInput({
          lat: pos.coords.latitude,
          lon: pos.coords.longitude,
          accuracy_m: pos.coords.accuracy ?? null,
        }),
      () => alert(t('location_denied')),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  };
  return (
    <div class="field">
      <span class="label">{t('location')}</span>
      {value ? (
        <p>
          {t('location_value', {
            lat: value.lat.toFixed(5),
            lon: value.lon.toFixed(5),
            acc: Math.round(value.accuracy_m ?? 0),
          })}{' '}
          <button type="button" class="link" onClick={() => onInput(null)}>
            {t('remove_location')}
          </button>
        </p>
      ) : (
        <button type="button" class="secondary" onClick={capture}>
          {t('add_location')}
        </button>
      )}
    </div>
  );
}

/**
 * Options for an enum: the vocabulary's values, labelled in the current language.
 * @param {string} kind a vocabulary kind, e.g. `purpose`
 */
export function enumOptions(kind) {
  return values(/** @type {import('../vocabulary.js').Kind} */ (kind)).map((v) => ({
    value: v,
    label: t(`${kind}.${v}`),
  }));
}
