/**
 * Files written as UTF-16, read as the UTF-8 every reader expects. Windows PowerShell 5.1 writes UTF-16
 * with a byte order mark wherever output is redirected (`az monitor log-analytics query … > rows.json`,
 * `Out-File`), so a user on Windows often has such a file. It is told by its byte order mark and
 * decoded as it streams; a file without one is passed on as it is (and a reader rejects what is not
 * UTF-8).
 */
export class TextEncodingError extends Error {
  override name = "TextEncodingError";
}

/** The byte order of a UTF-16 byte order mark at the start of `head`; undefined without one. */
function utf16ByteOrder(head: Buffer): "LE" | "BE" | undefined {
  if (head[0] === 0xff && head[1] === 0xfe) return "LE";
  if (head[0] === 0xfe && head[1] === 0xff) return "BE";
  return undefined;
}

/**
 * The chunks' first `bytes` bytes (all of them when there are fewer), to tell a file's form by, and the
 * chunks again from the start, whose leaving closes the file behind them. The head is the first chunk
 * itself unless that is shorter (a file of one byte): then the first chunks joined.
 */
export async function peekHead(
  chunks: AsyncIterable<Buffer>,
  bytes: number,
): Promise<{ head: Buffer | undefined; all: AsyncGenerator<Buffer> }> {
  const it = chunks[Symbol.asyncIterator]();
  let head: Buffer | undefined;
  let ended = false;
  try {
    while (!head || head.length < bytes) {
      const next = await it.next();
      if (next.done) {
        ended = true;
        break;
      }
      head = head ? Buffer.concat([head, next.value]) : next.value;
    }
  } catch (err) {
    await it.return?.();
    throw err;
  }
  return { head, all: replayed(head, it, ended) };
}

async function* replayed(
  head: Buffer | undefined,
  rest: AsyncIterator<Buffer>,
  ended: boolean,
): AsyncGenerator<Buffer> {
  let done = ended;
  try {
    if (head) yield head;
    for (let next = done ? undefined : await rest.next(); next && !next.done; next = await rest.next())
      yield next.value;
    done = true;
  } finally {
    // A reader that stops early closes the file behind it.
    if (!done) await rest.return?.();
  }
}

/** The chunks as UTF-8: passed through unless they start with a UTF-16 byte order mark. */
export async function* utf8Chunks(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  // The byte order mark needs two bytes; a first chunk of one (a file of one byte) waits for more.
  const { head, all } = await peekHead(chunks, 2);
  const order = head && utf16ByteOrder(head);
  if (order === undefined) {
    yield* all;
    return;
  }
  const decoder = new Utf16Decoder(order === "BE");
  let first = true;
  for await (const chunk of all) {
    yield* decoded(() => decoder.decode(first ? chunk.subarray(2) : chunk));
    first = false;
  }
  decoder.end();
}

/** A chunk's text; at damage, the text before it, then the error. */
function* decoded(decode: () => Buffer): Generator<Buffer> {
  try {
    yield decode();
  } catch (err) {
    if (err instanceof Utf16Damage && err.before.length > 0) yield err.before;
    throw err;
  }
}

/**
 * UTF-16 to UTF-8, chunk by chunk: a code unit or surrogate pair cut between chunks waits for the rest.
 * Text up to the first unpaired surrogate (or a last odd byte) is given, then TextEncodingError: the
 * records before the damage are read, as with a damaged .gz.
 */
class Utf16Decoder {
  private carry: Buffer = Buffer.alloc(0);

  constructor(private readonly bigEndian: boolean) {}

  decode(chunk: Buffer): Buffer {
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    let end = data.length & ~1;
    // A high surrogate last: its pair starts the next chunk.
    if (end >= 2 && isHighSurrogate(this.unitAt(data, end - 2))) end -= 2;
    const bad = this.firstUnpaired(data, end);
    const text = this.text(data, bad < 0 ? end : bad);
    if (bad >= 0) throw new Utf16Damage(text, this.bigEndian);
    this.carry = Buffer.from(data.subarray(end));
    return text;
  }

  /** At the end of the file nothing may be left over. */
  end(): void {
    if (this.carry.length > 0) throw new Utf16Damage(Buffer.alloc(0), this.bigEndian);
  }

  private unitAt(data: Buffer, i: number): number {
    return this.bigEndian ? data.readUInt16BE(i) : data.readUInt16LE(i);
  }

  /** Byte offset of the first unpaired surrogate in data[0, end), or -1. */
  private firstUnpaired(data: Buffer, end: number): number {
    for (let i = 0; i < end; i += 2) {
      const unit = this.unitAt(data, i);
      if (unit < 0xd800 || unit > 0xdfff) continue;
      if (isHighSurrogate(unit) && i + 2 < end && isLowSurrogate(this.unitAt(data, i + 2))) i += 2;
      else return i;
    }
    return -1;
  }

  private text(data: Buffer, end: number): Buffer {
    const units = Buffer.from(data.subarray(0, end));
    if (this.bigEndian) units.swap16();
    return Buffer.from(units.toString("utf16le"), "utf8");
  }
}

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/** Broken UTF-16, with the text decoded before it (given to the reader before the error). */
class Utf16Damage extends TextEncodingError {
  constructor(
    readonly before: Buffer,
    bigEndian: boolean,
  ) {
    super(`not valid UTF-16${bigEndian ? "BE" : "LE"} (an unpaired surrogate or a last odd byte)`);
  }
}
