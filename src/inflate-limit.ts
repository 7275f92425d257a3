/**
 * What one deflated piece of an input (an Event Hubs Capture block, a zip entry) may inflate to: far past
 * any real one, so that a crafted piece is refused rather than read into memory. Apart from the
 * inflaters so the browser's engine (which has no node:zlib) shares it.
 */
export const MAX_INFLATED_MB = 256;
export const MAX_INFLATED_BYTES = MAX_INFLATED_MB * 1024 * 1024;
