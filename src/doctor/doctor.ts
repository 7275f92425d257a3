/**
 * The request doctor: from one captured request (and its response when available) say which scheme was
 * meant, whether exactly one was sent, and the first thing that is wrong and why, in the product's
 * verdict vocabulary with the wrong fix to avoid. Checks run in the order a person should fix things:
 * scheme integrity first, then the credential itself, then what the server said.
 */
import {
  COPY_SOURCE_REFUSED,
  verdictRuleFor,
  type LoggedAuthType,
  type VerdictRule,
} from "../codes/error-codes.js";
import type { Decision } from "../model/incident.js";
import { redactSecrets, redactUri, sanitizeLogValue } from "../redact.js";
import { analyzeBearer, parseBearerChallenge, tokenProblemInDetail } from "./bearer.js";
import { corsFindings, corsPreflightOf, type CorsPreflight } from "./cors.js";
import { copySourceFindings, copySourceOf } from "./copy-source.js";
import { isHiddenByLogger } from "./hidden.js";
import {
  header,
  headerAll,
  storageErrorOf,
  type CapturedExchange,
  type CapturedResponse,
} from "./capture.js";
import { orderFindings, type Finding } from "./finding.js";
import { operationOf, targetOf, withService, type StorageService } from "./operation.js";
import { analyzeSas, looksLikeSas, sasSignatureFindings, type SasKind } from "./sas.js";
import { inferServiceFromAnswer, inferServiceFromRequest } from "./service-inference.js";
import { emulatorOf, responseOriginFindings, type Emulator } from "./origin.js";
import { weighEvidence, type Basis } from "./weigh.js";

export type Scheme =
  "SharedKey" | "SharedKeyLite" | "SAS" | "Bearer" | "Anonymous" | "Mixed" | "Hidden" | "Unknown";

/** A key the user supplied (--key-env), to tell a wrong key from a changed string. Never shown. */
export interface KeyCheck {
  /** Where the key came from, for the report: "the key in $STORAGE_KEY". */
  source: string;
  /** Base64 HMAC-SHA256 of the string with the key (node:crypto in the CLI). */
  sign(stringToSign: string): string;
}

/** What the Shared Key diff needs besides the request and the server's string. */
export interface SharedKeyDiffContext {
  service?: StorageService;
  account?: string;
  keyCheck?: KeyCheck;
}

export interface DoctorOptions {
  /** The caller's egress IP, to check a SAS sip range. */
  clientIp?: string;
  /** The service, when the host does not tell (--service). */
  service?: StorageService;
  /** The account, when the host does not tell (--account). */
  account?: string;
  keyCheck?: KeyCheck;
  /**
   * Shared Key string-to-sign diff, supplied by the signature diagnostics when the response carries the
   * server's string-to-sign. Returns findings in the doctor's shape.
   */
  sharedKeyDiff?: (
    exchange: CapturedExchange,
    serverStringToSign: string,
    context?: SharedKeyDiffContext,
  ) => Finding[];
}

export interface DoctorReport {
  scheme: Scheme;
  request: {
    method: string;
    url: string;
    service?: string;
    account?: string;
    /** The OperationName Storage would log for this request (operationOf), when the shape is known. */
    operation?: string;
    /** How the service was told: "host name", "--service", or the request evidence that named it. */
    serviceSource?: string;
    /** How the account was told when neither the host, the path nor --account did (a custom domain). */
    accountSource?: string;
    /** The User-Agent sent (secrets redacted, control characters made visible): who made the call. */
    userAgent?: string;
    /** The caller's egress address, as --client-ip told it (a capture never shows it). */
    clientIp?: string;
    /** The source a copy from a URL reads (x-ms-copy-source), its SAS signature redacted. */
    copySource?: string;
  };
  /** Set when the request went to the storage emulator: its error codes differ from Azure's. */
  emulator?: Emulator;
  /** Which evidence decided the verdict, and why the response's code was overruled when it was. */
  basis: Basis;
  response?: { status?: number; errorCode?: string; detail?: string };
  requestTime?: { iso: string; source: string };
  findings: Finding[];
  /** The first thing to fix, or undefined when nothing is wrong that a capture can show. */
  firstProblem?: Finding;
  verdict: { decision: Decision; summary: string; steps: string[]; avoid: string[] };
  bearer?: { claims?: Record<string, unknown>; challenge?: { tenant?: string; resourceId?: string } };
  sas?: { kind: SasKind; fields: Record<string, string> };
  /** The browser's CORS preflight the request is, when it is one. */
  cors?: CorsPreflight;
}

const MINUTE = 60_000;
const DATE_TOLERANCE_MS = 15 * MINUTE;

const SCHEME_AUTH_TYPE: Record<Scheme, LoggedAuthType | undefined> = {
  SharedKey: "AccountKey",
  SharedKeyLite: "AccountKey",
  SAS: "SAS",
  Bearer: "OAuth",
  Anonymous: "Anonymous",
  Mixed: undefined,
  Hidden: undefined,
  Unknown: undefined,
};

function schemeOfAuthorization(value: string): Scheme {
  if (isHiddenByLogger(value)) return "Hidden";
  const word = value.trim().split(/\s+/)[0]?.toLowerCase();
  if (word === "sharedkey") return "SharedKey";
  if (word === "sharedkeylite") return "SharedKeyLite";
  if (word === "bearer") return "Bearer";
  return "Unknown";
}

function parseHttpDate(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/** The string-to-sign in a SAS failure's detail ("Signature did not match. String to sign used was …"). */
export function sasStringToSignOf(detail: string | undefined): string | undefined {
  const m = detail ? /String to sign used was\s*:?\s*'?([\s\S]*?)'?\.?\s*$/.exec(detail) : null;
  return m?.[1]?.replace(/\\n/g, "\n");
}

/**
 * The account Storage signed for, from the canonicalized resource of its string-to-sign: a custom domain's
 * host names no account, and this is the one Storage itself used. Shared Key: `/account/…`; a SAS:
 * `/service/account/…`.
 */
function accountStorageSignedFor(
  scheme: Scheme,
  error: { stringToSign?: string; authenticationErrorDetail?: string },
): string | undefined {
  const sharedKey = scheme === "SharedKey" || scheme === "SharedKeyLite";
  const text = sharedKey
    ? error.stringToSign
    : scheme === "SAS"
      ? sasStringToSignOf(error.authenticationErrorDetail)
      : undefined;
  const resource = text?.split("\n").find((line) => line.startsWith("/")) ?? "";
  const m = (
    sharedKey ? /^\/([a-z0-9]{3,24})(?:\/|$)/ : /^\/(?:blob|queue|table|file)\/([a-z0-9]{3,24})(?:\/|$)/
  ).exec(resource);
  return m?.[1];
}

export function diagnose(
  exchange: CapturedExchange,
  response: CapturedResponse | undefined,
  options: DoctorOptions = {},
): DoctorReport {
  const req = exchange.request;
  const res = response ?? exchange.response;
  const findings: Finding[] = [];
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    throw new Error(`the request URL is not a valid absolute URL: ${redactUri(req.url).slice(0, 200)}`);
  }
  const rawQuery = req.url.includes("?") ? req.url.slice(req.url.indexOf("?") + 1) : "";
  let target = targetOf(url);
  let serviceSource =
    target.service && !target.pathStyle ? "host name" : target.service ? "emulator port" : undefined;
  if (options.account) target = { ...target, account: options.account };
  if (options.service) {
    target = withService(target, options.service);
    serviceSource = "--service";
  } else if (!target.service || target.pathStyle) {
    const inferred =
      inferServiceFromAnswer(res?.headers) ?? inferServiceFromRequest(url, req.headers, target.pathStyle);
    if (inferred && inferred.service !== target.service) {
      target = withService(target, inferred.service);
      serviceSource = inferred.reason;
    } else if (inferred && !serviceSource) serviceSource = inferred.reason;
  }
  const operation = target.service ? operationOf(req.method, url, target, req.headers) : undefined;
  const emulator = emulatorOf(url, target, res);
  const truncated = res?.body !== undefined && isTruncatedBody(res.body);
  const origin = responseOriginFindings(res, truncated);
  // A body that is cut off, or not Storage's at all (an HTML page), holds no string-to-sign to trust.
  const untrusted = truncated || origin.some((f) => f.severity === "error");
  const error = untrusted ? { ...storageErrorOf(res), stringToSign: undefined } : storageErrorOf(res);
  findings.push(...origin);

  // 0. A browser's CORS preflight is answered from the CORS rules alone: no credential is checked.
  const preflight = corsPreflightOf(req.method, req.headers);
  findings.push(...corsFindings(preflight, res, error.code, target.service));

  // 1. Scheme integrity.
  const authorizations = headerAll(req.headers, "authorization");
  const sasPresent = looksLikeSas(url);
  const schemes = authorizations.map(schemeOfAuthorization);
  let scheme: Scheme;
  if (authorizations.length > 1) {
    scheme = "Mixed";
    const legacy =
      schemes.includes("Bearer") && schemes.some((s) => s === "SharedKey" || s === "SharedKeyLite");
    findings.push({
      id: "auth-duplicated",
      severity: "error",
      title: legacy
        ? "A legacy Shared Key header is still attached next to the token"
        : "Two Authorization headers",
      detail: legacy
        ? "The request carries both a Shared Key and a Bearer Authorization header: the service was moved to OAuth but the old signing code still runs. Remove the Shared Key signer so exactly one scheme is sent."
        : `The request carries ${authorizations.length} Authorization headers (${schemes.join(", ")}); Storage cannot tell which to use. Send exactly one.`,
      decision: "authentication",
    });
  } else if (authorizations.length === 1 && sasPresent) {
    scheme = "Mixed";
    findings.push({
      id: "auth-mixed",
      severity: "error",
      title: "An Authorization header and a SAS together",
      detail: `The request sends a ${schemes[0]} Authorization header AND a SAS in the query. Use one scheme: drop the SAS when signing or sending a token, or drop the header when using the SAS.`,
      decision: "authentication",
    });
  } else if (authorizations.length === 1) {
    scheme = schemes[0]!;
    if (scheme === "Hidden") {
      findings.push({
        id: "auth-hidden",
        severity: "info",
        title: "The capture hides the Authorization header",
        detail: `It reads "${authorizations[0]!.trim()}": the logger that captured the request (the Azure SDKs' HTTP logging, az --debug) hid it, so its scheme and credential are not checked here, and the server's answer decides the verdict. To check the credential itself, capture the request with curl -v or a proxy.`,
        decision: "authentication",
      });
    } else if (scheme === "Unknown") {
      findings.push({
        id: "auth-unknown-scheme",
        severity: "error",
        title: "The Authorization scheme is not one Storage accepts",
        detail: `The header's scheme is "${redactSecrets(authorizations[0]!).split(/\s+/)[0]}"; Storage accepts SharedKey, SharedKeyLite and Bearer.`,
        decision: "authentication",
      });
    }
  } else if (!sasPresent && exchange.credentialNotShown) {
    scheme = "Hidden";
    findings.push(credentialNotShownFinding(exchange.credentialNotShown, error.code, res?.status ?? 403));
    const terraform = /^terraform-/.test(exchange.format) ? terraformFinding(error.code) : undefined;
    if (terraform) findings.push(terraform);
  } else {
    scheme = sasPresent ? "SAS" : "Anonymous";
  }

  // The time the request claims, for every time-bound credential.
  const requestTimes: Array<[number | undefined, string]> = [
    [parseHttpDate(header(req.headers, "x-ms-date")), "the request's x-ms-date"],
    [parseHttpDate(header(req.headers, "date")), "the request's Date"],
    [error.timeMs, "the error's Time"],
    [parseHttpDate(res ? header(res.headers, "date") : undefined), "the response's Date"],
  ];
  const [requestTimeMs, requestTimeSource] = requestTimes.find(([t]) => t !== undefined) ?? [undefined, ""];
  const serverTimeMs = error.timeMs ?? parseHttpDate(res ? header(res.headers, "date") : undefined);

  let bearerOut: DoctorReport["bearer"];
  let sasOut: DoctorReport["sas"];

  // The request's string-to-sign against Storage's: it needs the request's headers, not its signature.
  const diffWithServer = (serverStringToSign: string, diff: NonNullable<DoctorOptions["sharedKeyDiff"]>) =>
    diff({ ...exchange, request: req }, serverStringToSign, {
      // The host-derived service is what the diff would infer itself; pass what only the doctor knows.
      ...(serviceSource && serviceSource !== "host name" && target.service
        ? { service: target.service }
        : {}),
      ...(options.account || (target.pathStyle && target.account) ? { account: target.account } : {}),
      ...(options.keyCheck ? { keyCheck: options.keyCheck } : {}),
    });

  // 2. The credential itself.
  const effective = scheme === "Mixed" ? schemes[0] : scheme;
  if (effective === "SharedKey" || effective === "SharedKeyLite") {
    const value = authorizations.find((a) => /^SharedKey/i.test(a.trim())) ?? "";
    const acct = /^SharedKey(?:Lite)?\s+([^:\s]+):/i.exec(value.trim())?.[1];
    if (!acct) {
      findings.push({
        id: "sharedkey-malformed",
        severity: "error",
        title: "The Shared Key header is malformed",
        detail: 'Expected "SharedKey <account>:<signature>".',
        decision: "authentication",
      });
    } else if (/-secondary$/i.test(acct)) {
      findings.push({
        id: "sharedkey-secondary-name",
        severity: "error",
        title: "The header names the -secondary account",
        detail: `The Authorization header names ${acct}; for secondary access the account name stays the primary one (${acct.replace(/-secondary$/i, "")}).`,
        decision: "authentication",
      });
    } else if (target.account && acct.toLowerCase() !== target.account.toLowerCase()) {
      findings.push({
        id: "sharedkey-account-mismatch",
        severity: "error",
        title: "Signed for another account",
        detail: `The header names account ${acct} but the request goes to ${target.account}: the client uses another account's key or connection string.`,
        decision: "authentication",
      });
    }
    const signedDate = parseHttpDate(header(req.headers, "x-ms-date") ?? header(req.headers, "date"));
    if (signedDate === undefined) {
      findings.push({
        id: "sharedkey-no-date",
        severity: "error",
        title: "No x-ms-date or Date header",
        detail:
          "Shared Key requests must carry x-ms-date (or Date). A proxy may have stripped it after signing.",
        decision: "authentication",
      });
    } else if (serverTimeMs !== undefined && Math.abs(serverTimeMs - signedDate) > DATE_TOLERANCE_MS) {
      const off = Math.round((serverTimeMs - signedDate) / MINUTE);
      findings.push({
        id: "sharedkey-date-skew",
        severity: "error",
        title: "The request date is more than 15 minutes off: clock skew",
        detail: `The request was dated ${new Date(signedDate).toISOString()}, ${Math.abs(off)} min ${off > 0 ? "behind" : "ahead of"} the server's time ${new Date(serverTimeMs).toISOString()}. Storage refuses dates more than 15 minutes off ("Request date header too old"): fix the client clock (NTP, a container or VM that slept). Keys are fine.`,
        decision: "authentication",
        clockSkew: true,
      });
    }
    const serverStringToSign = error.stringToSign;
    const code = error.code?.toLowerCase();
    if (serverStringToSign && options.sharedKeyDiff) {
      findings.push(...diffWithServer(serverStringToSign, options.sharedKeyDiff));
    } else if (
      !serverStringToSign &&
      (code === "authenticationfailed" ||
        (emulator && (code === "authorizationfailure" || code === "invalidauthenticationinfo")))
    ) {
      findings.push(
        sharedKeyRejected(
          `${emulator ? `The emulator answered ${error.code}, its answer to a signature that does not verify (Azure answers 403 AuthenticationFailed). ` : ""}The signature did not verify, and without the server's string-to-sign this capture cannot tell a wrong key from a request changed in transit (a proxy rewriting x-ms-date, adding Content-Type, re-encoding the path). ${emulator ? "Start Azurite with --debug FILE and pass that log as the request: it holds the request and Azurite's string-to-sign" : "Capture the whole error body: Azure's AuthenticationErrorDetail carries the string-to-sign"}; with it the exact differing field is named.`,
        ),
      );
    }
  } else if (effective === "Hidden" && !sasPresent && error.stringToSign && options.sharedKeyDiff) {
    // A hidden Authorization header that Storage answered with its Shared Key string-to-sign was Shared
    // Key (a token's refusal quotes none, and the URL holds no SAS): the diff runs as for a visible one.
    findings.push(...diffWithServer(error.stringToSign, options.sharedKeyDiff));
  }
  const bearerToken = (authorizations.find((a) => /^Bearer/i.test(a.trim())) ?? "")
    .trim()
    .replace(/^Bearer\s+/i, "");
  if (effective === "Bearer" && isHiddenByLogger(bearerToken)) {
    findings.push({
      id: "bearer-token-hidden",
      severity: "info",
      title: "The capture hides the bearer token",
      detail: `The token reads "${bearerToken}": the logger hid it, so its audience, tenant and lifetime are not checked here, and the server's answer decides the verdict. To check the token, capture it with curl -v or a proxy, or decode it where it is issued.`,
      decision: "authentication",
    });
  } else if (effective === "Bearer") {
    const challengeHeader = res ? header(res.headers, "www-authenticate") : undefined;
    const challenge = challengeHeader ? parseBearerChallenge(challengeHeader) : undefined;
    const analysis = analyzeBearer({
      token: bearerToken,
      host: url.host,
      protocol: url.protocol.replace(":", ""),
      requestTimeMs,
      requestTimeSource,
      xMsVersion: header(req.headers, "x-ms-version"),
      challenge,
      errorDetail: error.authenticationErrorDetail,
      emulator: emulator !== undefined,
    });
    findings.push(...analysis.findings);
    bearerOut = {
      claims: analysis.claims,
      challenge: challenge ? { tenant: challenge.tenant, resourceId: challenge.resourceId } : undefined,
    };
    const authenticated = !analysis.findings.some((f) => f.severity === "error");
    if (authenticated && error.code?.toLowerCase() === "authorizationpermissionmismatch") {
      const oid = analysis.claims?.["oid"];
      findings.push({
        id: "bearer-authenticated-no-role",
        severity: "error",
        title: "The token is fine; the principal lacks a data role",
        detail: `The token authenticated (audience, tenant and lifetime check out) but principal ${oid ?? "(no oid claim)"} has no Storage data role allowing this operation at this scope. Assign the narrowest Storage ${target.service ? target.service[0]!.toUpperCase() + target.service.slice(1) : "Blob"} Data role; a role created minutes ago may still be propagating.`,
        decision: "rbac",
      });
    }
  }
  // A hidden token (or a hidden Authorization header) the server's detail names a token problem for.
  const tokenProblem =
    (effective === "Bearer" && isHiddenByLogger(bearerToken)) || effective === "Hidden"
      ? tokenProblemInDetail(error.authenticationErrorDetail)
      : undefined;
  if (tokenProblem) {
    findings.push({
      id: "bearer-rejected-by-server",
      severity: "error",
      title: "Storage rejected the bearer token",
      detail: `${effective === "Hidden" ? "The capture hides the Authorization header, but Storage's answer is about a token" : "The capture hides the token, but Storage's answer names what is wrong with it"} (Storage: "${redactSecrets(error.authenticationErrorDetail!).trim().replace(/\.$/, "")}"). ${tokenProblem.fix}`,
      decision: "authentication",
    });
  }
  if (sasPresent) {
    const analysis = analyzeSas({
      url,
      rawQuery,
      method: req.method,
      target,
      headers: req.headers,
      requestTimeMs,
      requestTimeSource,
      clientIp: options.clientIp,
      errorCode: error.code,
      serverStringToSign: sasStringToSignOf(error.authenticationErrorDetail),
    });
    findings.push(...analysis.findings);
    findings.push(
      ...sasSignatureFindings({
        sas: analysis.sas,
        sig: url.searchParams.get("sig") ?? undefined,
        target,
        serverStringToSign: sasStringToSignOf(error.authenticationErrorDetail),
        errorCode: error.code,
        emulator: emulator !== undefined,
        // A warning (an ambiguous path escape) explains a rejected signature better than the signature alone.
        otherErrors: analysis.findings.some((f) => f.severity === "error" || f.severity === "warning"),
        keyCheck: options.keyCheck,
      }),
    );
    sasOut = { kind: analysis.sas.kind, fields: analysis.sas.fields };
  }
  if (scheme === "Anonymous" && res?.status !== undefined && res.status >= 400) {
    findings.push({
      id: "anonymous",
      severity: "error",
      title: "The request carries no credentials",
      detail:
        "No Authorization header and no SAS: the request is anonymous. Unless the container is public (and the account allows public access), attach a credential; an SDK whose credential chain found nothing sends exactly this.",
      decision: "authentication",
    });
  }

  // The emulator has no firewall: with the credential hidden, its AuthorizationFailure is its answer to a
  // Shared Key signature or a SAS that does not verify or is not valid (a token gets AuthenticationFailed).
  const emulatorRefused =
    emulator &&
    effective === "Hidden" &&
    error.code?.toLowerCase() === "authorizationfailure" &&
    !findings.some((f) => f.severity === "error");
  if (emulatorRefused && exchange.queryNotShown) {
    findings.push({
      id: "emulator-credential-refused",
      severity: "error",
      title: "The emulator refused a credential the capture does not show",
      detail: `The emulator answered ${error.code}, its answer to a SAS that is not valid (expired, not yet valid, signed with another key) or a Shared Key signature that does not verify: it has no firewall, so this is no network rule (on Azure the same code would be). The capture leaves out the URL's query and the headers, so which it was is not shown: capture the call with its URL (AzCopy's job log at --log-level DEBUG shows the SAS fields), or start Azurite with --debug FILE and pass that log as the request.`,
      decision: "authentication",
    });
  } else if (emulatorRefused) {
    findings.push(
      sharedKeyRejected(
        `The emulator answered ${error.code}, its answer to a Shared Key or SAS signature that does not verify (it has no firewall; Azure answers 403 AuthenticationFailed), and the URL carries no SAS. The capture hides the Authorization header, so it cannot tell a wrong key from a request changed in transit. Start Azurite with --debug FILE and pass that log as the request: it holds the request and Azurite's string-to-sign, and with it the exact differing field is named.`,
      ),
    );
  }

  // A copy whose source Storage could not read: the request's own credential passed, the source's did not.
  const copySource = copySourceOf(req.headers);
  if (error.code?.toLowerCase() === COPY_SOURCE_REFUSED.toLowerCase())
    findings.push(...copySourceFindings(copySource, req.headers, requestTimeMs));

  // 3. What the server said, when nothing above explains it.
  // A hidden Authorization header whose answer is about a token was a token: its code reads as OAuth's.
  const authType = SCHEME_AUTH_TYPE[tokenProblem ? "Bearer" : (effective ?? "Unknown")] ?? "";
  if (error.code && !findings.some((f) => f.severity === "error")) {
    const rule = verdictRuleFor(error.code, authType, res?.status ?? 403);
    // A specific warning (e.g. an ambiguous path escape) explains the server's code better than the code alone.
    const explainedByWarning = findings.some((f) => f.severity === "warning");
    findings.push({
      id: `server-${error.code}`,
      severity: explainedByWarning ? "info" : "error",
      title: `Storage answered ${error.code}`,
      detail: rule.guidance.summary,
      decision: rule.decision,
    });
  }

  const ordered = orderFindings(findings);
  const firstProblem =
    ordered.find((f) => f.severity === "error") ?? ordered.find((f) => f.severity === "warning");
  const decision: Decision =
    firstProblem?.decision ??
    (error.code ? verdictRuleFor(error.code, authType, res?.status ?? 403).decision : "authentication");
  const fromServer = error.code ? verdictRuleFor(error.code, authType, res?.status ?? 403) : undefined;
  // The emulator answers a token problem 403 AuthenticationFailed, whose rule is about Shared Key: a
  // token's verdict reads as Azure's answer to one (401 InvalidAuthenticationInfo).
  const tokenRule =
    decision === "authentication" &&
    authType === "OAuth" &&
    error.code?.toLowerCase() === "authenticationfailed"
      ? verdictRuleFor("InvalidAuthenticationInfo", "OAuth", 401)
      : undefined;
  const verdictRule =
    tokenRule ??
    (fromServer?.decision === decision
      ? fromServer
      : decision === "authentication" &&
          (authType === "AccountKey" || firstProblem?.id === "sharedkey-signature-rejected")
        ? verdictRuleFor("AuthenticationFailed", "AccountKey", 403)
        : representativeRule(decision));
  const basis = weighEvidence({
    firstProblem,
    decision,
    errorCode: error.code,
    codeRule: fromServer,
    emulator,
  });

  const userAgent = header(req.headers, "user-agent");
  const signedFor = target.account ? undefined : accountStorageSignedFor(scheme, error);
  return {
    scheme,
    request: {
      method: req.method,
      url: redactUri(req.url),
      service: target.service,
      account: target.account ?? signedFor,
      ...(signedFor ? { accountSource: "the account Storage's string-to-sign names" } : {}),
      ...(operation ? { operation } : {}),
      ...(serviceSource ? { serviceSource } : {}),
      ...(userAgent ? { userAgent: sanitizeLogValue(userAgent) } : {}),
      ...(options.clientIp ? { clientIp: options.clientIp } : {}),
      ...(copySource ? { copySource } : {}),
    },
    ...(emulator ? { emulator } : {}),
    basis,
    response: res
      ? {
          status: res.status,
          errorCode: error.code,
          detail: error.authenticationErrorDetail
            ? redactSecrets(error.authenticationErrorDetail)
            : undefined,
        }
      : undefined,
    requestTime:
      requestTimeMs !== undefined
        ? { iso: new Date(requestTimeMs).toISOString(), source: requestTimeSource }
        : undefined,
    findings: ordered.map((f) => ({ ...f, detail: redactSecrets(f.detail), title: redactSecrets(f.title) })),
    firstProblem: firstProblem ? { ...firstProblem, detail: redactSecrets(firstProblem.detail) } : undefined,
    verdict: {
      decision,
      summary:
        firstProblem &&
        untrusted &&
        firstProblem.decision === "network" &&
        firstProblem.id !== "server-AuthorizationFailure"
          ? "Something in front of Storage (a gateway, WAF or proxy) answered; Storage never judged the credential, so the answer says nothing about keys, tokens, SAS or roles."
          : verdictRule.guidance.summary,
      steps: verdictRule.guidance.steps,
      avoid: verdictRule.guidance.avoid,
    },
    bearer: bearerOut,
    sas: sasOut,
    ...(preflight ? { cors: preflight } : {}),
  };
}

/** Storage refused a Shared Key signature and the capture holds no string-to-sign to say why: `detail` says what it can. */
function sharedKeyRejected(detail: string): Finding {
  return {
    id: "sharedkey-signature-rejected",
    severity: "error",
    title: "Storage rejected the Shared Key signature",
    detail,
    decision: "authentication",
  };
}

/**
 * A capture that cannot show the credential: the server's answer decides, and where that answer means
 * one thing for a SAS and another for a token or key, both are named.
 */
function credentialNotShownFinding(why: string, code: string | undefined, status: number): Finding {
  const sas = code ? verdictRuleFor(code, "SAS", status).decision : undefined;
  const other = code ? verdictRuleFor(code, "OAuth", status).decision : undefined;
  const split =
    code && sas !== other
      ? ` ${code} means ${sas} for a SAS and ${other} for a token: check which credential the caller used (a SAS in the URL, or a login such as azcopy login).`
      : "";
  return {
    id: "auth-not-shown",
    severity: "info",
    title: "The capture does not show the credential",
    detail: `${why[0]!.toUpperCase()}${why.slice(1)}, so the scheme and credential are not checked here and the server's answer decides the verdict.${split} For a field-by-field answer, capture the request with its URL and headers (AzCopy's log at --log-level DEBUG, curl -v).`,
    decision: "authentication",
  };
}

/** What Terraform's own settings have to do with a code it met: where its fix lives. */
const TERRAFORM_NOTES: Record<string, { decision: Decision; detail: string }> = {
  keybasedauthenticationnotpermitted: {
    decision: "policy",
    detail:
      "The azurerm provider and backend sign Storage calls with the account key unless told otherwise. Set storage_use_azuread = true in the provider block (use_azuread_auth = true in an azurerm backend), and give the identity Terraform runs as a data role for the services it manages.",
  },
  authorizationpermissionmismatch: {
    decision: "rbac",
    detail:
      "Terraform signs in with Microsoft Entra ID here (storage_use_azuread, use_azuread_auth): the identity it runs as (ARM_CLIENT_ID, or the az login user) needs a data role for every operation it runs, not only this one: it also creates containers and writes state, which Storage Blob Data Contributor covers.",
  },
  authorizationfailure: {
    decision: "network",
    detail:
      "The machine running Terraform is outside the account's network rules: admit its egress address (explain --client-ip names it in the fix), or run Terraform from a subnet with a private endpoint to the account; a hosted CI agent's address changes from run to run.",
  },
};

function terraformFinding(code: string | undefined): Finding | undefined {
  const note = code ? TERRAFORM_NOTES[code.toLowerCase()] : undefined;
  return note
    ? { id: "terraform-settings", severity: "info", title: "Where Terraform's side of it is", ...note }
    : undefined;
}

/** An XML or JSON error body that was cut off (a log line limit, a copy from a terminal). */
function isTruncatedBody(body: string): boolean {
  const b = body.replace(/^\uFEFF/, "").trim();
  if (/^(<\?xml[^>]*>\s*)?<Error>/i.test(b)) return !/<\/Error>\s*$/i.test(b);
  if (b.startsWith("{")) {
    try {
      JSON.parse(b);
      return false;
    } catch {
      return true;
    }
  }
  return false;
}

/** The table's guidance for a verdict when the response's code (if any) points elsewhere. */
function representativeRule(decision: Decision): VerdictRule {
  const [code, authType] = REPRESENTATIVE[decision];
  return verdictRuleFor(code, authType, 403);
}

const REPRESENTATIVE: Record<Decision, [code: string, authType: LoggedAuthType]> = {
  authentication: ["InvalidAuthenticationInfo", "OAuth"],
  rbac: ["AuthorizationPermissionMismatch", "OAuth"],
  sas: ["AuthenticationFailed", "SAS"],
  network: ["AuthorizationFailure", "OAuth"],
  policy: ["KeyBasedAuthenticationNotPermitted", "AccountKey"],
};
