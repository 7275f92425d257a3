import { resourceGroupOf, subscriptionOf, type ActivityChange } from "./activity.js";
import type { ChangeFacts, Placement } from "./catalog.js";

/**
 * Where a change sits relative to the failing account: the account itself weighs most, then its resource
 * group, then the calling app, then the subscription. A change in another subscription is never a cause;
 * a storage change on another account is not one either.
 */

export type ScopeRelation =
  | "account"
  | "resourceGroup"
  | "app"
  | "subscription"
  | "managementGroup"
  | "otherResourceGroup"
  | "unknown"
  | "otherAccount"
  | "otherSubscription";

export const SCOPE_FACTORS: Readonly<Record<ScopeRelation, number>> = {
  account: 1,
  resourceGroup: 0.8,
  app: 0.75,
  subscription: 0.6,
  managementGroup: 0.5,
  otherResourceGroup: 0.4,
  unknown: 0.4,
  otherAccount: 0,
  otherSubscription: 0,
};

/** Where the failing account lives (lower-case ids), as far as it is known. */
export interface AccountPlacement {
  account: string;
  resourceId?: string;
  subscriptionId?: string;
  resourceGroup?: string;
}

/** An app known to call the account (configured), so its changes count as "the calling app". */
export interface CallerApp {
  resourceId: string;
  /** Accounts it calls; omitted = any. */
  accounts?: string[];
  callerIps?: string[];
  principalIds?: string[];
}

function accountPattern(account: string): RegExp {
  const name = account.toLowerCase().replace(/[^a-z0-9]/g, "");
  return new RegExp(
    `^(/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\\.storage/storageaccounts/${name})(?:/|$)`,
  );
}

/** Places the account from a known resource id, else from activity that targets it by name. */
export function placeAccount(
  account: string,
  knownResourceId: string | undefined,
  changes: readonly ActivityChange[],
): AccountPlacement {
  const placement: AccountPlacement = { account: account.toLowerCase() };
  let id = knownResourceId?.toLowerCase();
  if (!id) {
    const re = accountPattern(account);
    for (const c of changes) {
      const m = re.exec(c.resourceKey);
      if (m) {
        id = m[1];
        break;
      }
    }
  }
  if (id) {
    placement.resourceId = id;
    const sub = subscriptionOf(id);
    if (sub) placement.subscriptionId = sub;
    const rg = resourceGroupOf(id);
    if (rg) placement.resourceGroup = rg;
  }
  return placement;
}

function isUnderOrEqual(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent + "/");
}

function targetsAccountByName(resourceKey: string, account: string): boolean {
  return new RegExp(
    `/providers/microsoft\\.storage/storageaccounts/${account.replace(/[^a-z0-9]/g, "")}(?:/|$)`,
  ).test(resourceKey);
}

function appRelated(resourceKey: string, apps: readonly CallerApp[]): boolean {
  for (const app of apps) {
    const id = app.resourceId.toLowerCase();
    if (isUnderOrEqual(resourceKey, id)) return true;
    const rg = resourceGroupOf(id);
    const sub = subscriptionOf(id);
    if (rg && sub && resourceGroupOf(resourceKey) === rg && subscriptionOf(resourceKey) === sub) return true;
  }
  return false;
}

/** How a change relates to the account, by the entry's placement rule. */
export function relationOf(
  placement: Placement,
  change: ActivityChange,
  facts: ChangeFacts,
  account: AccountPlacement,
  apps: readonly CallerApp[],
): ScopeRelation {
  const acctId = account.resourceId;
  if (placement === "account") {
    if (acctId) return isUnderOrEqual(change.resourceKey, acctId) ? "account" : "otherAccount";
    return targetsAccountByName(change.resourceKey, account.account) ? "account" : "otherAccount";
  }
  if (placement === "scope") {
    const scope = (facts.scope ?? change.resourceId).toLowerCase().replace(/\/+$/, "") || "/";
    if (scope === "/" || scope.startsWith("/providers/microsoft.management/managementgroups"))
      return "managementGroup";
    const scopeSub = subscriptionOf(scope);
    if (scopeSub && account.subscriptionId && scopeSub !== account.subscriptionId) return "otherSubscription";
    if (acctId) {
      if (isUnderOrEqual(scope, acctId)) return "account";
      if (isUnderOrEqual(acctId, scope)) return resourceGroupOf(scope) ? "resourceGroup" : "subscription";
      return "otherAccount";
    }
    if (targetsAccountByName(scope, account.account)) return "account";
    if (/\/providers\/microsoft\.storage\/storageaccounts\//.test(scope)) return "otherAccount";
    return resourceGroupOf(scope) ? "unknown" : "subscription";
  }
  // nearby
  const changeSub = change.subscriptionId ?? subscriptionOf(change.resourceKey);
  if (changeSub && account.subscriptionId && changeSub !== account.subscriptionId) return "otherSubscription";
  if (
    acctId
      ? isUnderOrEqual(change.resourceKey, acctId)
      : targetsAccountByName(change.resourceKey, account.account)
  )
    return "account";
  if (appRelated(change.resourceKey, apps)) return "app";
  if (!account.resourceGroup) return "unknown";
  const rg = change.resourceGroup ?? resourceGroupOf(change.resourceKey);
  if (!rg) return "subscription";
  return rg === account.resourceGroup ? "resourceGroup" : "otherResourceGroup";
}

/** Plain words for a relation. */
export function relationWords(rel: ScopeRelation, account: AccountPlacement, change: ActivityChange): string {
  switch (rel) {
    case "account":
      return `on the storage account ${account.account} itself`;
    case "resourceGroup":
      return `in the account's resource group ${account.resourceGroup ?? ""}`.trimEnd();
    case "app":
      return "on the calling app";
    case "subscription":
      return "at the account's subscription scope";
    case "managementGroup":
      return "at management-group scope above the account";
    case "otherResourceGroup":
      return `in another resource group (${change.resourceGroup ?? "?"}) of the same subscription`;
    case "unknown":
      return "in a resource group that could not be related to the account (its resource id is unknown)";
    case "otherAccount":
      return "on another storage account";
    case "otherSubscription":
      return "in another subscription";
  }
}
