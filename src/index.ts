// The deployable entry: one bundle (dist/index.js) that registers every function, so the host
// loads a single file and the package needs no node_modules. The handlers are exported too, so a
// test can run the very bundle that is deployed.
export { health } from './functions/health';
export { lifecycleNotifications } from './functions/lifecycleNotifications';
export { recordPoisonedRenewal } from './functions/recordPoisonedRenewal';
export { renewQueuedSubscription } from './functions/renewQueuedSubscription';
export { renewShortLivedSubscriptions } from './functions/renewShortLivedSubscriptions';
export { renewSubscriptions } from './functions/renewSubscriptions';
export { schedulerStatus } from './functions/schedulerStatus';
export { statusPage } from './functions/statusPage';
export { subscriptionCensus } from './functions/subscriptionCensus';
export {
  adoptSubscriptions,
  listSubscriptions,
  registerSubscription,
  removeSubscription,
  renewSubscriptionsNow,
  updateSubscription,
  updateSubscriptions,
} from './functions/subscriptionOperations';
export { addTenant, listTenants, removeTenant } from './functions/tenantOperations';
