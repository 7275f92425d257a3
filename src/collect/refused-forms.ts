/**
 * Binary files that are not log exports this product reads, told by their first bytes and refused whole
 * with what to give instead: one `(file)` rejection, rather than a rejection per "line" of binary.
 * (gzip is read as it is, input-files.ts; an Event Hubs Capture file's Avro, avro-capture.ts.)
 */

interface RefusedForm {
  /** The bytes a file of this form starts with. */
  magic: Buffer;
  /** Whether a file with that start is this form (a zip may be an Excel workbook). */
  is?: (head: Buffer) => boolean;
  refusal: string;
}

const NOTHING_READ = "; nothing in it was read";

/** An archive of another compressor than gzip: decompressed first, it is read. */
function archive(name: string, magic: Buffer, is?: (head: Buffer) => boolean): RefusedForm {
  return {
    magic,
    ...(is ? { is } : {}),
    refusal: `${name} archive is not read; decompress it first (gzip, .gz, is read as it is)${NOTHING_READ}`,
  };
}

/** In the order they are tried: the Excel workbook before the zip it also is. */
const REFUSED_FORMS: readonly RefusedForm[] = [
  {
    magic: Buffer.from("PK\x03\x04", "latin1"),
    // A workbook is a zip with an xl/workbook.xml, whose name is among its first entries' near its start.
    is: (head) => head.subarray(0, 64 * 1024).includes("xl/workbook", 0, "latin1"),
    refusal:
      "an Excel workbook is not read; save the sheet as CSV UTF-8 (or export the query's results as CSV)" +
      NOTHING_READ,
  },
  {
    magic: Buffer.from("PK\x03\x04", "latin1"),
    refusal:
      "a zip archive is not read; unzip it and give the folder (or its files) to --logs" + NOTHING_READ,
  },
  {
    magic: Buffer.from("PK\x05\x06", "latin1"),
    refusal: "an empty zip archive" + NOTHING_READ,
  },
  {
    magic: Buffer.from("PAR1", "latin1"),
    refusal:
      "a Parquet file (Event Hubs Capture's other format) is not read; capture in Avro, or export the rows as JSON or CSV" +
      NOTHING_READ,
  },
  ...[
    // bzip2's three letters are followed by its block size, a digit.
    archive("a bzip2", Buffer.from("BZh", "latin1"), (head) => head[3]! >= 0x31 && head[3]! <= 0x39),
    archive("an xz", Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])),
    archive("a zstd", Buffer.from([0x28, 0xb5, 0x2f, 0xfd])),
    archive("a 7-Zip", Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])),
  ],
];

/** The longest magic: how much of a file's start `refusalOf` needs. */
export const REFUSED_FORM_HEAD_BYTES = Math.max(...REFUSED_FORMS.map((f) => f.magic.length));

/** What is said of a file that starts with `head`, when it is one of the forms refused; else undefined. */
export function refusalOf(head: Buffer): string | undefined {
  for (const form of REFUSED_FORMS)
    if (head.length >= form.magic.length && head.subarray(0, form.magic.length).equals(form.magic))
      if (!form.is || form.is(head)) return form.refusal;
  return undefined;
}
