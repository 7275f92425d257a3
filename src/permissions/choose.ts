import type { ServiceType } from "../model/storage-request.js";
import { operationPermissions, permissionsInTable, type OperationPermissions } from "./operations.js";
import { BUILT_IN_ROLES, isDataAction, roleGrants, type RoleDefinition } from "./roles.js";
import { compareText } from "../order.js";

/**
 * Every permission the model knows: those the operation table names and every concrete (wildcard-free)
 * action and data action of the built-in roles. A role's size is how many of them it grants, so a
 * wildcard (`containers/blobs/*` in Blob Data Owner) counts for every blob permission it covers.
 */
const UNIVERSE: readonly string[] = [
  ...new Set([
    ...permissionsInTable(),
    ...BUILT_IN_ROLES.flatMap((r) => [...r.actions, ...r.dataActions].filter((p) => !p.includes("*"))),
  ]),
].sort();

const sizes = new Map<string, number>();

/**
 * The measure of "smallest": data actions granted first (they reach the data itself), then control-plane
 * actions, as data × 1000 + actions. So Queue Data Reader (peek, read queue properties) is smaller than
 * Message Processor (peek and consume), though both grant two permissions.
 */
export function roleSize(role: RoleDefinition): number {
  let n = sizes.get(role.id);
  if (n === undefined) {
    const granted = UNIVERSE.filter((p) => roleGrants(role, p));
    const data = granted.filter(isDataAction).length;
    n = data * 1000 + (granted.length - data);
    sizes.set(role.id, n);
  }
  return n;
}

/** Whether the role authorizes the operation: it grants every permission of at least one alternative. */
export function roleAllows(role: RoleDefinition, op: OperationPermissions): boolean {
  return op.rbac.some((alt) => alt.every((p) => roleGrants(role, p)));
}

export interface RoleChoice {
  service: ServiceType;
  role: RoleDefinition;
  /** The operations this role was chosen for. */
  operations: string[];
}

export interface RoleChoices {
  /** One role per service the operations touch (no built-in role spans two services). */
  choices: RoleChoice[];
  /** Operations the table does not know: no role is chosen for them and the caller must say so. */
  unknown: Array<{ service: ServiceType; operation: string }>;
  /** Services whose operations no single built-in role authorizes together. */
  uncovered: ServiceType[];
}

/**
 * The smallest built-in role (fewest known permissions granted; ties by name) that authorizes every
 * one of `ops`, or undefined when none does.
 */
export function smallestRoleFor(ops: readonly OperationPermissions[]): RoleDefinition | undefined {
  const fits = BUILT_IN_ROLES.filter((r) => ops.every((op) => roleAllows(r, op)));
  fits.sort((a, b) => roleSize(a) - roleSize(b) || compareText(a.roleName, b.roleName));
  return fits[0];
}

/** Per service, the smallest built-in role that authorizes all the failing operations of that service. */
export function chooseRoles(ops: ReadonlyArray<{ service: ServiceType; operation: string }>): RoleChoices {
  const byService = new Map<ServiceType, OperationPermissions[]>();
  const unknown: RoleChoices["unknown"] = [];
  for (const o of ops) {
    const p = operationPermissions(o.service, o.operation);
    if (!p) {
      unknown.push({ service: o.service, operation: o.operation });
      continue;
    }
    const list = byService.get(o.service) ?? [];
    if (!list.some((x) => x.operation === p.operation)) list.push(p);
    byService.set(o.service, list);
  }
  const choices: RoleChoice[] = [];
  const uncovered: ServiceType[] = [];
  for (const [service, list] of [...byService].sort(([a], [b]) => compareText(a, b))) {
    const role = smallestRoleFor(list);
    if (role) choices.push({ service, role, operations: list.map((p) => p.operation).sort() });
    else uncovered.push(service);
  }
  return { choices, unknown, uncovered };
}
