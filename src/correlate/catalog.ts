import { codesMeantBy } from "../codes/error-codes.js";
import { findDeepCI, getCI, getPathCI, type ActivityChange } from "./activity.js";

/**
 * The catalog of control-plane operations that can cause Storage 401/403s (reference §4), as data: which
 * incidents each fits (error code, auth type, conditions on key slot, principal, request body) and how
 * strongly. Rules of an entry are tried in order; the first whose conditions hold gives the fit.
 */

/** What a change's request body says, extracted once. */
export interface ChangeFacts {
  hasBody: boolean;
  keyName?: string;
  principalId?: string;
  roleDefinitionId?: string;
  roleName?: string;
  scope?: string;
  allowSharedKeyAccess?: boolean;
  networkAclsDefaultAction?: string;
  networkIpRules?: number;
  networkVnetRules?: number;
  hasNetworkAcls: boolean;
  publicNetworkAccess?: string;
  allowBlobPublicAccess?: boolean;
  hasSasPolicy: boolean;
  hasKeyPolicy: boolean;
  minimumTlsVersion?: string;
}

/** What the failing side of an incident looks like. */
export interface IncidentFacts {
  account: string;
  statusCode: number;
  errorCode: string;
  authType: string;
  onsetMs: number;
  lastSeenMs: number;
  /** Key slots the failing callers sign with (AuthenticationHash). */
  keySlots: Set<string>;
  /** Failing OAuth principals (RequesterObjectId), lower case. */
  principals: Set<string>;
  /** Failing caller addresses. */
  ips: Set<string>;
  /** Failing URIs carry a user-delegation SAS (skoid). */
  userDelegationSas: boolean;
  /** Per key slot: the last time the very key the failing callers sign with (same hash) still succeeded. */
  keyLastSucceededMs: Map<string, number>;
}

export type Condition =
  | "sameKeySlot"
  | "otherKeySlot"
  | "principalMatches"
  | "principalDiffers"
  | "bodyUnknown"
  | "sharedKeyDisabled"
  | "networkRestricted"
  | "publicAccessDisabled"
  | "sasPolicySet"
  | "keyPolicySet"
  | "userDelegationSas"
  | "oldKeyStillWorks";

export interface FitRule {
  /** Error codes (StatusText) this rule fits; `*` any. */
  errorCodes: readonly string[] | "*";
  /** Auth types as logged; omitted = any. */
  authTypes?: readonly string[];
  /** Conditions that must all hold (unknown counts as not holding). */
  when?: readonly Condition[];
  /** 0..1: how well the change explains the incident when it fits. */
  strength: number;
  /** Plain words for `why`, e.g. "failing callers sign with the regenerated key slot". */
  note: string;
  /** Overrides the entry's kind when this rule fits (one operation, several possible meanings). */
  kind?: string;
}

/**
 * Where a change must be to matter:
 * - `account`: on this storage account (or a child resource of it); elsewhere it is not a cause.
 * - `scope`: an assignment whose scope covers the account (account, its group, its subscription, a management group).
 * - `nearby`: anywhere in the account's subscription; closer scopes weigh more (network, apps, gateways…).
 */
export type Placement = "account" | "scope" | "nearby";

export interface CatalogEntry {
  kind: string;
  /** Glob patterns over lower-case OperationNameValue: `*` = one path segment, `**` = any. */
  operations: readonly string[];
  label: string;
  placement: Placement;
  /** Never presented as a cause (routine reads such as portal listKeys). */
  noise?: boolean;
  fits: readonly FitRule[];
  /** Advice template: {what} is replaced by the change's summary details. */
  advice: string;
}

const SIGNATURE_CODES = ["AuthenticationFailed"];
const KEY_AUTH = ["AccountKey", "SAS"];
const NETWORK_CODES = ["AuthorizationFailure"];
const RBAC_CODES = ["AuthorizationPermissionMismatch"];
const TOKEN_CODES = ["InvalidAuthenticationInfo"];

export const CATALOG: readonly CatalogEntry[] = [
  {
    kind: "key-regenerated",
    operations: [
      "microsoft.storage/storageaccounts/regeneratekey/action",
      "microsoft.storage/storageaccounts/rotatekey/action",
    ],
    label: "account key regenerated",
    placement: "account",
    fits: [
      {
        errorCodes: SIGNATURE_CODES,
        authTypes: ["SAS"],
        when: ["userDelegationSas"],
        strength: 0.05,
        note: "but the failing SAS are user delegation SAS, which no account key signs",
      },
      {
        errorCodes: SIGNATURE_CODES,
        authTypes: KEY_AUTH,
        when: ["oldKeyStillWorks"],
        strength: 0.05,
        note: "but the very key the failing callers sign with still succeeded after it, so it was not the key regenerated",
      },
      {
        errorCodes: SIGNATURE_CODES,
        authTypes: KEY_AUTH,
        when: ["sameKeySlot"],
        strength: 1,
        note: "failing callers sign with the key slot that was regenerated",
      },
      {
        errorCodes: SIGNATURE_CODES,
        authTypes: KEY_AUTH,
        when: ["otherKeySlot"],
        strength: 0.05,
        note: "but failing callers sign with the other key slot",
      },
      {
        errorCodes: SIGNATURE_CODES,
        authTypes: KEY_AUTH,
        strength: 0.6,
        note: "the regenerated key slot could not be matched with the failing callers' key slot",
      },
      {
        errorCodes: SIGNATURE_CODES,
        authTypes: ["Kerberos"],
        strength: 0.5,
        note: "Kerberos keys may have been regenerated",
      },
    ],
    advice:
      "callers still sign with the old {key}: update their secret (connection string, Key Vault secret, SAS minted from it) with the new {key}; do not rotate again",
  },
  {
    kind: "storage-account-changed",
    operations: ["microsoft.storage/storageaccounts/write"],
    label: "storage account settings changed",
    placement: "account",
    fits: [
      {
        errorCodes: ["KeyBasedAuthenticationNotPermitted"],
        when: ["sharedKeyDisabled"],
        kind: "shared-key-disabled",
        strength: 1,
        note: "it set allowSharedKeyAccess=false, which rejects Shared Key and key-signed SAS",
      },
      {
        errorCodes: NETWORK_CODES,
        when: ["networkRestricted"],
        kind: "network-rules-changed",
        strength: 0.95,
        note: "it changed the account's network rules",
      },
      {
        errorCodes: ["NoAuthenticationInformation", "ResourceNotFound", "PublicAccessNotPermitted"],
        when: ["publicAccessDisabled"],
        kind: "public-access-disabled",
        strength: 0.8,
        note: "it set allowBlobPublicAccess=false, which rejects anonymous reads",
      },
      {
        errorCodes: SIGNATURE_CODES,
        authTypes: ["SAS"],
        when: ["sasPolicySet"],
        kind: "sas-policy-changed",
        strength: 0.5,
        note: "it changed the SAS expiration policy",
      },
      {
        errorCodes: ["KeyBasedAuthenticationNotPermitted"],
        when: ["bodyUnknown"],
        strength: 0.45,
        note: "its request body was not logged; it may have disabled Shared Key",
      },
      {
        errorCodes: NETWORK_CODES,
        when: ["bodyUnknown"],
        strength: 0.45,
        note: "its request body was not logged; it may have changed network rules",
      },
      {
        errorCodes: SIGNATURE_CODES,
        authTypes: KEY_AUTH,
        when: ["keyPolicySet"],
        kind: "key-policy-changed",
        strength: 0.2,
        note: "it changed the key expiration policy (which does not invalidate keys by itself)",
      },
    ],
    advice: "{what}",
  },
  {
    kind: "role-assignment-removed",
    operations: ["microsoft.authorization/roleassignments/delete"],
    label: "role assignment removed",
    placement: "scope",
    fits: [
      {
        errorCodes: RBAC_CODES,
        authTypes: ["OAuth"],
        when: ["principalMatches"],
        strength: 1,
        note: "it removed a role of the failing principal",
      },
      {
        errorCodes: RBAC_CODES,
        authTypes: ["OAuth"],
        when: ["principalDiffers"],
        strength: 0.1,
        note: "but it belonged to another principal",
      },
      {
        errorCodes: RBAC_CODES,
        authTypes: ["OAuth"],
        strength: 0.7,
        note: "the removed assignment's principal is not logged",
      },
      {
        errorCodes: ["AuthenticationFailed", "AuthorizationPermissionMismatch"],
        authTypes: ["SAS"],
        when: ["userDelegationSas"],
        strength: 0.5,
        note: "user delegation SAS stop working when the signer loses its data role",
      },
    ],
    advice:
      "re-create the data role ({role}) for {principal} at {scope}; Owner or Contributor do not grant data access",
  },
  {
    kind: "role-assignment-created",
    operations: ["microsoft.authorization/roleassignments/write"],
    label: "role assignment created",
    placement: "scope",
    fits: [
      {
        errorCodes: RBAC_CODES,
        authTypes: ["OAuth"],
        when: ["principalMatches"],
        strength: 0.35,
        note: "a role was assigned to the failing principal, yet failures went on: the role or scope is probably not a data role covering these requests",
      },
    ],
    advice:
      "check that {principal} holds a data role ({role}) at a scope covering these containers, not a control-plane role",
  },
  {
    kind: "role-definition-changed",
    operations: [
      "microsoft.authorization/roledefinitions/write",
      "microsoft.authorization/roledefinitions/delete",
    ],
    label: "custom role changed",
    placement: "scope",
    fits: [
      {
        errorCodes: RBAC_CODES,
        authTypes: ["OAuth"],
        strength: 0.6,
        note: "a custom role's data actions changed",
      },
    ],
    advice: "compare the custom role's dataActions before and after the change",
  },
  {
    kind: "policy-changed",
    operations: [
      "microsoft.authorization/policyassignments/write",
      "microsoft.authorization/policyassignments/delete",
      "microsoft.authorization/policies/deployifnotexists/action",
      "microsoft.authorization/policies/modify/action",
    ],
    label: "Azure Policy changed",
    placement: "scope",
    fits: [
      {
        errorCodes: ["KeyBasedAuthenticationNotPermitted"],
        strength: 0.5,
        note: "a policy with a modify effect can disable Shared Key",
      },
      { errorCodes: NETWORK_CODES, strength: 0.4, note: "a policy can disable public network access" },
    ],
    advice: "check whether the policy modifies allowSharedKeyAccess or publicNetworkAccess on the account",
  },
  {
    kind: "user-delegation-keys-revoked",
    operations: ["microsoft.storage/storageaccounts/revokeuserdelegationkeys/action"],
    label: "user delegation keys revoked",
    placement: "account",
    fits: [
      {
        errorCodes: SIGNATURE_CODES,
        authTypes: ["SAS"],
        when: ["userDelegationSas"],
        strength: 0.95,
        note: "the failing URIs are user delegation SAS, all of which this revoked",
      },
      {
        errorCodes: SIGNATURE_CODES,
        authTypes: ["SAS"],
        strength: 0.5,
        note: "every user delegation SAS was revoked",
      },
    ],
    advice: "mint new user delegation SAS; the revoked ones never work again",
  },
  {
    kind: "encryption-scope-changed",
    operations: ["microsoft.storage/storageaccounts/encryptionscopes/write"],
    label: "encryption scope changed",
    placement: "account",
    fits: [
      {
        errorCodes: ["RequestForbiddenByContainerEncryptionPolicy", "InsufficientAccountPermissions"],
        strength: 0.8,
        note: "encryption scope settings changed",
      },
    ],
    advice: "check the container's default encryption scope and whether overrides are allowed",
  },
  {
    kind: "container-access-changed",
    operations: ["microsoft.storage/storageaccounts/blobservices/containers/write"],
    label: "container settings changed",
    placement: "account",
    fits: [
      {
        errorCodes: ["NoAuthenticationInformation", "ResourceNotFound", "PublicAccessNotPermitted"],
        authTypes: ["Anonymous", ""],
        strength: 0.6,
        note: "a container's public access level may have changed",
      },
    ],
    advice: "check the container's public access level",
  },
  {
    kind: "private-endpoint-changed",
    operations: [
      "microsoft.storage/storageaccounts/privateendpointconnections/write",
      "microsoft.storage/storageaccounts/privateendpointconnections/delete",
      "microsoft.network/privateendpoints/write",
      "microsoft.network/privateendpoints/delete",
      "microsoft.network/privateendpoints/privatednszonegroups/write",
    ],
    label: "private endpoint changed",
    placement: "nearby",
    fits: [
      {
        errorCodes: NETWORK_CODES,
        strength: 0.8,
        note: "callers may now reach the account through a different path",
      },
    ],
    advice: "check that the failing callers resolve the account to the private endpoint's address",
  },
  {
    kind: "dns-changed",
    operations: ["microsoft.network/privatednszones/**"],
    label: "private DNS zone changed",
    placement: "nearby",
    fits: [
      {
        errorCodes: NETWORK_CODES,
        strength: 0.7,
        note: "name resolution of the account may now point elsewhere",
      },
    ],
    advice:
      "resolve <account>.blob.core.windows.net from a failing caller and compare with the private endpoint's address",
  },
  {
    kind: "subnet-changed",
    operations: [
      "microsoft.network/virtualnetworks/subnets/write",
      "microsoft.network/virtualnetworks/write",
      "microsoft.network/serviceendpointpolicies/write",
      "microsoft.network/natgateways/write",
      "microsoft.network/publicipaddresses/write",
      "microsoft.network/networksecurityperimeters/**",
    ],
    label: "virtual network changed",
    placement: "nearby",
    fits: [
      {
        errorCodes: NETWORK_CODES,
        strength: 0.6,
        note: "a subnet's service endpoints, policies or egress address may have changed",
      },
    ],
    advice:
      "check the subnet's Microsoft.Storage service endpoint and the callers' egress addresses against the account's rules",
  },
  {
    kind: "nsg-changed",
    operations: [
      "microsoft.network/networksecuritygroups/securityrules/write",
      "microsoft.network/networksecuritygroups/write",
    ],
    label: "network security group changed",
    placement: "nearby",
    fits: [
      { errorCodes: NETWORK_CODES, strength: 0.3, note: "NSG rules usually cause timeouts rather than 403s" },
    ],
    advice: "check the NSG rules on the callers' subnet",
  },
  {
    kind: "gateway-changed",
    operations: [
      "microsoft.network/applicationgateways/write",
      "microsoft.apimanagement/service/write",
      "microsoft.apimanagement/service/**/policies/write",
      "microsoft.apimanagement/service/policies/write",
      "microsoft.cdn/profiles/**",
      "microsoft.network/frontdoors/write",
      "microsoft.network/frontdoors/**",
    ],
    label: "gateway or proxy in front of the callers changed",
    placement: "nearby",
    fits: [
      {
        errorCodes: SIGNATURE_CODES,
        authTypes: KEY_AUTH,
        strength: 0.6,
        note: "a gateway that rewrites paths or headers after signing breaks Shared Key and SAS signatures",
      },
      {
        errorCodes: TOKEN_CODES,
        strength: 0.35,
        note: "a gateway may strip or alter the Authorization header",
      },
    ],
    advice:
      "compare the path and x-ms-* headers the gateway forwards with what the client signed (auth-triage signature explain)",
  },
  {
    kind: "app-config-changed",
    operations: [
      "microsoft.web/sites/config/write",
      "microsoft.web/sites/slots/config/write",
      "microsoft.web/sites/slotsswap/action",
      "microsoft.web/sites/slots/slotsswap/action",
      "microsoft.web/sites/applyslotconfig/action",
      "microsoft.web/sites/slots/applyslotconfig/action",
    ],
    label: "app settings changed or slots swapped",
    placement: "nearby",
    fits: [
      {
        errorCodes: SIGNATURE_CODES,
        authTypes: KEY_AUTH,
        strength: 0.6,
        note: "app settings hold connection strings and SAS; a change or swap can bring a stale one",
      },
      {
        errorCodes: ["KeyBasedAuthenticationNotPermitted"],
        strength: 0.45,
        note: "a changed setting can switch the app to a connection string with a key",
      },
      {
        errorCodes: [...TOKEN_CODES, ...RBAC_CODES],
        authTypes: ["OAuth"],
        strength: 0.45,
        note: "a changed setting can switch the identity or audience the app uses",
      },
    ],
    advice:
      "compare the app's storage settings (connection strings, client id, SAS) before and after the change",
  },
  {
    kind: "app-deployed",
    operations: [
      "microsoft.web/sites/write",
      "microsoft.web/sites/slots/write",
      "microsoft.web/sites/extensions/write",
      "microsoft.web/sites/slots/extensions/write",
      "microsoft.web/sites/sourcecontrols/write",
      "microsoft.web/sites/publish/action",
      "microsoft.web/sites/syncfunctiontriggers/action",
      "microsoft.web/sites/restart/action",
      "microsoft.web/sites/slots/restart/action",
    ],
    label: "app deployed or restarted",
    placement: "nearby",
    fits: [
      {
        errorCodes: SIGNATURE_CODES,
        authTypes: KEY_AUTH,
        strength: 0.5,
        note: "a deployment can bring a new SDK or telemetry that changes requests after signing",
      },
      {
        errorCodes: TOKEN_CODES,
        strength: 0.45,
        note: "a deployment can change the token audience, tenant or SDK version",
      },
      { errorCodes: "*", strength: 0.2, note: "the app changed just before the failures" },
    ],
    advice:
      "diff the deployed package's storage SDK and telemetry versions with the previous one; roll back to confirm",
  },
  {
    kind: "deployment",
    operations: ["microsoft.resources/deployments/write", "microsoft.resources/deploymentstacks/write"],
    label: "template deployment",
    placement: "nearby",
    fits: [
      { errorCodes: "*", strength: 0.3, note: "a template deployment can change any resource in its scope" },
    ],
    advice: "open the deployment in the portal and check which resources it changed",
  },
  {
    kind: "key-vault-changed",
    operations: [
      "microsoft.keyvault/vaults/write",
      "microsoft.keyvault/vaults/accesspolicies/write",
      "microsoft.keyvault/vaults/secrets/write",
    ],
    label: "Key Vault changed",
    placement: "nearby",
    fits: [
      {
        errorCodes: SIGNATURE_CODES,
        authTypes: KEY_AUTH,
        strength: 0.5,
        note: "a secret holding the key or SAS may have changed, or the app may no longer read it",
      },
      {
        errorCodes: ["RequestForbiddenByContainerEncryptionPolicy", "InsufficientAccountPermissions"],
        strength: 0.4,
        note: "a customer-managed key may be unreachable",
      },
    ],
    advice: "check the secret's current version against the account's keys and the app's access to the vault",
  },
  {
    kind: "identity-changed",
    operations: [
      "microsoft.managedidentity/userassignedidentities/write",
      "microsoft.managedidentity/userassignedidentities/delete",
      "microsoft.managedidentity/userassignedidentities/federatedidentitycredentials/write",
    ],
    label: "managed identity changed",
    placement: "nearby",
    fits: [
      {
        errorCodes: TOKEN_CODES,
        authTypes: ["OAuth"],
        strength: 0.6,
        note: "the identity or its federated credential changed",
      },
      {
        errorCodes: RBAC_CODES,
        authTypes: ["OAuth"],
        strength: 0.55,
        note: "a re-created identity is a new principal without the old role assignments",
      },
    ],
    advice:
      "check the identity's principal id against the failing RequesterObjectId and its role assignments",
  },
  {
    kind: "keys-listed",
    operations: [
      "microsoft.storage/storageaccounts/listkeys/action",
      "microsoft.storage/storageaccounts/listaccountsas/action",
      "microsoft.storage/storageaccounts/listservicesas/action",
    ],
    label: "keys listed",
    placement: "account",
    noise: true,
    fits: [],
    advice: "",
  },
  {
    kind: "diagnostics-changed",
    operations: [
      "microsoft.insights/diagnosticsettings/write",
      "microsoft.insights/diagnosticsettings/delete",
    ],
    label: "diagnostic settings changed",
    placement: "nearby",
    noise: true,
    fits: [],
    advice: "",
  },
];

function globToRegExp(glob: string): RegExp {
  const parts = glob
    .split("/")
    .map((seg) => (seg === "**" ? ".*" : seg === "*" ? "[^/]+" : seg.replace(/[.+?^${}()|[\]\\]/g, "\\$&")));
  return new RegExp("^" + parts.join("/").replace(/\/\.\*/g, "(?:/.*)?") + "$");
}

const COMPILED = CATALOG.map((entry) => ({ entry, patterns: entry.operations.map(globToRegExp) }));

/** The catalog entry for an operation (lower-case OperationNameValue), if any. */
export function catalogEntryFor(operationKey: string): CatalogEntry | undefined {
  return COMPILED.find((c) => c.patterns.some((p) => p.test(operationKey)))?.entry;
}

/** Built-in data roles by definition GUID, so `why` can name them. */
export const DATA_ROLE_NAMES: Readonly<Record<string, string>> = {
  "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
  "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
  "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
  "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
  "19e7f393-937e-4f77-808e-94535e297925": "Storage Queue Data Reader",
  "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
  "76199698-9eea-4c19-bc75-cec21354c6b6": "Storage Table Data Reader",
};

function str(v: unknown): string | undefined {
  return typeof v === "string" && v.trim() ? v.trim() : undefined;
}

function bool(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (s === "true") return true;
    if (s === "false") return false;
  }
  return undefined;
}

/** The assignment scope embedded in a role/policy assignment's resource id. */
function scopeFromResourceId(resourceId: string): string | undefined {
  const i = resourceId.toLowerCase().lastIndexOf("/providers/microsoft.authorization/");
  return i > 0 ? resourceId.slice(0, i) : i === 0 ? "/" : undefined;
}

/** Reads the request (and, for deletes, response) body of a change. */
export function factsOf(change: ActivityChange): ChangeFacts {
  const body = change.body;
  const response = change.responseBody;
  const facts: ChangeFacts = {
    hasBody: body !== undefined,
    hasNetworkAcls: false,
    hasSasPolicy: false,
    hasKeyPolicy: false,
  };
  const sources = [body, response].filter((b): b is Record<string, unknown> => b !== undefined);
  for (const src of sources) {
    const props = getCI(src, "properties") ?? src;
    facts.keyName ??= str(getCI(src, "keyName"))?.toLowerCase();
    facts.principalId ??= str(getCI(props, "principalId"))?.toLowerCase();
    facts.roleDefinitionId ??= str(getCI(props, "roleDefinitionId"));
    facts.scope ??= str(getCI(props, "scope"));
    const allowShared = bool(findDeepCI(src, "allowSharedKeyAccess"));
    if (allowShared !== undefined) facts.allowSharedKeyAccess ??= allowShared;
    const acls = findDeepCI(src, "networkAcls");
    if (acls && typeof acls === "object") {
      facts.hasNetworkAcls = true;
      facts.networkAclsDefaultAction ??= str(getCI(acls, "defaultAction"));
      const ipRules = getCI(acls, "ipRules");
      if (Array.isArray(ipRules)) facts.networkIpRules ??= ipRules.length;
      const vnetRules = getCI(acls, "virtualNetworkRules");
      if (Array.isArray(vnetRules)) facts.networkVnetRules ??= vnetRules.length;
    }
    facts.publicNetworkAccess ??= str(findDeepCI(src, "publicNetworkAccess"));
    const publicBlob = bool(findDeepCI(src, "allowBlobPublicAccess"));
    if (publicBlob !== undefined) facts.allowBlobPublicAccess ??= publicBlob;
    if (findDeepCI(src, "sasPolicy") !== undefined) facts.hasSasPolicy = true;
    if (findDeepCI(src, "keyPolicy") !== undefined) facts.hasKeyPolicy = true;
    facts.minimumTlsVersion ??= str(findDeepCI(src, "minimumTlsVersion"));
  }
  if (!facts.scope && change.operationKey.startsWith("microsoft.authorization/")) {
    const s = scopeFromResourceId(change.resourceId);
    if (s) facts.scope = s;
  }
  if (facts.roleDefinitionId) {
    const guid = facts.roleDefinitionId.split("/").pop()!.toLowerCase();
    const name = DATA_ROLE_NAMES[guid];
    if (name) facts.roleName = name;
  }
  // Role-assignment deletes sometimes carry only Authorization evidence; principal lives there.
  if (!facts.principalId) {
    const p = getPathCI(body, "properties", "principalId");
    if (typeof p === "string") facts.principalId = p.toLowerCase();
  }
  return facts;
}

export function conditionHolds(
  c: Condition,
  change: ChangeFacts,
  incident: IncidentFacts,
  changeTimeMs: number,
): boolean {
  switch (c) {
    case "oldKeyStillWorks": {
      const last = change.keyName !== undefined ? incident.keyLastSucceededMs.get(change.keyName) : undefined;
      // A regenerated key stops working at once: success with the same hash well after it means it was not this key.
      return last !== undefined && last > changeTimeMs + 60_000;
    }
    case "sameKeySlot":
      return change.keyName !== undefined && incident.keySlots.has(change.keyName);
    case "otherKeySlot":
      return (
        change.keyName !== undefined && incident.keySlots.size > 0 && !incident.keySlots.has(change.keyName)
      );
    case "principalMatches":
      return change.principalId !== undefined && incident.principals.has(change.principalId);
    case "principalDiffers":
      return (
        change.principalId !== undefined &&
        incident.principals.size > 0 &&
        !incident.principals.has(change.principalId)
      );
    case "bodyUnknown":
      return !change.hasBody;
    case "sharedKeyDisabled":
      return change.allowSharedKeyAccess === false;
    case "networkRestricted":
      return (
        change.hasNetworkAcls ||
        (change.publicNetworkAccess !== undefined && change.publicNetworkAccess.toLowerCase() !== "enabled")
      );
    case "publicAccessDisabled":
      return change.allowBlobPublicAccess === false;
    case "sasPolicySet":
      return change.hasSasPolicy;
    case "keyPolicySet":
      return change.hasKeyPolicy;
    case "userDelegationSas":
      return incident.userDelegationSas;
  }
}

function matchesList(list: readonly string[] | "*" | undefined, value: string): boolean {
  if (list === undefined || list === "*") return true;
  const v = value.toLowerCase();
  return list.some((x) => x.toLowerCase() === v);
}

/** The first rule of an entry that fits the incident, or undefined. */
export function fitOf(
  entry: CatalogEntry,
  change: ChangeFacts,
  incident: IncidentFacts,
  changeTimeMs: number,
): FitRule | undefined {
  if (entry.noise) return undefined;
  return entry.fits.find(
    (rule) =>
      // A classic `$logs` status may mean several codes: a change fits when it fits any of them.
      codesMeantBy(incident.errorCode).some((code) => matchesList(rule.errorCodes, code)) &&
      matchesList(rule.authTypes, incident.authType) &&
      (rule.when ?? []).every((c) => conditionHolds(c, change, incident, changeTimeMs)),
  );
}
