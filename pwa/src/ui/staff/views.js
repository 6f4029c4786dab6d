/**
 * Every supervisor and admin view, in one chunk that `routes.jsx` loads on first use, so a field
 * worker's phone never downloads them. The service worker still precaches the chunk.
 */
export { AuditLog } from './AuditLog.jsx';
export { CampaignMap } from './CampaignMap.jsx';
export { ConflictInbox } from './ConflictInbox.jsx';
export { Dashboard } from './Dashboard.jsx';
export { ImportHouseholds } from './ImportHouseholds.jsx';
export { NominationsReview } from './NominationsReview.jsx';
export { Progress } from './Progress.jsx';
export { RecordPage } from './RecordPage.jsx';
export { ReferenceData } from './ReferenceData.jsx';
export { ReviewQueue } from './ReviewQueue.jsx';
export { StrandedChanges } from './StrandedChanges.jsx';
export { Users } from './Users.jsx';
