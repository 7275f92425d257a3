import { surelyMade } from "../model/caller-count.js";
import type { Incident, PrincipalObservation, Remedy, RemedyCommand } from "../model/incident.js";
import type { ServiceType } from "../model/storage-request.js";
import {
  chooseRoles,
  isDataLakeOperation,
  operationPermissions,
  roleAllows,
  roleById,
  type RoleDefinition,
} from "../permissions/index.js";
import {
  accountRef,
  accountScope,
  activityOf,
  command,
  containerScope,
  failingContainers,
  fmtMinutes,
  fmtUtc,
  type AccountRef,
  type RemedyContext,
} from "./context.js";
import { placeholder, sh } from "./shell.js";

/** Azure RBAC changes usually apply within minutes; the docs allow up to 10 (longer with cached tokens). */
export const PROPAGATION_MS = 30 * 60_000;

export interface Principal {
  objectId?: string;
  appId?: string;
  upn?: string;
  type: "User" | "ServicePrincipal" | "Group";
  /** Where `type` came from. */
  typeBasis: string;
}

function normaliseType(t: string): Principal["type"] | undefined {
  const s = t.toLowerCase();
  if (s === "user") return "User";
  if (s === "group") return "Group";
  if (/serviceprincipal|application|managedidentity|msi/.test(s)) return "ServicePrincipal";
  return undefined;
}

/** The failing principals, from the remedy evidence or else the callers' Requester* columns. */
export function principalsOf(incident: Incident, ctx: RemedyContext): Principal[] {
  const seen: PrincipalObservation[] = ctx.evidence?.principals.length
    ? ctx.evidence.principals
    : incident.callers
        .filter((c) => c.requesterObjectId)
        .map((c) => {
          // What the caller surely made: a full top-callers table may have handed it others' count.
          const p: PrincipalObservation = {
            objectId: c.requesterObjectId!.toLowerCase(),
            count: surelyMade(c),
          };
          if (c.requesterUpn) p.upn = c.requesterUpn;
          return p;
        });
  const byId = new Map<string, Principal>();
  for (const p of seen) {
    if (byId.has(p.objectId)) continue;
    const logged = p.type ? normaliseType(p.type) : undefined;
    const out: Principal = logged
      ? { type: logged, typeBasis: `AuthorizationDetails says ${p.type}` }
      : p.upn
        ? { type: "User", typeBasis: "a UPN is logged, which only users have" }
        : {
            type: "ServicePrincipal",
            typeBasis: "no UPN is logged, as for service principals and managed identities",
          };
    out.objectId = p.objectId;
    if (p.appId) out.appId = p.appId;
    if (p.upn) out.upn = p.upn;
    byId.set(p.objectId, out);
  }
  return [...byId.values()];
}

export function describePrincipal(p: Principal): string {
  const names = [p.upn, p.objectId && `object id ${p.objectId}`, p.appId && `app id ${p.appId}`].filter(
    Boolean,
  );
  // No name at all: the logs or the capture did not say who called (a hidden token, no Requester* columns).
  if (names.length === 0)
    return p.type === "User"
      ? "the signed-in user (<principal-object-id>)"
      : "the failing principal (<principal-object-id>)";
  return `${p.type === "User" ? "user" : p.type === "Group" ? "group" : "service principal"} ${names.join(", ")}`;
}

/** The narrowest scope covering every failure of one service: one container when all fall in one. */
export function narrowestScope(
  incident: Incident,
  service: ServiceType,
  account: AccountRef,
  ctx: RemedyContext,
): { scope: string; label: string; why: string } {
  const ops = incident.clusters.filter((c) => c.service === service);
  const accountLevel = ops.find((c) => operationPermissions(service, c.operation)?.scope === "account");
  if (accountLevel) {
    return {
      scope: accountScope(account),
      label: `the account ${incident.account}`,
      why: `${accountLevel.operation} is authorized at the account, so no container scope can cover it`,
    };
  }
  const ev = ctx.byService?.[service] ?? ctx.evidence;
  const containers = failingContainers(incident, ev);
  const complete = ev ? ev.otherContainers === 0 : false;
  if (containers.length === 1 && complete) {
    const c = containers[0]!;
    return {
      scope: containerScope(account, service, c),
      label: `${service === "blob" ? "container" : service === "file" ? "share" : service} ${c}`,
      why: `every failing request targets ${c}`,
    };
  }
  return {
    scope: accountScope(account),
    label: `the account ${incident.account}`,
    why:
      containers.length > 1
        ? `the failures span ${containers.length} ${service === "blob" ? "containers" : "resources"} (${containers.slice(0, 5).join(", ")})`
        : "the logs do not show which container every failure targets",
  };
}

function assignCommand(
  p: Principal,
  role: RoleDefinition,
  scope: string,
  purposeTail: string,
): RemedyCommand {
  const placeholders: RemedyCommand["placeholders"] = [];
  let oid = p.objectId;
  if (!oid) {
    oid = placeholder("principal-object-id");
    placeholders.push({
      name: "principal-object-id",
      reason:
        p.type === "User"
          ? "the failing requests carry no RequesterObjectId; the user who signed in can print theirs with: az ad signed-in-user show --query id --output tsv"
          : "the failing requests carry no RequesterObjectId (the token was not logged with an identity)",
    });
  }
  return command(
    `Grant ${role.roleName} to ${describePrincipal(p)} on ${purposeTail}.`,
    `az role assignment create --assignee-object-id ${sh(oid)} --assignee-principal-type ${p.type} --role ${role.id} --scope ${scope}`,
    placeholders,
  );
}

function bicepAssignment(p: Principal, role: RoleDefinition, label: string): string {
  return [
    `// ${role.roleName} for ${p.upn ?? p.objectId ?? "the principal"} on ${label}`,
    `resource dataRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {`,
    `  name: guid(target.id, '${p.objectId ?? "principal-object-id"}', '${role.id}')`,
    `  scope: target // the storage account or container resource`,
    `  properties: {`,
    `    principalId: '${p.objectId ?? "principal-object-id"}'`,
    `    principalType: '${p.type}'`,
    `    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${role.id}')`,
    `  }`,
    `}`,
  ].join("\n");
}

/**
 * The principal when the logs name none: a user when every failing caller is Azure Storage Explorer,
 * which signs users in (its error details hide the token), else a service principal.
 */
function unloggedPrincipal(incident: Incident): Principal {
  const agents = incident.callers.map((c) => c.userAgent ?? "");
  if (agents.length > 0 && agents.every((ua) => /Azure Storage Explorer/i.test(ua)))
    return { type: "User", typeBasis: "the requests come from Azure Storage Explorer, which signs users in" };
  return { type: "ServicePrincipal", typeBasis: "not logged" };
}

function operationsOf(incident: Incident): Array<{ service: ServiceType; operation: string }> {
  return incident.clusters.map((c) => ({ service: c.service, operation: c.operation }));
}

/** RBAC: ABAC condition, removed assignment, propagation, or the smallest role at the narrowest scope. */
export function rbacRemedy(incident: Incident, ctx: RemedyContext): Remedy {
  const account = accountRef(incident, ctx);
  const principals = principalsOf(incident, ctx);
  const ops = operationsOf(incident);
  const facts: Remedy["facts"] = principals.map((p) => ({
    label: "Principal",
    value: `${describePrincipal(p)} (${p.type}: ${p.typeBasis})`,
  }));

  // 1. An ABAC condition or a deny assignment said no: no role will change that.
  const denied = (ctx.evidence?.authorization ?? []).filter((a) => /denied/i.test(a.result));
  const conditional = denied.find(
    (a) =>
      a.denyAssignmentId ||
      /missingattributes/i.test(a.reason ?? "") ||
      (a.roleAssignmentId && /policy/i.test(a.reason ?? "")),
  );
  if (conditional) {
    const role = conditional.roleDefinitionId ? roleById(conditional.roleDefinitionId) : undefined;
    const who = principals[0]?.objectId;
    const what = conditional.denyAssignmentId
      ? `deny assignment ${conditional.denyAssignmentId}`
      : `the condition on role assignment ${conditional.roleAssignmentId ?? "(id not logged)"}${role ? ` (${role.roleName})` : ""}`;
    facts.push({
      label: "Denied action",
      value: `${conditional.action} (${conditional.reason ?? "no reason logged"})`,
    });
    const commands: RemedyCommand[] = [];
    if (conditional.roleAssignmentId && who) {
      const raName = conditional.roleAssignmentId.split("/").pop()!;
      commands.push(
        command(
          `Show the condition that denied ${conditional.action.split("/").slice(-2).join("/")}.`,
          `az role assignment list --assignee ${sh(who)} --all --query ${sh(`[?name=='${raName}'].{role:roleDefinitionName, scope:scope, condition:condition}`)} --output json`,
        ),
      );
    }
    return {
      kind: "abac-condition",
      change: `The request was denied by ${what}, not by a missing role: change the condition (or the request's attributes, e.g. blob index tags or path) so it admits these ${incident.operations.join(", ")} requests.`,
      commands,
      ...(commands.length === 0
        ? {
            noCommand:
              "The logs do not name the role assignment whose condition denied the request; list the principal's assignments with conditions.",
          }
        : {}),
      whyNarrowest:
        "The principal already holds a role covering the action; only the condition decided against it, so editing the condition changes nothing else.",
      wrongIf: [
        "Adding another role without a condition would silently bypass the restriction the condition was written for.",
        "If AuthorizationDetails shows no Denied entry with a condition or deny assignment, this is a missing role instead.",
      ],
      facts,
    };
  }

  // 2. A role assignment of this principal was removed: restore exactly that one.
  const removed = incident.changes.find((c) => c.kind === "role-assignment-removed" && c.score >= 0.3);
  if (removed) {
    const act = activityOf(removed, ctx.changes);
    const f = act?.facts;
    const role = f?.roleDefinitionId ? roleById(f.roleDefinitionId) : undefined;
    const roleArg = f?.roleDefinitionId
      ? f.roleDefinitionId.split("/").pop()!
      : placeholder("removed-role-definition-id");
    const principal =
      principals.find((p) => p.objectId === f?.principalId) ??
      (f?.principalId
        ? {
            objectId: f.principalId,
            type: "ServicePrincipal" as const,
            typeBasis: "from the removed assignment",
          }
        : principals[0]);
    const bodyType = act?.change.body
      ? String(JSON.stringify(act.change.body)).match(/"principalType"\s*:\s*"(\w+)"/i)?.[1]
      : undefined;
    const type = (bodyType ? normaliseType(bodyType) : undefined) ?? principal?.type ?? "ServicePrincipal";
    const placeholders: RemedyCommand["placeholders"] = [];
    if (!f?.roleDefinitionId)
      placeholders.push({
        name: "removed-role-definition-id",
        reason: "the delete event carries no request body naming the role",
      });
    const scope = f?.scope ? sh(f.scope) : placeholder("removed-assignment-scope");
    if (!f?.scope)
      placeholders.push({
        name: "removed-assignment-scope",
        reason: "the delete event does not name the scope",
      });
    const oid = principal?.objectId ?? placeholder("principal-object-id");
    if (!principal?.objectId)
      placeholders.push({
        name: "principal-object-id",
        reason: "neither the logs nor the delete event name the principal",
      });
    facts.push({
      label: "Removed",
      value: `${role?.roleName ?? f?.roleDefinitionId ?? "a role"} at ${f?.scope ?? "an unlogged scope"} on ${fmtUtc(removed.time)} by ${removed.caller}`,
    });
    return {
      kind: "restore-role-assignment",
      change: `Restore the role assignment ${removed.caller} removed at ${fmtUtc(removed.time)}: ${role?.roleName ?? "the removed role"} for ${principal ? describePrincipal({ ...principal, type }) : "the principal"} at ${f?.scope ?? "its former scope"}.`,
      commands: [
        command(
          `Re-create exactly the assignment removed by ${removed.caller}.`,
          `az role assignment create --assignee-object-id ${sh(oid)} --assignee-principal-type ${type} --role ${sh(roleArg)} --scope ${scope}`,
          placeholders,
        ),
      ],
      whyNarrowest:
        "It puts back the access that worked before the removal, no more; a new, broader role would widen access instead.",
      wrongIf: [
        `The removal by ${removed.caller} was deliberate (access revoked on purpose): then the failures are the intended result, talk to them first.`,
        "The principal has since moved to another role or scope that should cover these requests.",
      ],
      facts,
    };
  }

  // 3. A role was just assigned to this principal and it covers the requests: wait.
  const created = incident.changes.find(
    (c) => c.kind === "rbac-propagation" || c.kind === "role-assignment-created",
  );
  if (created) {
    const act = activityOf(created, ctx.changes);
    const role = act?.facts.roleDefinitionId ? roleById(act.facts.roleDefinitionId) : undefined;
    const perms = ops.map((o) => operationPermissions(o.service, o.operation)).filter((p) => p !== undefined);
    const grants =
      role !== undefined && perms.length === ops.length && perms.every((p) => roleAllows(role, p));
    const createdMs = Date.parse(created.time);
    const lastMs = Date.parse(incident.lastSeen);
    const cleared = lastMs - createdMs <= PROPAGATION_MS;
    if (role)
      facts.push({
        label: "Assigned",
        value: `${role.roleName} at ${act?.facts.scope ?? "an unlogged scope"} on ${fmtUtc(created.time)} by ${created.caller}`,
      });
    if (created.kind === "rbac-propagation" || (grants && cleared)) {
      return {
        kind: "wait-for-propagation",
        change: `No change: ${role?.roleName ?? "a data role"} was assigned to this principal at ${fmtUtc(created.time)} by ${created.caller}; the failures are role propagation and stopped ${fmtMinutes(lastMs - createdMs)} later.`,
        commands: [],
        noCommand:
          "Wait for propagation (usually minutes, up to 10; a new token picks the role up at once). Running another assignment would change nothing.",
        whyNarrowest: "The access that is needed is already granted; doing nothing grants nothing extra.",
        wrongIf: [
          "Failures continue well past 10 minutes after the assignment: then the role or scope does not cover these requests.",
          "The assigned role is not a data role (Owner and Contributor grant no data access).",
        ],
        facts,
      };
    }
  }

  // 4. The smallest built-in role at the narrowest scope, per failing principal and service, covering
  // what the caller is known to run beside the failing operations.
  const companions = ctx.proven?.companionOperations;
  const alsoRun = (companions?.operations ?? []).filter((op) => !ops.some((o) => o.operation === op));
  const needed = [
    ...ops,
    ...alsoRun.map((operation) => ({ service: ops[0]?.service ?? ("blob" as const), operation })),
  ];
  if (companions && alsoRun.length > 0)
    facts.push({ label: "Also run by the caller", value: `${alsoRun.join(", ")}: ${companions.why}` });
  const choice = chooseRoles(needed);
  const commands: RemedyCommand[] = [];
  const bicep: string[] = [];
  const who: Principal[] = principals.length > 0 ? principals : [unloggedPrincipal(incident)];
  if (principals.length === 0 && who[0]!.type === "User")
    facts.push({ label: "Principal", value: `${describePrincipal(who[0]!)} (User: ${who[0]!.typeBasis})` });
  for (const c of choice.choices) {
    const scope = narrowestScope(incident, c.service, account, ctx);
    facts.push({
      label: `Role (${c.service})`,
      value: `${c.role.roleName} (${c.role.id}) for ${c.operations.join(", ")}`,
    });
    facts.push({ label: `Scope (${c.service})`, value: `${scope.label}: ${scope.why}` });
    for (const p of who) {
      commands.push(assignCommand(p, c.role, scope.scope, scope.label));
      bicep.push(bicepAssignment(p, c.role, scope.label));
    }
  }
  const unknown = choice.unknown.map((u) => `${u.service}/${u.operation}`);
  if (unknown.length > 0) facts.push({ label: "Not in the permission table", value: unknown.join(", ") });
  const roles = choice.choices.map((c) => c.role.roleName).join(" and ");
  return {
    kind: "assign-role",
    change:
      commands.length > 0
        ? `Grant ${roles} to ${who.map(describePrincipal).join("; ")}.`
        : `Find a data role covering ${incident.operations.join(", ")}: the permission table does not know these operations.`,
    commands,
    ...(commands.length === 0
      ? { noCommand: "No built-in role could be chosen for operations the permission table does not know." }
      : {}),
    ...(bicep.length > 0 ? { bicep: bicep.join("\n\n") } : {}),
    whyNarrowest: `${roles || "The role"} is the smallest built-in role granting every data action the failing operations need (${incident.operations.join(", ")})${alsoRun.length > 0 ? ` and those the caller runs beside them (${alsoRun.join(", ")})` : ""}, at the narrowest scope that covers every failure.`,
    wrongIf: [
      "The principal is meant to use a different identity (e.g. a user-assigned managed identity not yet attached).",
      "The failures come from a role assignment made minutes ago (wait for propagation instead) or an ABAC condition (AuthorizationDetails would say).",
      "The request is for data the principal should not reach: then the failure is correct.",
      // Data Lake paths are checked against their POSIX ACLs when no role allows: a team that manages
      // access by ACL wants an entry on the path, narrower than a role on the whole file system.
      ...(ops.some((o) => o.service === "blob" && isDataLakeOperation(o.operation))
        ? [
            "The account has a hierarchical namespace and its access is managed with ACLs: then give the principal an ACL entry instead (execute on every parent directory, read or write on the path: az storage fs access update-recursive --acl user:<object-id>:r-x --path <directory> --file-system <file-system> --account-name <account> --auth-mode login), narrower than a role on the whole file system.",
          ]
        : []),
    ],
    facts,
  };
}

export { operationsOf };
