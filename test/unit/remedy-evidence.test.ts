import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EVIDENCE_LIMITS, EvidenceAccumulator, mergeEvidence } from "../../src/remedy/evidence.js";
import type { StorageRequest } from "../../src/model/storage-request.js";

/** A 403 of `details` (AuthorizationDetails as logged) by object id `oid`. */
function denied(details: unknown, oid?: string): StorageRequest {
  const r: StorageRequest = {
    timeMs: Date.UTC(2024, 4, 1),
    account: "acct1",
    service: "blob",
    operation: "GetBlob",
    statusCode: 403,
    statusText: "AuthorizationPermissionMismatch",
    authType: "OAuth",
    authorizationDetails: details,
  };
  if (oid) r.requesterObjectId = oid;
  return r;
}

const ACTION = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read";

describe("the remedy evidence of a cluster's 403s", () => {
  it("counts each authorization entry by its fields, in either case, one entry or a list", () => {
    const acc = new EvidenceAccumulator();
    const entry = { action: ACTION, result: "Denied", reason: "NoApplicablePolicy" };
    acc.observe(denied([entry]));
    acc.observe(denied({ Action: ACTION, Result: "Denied", Reason: " NoApplicablePolicy " }));
    acc.observe(
      denied([{ ...entry, roleAssignmentId: "ra1" }, { action: ACTION }, { result: "Denied" }, null]),
    );
    // A blank field is not logged: the same entry as without it.
    acc.observe(denied([{ ...entry, roleDefinitionId: "  " }]));
    expect(acc.snapshot().authorization).toEqual([
      { action: ACTION, result: "Denied", reason: "NoApplicablePolicy", count: 3 },
      { action: ACTION, result: "Denied", reason: "NoApplicablePolicy", roleAssignmentId: "ra1", count: 1 },
    ]);
  });

  it("keeps the first entries up to its cap and counts them on, whatever the rows hold", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            reason: fc.constantFrom("A", "B", undefined),
            roleAssignmentId: fc.option(fc.integer({ min: 0, max: 30 }).map(String), { nil: undefined }),
            denyAssignmentId: fc.constantFrom("d", undefined),
          }),
          { maxLength: 80 },
        ),
        (entries) => {
          const acc = new EvidenceAccumulator();
          const expected = new Map<string, { entry: Record<string, string>; count: number }>();
          for (const e of entries) {
            const entry: Record<string, string> = { action: ACTION, result: "Denied" };
            for (const [k, v] of Object.entries(e)) if (v !== undefined) entry[k] = v;
            acc.observe(denied([entry]));
            const key = JSON.stringify(entry);
            const seen = expected.get(key);
            if (seen) seen.count++;
            else if (expected.size < EVIDENCE_LIMITS.authorization) expected.set(key, { entry, count: 1 });
          }
          const got = acc.snapshot().authorization;
          expect(got.length).toBe(expected.size);
          for (const { entry, count } of expected.values()) expect(got).toContainEqual({ ...entry, count });
        },
      ),
    );
  });

  it("is its own merge, as a snapshot and as a merge's output: merged alone, it is handed back", () => {
    const row = fc.record({
      container: fc.integer({ min: 0, max: 30 }),
      oid: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
      upn: fc.constantFrom("a@contoso.com", undefined),
      reason: fc.constantFrom("A", "B", undefined),
      roleAssignmentId: fc.option(fc.integer({ min: 0, max: 30 }).map(String), { nil: undefined }),
    });
    const snapshotOf = (
      rows: ReadonlyArray<{
        container: number;
        oid: number | undefined;
        upn: string | undefined;
        reason: string | undefined;
        roleAssignmentId: string | undefined;
      }>,
    ) => {
      const acc = new EvidenceAccumulator();
      for (const x of rows) {
        const entry: Record<string, string> = { action: ACTION, result: "Denied" };
        if (x.reason) entry.reason = x.reason;
        if (x.roleAssignmentId) entry.roleAssignmentId = x.roleAssignmentId;
        const r = denied([entry], x.oid === undefined ? undefined : `oid-${x.oid}`);
        r.objectKey = `/acct1/c${x.container}/blob.json`;
        r.resourceId = `/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/acct1/blobServices/default`;
        if (x.upn) r.requesterUpn = x.upn;
        acc.observe(r);
      }
      return acc.snapshot();
    };
    fc.assert(
      fc.property(fc.array(row, { maxLength: 120 }), fc.array(row, { maxLength: 60 }), (a, b) => {
        const snapshot = snapshotOf(a);
        // Handing it back is right only because merging a copy of it (no merge's) gives it again.
        expect(mergeEvidence([structuredClone(snapshot)])).toEqual(snapshot);
        expect(mergeEvidence([undefined, snapshot])).toBe(snapshot);
        const both = mergeEvidence([snapshot, snapshotOf(b)])!;
        expect(mergeEvidence([structuredClone(both)])).toEqual(both);
        expect(mergeEvidence([both])).toBe(both);
        // A copy from elsewhere (a thread's, a state store's) is merged, not handed back.
        const copy = structuredClone(snapshot);
        expect(mergeEvidence([copy])).not.toBe(copy);
      }),
    );
  });

  it("learns a principal's type from the entries that name it", () => {
    const acc = new EvidenceAccumulator();
    const principals = [
      { id: "OTHER", type: "Group" },
      { id: "Oid-1", type: "ServicePrincipal" },
    ];
    acc.observe(denied([{ action: ACTION, result: "Denied" }], "oid-1"));
    acc.observe(denied([{ action: ACTION, result: "Denied", principals }], "OID-1"));
    expect(acc.snapshot().principals).toEqual([{ objectId: "oid-1", type: "ServicePrincipal", count: 2 }]);
  });
});
