/** Placeholder until written. */
import { t } from '../../i18n.js';
import { StaffPage } from './common.jsx';

/** @param {{user: any, path: string}} props */
export function Dashboard({ user, path }) {
  return <StaffPage user={user} path={path} title={t('staff_nav')} />;
}
