import type { Incident } from "../model/incident.js";
import { compareText } from "../order.js";

/**
 * Inhibition (Alertmanager's idea, specialised): when an account-wide cause is active, the incidents it
 * explains on the same account are announced once, in the message of the cause's incident, instead of
 * one message per incident. Account-wide causes:
 * - shared key disabled (`KeyBasedAuthenticationNotPermitted`): covers every AccountKey and SAS incident
 *   of the account;
 * - a firewall / network rule (`AuthorizationFailure` with the network verdict): covers every
 *   `AuthorizationFailure` incident of the account, whatever the authentication type.
 */
export type AccountWideCause = "shared-key-disabled" | "firewall";

export function accountWideCauseOf(i: Incident): AccountWideCause | undefined {
  if (i.errorCode.toLowerCase() === "keybasedauthenticationnotpermitted") return "shared-key-disabled";
  if (i.errorCode.toLowerCase() === "authorizationfailure" && i.decision === "network") return "firewall";
  return undefined;
}

export function causeCovers(cause: AccountWideCause, target: Incident): boolean {
  const code = target.errorCode.toLowerCase();
  if (cause === "shared-key-disabled") {
    const auth = target.authType.toLowerCase();
    return code === "keybasedauthenticationnotpermitted" || auth === "accountkey" || auth === "sas";
  }
  return code === "authorizationfailure";
}

export const ACCOUNT_WIDE_CAUSE_WORDS: Record<AccountWideCause, string> = {
  "shared-key-disabled": "Shared Key access is disabled on the account",
  firewall: "the account's firewall / network rules reject these callers",
};

export interface InhibitionGroup {
  cause: AccountWideCause;
  account: string;
  primaryId: string;
  /** Incidents covered by the primary's messages (the primary excluded). */
  memberIds: string[];
}

export interface InhibitionPlan {
  groups: InhibitionGroup[];
  /** member id → primary id */
  inhibitedBy: Map<string, string>;
  /** primary id → group */
  byPrimary: Map<string, InhibitionGroup>;
}

/**
 * Groups the active incidents. The primary of a group is the cause incident already announced as a
 * primary (`announcedPrimaries`, so the group's owner does not flap between runs), else the one with the
 * most failures. An incident is covered by at most one group: the one whose primary has most failures.
 */
export function planInhibition(
  active: readonly Incident[],
  announcedPrimaries: ReadonlySet<string> = new Set(),
): InhibitionPlan {
  const byAccountCause = new Map<string, Incident[]>();
  for (const i of active) {
    const cause = accountWideCauseOf(i);
    if (!cause) continue;
    const k = `${i.account.toLowerCase()}|${cause}`;
    byAccountCause.set(k, [...(byAccountCause.get(k) ?? []), i]);
  }
  const candidates: Array<{ cause: AccountWideCause; account: string; primary: Incident }> = [];
  for (const sources of byAccountCause.values()) {
    const ranked = [...sources].sort(
      (a, b) =>
        Number(announcedPrimaries.has(b.id)) - Number(announcedPrimaries.has(a.id)) ||
        b.count - a.count ||
        compareText(a.id, b.id),
    );
    const primary = ranked[0]!;
    candidates.push({ cause: accountWideCauseOf(primary)!, account: primary.account.toLowerCase(), primary });
  }
  candidates.sort((a, b) => b.primary.count - a.primary.count || compareText(a.primary.id, b.primary.id));

  const inhibitedBy = new Map<string, string>();
  const groups: InhibitionGroup[] = [];
  for (const c of candidates) {
    // A cause incident already covered by a larger group of the same account is part of that group.
    if (inhibitedBy.has(c.primary.id)) continue;
    const memberIds = active
      .filter(
        (t) =>
          t.id !== c.primary.id &&
          t.account.toLowerCase() === c.account &&
          !inhibitedBy.has(t.id) &&
          causeCovers(c.cause, t),
      )
      .map((t) => t.id)
      .sort();
    for (const m of memberIds) inhibitedBy.set(m, c.primary.id);
    groups.push({ cause: c.cause, account: c.account, primaryId: c.primary.id, memberIds });
  }
  return { groups, inhibitedBy, byPrimary: new Map(groups.map((g) => [g.primaryId, g])) };
}
