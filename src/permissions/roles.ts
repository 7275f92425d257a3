/**
 * The documented built-in Azure Storage data roles, kept as data: name, role definition GUID (the same in
 * every cloud), actions and data actions exactly as Microsoft Learn's "Azure built-in roles for Storage"
 * page (role-based-access-control/built-in-roles/storage.md, 2026-07) lists them. Control-plane
 * `actions` matter too: container, queue and table operations such as Get Container Properties need
 * `containers/read`, an action, not a data action.
 *
 * Only roles whose purpose is data access are listed; Storage Account Contributor and the key operator
 * role are left out on purpose: they reach data through the account keys, which is never the narrowest fix.
 */
export interface RoleDefinition {
  roleName: string;
  /** Role definition GUID (the `name` of the definition). */
  id: string;
  actions: readonly string[];
  notActions: readonly string[];
  dataActions: readonly string[];
  notDataActions: readonly string[];
}

const S = "Microsoft.Storage/storageAccounts";

export const BUILT_IN_ROLES: readonly RoleDefinition[] = [
  {
    roleName: "Storage Blob Data Reader",
    id: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    actions: [`${S}/blobServices/containers/read`, `${S}/blobServices/generateUserDelegationKey/action`],
    notActions: [],
    dataActions: [`${S}/blobServices/containers/blobs/read`],
    notDataActions: [],
  },
  {
    roleName: "Storage Blob Data Contributor",
    id: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    actions: [
      `${S}/blobServices/containers/delete`,
      `${S}/blobServices/containers/read`,
      `${S}/blobServices/containers/write`,
      `${S}/blobServices/generateUserDelegationKey/action`,
    ],
    notActions: [],
    dataActions: [
      `${S}/blobServices/containers/blobs/delete`,
      `${S}/blobServices/containers/blobs/read`,
      `${S}/blobServices/containers/blobs/write`,
      `${S}/blobServices/containers/blobs/move/action`,
      `${S}/blobServices/containers/blobs/add/action`,
    ],
    notDataActions: [],
  },
  {
    roleName: "Storage Blob Data Owner",
    id: "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    actions: [`${S}/blobServices/containers/*`, `${S}/blobServices/generateUserDelegationKey/action`],
    notActions: [],
    dataActions: [`${S}/blobServices/containers/blobs/*`],
    notDataActions: [],
  },
  {
    roleName: "Storage Blob Delegator",
    id: "db58b8e5-c6ad-4a2a-8342-4190687cbf4a",
    actions: [`${S}/blobServices/generateUserDelegationKey/action`],
    notActions: [],
    dataActions: [],
    notDataActions: [],
  },
  {
    roleName: "Storage Queue Data Reader",
    id: "19e7f393-937e-4f77-808e-94535e297925",
    actions: [`${S}/queueServices/queues/read`],
    notActions: [],
    dataActions: [`${S}/queueServices/queues/messages/read`],
    notDataActions: [],
  },
  {
    roleName: "Storage Queue Data Message Sender",
    id: "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a",
    actions: [],
    notActions: [],
    dataActions: [`${S}/queueServices/queues/messages/add/action`],
    notDataActions: [],
  },
  {
    roleName: "Storage Queue Data Message Processor",
    id: "8a0f0c08-91a1-4084-bc3d-661d67233fed",
    actions: [],
    notActions: [],
    dataActions: [
      `${S}/queueServices/queues/messages/read`,
      `${S}/queueServices/queues/messages/process/action`,
    ],
    notDataActions: [],
  },
  {
    roleName: "Storage Queue Data Contributor",
    id: "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    actions: [
      `${S}/queueServices/queues/delete`,
      `${S}/queueServices/queues/read`,
      `${S}/queueServices/queues/write`,
    ],
    notActions: [],
    dataActions: [
      `${S}/queueServices/queues/messages/delete`,
      `${S}/queueServices/queues/messages/read`,
      `${S}/queueServices/queues/messages/write`,
      `${S}/queueServices/queues/messages/process/action`,
    ],
    notDataActions: [],
  },
  {
    roleName: "Storage Queue Delegator",
    id: "7ee386e9-84f0-448e-80a6-f185f6533131",
    actions: [`${S}/queueServices/generateUserDelegationKey/action`],
    notActions: [],
    dataActions: [],
    notDataActions: [],
  },
  {
    roleName: "Storage Table Data Reader",
    id: "76199698-9eea-4c19-bc75-cec21354c6b6",
    actions: [`${S}/tableServices/tables/read`],
    notActions: [],
    dataActions: [`${S}/tableServices/tables/entities/read`],
    notDataActions: [],
  },
  {
    roleName: "Storage Table Data Contributor",
    id: "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    actions: [
      `${S}/tableServices/tables/read`,
      `${S}/tableServices/tables/write`,
      `${S}/tableServices/tables/delete`,
    ],
    notActions: [],
    dataActions: [
      `${S}/tableServices/tables/entities/read`,
      `${S}/tableServices/tables/entities/write`,
      `${S}/tableServices/tables/entities/delete`,
      `${S}/tableServices/tables/entities/add/action`,
      `${S}/tableServices/tables/entities/update/action`,
    ],
    notDataActions: [],
  },
  {
    roleName: "Storage File Data SMB Share Reader",
    id: "aba4ae5f-2193-4029-9191-0cb91df5e314",
    actions: [],
    notActions: [],
    dataActions: [`${S}/fileServices/fileshares/files/read`],
    notDataActions: [],
  },
  {
    roleName: "Storage File Data SMB Share Contributor",
    id: "0c867c2a-1d8c-454a-a3db-ab2ea1bdc8bb",
    actions: [],
    notActions: [],
    dataActions: [
      `${S}/fileServices/fileshares/files/read`,
      `${S}/fileServices/fileshares/files/write`,
      `${S}/fileServices/fileshares/files/delete`,
    ],
    notDataActions: [],
  },
  {
    roleName: "Storage File Data SMB Share Elevated Contributor",
    id: "a7264617-510b-434b-a828-9731dc254ea7",
    actions: [],
    notActions: [],
    dataActions: [
      `${S}/fileServices/fileshares/files/read`,
      `${S}/fileServices/fileshares/files/write`,
      `${S}/fileServices/fileshares/files/delete`,
      `${S}/fileServices/fileshares/files/modifypermissions/action`,
    ],
    notDataActions: [],
  },
  {
    roleName: "Storage File Data Privileged Reader",
    id: "b8eda974-7b85-4f76-af95-65846b26df6d",
    actions: [],
    notActions: [],
    dataActions: [
      `${S}/fileServices/fileshares/files/read`,
      `${S}/fileServices/readFileBackupSemantics/action`,
    ],
    notDataActions: [],
  },
  {
    roleName: "Storage File Data Privileged Contributor",
    id: "69566ab7-960f-475b-8e7c-b3118f30c6bd",
    actions: [],
    notActions: [],
    dataActions: [
      `${S}/fileServices/fileshares/files/read`,
      `${S}/fileServices/fileshares/files/write`,
      `${S}/fileServices/fileshares/files/delete`,
      `${S}/fileServices/fileshares/files/modifypermissions/action`,
      `${S}/fileServices/readFileBackupSemantics/action`,
      `${S}/fileServices/writeFileBackupSemantics/action`,
    ],
    notDataActions: [],
  },
  {
    roleName: "Storage File Delegator",
    id: "765a04e0-5de8-4bb2-9bf6-b2a30bc03e91",
    actions: [`${S}/fileServices/generateUserDelegationKey/action`],
    notActions: [],
    dataActions: [],
    notDataActions: [],
  },
];

/** The role with this GUID (case-insensitive), from a bare GUID or a full roleDefinitions resource id. */
export function roleById(idOrResourceId: string): RoleDefinition | undefined {
  const guid = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\s*$/i.exec(
    idOrResourceId,
  )?.[1];
  if (!guid) return undefined;
  return BUILT_IN_ROLES.find((r) => r.id === guid.toLowerCase());
}

export function roleByName(name: string): RoleDefinition | undefined {
  return BUILT_IN_ROLES.find((r) => r.roleName.toLowerCase() === name.toLowerCase());
}

/** Azure RBAC matching: `*` matches any run of characters; comparison is case-insensitive. */
function matches(pattern: string, permission: string): boolean {
  if (!pattern.includes("*")) return pattern.toLowerCase() === permission.toLowerCase();
  const re = new RegExp(
    "^" +
      pattern
        .split("*")
        .map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
        .join(".*") +
      "$",
    "i",
  );
  return re.test(permission);
}

/** Data actions act on data (blobs, messages, entities, files); everything else is a control-plane action. */
export function isDataAction(permission: string): boolean {
  return /\/containers\/blobs\/|\/queues\/messages\/|\/tables\/entities\/|\/fileshares\/files\/|FileBackupSemantics\/action$|\/takeOwnership\/action$|\/runAsBuiltInFileAdministrator\/action$/i.test(
    permission,
  );
}

/**
 * Whether the role grants one permission: a data action must match an entry of dataActions and none of
 * notDataActions; a control-plane action must match actions and not notActions (Azure keeps the two apart,
 * so `containers/*` in actions never grants a blob data action).
 */
export function roleGrants(role: RoleDefinition, permission: string): boolean {
  if (isDataAction(permission)) {
    return (
      role.dataActions.some((p) => matches(p, permission)) &&
      !role.notDataActions.some((p) => matches(p, permission))
    );
  }
  return (
    role.actions.some((p) => matches(p, permission)) && !role.notActions.some((p) => matches(p, permission))
  );
}
