import { afterAll, beforeAll } from "vitest";
import { seedStoryBlob } from "../../scripts/make-transcript-captures.js";
import { startAzurite, type AzuriteInstance } from "../../src/local/azurite.js";

export interface StoryAzurite {
  azurite: AzuriteInstance;
  /** The story's blob (scripts/make-transcript-captures.ts seeds it), without a query. */
  blobUrl: string;
}

/** Azurite for a test file, with the stories' blob seeded: started before its tests, stopped after them. */
export function useStoryAzurite(): () => StoryAzurite {
  let azurite: AzuriteInstance | undefined;
  let blobUrl = "";
  beforeAll(async () => {
    azurite = await startAzurite();
    blobUrl = (await seedStoryBlob(azurite.blobEndpoint)).blob.url;
  }, 60_000);
  afterAll(async () => {
    await azurite?.stop();
  });
  return () => ({ azurite: azurite!, blobUrl });
}
