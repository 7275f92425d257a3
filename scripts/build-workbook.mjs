// Writes infra/workbook/storage-auth-triage.workbook.json from the compiled workbook module, so the
// workbook's verdict column comes from the same error-code table as the engine. Run: npm run build:workbook
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const { renderWorkbookJson, WORKBOOK_RELATIVE_PATH } = await import(
  join(repoRoot, "dist/src/workbook/storage-auth-triage-workbook.js")
);
writeFileSync(join(repoRoot, WORKBOOK_RELATIVE_PATH), renderWorkbookJson());
console.error(`build-workbook: wrote ${WORKBOOK_RELATIVE_PATH}`);
