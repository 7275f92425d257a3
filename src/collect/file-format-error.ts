/**
 * A file whose binary form cannot be read (on): an Event Hubs Capture file (avro-capture.ts) or a
 * Parquet file (parquet-rows.ts) that is damaged or not what it must be. Reported as the file's one
 * `(file)` rejection; the records read before it are kept and the next file is read.
 */
export class FileFormatError extends Error {
  override name = "FileFormatError";
  constructor(
    message: string,
    /** Nothing of the file was read (its start is not what it must be); else it broke part way. */
    readonly wholeFile = false,
  ) {
    super(message);
  }
}
