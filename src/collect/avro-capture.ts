import { inflateRawBounded, MAX_INFLATED_MB } from "../inflate-bounded.js";
import { FileFormatError } from "./file-format-error.js";

/**
 * Event Hubs Capture files: a diagnostic setting that streams to Event Hubs, with Capture on, leaves
 * Apache Avro object container files (`<namespace>/<hub>/<partition>/YYYY/MM/DD/HH/mm/ss.avro`) whose
 * events' `Body` is the setting's JSON, `{"records": […]}`. Their bodies are handed on as text, one per
 * line, to the usual readers, which read that envelope (formats.ts); so a record's line number is its
 * event's number in the file.
 *
 * The container is read as the Avro specification lays it out: the magic `Obj\x01`, a metadata map
 * (`avro.schema`, `avro.codec`), a 16-byte sync marker, then blocks of (object count, byte size, the
 * objects, the sync marker). Capture writes with the `null` or `deflate` codec; each object is decoded
 * by the file's own schema, so only the `Body` field's place in it is assumed, not the rest.
 */

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]);
const SYNC_BYTES = 16;
const NEWLINE = Buffer.from("\n");

/** Whether a file's first bytes are an Avro object container's magic. */
export function isAvroHead(head: Uint8Array): boolean {
  return head.length >= MAGIC.length && MAGIC.every((b, i) => head[i] === b);
}

/** More bytes are needed than the buffer holds: wait for the next chunk. */
class NeedMore extends Error {}
const NEED_MORE = new NeedMore();

/** A cursor over bytes; throws NEED_MORE at the end (streaming) or FileFormatError (inside a block). */
class Cursor {
  at = 0;
  /** After NEED_MORE: how many bytes the buffer must hold for the read to go further. */
  wanted = 0;
  constructor(
    readonly bytes: Buffer,
    private readonly whole: boolean,
  ) {}

  private short(wanted: number): never {
    if (this.whole) throw new FileFormatError("an object runs past the end of its block");
    this.wanted = wanted;
    throw NEED_MORE;
  }

  byte(): number {
    if (this.at >= this.bytes.length) this.short(this.at + 1);
    return this.bytes[this.at++]!;
  }

  /** A zig-zag variable-length long (int and long alike), as a number (exact to 2^53). */
  long(): number {
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      n += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return n % 2 === 1 ? -(n + 1) / 2 : n / 2;
      scale *= 128;
    }
    throw new FileFormatError("a number is longer than ten bytes");
  }

  take(length: number): Buffer {
    if (length < 0) throw new FileFormatError(`a negative length (${length})`);
    if (this.at + length > this.bytes.length) this.short(this.at + length);
    const out = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }
}

/** Reads one value of a schema; `Body` (when `body` is set) hands its bytes over. */
type Decoder = (c: Cursor, body: (bytes: Buffer) => void) => void;

interface NamedTypes {
  [name: string]: Decoder;
}

const PRIMITIVES: Record<string, Decoder> = {
  null: () => undefined,
  boolean: (c) => void c.byte(),
  int: (c) => void c.long(),
  long: (c) => void c.long(),
  float: (c) => void c.take(4),
  double: (c) => void c.take(8),
  bytes: (c) => void c.take(c.long()),
  string: (c) => void c.take(c.long()),
};

/** Array and map values come in blocks: a count (negative: followed by the block's byte size), 0 ends. */
function blocks(c: Cursor, each: () => void): void {
  for (let count = c.long(); count !== 0; count = c.long()) {
    if (count < 0) {
      count = -count;
      c.long();
    }
    for (let i = 0; i < count; i++) each();
  }
}

/** A decoder for `schema`, registering named types as the specification allows them to be reused. */
function decoderOf(schema: unknown, named: NamedTypes, namespace = ""): Decoder {
  if (typeof schema === "string") {
    const known = PRIMITIVES[schema] ?? named[schema] ?? named[`${namespace}.${schema}`];
    if (!known) throw new FileFormatError(`its schema names an unknown type ${JSON.stringify(schema)}`);
    return known;
  }
  if (Array.isArray(schema)) {
    const branches = schema.map((s) => decoderOf(s, named, namespace));
    return (c, body) => {
      const branch = branches[c.long()];
      if (!branch) throw new FileFormatError("a union names a branch its schema does not have");
      branch(c, body);
    };
  }
  if (typeof schema !== "object" || schema === null)
    throw new FileFormatError("its schema is not an Avro schema");
  const s = schema as Record<string, unknown>;
  const space = typeof s.namespace === "string" ? s.namespace : namespace;
  const register = (decoder: Decoder): Decoder => {
    if (typeof s.name === "string") {
      named[s.name] = decoder;
      named[s.name.includes(".") ? s.name : `${space}.${s.name}`] = decoder;
    }
    return decoder;
  };
  switch (s.type) {
    case "record":
    case "error": {
      // Registered before its fields are read: a field may refer to its own record.
      const fields: Decoder[] = [];
      const decode = register((c, body) => {
        for (const field of fields) field(c, body);
      });
      for (const f of (s.fields as Array<{ type: unknown }> | undefined) ?? [])
        fields.push(decoderOf(f.type, named, space));
      return decode;
    }
    case "enum":
      return register((c) => void c.long());
    case "fixed": {
      const size = Number(s.size);
      if (!Number.isInteger(size) || size < 0)
        throw new FileFormatError("its schema has a fixed type of no size");
      return register((c) => void c.take(size));
    }
    case "array": {
      const items = decoderOf(s.items, named, space);
      return (c, body) => blocks(c, () => items(c, body));
    }
    case "map": {
      const values = decoderOf(s.values, named, space);
      return (c, body) =>
        blocks(c, () => {
          c.take(c.long());
          values(c, body);
        });
    }
    default:
      // A primitive written as {"type": "long", "logicalType": …}.
      return decoderOf(s.type, named, space);
  }
}

/** The decoder of one event: its schema's, with the top-level `Body` field's bytes handed over. */
function eventDecoder(schemaText: string): Decoder {
  let schema: unknown;
  try {
    schema = JSON.parse(schemaText);
  } catch {
    throw new FileFormatError("its schema (avro.schema) is not JSON");
  }
  const fields = (schema as { type?: unknown; fields?: unknown }).fields;
  if ((schema as { type?: unknown }).type !== "record" || !Array.isArray(fields))
    throw new FileFormatError(
      "its objects are not records; an Event Hubs Capture file holds EventData records",
    );
  const named: NamedTypes = {};
  const space = String((schema as { namespace?: unknown }).namespace ?? "");
  if (!(fields as Array<{ name?: unknown }>).some((f) => f.name === "Body"))
    throw new FileFormatError(
      "its records have no Body field; an Event Hubs Capture file's EventData records carry the event in Body",
    );
  const decoders = (fields as Array<{ name: string; type: unknown }>).map((f) => {
    if (f.name !== "Body") return decoderOf(f.type, named, space);
    // Body is ["null", "bytes"] (or bytes): the bytes, when there are any, are the event.
    const branches = Array.isArray(f.type) ? f.type : [f.type];
    return (c: Cursor, body: (bytes: Buffer) => void) => {
      const branch = Array.isArray(f.type) ? branches[c.long()] : branches[0];
      if (branch === "bytes" || branch === "string") body(c.take(c.long()));
      else if (branch === "null") return;
      else throw new FileFormatError("its Body field is neither bytes nor null");
    };
  });
  return (c, body) => {
    for (const d of decoders) d(c, body);
  };
}

interface Header {
  decode: Decoder;
  codec: "null" | "deflate";
  sync: Buffer;
}

function readHeader(c: Cursor): Header {
  if (!c.take(MAGIC.length).equals(MAGIC)) throw new FileFormatError("not an Avro object container file");
  const meta = new Map<string, Buffer>();
  blocks(c, () => {
    const key = c.take(c.long()).toString("utf8");
    meta.set(key, Buffer.from(c.take(c.long())));
  });
  const sync = Buffer.from(c.take(SYNC_BYTES));
  const codec = meta.get("avro.codec")?.toString("utf8") || "null";
  if (codec !== "null" && codec !== "deflate")
    throw new FileFormatError(
      `its codec is ${JSON.stringify(codec)}; Event Hubs Capture writes null or deflate, and only those are read`,
    );
  const schema = meta.get("avro.schema");
  if (!schema) throw new FileFormatError("it has no schema (avro.schema)");
  return { decode: eventDecoder(schema.toString("utf8")), codec, sync };
}

/**
 * The events' bodies of an Avro capture file, each followed by a newline, block by block: memory holds
 * one block (Capture's blocks are small) and the chunk being read, whatever the file's size. A damaged
 * file ends with a FileFormatError after the bodies before the damage.
 */
export async function* avroCaptureBodies(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending = Buffer.alloc(0);
  // Chunks kept (copies: the reader reuses its buffers) until there are as many bytes as the read wants,
  // so that a block of many chunks is joined once, not once per chunk.
  let waiting: Buffer[] = [];
  let waitingBytes = 0;
  let wanted = 0;
  let header: Header | undefined;
  let events = 0;
  for await (const chunk of chunks) {
    waiting.push(Buffer.from(chunk));
    waitingBytes += chunk.length;
    if (pending.length + waitingBytes < wanted) continue;
    pending = Buffer.concat([pending, ...waiting]);
    waiting = [];
    waitingBytes = 0;
    for (;;) {
      const c = new Cursor(pending, false);
      let lines: Buffer[] = [];
      try {
        if (!header) header = readHeader(c);
        else {
          lines = readBlock(c, header);
          events += lines.length;
        }
      } catch (err) {
        if (err !== NEED_MORE) throw inFile(err, header !== undefined, events);
        wanted = c.wanted;
        break;
      }
      pending = pending.subarray(c.at);
      if (lines.length > 0) yield Buffer.concat(lines);
    }
  }
  if (!header) throw inFile(new FileFormatError("it ends inside its header"), false, events);
  if (pending.length + waitingBytes > 0)
    throw inFile(new FileFormatError("it ends inside a block (it was cut short)"), true, events);
}

/** The error as the file's rejection says it: where in the file, or that nothing of it was read. */
function inFile(err: unknown, headerRead: boolean, events: number): Error {
  if (!(err instanceof FileFormatError)) return err as Error;
  return headerRead
    ? new FileFormatError(`Event Hubs Capture file: ${err.message}, after event ${events}`)
    : new FileFormatError(`Event Hubs Capture file: ${err.message}; nothing in it was read`, true);
}

/** One block's events, a line each (the body and a newline); the cursor is left after the sync marker. */
function readBlock(c: Cursor, header: Header): Buffer[] {
  const count = c.long();
  const size = c.long();
  if (count < 0 || size < 0) throw new FileFormatError("a block has a negative count or size");
  const stored = c.take(size);
  if (!c.take(SYNC_BYTES).equals(header.sync))
    throw new FileFormatError("a block does not end with the file's sync marker");
  let data: Buffer | "too large";
  try {
    data = header.codec === "deflate" ? inflateRawBounded(stored) : stored;
  } catch (err) {
    throw new FileFormatError(`a block's deflate data is corrupt (${(err as Error).message})`);
  }
  if (data === "too large") throw new FileFormatError(`a block inflates past ${MAX_INFLATED_MB} MB`);
  const objects = new Cursor(data, true);
  const lines: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    let body: Buffer | undefined;
    header.decode(objects, (b) => (body = b));
    // An event without a body (null) is an empty line, so that line numbers stay event numbers.
    lines.push(body ? Buffer.concat([body, NEWLINE]) : NEWLINE);
  }
  return lines;
}
