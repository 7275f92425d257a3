/**
 * Per logged operation (OperationName in StorageBlobLogs / StorageQueueLogs / StorageTableLogs /
 * StorageFileLogs, as "Storage Analytics logged operations and status messages" names them) the Azure RBAC
 * permissions a Microsoft Entra caller needs and the SAS permission letters (`sp`) a SAS needs. Kept as data.
 *
 * Sources: "Authorize with Microsoft Entra ID → Permissions for calling data operations" (REST docs) for
 * the RBAC column, "Create a service SAS" / "Create a user delegation SAS" permission tables for the
 * letters. ADLS Gen2 operations sent to the dfs endpoint are logged in StorageBlobLogs under their own
 * names (CreatePathFile, AppendFile, FlushFile…) and authorize with the blob data actions.
 *
 * Both columns are alternatives of conjunctions, as the docs state them: `rbac: [[A], [B, C]]` means
 * "A, or both B and C"; `sas: ["w", "c"]` means "w or c", and `"au"` means a and u together. The first
 * alternative is the one a replacement SAS or role is built from when several would do.
 */
import type { ServiceType } from "../model/storage-request.js";

export interface OperationPermissions {
  service: ServiceType;
  /** OperationName as logged. */
  operation: string;
  /** Alternatives; each inner list must be granted in full. */
  rbac: readonly (readonly string[])[];
  /** Alternatives; every letter of one alternative must be in `sp`. Empty: no SAS can authorize it. */
  sas: readonly string[];
  /** The narrowest scope a grant can have: the account (service-level operations) or the container/queue/table/share. */
  scope: "account" | "container";
  /** What the operation does, in a few words. */
  does: string;
}

const S = "Microsoft.Storage/storageAccounts";
const BLOB = `${S}/blobServices/containers/blobs`;
const CONT = `${S}/blobServices/containers`;
const QMSG = `${S}/queueServices/queues/messages`;
const QUEUE = `${S}/queueServices/queues`;
const ENT = `${S}/tableServices/tables/entities`;
const TABLE = `${S}/tableServices/tables`;
const FILES = `${S}/fileServices/fileshares/files`;
const FREAD = `${S}/fileServices/readFileBackupSemantics/action`;
const FWRITE = `${S}/fileServices/writeFileBackupSemantics/action`;
const SHARES = `${S}/fileServices/shares`;

type Row = [operation: string, rbac: string[][], sas: string[], does: string, scope?: "account"];

const blobRead: string[][] = [[`${BLOB}/read`]];
const blobWrite: string[][] = [[`${BLOB}/write`]];
const blobWriteOrAdd: string[][] = [[`${BLOB}/write`], [`${BLOB}/add/action`]];

const BLOB_ROWS: Row[] = [
  ["GetBlob", blobRead, ["r"], "read a blob"],
  ["GetBlobProperties", blobRead, ["r"], "read blob properties"],
  ["GetBlobMetadata", blobRead, ["r"], "read blob metadata"],
  ["GetBlockList", blobRead, ["r"], "read a block list"],
  ["GetPageRanges", blobRead, ["r"], "read page ranges"],
  ["GetPageRegions", blobRead, ["r"], "read page ranges"],
  ["QueryBlobContents", blobRead, ["r"], "query blob contents"],
  ["CopyBlobSource", blobRead, ["r"], "read a copy source"],
  ["ListBlobs", blobRead, ["l"], "list blobs"],
  ["PutBlob", blobWrite, ["w", "c"], "write a blob"],
  ["PutBlobFromURL", blobWrite, ["w", "c"], "write a blob from a URL"],
  ["PutBlock", blobWrite, ["w"], "write a block"],
  ["PutBlockFromURL", blobWrite, ["w"], "write a block from a URL"],
  ["PutBlockList", blobWrite, ["w"], "commit a block list"],
  ["PutPage", blobWrite, ["w"], "write pages"],
  ["ClearPage", blobWrite, ["w"], "clear pages"],
  ["AppendBlock", blobWriteOrAdd, ["a", "w"], "append a block"],
  ["AppendBlockFromURL", blobWriteOrAdd, ["a", "w"], "append a block from a URL"],
  ["SetBlobProperties", blobWrite, ["w"], "set blob properties"],
  ["SetBlobMetadata", blobWrite, ["w"], "set blob metadata"],
  ["SetBlobTier", blobWrite, ["w"], "set a blob's tier"],
  ["SetBlobExpiry", blobWrite, ["w"], "set a blob's expiry"],
  ["SnapshotBlob", blobWriteOrAdd, ["c", "w"], "snapshot a blob"],
  ["CopyBlob", blobWriteOrAdd, ["w", "c"], "copy into a blob"],
  ["CopyBlobDestination", blobWriteOrAdd, ["w", "c"], "copy into a blob"],
  ["AbortCopyBlob", blobWrite, ["w"], "abort a copy"],
  ["AcquireBlobLease", blobWrite, ["w"], "lease a blob"],
  ["RenewBlobLease", blobWrite, ["w"], "renew a blob lease"],
  ["ChangeBlobLease", blobWrite, ["w"], "change a blob lease"],
  ["ReleaseBlobLease", blobWrite, ["w"], "release a blob lease"],
  ["BreakBlobLease", blobWrite, ["w", "d"], "break a blob lease"],
  ["DeleteBlob", [[`${BLOB}/delete`]], ["d"], "delete a blob"],
  ["UndeleteBlob", [[`${CONT}/write`]], ["w"], "undelete a blob"],
  ["GetBlobTags", [[`${BLOB}/tags/read`]], ["t"], "read blob tags"],
  ["SetBlobTags", [[`${BLOB}/tags/write`]], ["t"], "write blob tags"],
  ["FindBlobsByTags", [[`${BLOB}/filter/action`]], ["f"], "find blobs by tags"],
  ["CreateContainer", [[`${CONT}/write`]], ["c", "w"], "create a container"],
  ["DeleteContainer", [[`${CONT}/delete`]], ["d"], "delete a container"],
  ["GetContainerProperties", [[`${CONT}/read`]], ["r"], "read container properties"],
  ["GetContainerMetadata", [[`${CONT}/read`]], ["r"], "read container metadata"],
  ["SetContainerMetadata", [[`${CONT}/write`]], ["w"], "set container metadata"],
  ["AcquireContainerLease", [[`${CONT}/write`]], ["w"], "lease a container"],
  ["RenewContainerLease", [[`${CONT}/write`]], ["w"], "renew a container lease"],
  ["ReleaseContainerLease", [[`${CONT}/write`]], ["w"], "release a container lease"],
  ["ChangeContainerLease", [[`${CONT}/write`]], ["w"], "change a container lease"],
  ["BreakContainerLease", [[`${CONT}/write`]], ["w", "d"], "break a container lease"],
  ["GetContainerACL", [[`${CONT}/getAcl/action`]], [], "read a container ACL"],
  ["SetContainerACL", [[`${CONT}/setAcl/action`]], [], "set a container ACL"],
  ["ListContainers", [[`${CONT}/read`]], ["l"], "list containers", "account"],
  [
    "GetUserDelegationKey",
    [[`${S}/blobServices/generateUserDelegationKey/action`]],
    [],
    "get a user delegation key",
    "account",
  ],
  ["GetBlobServiceProperties", [[`${S}/blobServices/read`]], [], "read blob service properties", "account"],
  ["SetBlobServiceProperties", [[`${S}/blobServices/write`]], [], "set blob service properties", "account"],
  [
    "GetAccountInformation",
    [[`${S}/blobServices/getInfo/action`]],
    [],
    "read account information",
    "account",
  ],
];

/** ADLS Gen2 (the dfs endpoint), logged in StorageBlobLogs: paths also carry POSIX ACLs. */
const DATA_LAKE_ROWS: Row[] = [
  ["CreateFilesystem", [[`${CONT}/write`]], ["c", "w"], "create a file system"],
  ["DeleteFilesystem", [[`${CONT}/delete`]], ["d"], "delete a file system"],
  ["GetFilesystemProperties", [[`${CONT}/read`]], ["r"], "read file system properties"],
  ["SetFilesystemProperties", [[`${CONT}/write`]], ["w"], "set file system properties"],
  ["ListFilesystems", [[`${CONT}/read`]], ["l"], "list file systems", "account"],
  ["ListFilesystemDir", blobRead, ["l"], "list paths"],
  ["ListFilesystemFile", blobRead, ["l"], "list paths"],
  // w first: the AppendFile and FlushFile that follow a create need it too, so one new SAS covers an upload.
  ["CreatePathFile", blobWrite, ["w", "c"], "create a file"],
  ["CreatePathDir", blobWrite, ["c", "w"], "create a directory"],
  ["AppendFile", blobWrite, ["w", "a"], "append to a file"],
  ["FlushFile", blobWrite, ["w"], "flush a file"],
  ["ReadFile", blobRead, ["r"], "read a file"],
  ["GetFileProperties", blobRead, ["r"], "read path properties"],
  ["GetPathProperties", blobRead, ["r"], "read path properties"],
  ["GetPathAccessControl", blobRead, ["e"], "read a path's ACL"],
  ["SetPathAccessControl", [[`${BLOB}/modifyPermissions/action`]], ["p"], "set a path's ACL"],
  ["SetPathAccessControlRecursive", [[`${BLOB}/modifyPermissions/action`]], ["p"], "set ACLs recursively"],
  ["RenamePathFile", [[`${BLOB}/move/action`]], ["m"], "rename a file"],
  ["RenamePathDir", [[`${BLOB}/move/action`]], ["m"], "rename a directory"],
  ["DeleteFile", [[`${BLOB}/delete`]], ["d"], "delete a file"],
  ["DeleteDirectory", [[`${BLOB}/delete`]], ["d"], "delete a directory"],
];

const QUEUE_ROWS: Row[] = [
  ["PutMessage", [[`${QMSG}/add/action`], [`${QMSG}/write`]], ["a"], "add a message"],
  [
    "GetMessages",
    [[`${QMSG}/process/action`], [`${QMSG}/delete`, `${QMSG}/read`]],
    ["p"],
    "receive messages",
  ],
  [
    "GetMessage",
    [[`${QMSG}/process/action`], [`${QMSG}/delete`, `${QMSG}/read`]],
    ["p"],
    "receive a message",
  ],
  ["PeekMessages", [[`${QMSG}/read`]], ["r"], "peek messages"],
  ["PeekMessage", [[`${QMSG}/read`]], ["r"], "peek a message"],
  ["DeleteMessage", [[`${QMSG}/process/action`], [`${QMSG}/delete`]], ["p"], "delete a message"],
  ["ClearMessages", [[`${QMSG}/delete`]], ["p"], "clear messages"],
  ["UpdateMessage", [[`${QMSG}/write`]], ["u"], "update a message"],
  ["CreateQueue", [[`${QUEUE}/write`]], ["c"], "create a queue"],
  ["DeleteQueue", [[`${QUEUE}/delete`]], ["d"], "delete a queue"],
  ["GetQueueMetadata", [[`${QUEUE}/read`]], ["r"], "read queue metadata"],
  ["GetQueueProperties", [[`${QUEUE}/read`]], ["r"], "read queue properties"],
  ["SetQueueMetadata", [[`${QUEUE}/write`]], ["w"], "set queue metadata"],
  ["GetQueueACL", [[`${QUEUE}/getAcl/action`]], [], "read a queue ACL"],
  ["SetQueueACL", [[`${QUEUE}/setAcl/action`]], [], "set a queue ACL"],
  ["ListQueues", [[`${QUEUE}/read`]], ["l"], "list queues", "account"],
  [
    "GetQueueServiceProperties",
    [[`${S}/queueServices/read`]],
    [],
    "read queue service properties",
    "account",
  ],
];

const TABLE_ROWS: Row[] = [
  ["QueryEntities", [[`${ENT}/read`]], ["r"], "query entities"],
  ["QueryEntity", [[`${ENT}/read`]], ["r"], "read an entity"],
  ["InsertEntity", [[`${ENT}/write`], [`${ENT}/add/action`]], ["a"], "insert an entity"],
  [
    "InsertOrMergeEntity",
    [[`${ENT}/write`], [`${ENT}/add/action`, `${ENT}/update/action`]],
    ["au"],
    "upsert an entity",
  ],
  [
    "InsertOrReplaceEntity",
    [[`${ENT}/write`], [`${ENT}/add/action`, `${ENT}/update/action`]],
    ["au"],
    "upsert an entity",
  ],
  ["UpdateEntity", [[`${ENT}/write`], [`${ENT}/update/action`]], ["u"], "update an entity"],
  ["MergeEntity", [[`${ENT}/write`], [`${ENT}/update/action`]], ["u"], "merge an entity"],
  ["DeleteEntity", [[`${ENT}/delete`]], ["d"], "delete an entity"],
  ["CreateTable", [[`${TABLE}/write`]], [], "create a table"],
  ["DeleteTable", [[`${TABLE}/delete`]], [], "delete a table"],
  ["QueryTable", [[`${TABLE}/read`]], [], "query tables", "account"],
  ["QueryTables", [[`${TABLE}/read`]], [], "query tables", "account"],
  ["GetTableACL", [[`${TABLE}/getAcl/action`]], [], "read a table ACL"],
  ["SetTableACL", [[`${TABLE}/setAcl/action`]], [], "set a table ACL"],
];

// Files over REST with OAuth need the backup-semantics data action besides the file action.
const fileRead: string[][] = [[`${FILES}/read`, FREAD]];
const fileWrite: string[][] = [[`${FILES}/write`, FWRITE]];

const FILE_ROWS: Row[] = [
  ["GetFile", fileRead, ["r"], "read a file"],
  ["GetFileProperties", fileRead, ["r"], "read file properties"],
  ["GetFileMetadata", fileRead, ["r"], "read file metadata"],
  ["ListRanges", fileRead, ["r"], "list file ranges"],
  ["GetDirectoryProperties", fileRead, ["r"], "read directory properties"],
  ["GetDirectoryMetadata", fileRead, ["r"], "read directory metadata"],
  ["ListFilesAndDirectories", fileRead, ["l"], "list files and directories"],
  ["ListHandles", fileRead, ["l"], "list handles"],
  ["GetPermission", fileRead, [], "read a file permission"],
  ["CreateFile", fileWrite, ["c", "w"], "create a file"],
  ["PutRange", fileWrite, ["w"], "write a range"],
  ["PutRangeFromURL", fileWrite, ["w"], "write a range from a URL"],
  ["SetFileProperties", fileWrite, ["w"], "set file properties"],
  ["SetFileMetadata", fileWrite, ["w"], "set file metadata"],
  ["CopyFile", fileWrite, ["c", "w"], "copy into a file"],
  ["AbortCopyFile", fileWrite, ["w"], "abort a file copy"],
  ["LeaseFile", fileWrite, ["w"], "lease a file"],
  ["RenameFile", fileWrite, ["w"], "rename a file"],
  ["DeleteFile", fileWrite, ["d"], "delete a file"],
  ["CreateDirectory", fileWrite, ["c", "w"], "create a directory"],
  ["DeleteDirectory", fileWrite, ["d"], "delete a directory"],
  ["SetDirectoryProperties", fileWrite, ["w"], "set directory properties"],
  ["SetDirectoryMetadata", fileWrite, ["w"], "set directory metadata"],
  ["RenameDirectory", fileWrite, ["w"], "rename a directory"],
  ["ForceCloseHandles", fileWrite, ["w"], "close handles"],
  ["CreatePermission", [[`${FILES}/modifypermissions/action`, FWRITE]], [], "create a file permission"],
  ["GetShareProperties", [[`${SHARES}/read`]], ["r"], "read share properties"],
  ["GetShareMetadata", [[`${SHARES}/read`]], ["r"], "read share metadata"],
  ["GetShareStats", [[`${SHARES}/read`]], ["r"], "read share stats"],
  ["CreateShare", [[`${SHARES}/write`]], [], "create a share"],
  ["DeleteShare", [[`${SHARES}/delete`]], [], "delete a share"],
  ["SetShareProperties", [[`${SHARES}/write`]], [], "set share properties"],
  ["SetShareMetadata", [[`${SHARES}/write`]], [], "set share metadata"],
  ["ListShares", [[`${SHARES}/read`]], ["l"], "list shares", "account"],
];

function table(service: ServiceType, rows: Row[]): Map<string, OperationPermissions> {
  const m = new Map<string, OperationPermissions>();
  for (const [operation, rbac, sas, does, scope] of rows) {
    m.set(operation.toLowerCase(), { service, operation, rbac, sas, scope: scope ?? "container", does });
  }
  return m;
}

const TABLES: Record<ServiceType, Map<string, OperationPermissions>> = {
  blob: table("blob", [...BLOB_ROWS, ...DATA_LAKE_ROWS]),
  queue: table("queue", QUEUE_ROWS),
  table: table("table", TABLE_ROWS),
  file: table("file", FILE_ROWS),
};

/** The permissions a logged operation needs, or undefined when the table does not know it (never a guess). */
export function operationPermissions(
  service: ServiceType,
  operation: string,
): OperationPermissions | undefined {
  return TABLES[service].get(operation.toLowerCase());
}

const DATA_LAKE_OPERATIONS = new Set(DATA_LAKE_ROWS.map(([operation]) => operation.toLowerCase()));

/** Whether a logged Blob operation is a Data Lake (dfs) one, whose paths ACLs may govern. */
export function isDataLakeOperation(operation: string): boolean {
  return DATA_LAKE_OPERATIONS.has(operation.toLowerCase());
}

/** Every operation the table knows, per service (for documentation and tests). */
export function knownOperations(service: ServiceType): OperationPermissions[] {
  return [...TABLES[service].values()];
}

/** Every permission named in the table. */
export function permissionsInTable(): string[] {
  const out = new Set<string>();
  for (const t of Object.values(TABLES))
    for (const op of t.values()) for (const alt of op.rbac) for (const p of alt) out.add(p);
  return [...out].sort();
}

/**
 * The SAS letters a set of operations needs together, taking each operation's first alternative (the
 * narrowest the docs name), in the canonical `sp` order. Operations the table does not know are ignored
 * here and reported by the caller.
 */
export function sasLettersFor(ops: ReadonlyArray<{ service: ServiceType; operation: string }>): string {
  const letters = new Set<string>();
  for (const o of ops) {
    const p = operationPermissions(o.service, o.operation);
    const first = p?.sas[0];
    if (first) for (const ch of first) letters.add(ch);
  }
  return canonicalSasOrder([...letters].join(""));
}

/** `sp` letters in the order the service expects them (racwdxyltmeopi, then anything else). */
export function canonicalSasOrder(sp: string): string {
  const order = "racwdxyltmeopiuf";
  const set = new Set(sp);
  return [...order].filter((c) => set.has(c)).join("") + [...set].filter((c) => !order.includes(c)).join("");
}

/** Whether `sp` satisfies the operation: some alternative has all its letters in `sp`. */
export function sasAllows(sp: string, permissions: OperationPermissions): boolean {
  return permissions.sas.some((alt) => [...alt].every((ch) => sp.includes(ch)));
}
