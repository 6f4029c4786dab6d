/**
 * A modal dialog, open while it is rendered: the browser's `<dialog>` moves focus into it and
 * Escape asks to close it; when it goes, focus goes back to what had it (the button that opened
 * it), so a keyboard or screen-reader user carries on where they were.
 */
import { useEffect, useId, useRef } from 'preact/hooks';

/**
 * @param {{title: string, onClose: () => void, class?: string, hideTitle?: boolean,
 *   children?: import('preact').ComponentChildren}} props
 *   `title` is the dialog's heading and names it (`hideTitle`: for screen readers only, where
 *   the content speaks for itself, as a photo does); `onClose` is called on Escape.
 */
export function Dialog({ title, onClose, class: className, hideTitle = false, children }) {
  const ref = useRef(/** @type {HTMLDialogElement|null} */ (null));
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement;
    dialog?.showModal();
    return () => {
      // Closed first: while it is modal, everything outside it is inert and cannot take focus.
      if (dialog?.open) dialog.close();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class={className}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <h2 id={titleId} class={hideTitle ? 'visually-hidden' : undefined}>
        {title}
      </h2>
      {children}
    </dialog>
  );
}
