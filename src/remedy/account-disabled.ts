import type { Incident, Remedy } from "../model/incident.js";
import { accountRef, command, type RemedyContext } from "./context.js";
import { lookup, sh } from "./shell.js";

/**
 * AccountIsDisabled: the account or its subscription is disabled, so no credential is judged at all.
 * Nothing on the account is to be changed; the subscription's state says what to restore.
 */
export function accountDisabledRemedy(incident: Incident, ctx: RemedyContext): Remedy {
  const account = accountRef(incident, ctx);
  const subscription = account.known ? /\/subscriptions\/([^/]+)/i.exec(account.id)?.[1] : undefined;
  const subscriptionArg = subscription
    ? sh(subscription)
    : lookup(`az storage account show --name ${sh(incident.account)} --query id --output tsv | cut -d/ -f3`);
  return {
    kind: "reactivate-subscription",
    change: `Bring ${incident.account} back by re-enabling what disabled it, most often its subscription (a spending limit reached, a payment due, a trial ended or a cancellation): keys, roles, SAS and network rules are not the cause and stay as they are.`,
    commands: [
      command(
        "Read the subscription's state: Disabled, Warned or PastDue means billing or a cancellation stopped the account.",
        `az account show --subscription ${subscriptionArg} --query "{subscription:name, state:state}" --output table`,
      ),
      command(
        "Read the account's own state through Azure Resource Manager.",
        `az storage account show --name ${sh(incident.account)} --query "{provisioningState:provisioningState, primary:statusOfPrimary, secondary:statusOfSecondary}" --output table`,
      ),
    ],
    whyNarrowest:
      "It changes nothing on the account: a disabled account refuses every request before any key, token, SAS, role or firewall rule is looked at, so none of those can be the fix.",
    wrongIf: [
      "The subscription is Enabled and the account available: then Azure disabled the account itself; open a support request quoting a failing request's x-ms-request-id.",
      "Rotating keys, minting SAS, adding roles or opening the firewall changes nothing while the account is disabled.",
    ],
    facts: [
      { label: "Account", value: incident.account },
      {
        label: "Subscription",
        value: subscription ?? "not in the logs: the command looks it up from the account",
      },
    ],
  };
}
