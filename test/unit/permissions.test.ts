import { describe, expect, it } from "vitest";
import {
  BUILT_IN_ROLES,
  chooseRoles,
  knownOperations,
  operationPermissions,
  roleAllows,
  roleById,
  roleGrants,
  roleSize,
  sasAllows,
  sasLettersFor,
  smallestRoleFor,
  type OperationPermissions,
} from "../../src/permissions/index.js";
import { SERVICE_TYPES } from "../../src/model/storage-request.js";

const op = (service: "blob" | "queue" | "table" | "file", name: string): OperationPermissions => {
  const p = operationPermissions(service, name);
  if (!p) throw new Error(`${service}/${name} missing from the table`);
  return p;
};

describe("built-in role definitions", () => {
  it("have unique names and GUIDs", () => {
    expect(new Set(BUILT_IN_ROLES.map((r) => r.id)).size).toBe(BUILT_IN_ROLES.length);
    expect(new Set(BUILT_IN_ROLES.map((r) => r.roleName)).size).toBe(BUILT_IN_ROLES.length);
    for (const r of BUILT_IN_ROLES) expect(r.id).toMatch(/^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/);
  });

  it("match wildcards the way Azure does and honour notDataActions", () => {
    const owner = roleById(
      "/providers/Microsoft.Authorization/roleDefinitions/b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    )!;
    expect(owner.roleName).toBe("Storage Blob Data Owner");
    expect(
      roleGrants(
        owner,
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/modifyPermissions/action",
      ),
    ).toBe(true);
    const reader = roleById("2a2b9908-6ea1-4ae2-8e65-a410df84e7d1")!;
    expect(roleGrants(reader, "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write")).toBe(
      false,
    );
    const custom = {
      ...owner,
      notDataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete"],
    };
    expect(roleGrants(custom, "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete")).toBe(
      false,
    );
  });
});

describe("operation table", () => {
  it("names SAS letters and RBAC alternatives for the operations the simulator logs", () => {
    expect(op("blob", "GetBlob").sas).toEqual(["r"]);
    expect(op("blob", "ListBlobs").sas).toEqual(["l"]);
    expect(op("blob", "PutBlob").sas[0]).toBe("w");
    expect(op("queue", "GetMessages").sas).toEqual(["p"]);
    expect(op("queue", "PutMessage").sas).toEqual(["a"]);
    expect(op("table", "InsertOrMergeEntity").sas).toEqual(["au"]);
    expect(operationPermissions("blob", "NoSuchOperation")).toBeUndefined();
  });

  it("combines letters for several operations in canonical order", () => {
    expect(
      sasLettersFor([
        { service: "blob", operation: "ListBlobs" },
        { service: "blob", operation: "GetBlob" },
        { service: "blob", operation: "PutBlob" },
      ]),
    ).toBe("rwl");
    expect(sasAllows("r", op("blob", "PutBlob"))).toBe(false);
    expect(sasAllows("rc", op("blob", "PutBlob"))).toBe(true);
    expect(sasAllows("a", op("table", "InsertOrMergeEntity"))).toBe(false);
  });
});

describe("smallest built-in role", () => {
  const cases: Array<[string, Array<["blob" | "queue" | "table" | "file", string]>, string]> = [
    [
      "blob reads",
      [
        ["blob", "GetBlob"],
        ["blob", "ListBlobs"],
      ],
      "Storage Blob Data Reader",
    ],
    [
      "blob writes",
      [
        ["blob", "GetBlob"],
        ["blob", "PutBlob"],
      ],
      "Storage Blob Data Contributor",
    ],
    ["ACL changes on ADLS Gen2", [["blob", "SetPathAccessControl"]], "Storage Blob Data Owner"],
    ["queue send", [["queue", "PutMessage"]], "Storage Queue Data Message Sender"],
    [
      "queue receive",
      [
        ["queue", "GetMessages"],
        ["queue", "DeleteMessage"],
      ],
      "Storage Queue Data Message Processor",
    ],
    [
      "queue send + receive",
      [
        ["queue", "PutMessage"],
        ["queue", "GetMessages"],
      ],
      "Storage Queue Data Contributor",
    ],
    ["queue peek", [["queue", "PeekMessages"]], "Storage Queue Data Reader"],
    ["table reads", [["table", "QueryEntities"]], "Storage Table Data Reader"],
    ["table upserts", [["table", "InsertOrMergeEntity"]], "Storage Table Data Contributor"],
    ["file reads over REST", [["file", "GetFile"]], "Storage File Data Privileged Reader"],
    ["file writes over REST", [["file", "PutRange"]], "Storage File Data Privileged Contributor"],
  ];

  for (const [label, ops, expected] of cases) {
    it(`${label}: ${expected}, which grants every need, and no smaller role does`, () => {
      const perms = ops.map(([s, o]) => op(s, o));
      const chosen = smallestRoleFor(perms)!;
      expect(chosen.roleName).toBe(expected);
      // Checked against the role definition itself, not the chooser's bookkeeping.
      for (const p of perms)
        expect(roleAllows(chosen, p), `${chosen.roleName} allows ${p.operation}`).toBe(true);
      const smaller = BUILT_IN_ROLES.filter((r) => roleSize(r) < roleSize(chosen));
      for (const other of smaller) {
        expect(
          perms.every((p) => roleAllows(other, p)),
          `${other.roleName} is smaller and would do`,
        ).toBe(false);
      }
    });
  }

  it("every known operation is authorized by some built-in role", () => {
    for (const s of SERVICE_TYPES) {
      for (const p of knownOperations(s)) {
        // ACL and service-property operations are management permissions no data role holds.
        if (
          /ACL$|ServiceProperties$|GetAccountInformation|Share(Properties|Metadata|Stats)?$|Shares$/.test(
            p.operation,
          )
        )
          continue;
        expect(smallestRoleFor([p]), `${s}/${p.operation}`).toBeDefined();
      }
    }
  });

  it("chooses one role per service and reports unknown operations", () => {
    const r = chooseRoles([
      { service: "blob", operation: "RenewBlobLease" },
      { service: "queue", operation: "GetMessages" },
      { service: "queue", operation: "PutMessage" },
      { service: "blob", operation: "Mystery" },
    ]);
    expect(r.choices.map((c) => [c.service, c.role.roleName])).toEqual([
      ["blob", "Storage Blob Data Contributor"],
      ["queue", "Storage Queue Data Contributor"],
    ]);
    expect(r.unknown).toEqual([{ service: "blob", operation: "Mystery" }]);
  });
});
