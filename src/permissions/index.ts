/**
 * What each Storage operation needs, as data, and which built-in role grants it.
 *
 *   operationPermissions(service, operationName) → { rbac, sas, scope, does } | undefined
 *       RBAC permissions (alternatives of conjunctions) and SAS letters (alternatives) one logged
 *       operation needs; undefined for an operation the table does not know (never a guess).
 *   sasLettersFor(ops) → "rw"      the `sp` letters a set of operations needs together (canonical order)
 *   sasAllows(sp, permissions)     whether a SAS's `sp` authorizes the operation
 *   BUILT_IN_ROLES, roleById, roleByName, roleGrants(role, permission)
 *   chooseRoles(ops) → per service the smallest built-in role authorizing every operation, plus the
 *       operations it could not place; smallestRoleFor(opPermissions[]) for one service.
 *
 * The tables are in operations.ts and roles.ts with their sources; docs/remedy.md explains the choice.
 */
export {
  canonicalSasOrder,
  isDataLakeOperation,
  knownOperations,
  operationPermissions,
  permissionsInTable,
  sasAllows,
  sasLettersFor,
  type OperationPermissions,
} from "./operations.js";
export {
  BUILT_IN_ROLES,
  isDataAction,
  roleById,
  roleByName,
  roleGrants,
  type RoleDefinition,
} from "./roles.js";
export {
  chooseRoles,
  roleAllows,
  roleSize,
  smallestRoleFor,
  type RoleChoice,
  type RoleChoices,
} from "./choose.js";
