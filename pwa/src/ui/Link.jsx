import { navigate } from './hooks.js';

/**
 * An in-app link: a real <a> (open in new tab still works) that navigates without reloading.
 * @param {{href: string, class?: string, children?: any, 'aria-label'?: string}} props
 */
export function Link(props) {
  return (
    <a
      {...props}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(props.href);
      }}
    />
  );
}
