import type { Decision, Guidance } from "../model/incident.js";

/**
 * The single error-code table. It drives classification in the local engine and the verdict `case()` in
 * the generated KQL, so it must stay data: no behaviour hides in code paths elsewhere.
 *
 * Sources: ../shared/reference/storage-logs.md §3 (codes and meanings), the seed playbook's "Decision
 * Shortcut" and "Wrong Fix to Avoid" (rephrased), the Microsoft 403 troubleshooting guide.
 */

/** Authentication types as logged in AuthenticationType. */
export type LoggedAuthType = "AccountKey" | "SAS" | "OAuth" | "Anonymous" | "Kerberos";

export interface VerdictRule {
  /** Auth types this rule applies to; `*` matches any (rules are tried in order, first match wins). */
  authTypes: readonly LoggedAuthType[] | "*";
  /** HTTP statuses this rule applies to; absent matches any (classic statuses differ by 401/403). */
  statusCodes?: readonly number[];
  decision: Decision;
  guidance: Guidance;
  /**
   * Set when the logged value cannot decide the verdict on its own (a classic Storage Analytics status
   * stands for several error codes): `decision` is the likeliest of `between`, and `narrowedBy` says what
   * else in the logs tells them apart.
   */
  ambiguous?: { between: readonly Decision[]; narrowedBy: string };
}

export interface ErrorCodeEntry {
  code: string;
  httpStatus: readonly number[];
  meaning: string;
  rules: readonly VerdictRule[];
  /**
   * A classic Storage Analytics request status (`$logs` lines), not a storage error code: it names the
   * kind of failure and the auth scheme, never the exact code.
   */
  classic?: true;
  /** For a classic status: the error codes it may stand for (root causes are matched against these). */
  standsFor?: readonly string[];
  /**
   * Storage's message for the code, which is also the answer's status text ("Common REST API error
   * codes"); `{…}` stands for a value. Only where no other code has the same message: an answer without
   * a body (a HEAD, Terraform's `with EOF`) names its code by this alone.
   */
  message?: string;
}

const ROTATE_KEYS = "Do not rotate or regenerate account keys before proving the signature itself is wrong.";
const NO_RBAC_FOR_UNAUTHENTICATED =
  "Do not add RBAC roles: the request never authenticated, and roles are only evaluated after authentication.";
const NO_FIREWALL_FOR_SIGNATURE = "Do not open the storage firewall: this is not a network rejection.";
const NO_SECRET_LOGGING = "Do not log raw Authorization headers, SAS tokens or keys while debugging.";

/**
 * The code of a copy from a URL whose source Storage could not read: the request doctor and the remedy
 * both look past the caller's credential to the source's for it.
 */
export const COPY_SOURCE_REFUSED = "CannotVerifyCopySource";

export const ERROR_CODES: readonly ErrorCodeEntry[] = [
  {
    code: "AuthenticationFailed",
    message:
      "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
    httpStatus: [403],
    meaning:
      "The signature did not validate: wrong or regenerated key, a request changed after signing, a stale date, or a SAS that is malformed, expired or not yet valid.",
    rules: [
      {
        authTypes: ["SAS"],
        decision: "sas",
        guidance: {
          summary:
            "A SAS failed validation: it is expired or not yet valid, signed with a key that has since changed, or signed over a different path or fields than the request uses.",
          steps: [
            "Compare the failing URIs' st/se with the request times: an se in the past means expired; an st in the future means the minting clock runs ahead.",
            "Check which key slot (key1/key2) signed the SAS and whether that key was regenerated before onset.",
            "Compare the signed resource (sr, path, encoding) with the path actually requested.",
            "Mint a fresh SAS from the current key or a user delegation key and replay one request.",
          ],
          avoid: [
            "Do not regenerate keys to fix an expired or mis-scoped SAS: every other SAS signed with that key breaks too.",
            NO_FIREWALL_FOR_SIGNATURE,
            NO_SECRET_LOGGING,
          ],
        },
      },
      {
        authTypes: "*",
        decision: "authentication",
        guidance: {
          summary:
            "Shared Key signatures are rejected: the caller signs with a key the account no longer has, signs a request that is changed afterwards, or sends a date more than 15 minutes off.",
          steps: [
            "Check whether a key was regenerated just before onset and which key slot (key1/key2) the failing callers sign with.",
            "If only some hosts fail while the same key succeeds elsewhere, check those hosts' clocks (x-ms-date more than 15 minutes off).",
            "If failures began with a deployment or SDK upgrade, diff the client's string-to-sign with the server's (auth-triage signature explain).",
            "Look for a proxy or gateway that rewrites the path, strips x-ms-date or adds x-ms-* headers after signing.",
          ],
          avoid: [ROTATE_KEYS, NO_RBAC_FOR_UNAUTHENTICATED, NO_FIREWALL_FOR_SIGNATURE, NO_SECRET_LOGGING],
        },
      },
    ],
  },
  {
    code: "InvalidAuthenticationInfo",
    httpStatus: [401, 400],
    meaning:
      "The authentication metadata is malformed or unusable: a rejected OAuth token (expired, wrong audience or tenant), a malformed Authorization header, or mixed schemes.",
    rules: [
      {
        authTypes: "*",
        decision: "authentication",
        guidance: {
          summary:
            "Storage could not authenticate the caller from what it sent: usually an OAuth token for the wrong audience or tenant, an expired token, or a malformed or mixed Authorization header.",
          steps: [
            "Read the 401's WWW-Authenticate challenge: authorization_uri names the tenant and resource_id the audience Storage expects.",
            "Decode the token's claims (aud, tid, exp, nbf) and compare them with the challenge; check the client clock if exp/nbf look off.",
            "Confirm the request carries exactly one scheme: a bearer token, Shared Key, or a SAS, never a leftover header of another.",
            "Check x-ms-version: bearer tokens need 2017-11-09 or later.",
          ],
          avoid: [NO_RBAC_FOR_UNAUTHENTICATED, ROTATE_KEYS, NO_SECRET_LOGGING],
        },
      },
    ],
  },
  {
    code: "NoAuthenticationInformation",
    httpStatus: [401],
    meaning:
      "No credentials were sent: an anonymous attempt, or an SDK that did not attach a token. Often not logged at all.",
    rules: [
      {
        authTypes: "*",
        decision: "authentication",
        guidance: {
          summary:
            "Requests arrive without credentials: anonymous access to a resource that is not public, or a client whose credential chain attached nothing.",
          steps: [
            "If anonymous access was intended, check allowBlobPublicAccess and the container's access level.",
            "Otherwise check the client's credential configuration: a missing connection string, SAS or token provider.",
            "Remember most failed anonymous requests are not logged: the real volume may be higher than shown.",
          ],
          avoid: [
            NO_RBAC_FOR_UNAUTHENTICATED,
            "Do not enable public blob access to silence the error unless the data is meant to be public.",
          ],
        },
      },
    ],
  },
  {
    code: "AuthorizationFailure",
    message: "This request is not authorized to perform this operation.",
    httpStatus: [403],
    meaning:
      "Generic not-authorized, in practice mostly the network: public access disabled, IP or virtual network not allowed, private endpoint or DNS, network security perimeter.",
    rules: [
      {
        authTypes: "*",
        decision: "network",
        guidance: {
          summary:
            "The account's network rules reject these callers: the firewall, a virtual-network rule, disabled public access, or a private endpoint the callers do not resolve to.",
          steps: [
            "Check the account's networkAcls and publicNetworkAccess, and whether they changed before onset.",
            "Compare the failing caller IPs with the allowed IP ranges and virtual networks.",
            "For private endpoints, check the callers resolve <account>.<service>.core.windows.net to the private address.",
            "Check for a network security perimeter, which overrides the account firewall.",
          ],
          avoid: [
            ROTATE_KEYS,
            "Do not add RBAC roles: a network rejection happens before roles are evaluated.",
            "Do not disable the firewall account-wide; add the specific range, subnet or private endpoint.",
          ],
        },
      },
    ],
  },
  {
    code: "AuthorizationPermissionMismatch",
    message: "This request is not authorized to perform this operation using this permission.",
    httpStatus: [403],
    meaning:
      "The caller authenticated but lacks the permission: an RBAC data role or scope for OAuth, or SAS permissions (sp) that do not cover the operation.",
    rules: [
      {
        authTypes: ["SAS"],
        decision: "sas",
        guidance: {
          summary:
            "The SAS authenticates but its permissions (sp) do not cover this operation; overwriting a blob needs write and delete, listing needs list.",
          steps: [
            "Compare the SAS sp with what the failing operations need.",
            "If a stored access policy (si) is used, check whether it changed: changes take up to 30 seconds.",
            "Issue a SAS with the missing permission only, for the narrowest resource.",
          ],
          avoid: [
            "Do not switch to an account key or an account-wide SAS with all permissions.",
            ROTATE_KEYS,
            "Do not add RBAC roles: a SAS request is not authorised by roles.",
          ],
        },
      },
      {
        authTypes: "*",
        decision: "rbac",
        guidance: {
          summary:
            "The caller authenticated with Microsoft Entra ID but has no data-plane role (or not at this scope) allowing the operation.",
          steps: [
            "Identify the principal (RequesterObjectId) and list its role assignments at the account, container and higher scopes.",
            "Check whether a role assignment was removed, or created only minutes ago (propagation can take up to 30 minutes, longer at resource-group or subscription scope).",
            "Control-plane roles (Owner, Contributor) do not grant data access: assign a Storage Blob/Queue/Table/File Data role.",
            "Check AuthorizationDetails for a deny assignment or an ABAC condition (reason MissingAttributes).",
          ],
          avoid: [
            ROTATE_KEYS,
            "Do not fall back to account keys or a SAS to bypass RBAC.",
            "Do not grant Owner or a subscription-wide data role: assign the narrowest data role at the narrowest scope.",
          ],
        },
      },
    ],
  },
  {
    code: "AuthorizationProtocolMismatch",
    message: "This request is not authorized to perform this operation using this protocol.",
    httpStatus: [403],
    meaning: "A SAS with spr=https was used over HTTP.",
    rules: [
      {
        authTypes: "*",
        decision: "sas",
        guidance: {
          summary: "The SAS only allows HTTPS (spr=https) but the requests use HTTP.",
          steps: [
            "Find the callers using http:// endpoints (Protocol column) and switch them to https://.",
            "Check proxies or connection strings that force DefaultEndpointsProtocol=http.",
          ],
          avoid: ["Do not mint SASes with spr=https,http to make it work.", ROTATE_KEYS],
        },
      },
    ],
  },
  {
    code: "AuthorizationResourceTypeMismatch",
    message: "This request is not authorized to perform this operation using this resource type.",
    httpStatus: [403],
    meaning: "An account SAS whose srt (service, container, object) does not cover the resource.",
    rules: [
      {
        authTypes: "*",
        decision: "sas",
        guidance: {
          summary:
            "The account SAS's resource types (srt) do not include the resource these operations touch.",
          steps: [
            "Compare srt with the operations: listing containers needs s, container operations c, blob or message operations o.",
            "With x-ms-version 2024-08-04 or later the error body names the required srt (ExtendedErrorDetail).",
          ],
          avoid: [
            "Do not widen the SAS to srt=sco and all permissions; add only the missing type.",
            ROTATE_KEYS,
          ],
        },
      },
    ],
  },
  {
    code: "AuthorizationServiceMismatch",
    message: "This request is not authorized to perform this operation using this service.",
    httpStatus: [403],
    meaning: "An account SAS whose ss does not include this service.",
    rules: [
      {
        authTypes: "*",
        decision: "sas",
        guidance: {
          summary: "The account SAS's services (ss) do not include the service being called.",
          steps: [
            "Compare ss (b, q, t, f) with the failing services.",
            "Check whether the client reuses a SAS minted for another service.",
          ],
          avoid: ["Do not widen ss to every service; add only the one needed.", ROTATE_KEYS],
        },
      },
    ],
  },
  {
    code: "AuthorizationSourceIPMismatch",
    message: "This request is not authorized to perform this operation using this source IP {SourceIP}.",
    httpStatus: [403],
    meaning: "The SAS's sip range does not include the caller's IP.",
    rules: [
      {
        authTypes: "*",
        decision: "sas",
        guidance: {
          summary: "The SAS is bound to an IP range (sip) that does not include the callers' addresses.",
          steps: [
            "Compare the failing caller IPs with the SAS sip range.",
            "Check for NAT or egress changes: a new outbound IP after a network change breaks sip-bound SASes.",
          ],
          avoid: [
            "Do not drop sip altogether; update it to the real egress range.",
            NO_FIREWALL_FOR_SIGNATURE,
          ],
        },
      },
    ],
  },
  {
    code: "KeyBasedAuthenticationNotPermitted",
    message: "Key based authentication is not permitted on this storage account.",
    httpStatus: [403],
    meaning:
      "Shared Key access is disabled on the account (allowSharedKeyAccess=false): Shared Key, account SAS and service SAS are refused; user delegation SAS still works.",
    rules: [
      {
        authTypes: "*",
        decision: "policy",
        guidance: {
          summary:
            "The account forbids Shared Key authorization (allowSharedKeyAccess=false), so every key-signed request and key-signed SAS is refused, whatever the key.",
          steps: [
            "Confirm allowSharedKeyAccess on the account and who changed it (storageAccounts/write), often an Azure Policy remediation.",
            "Move the callers to Microsoft Entra ID (managed identity) or user delegation SAS; Functions hosts need identity-based AzureWebJobsStorage.",
            "If key access must return temporarily, re-enable it deliberately and track the migration.",
          ],
          avoid: [
            "Do not rotate keys: no key works while Shared Key access is disabled.",
            "Do not add RBAC roles to the key-based callers: they do not present an identity.",
            NO_FIREWALL_FOR_SIGNATURE,
          ],
        },
      },
    ],
  },
  {
    code: "CorsPreflightFailure",
    httpStatus: [403],
    meaning:
      "A browser's CORS preflight (OPTIONS) found no CORS rule of the service that allows its origin, method and request headers; no credential was looked at. Failed anonymous requests are seldom logged, so this shows mostly in browser captures.",
    rules: [
      {
        authTypes: "*",
        decision: "policy",
        guidance: {
          summary:
            "The service's CORS rules do not allow what the browser asked for (its origin, method or request headers), so the browser never sent the real request: nothing about keys, SAS, tokens or roles was judged.",
          steps: [
            "Read the preflight's Origin, Access-Control-Request-Method and Access-Control-Request-Headers.",
            "Compare them with the service's CORS rules (az storage cors list): origins match exactly, scheme and port included.",
            "Add one rule for exactly that origin, method and headers on the service the page calls (blob, file, queue or table).",
          ],
          avoid: [
            "Do not rotate keys, mint a new SAS or add RBAC roles: a preflight carries no credential.",
            "Do not allow origin '*' with every method: any site could then drive browsers that hold a SAS.",
            NO_FIREWALL_FOR_SIGNATURE,
          ],
        },
      },
    ],
  },
  {
    // Its message is the copy source's own (403: "This request is not authorized to perform this
    // operation."), so it has none of its own here.
    code: COPY_SOURCE_REFUSED,
    httpStatus: [401, 403],
    meaning:
      "A copy from a URL (Copy Blob From URL, Put Block From URL, Put Range From URL, AzCopy's service-to-service copies) was refused reading its source: the destination request itself was authorized. The source URL's SAS is expired or lacks read, its sip range names the client's address though Storage reads the source from its own, the source account's network rules do not admit the copy, or the source token (x-ms-copy-source-authorization) lacks a data role on the source.",
    rules: [
      {
        authTypes: "*",
        decision: "sas",
        guidance: {
          summary:
            "Storage could not read the copy's source: the credential in the source URL (x-ms-copy-source) is what failed, not the caller's credential for the destination, which Storage accepted.",
          steps: [
            "Read the source URL (x-ms-copy-source): is its SAS expired (se), missing read (sp), or bound by sip to the client's address? A service-to-service copy reads the source from Storage's addresses, not the client's: drop sip from the source SAS or use a user delegation SAS.",
            "When the source account has a firewall, it must admit the copy: a copy between accounts reads from Storage's own addresses, which an IP rule cannot name.",
            "With a source token (x-ms-copy-source-authorization), grant the destination's caller Storage Blob Data Reader (or the File share role) on the source.",
            "Replay the copy with a freshly minted source SAS (sp=r, no sip) to confirm.",
          ],
          avoid: [
            "Do not change the destination's key, SAS or roles: the destination request authenticated; the source is what Storage could not read.",
            "Do not add the client's address to the source SAS's sip range: the copy does not read from the client.",
            ROTATE_KEYS,
          ],
        },
      },
    ],
  },
  {
    code: "InsufficientAccountPermissions",
    message: "The account being accessed does not have sufficient permissions to execute this operation.",
    httpStatus: [403],
    meaning:
      "The account's state or configuration does not allow the operation: read or write disabled, secondary endpoint access, account lacks the permission.",
    rules: [
      {
        authTypes: "*",
        decision: "policy",
        guidance: {
          summary: "The account's configuration does not allow this operation for any caller.",
          steps: [
            "Check the account kind, replication (secondary reads need RA-GRS) and any read/write restrictions.",
            "Check recent storageAccounts/write changes before onset.",
          ],
          avoid: [ROTATE_KEYS, "Do not add RBAC roles: the account itself refuses the operation."],
        },
      },
    ],
  },
  {
    code: "AccountIsDisabled",
    message: "The specified account is disabled.",
    httpStatus: [403],
    meaning: "The account or its subscription is disabled, e.g. for billing.",
    rules: [
      {
        authTypes: "*",
        decision: "policy",
        guidance: {
          summary:
            "The storage account or its subscription is disabled; no credential will work until it is re-enabled.",
          steps: [
            "Check the subscription state and billing in the portal.",
            "Check Service Health and the account's activity log for a disable event.",
          ],
          avoid: [ROTATE_KEYS, "Do not change RBAC, SAS or network rules: none of them is the cause."],
        },
      },
    ],
  },
  {
    code: "RequestForbiddenByContainerEncryptionPolicy",
    httpStatus: [403],
    meaning: "The container's encryption scope policy forbids overriding the scope on this request.",
    rules: [
      {
        authTypes: "*",
        decision: "policy",
        guidance: {
          summary: "The container enforces its default encryption scope and the request asks for another.",
          steps: [
            "Check the container's defaultEncryptionScope and preventEncryptionScopeOverride.",
            "Remove the x-ms-encryption-scope header from the callers or use the container's scope.",
            "If a customer-managed key was disabled, restore key access.",
          ],
          avoid: [ROTATE_KEYS, "Do not add RBAC roles: this is an encryption policy, not a permission."],
        },
      },
    ],
  },
];

/**
 * Classic Storage Analytics (`$logs`) request statuses (learn.microsoft.com "Storage Analytics logged
 * operations and status messages", and real lines such as `OAuthIpAuthorizationError`). They name the
 * failure kind per auth scheme, not the error code: where one status covers codes with different verdicts
 * the rule says so (`ambiguous`), and diagnostic settings are the way to the exact code.
 */
const EXACT_CODE_STEP =
  "For the exact error code, send this account's logs through a diagnostic setting (StorageBlobLogs / StorageQueueLogs / StorageTableLogs): classic $logs lines only carry the status.";
const NO_RBAC_FOR_NETWORK = "Do not add RBAC roles: a network rejection happens before roles are evaluated.";
const NARROWING_FIREWALL = {
  summary:
    "The account's network rules (IP firewall, virtual-network rules, disabled public access, private endpoint) rejected these callers' addresses.",
  steps: [
    "Compare the failing caller IPs (requester-ip-address) with the account's allowed IP ranges and virtual networks.",
    "Check networkAcls and publicNetworkAccess on the account, and whether they changed before onset.",
    "For private endpoints, check that the callers resolve the account's endpoint to the private address.",
  ],
  avoid: [
    ROTATE_KEYS,
    NO_RBAC_FOR_NETWORK,
    "Do not disable the firewall account-wide; add the specific range, subnet or private endpoint.",
  ],
};

export const CLASSIC_STATUSES: readonly ErrorCodeEntry[] = [
  {
    code: "AuthorizationError",
    standsFor: [
      "AuthenticationFailed",
      "InvalidAuthenticationInfo",
      "AuthorizationPermissionMismatch",
      "KeyBasedAuthenticationNotPermitted",
      "InsufficientAccountPermissions",
      "RequestForbiddenByContainerEncryptionPolicy",
    ],
    classic: true,
    httpStatus: [401, 403],
    meaning:
      "Classic status of an authenticated (Shared Key or OAuth) request that was refused. The line does not carry the error code: a 403 may be a bad signature (AuthenticationFailed), a missing permission (AuthorizationPermissionMismatch) or disabled Shared Key access (KeyBasedAuthenticationNotPermitted).",
    rules: [
      {
        authTypes: "*",
        statusCodes: [401],
        decision: "authentication",
        guidance: {
          summary:
            "Storage refused to authenticate these requests (HTTP 401): the credential itself was not accepted, usually an OAuth token for the wrong audience or tenant, an expired token, or a malformed Authorization header.",
          steps: [
            "Read the 401's WWW-Authenticate challenge: authorization_uri names the tenant and resource_id the audience Storage expects.",
            "On 2.0 lines compare the token's tenant, audience and issuer fields with the account's tenant and https://storage.azure.com.",
            EXACT_CODE_STEP,
          ],
          avoid: [NO_RBAC_FOR_UNAUTHENTICATED, ROTATE_KEYS, NO_SECRET_LOGGING],
        },
      },
      {
        authTypes: ["OAuth"],
        decision: "rbac",
        ambiguous: {
          between: ["rbac", "policy"],
          narrowedBy:
            "a 2.0 line's authorization-detail (a role evaluation means a missing or denied data role), the principal's user object id, and whether the same principal succeeds on other operations",
        },
        guidance: {
          summary:
            "An OAuth caller was refused (classic AuthorizationError, 403): most often the principal lacks a data-plane role at this scope (AuthorizationPermissionMismatch), less often an account setting forbids the operation. The classic line cannot tell which.",
          steps: [
            "Identify the principal (user-object-id on 2.0 lines) and list its Storage data role assignments at the account, container and higher scopes.",
            "On 2.0 lines read authorization-detail: a role evaluation that found no matching assignment or a deny assignment confirms a permission problem.",
            "Check whether the same principal succeeds on other operations (then the role lacks this action) or nowhere (then the role is missing).",
            EXACT_CODE_STEP,
          ],
          avoid: [
            ROTATE_KEYS,
            "Do not fall back to account keys or a SAS to bypass RBAC.",
            "Do not grant Owner or a subscription-wide data role: assign the narrowest data role at the narrowest scope.",
          ],
        },
      },
      {
        authTypes: "*",
        decision: "authentication",
        ambiguous: {
          between: ["authentication", "policy"],
          narrowedBy:
            "whether the same key slot succeeds from other callers (then a changed request or clock, not the key), an allowSharedKeyAccess change in the activity log (then policy), and the operation",
        },
        guidance: {
          summary:
            "Shared Key requests were refused (classic AuthorizationError, 403): either the signature did not validate (wrong or regenerated key, a request changed after signing, a clock more than 15 minutes off) or the account no longer allows Shared Key access. The classic line cannot tell which.",
          steps: [
            "Check the activity log for allowSharedKeyAccess=false on the account just before onset: then every key-signed request fails, whatever the key.",
            "Check whether a key was regenerated before onset, and whether other callers still succeed with the same key.",
            "If only some hosts fail, check their clocks (x-ms-date more than 15 minutes off).",
            EXACT_CODE_STEP,
          ],
          avoid: [ROTATE_KEYS, NO_RBAC_FOR_UNAUTHENTICATED, NO_FIREWALL_FOR_SIGNATURE, NO_SECRET_LOGGING],
        },
      },
    ],
  },
  {
    code: "SASAuthorizationError",
    standsFor: [
      "AuthenticationFailed",
      "AuthorizationPermissionMismatch",
      "AuthorizationProtocolMismatch",
      "AuthorizationResourceTypeMismatch",
      "AuthorizationServiceMismatch",
      "KeyBasedAuthenticationNotPermitted",
    ],
    classic: true,
    httpStatus: [403],
    meaning:
      "Classic status of a SAS request that was refused: an expired, not-yet-valid or badly signed SAS (AuthenticationFailed), missing SAS permissions or resource types (Authorization*Mismatch), or a key-signed SAS on an account without Shared Key access.",
    rules: [
      {
        authTypes: "*",
        decision: "sas",
        ambiguous: {
          between: ["sas", "policy"],
          narrowedBy:
            "the SAS fields in request-url (st/se against the request time, sp against the operation, skoid for a user delegation SAS) and an allowSharedKeyAccess change in the activity log",
        },
        guidance: {
          summary:
            "SAS requests were refused (classic SASAuthorizationError): usually the SAS itself (expired, not yet valid, signed with a key since changed, or lacking the permission), unless the account stopped accepting key-signed SAS.",
          steps: [
            "Compare st/se in the failing request URLs with the request times: se in the past means expired; st in the future means the minting clock runs ahead.",
            "Compare the SAS permissions (sp) and resource types (srt) with the failing operations.",
            "Check the activity log for allowSharedKeyAccess=false or a key regeneration before onset.",
            EXACT_CODE_STEP,
          ],
          avoid: [
            "Do not regenerate keys to fix an expired or mis-scoped SAS: every other SAS signed with that key breaks too.",
            NO_FIREWALL_FOR_SIGNATURE,
            NO_SECRET_LOGGING,
          ],
        },
      },
    ],
  },
  {
    code: "AnonymousAuthorizationError",
    standsFor: ["NoAuthenticationInformation", "PublicAccessNotPermitted", "ResourceNotFound"],
    classic: true,
    httpStatus: [401, 403, 404],
    meaning:
      "Classic status of an anonymous request (no credentials) that was refused: the resource is not public or the account forbids public access.",
    rules: [
      {
        authTypes: "*",
        decision: "authentication",
        guidance: {
          summary:
            "Requests arrived without credentials and were refused: anonymous access to a resource that is not public, or a client whose credential chain attached nothing.",
          steps: [
            "If anonymous access was intended, check allowBlobPublicAccess and the container's access level.",
            "Otherwise check the client's credential configuration: a missing connection string, SAS or token provider.",
          ],
          avoid: [
            NO_RBAC_FOR_UNAUTHENTICATED,
            "Do not enable public blob access to silence the error unless the data is meant to be public.",
          ],
        },
      },
    ],
  },
  {
    code: "IpAuthorizationError",
    standsFor: ["AuthorizationFailure"],
    classic: true,
    httpStatus: [403],
    meaning: "Classic status of a Shared Key request rejected by the account's network rules.",
    rules: [{ authTypes: "*", decision: "network", guidance: NARROWING_FIREWALL }],
  },
  {
    code: "OAuthIpAuthorizationError",
    standsFor: ["AuthorizationFailure"],
    classic: true,
    httpStatus: [403],
    meaning: "Classic status of an OAuth request rejected by the account's network rules.",
    rules: [{ authTypes: "*", decision: "network", guidance: NARROWING_FIREWALL }],
  },
  {
    code: "NetworkAuthorizationError",
    standsFor: ["AuthorizationFailure"],
    classic: true,
    httpStatus: [403],
    meaning:
      "Classic status of a request rejected by the account's network configuration (firewall, virtual network, private endpoint, network security perimeter).",
    rules: [{ authTypes: "*", decision: "network", guidance: NARROWING_FIREWALL }],
  },
  {
    code: "SASIpAuthorizationError",
    standsFor: ["AuthorizationFailure", "AuthorizationSourceIPMismatch"],
    classic: true,
    httpStatus: [403],
    meaning:
      "Classic status of a SAS request refused for its source address: the account's network rules, or the SAS's own IP range (sip).",
    rules: [
      {
        authTypes: "*",
        decision: "network",
        ambiguous: {
          between: ["network", "sas"],
          narrowedBy:
            "the sip parameter in request-url: a sip range that excludes the caller means the SAS's own IP restriction (AuthorizationSourceIPMismatch), otherwise the account firewall",
        },
        guidance: {
          summary:
            "SAS requests were refused for their source address (classic SASIpAuthorizationError): the account's network rules reject the callers, or the SAS is bound to an IP range (sip) that excludes them.",
          steps: [
            "Look for sip in the failing request URLs: if it excludes the caller, mint the SAS for the real egress range.",
            ...NARROWING_FIREWALL.steps,
            EXACT_CODE_STEP,
          ],
          avoid: [
            ROTATE_KEYS,
            NO_RBAC_FOR_NETWORK,
            "Do not disable the firewall account-wide or drop sip altogether; allow the specific range.",
          ],
        },
      },
    ],
  },
];

/** Used for a 401/403 whose error code is not in the table: said plainly, never guessed into a bucket. */
export const UNKNOWN_CODE_RULES: Record<401 | 403, VerdictRule> = {
  401: {
    authTypes: "*",
    decision: "authentication",
    guidance: {
      summary:
        "Storage refused to authenticate these requests with an error code this tool does not know yet.",
      steps: [
        "Read the error code and AuthenticationErrorDetail in one failing response.",
        "Check the scheme used (AuthenticationType) and the client's credential configuration.",
      ],
      avoid: [NO_RBAC_FOR_UNAUTHENTICATED, ROTATE_KEYS],
    },
  },
  403: {
    authTypes: "*",
    decision: "authentication",
    guidance: {
      summary: "Storage refused these requests with an error code this tool does not know yet.",
      steps: [
        "Read the error code and AuthenticationErrorDetail in one failing response.",
        "Check the scheme used (AuthenticationType), network rules and role assignments in that order.",
      ],
      avoid: [ROTATE_KEYS],
    },
  },
};

/** Every entry the verdict is read from: the storage error codes, then the classic statuses. */
export const ALL_CODE_ENTRIES: readonly ErrorCodeEntry[] = [...ERROR_CODES, ...CLASSIC_STATUSES];

const BY_CODE = new Map(ALL_CODE_ENTRIES.map((e) => [e.code.toLowerCase(), e]));

export function errorCodeEntry(code: string): ErrorCodeEntry | undefined {
  return BY_CODE.get(code.toLowerCase());
}

/**
 * A message without its articles: Azurite words AuthenticationFailed's "the value of the Authorization
 * header" where Storage writes "the value of Authorization header".
 */
const withoutArticles = (text: string): string => text.replace(/\bthe\s+/gi, "");

/** A code's message as a pattern's source: `{…}` any value (within `any`), case and articles loose. */
function messageSource(message: string, any: string): string {
  return withoutArticles(message)
    .replace(/\.$/, "")
    .split(/\{[^}]*\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(any);
}

const WITH_MESSAGE = ERROR_CODES.filter((e): e is ErrorCodeEntry & { message: string } => !!e.message);

/** Each code's message as a pattern: the whole text, the final period loose. */
const BY_MESSAGE: ReadonlyArray<[RegExp, string]> = WITH_MESSAGE.map((e) => [
  new RegExp(`^${messageSource(e.message, ".+")}\\.?$`, "i"),
  e.code,
]);

/**
 * Each code's message as it stands inside other text: its final period required (a shorter message is
 * the start of a longer one: "…this operation." and "…this operation using this permission."), a value
 * within one line.
 */
const QUOTED_MESSAGE: ReadonlyArray<[RegExp, string]> = WITH_MESSAGE.map((e) => [
  new RegExp(`${messageSource(e.message, "[^\\n]+?")}\\.`, "i"),
  e.code,
]);

/** The code whose message a status text is, or undefined when it is no code's (or not only one's). */
export function codeOfStatusMessage(text: string): string | undefined {
  const t = withoutArticles(text.trim().replace(/\s+/g, " "));
  return BY_MESSAGE.find(([re]) => re.test(t))?.[1];
}

/**
 * The code whose message a printed error quotes, somewhere in it, for a tool that prints Storage's
 * message and neither its code nor its status (the Hadoop WASB driver's StorageException): the one code
 * whose message is there, or undefined when none is or several are.
 */
export function codeQuotedIn(text: string): string | undefined {
  const t = withoutArticles(text.replace(/[ \t]+/g, " "));
  const found = new Set(QUOTED_MESSAGE.filter(([re]) => re.test(t)).map(([, code]) => code));
  return found.size === 1 ? [...found][0] : undefined;
}

/** The error codes a logged value may mean: itself, plus those a classic status stands for. */
export function codesMeantBy(code: string): readonly string[] {
  const standsFor = errorCodeEntry(code)?.standsFor;
  return standsFor ? [code, ...standsFor] : [code];
}

/** The verdict rule for a challenge: the first rule of the code whose auth types match. */
export function verdictRuleFor(errorCode: string, authType: string, statusCode: number): VerdictRule {
  const entry = errorCodeEntry(errorCode);
  if (entry) {
    for (const rule of entry.rules) {
      if (rule.statusCodes && !rule.statusCodes.includes(statusCode)) continue;
      if (rule.authTypes === "*" || rule.authTypes.some((t) => t.toLowerCase() === authType.toLowerCase())) {
        return rule;
      }
    }
  }
  return UNKNOWN_CODE_RULES[statusCode === 401 ? 401 : 403];
}
