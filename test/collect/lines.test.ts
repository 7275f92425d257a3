import { describe, expect, it } from "vitest";
import { LineSplitter, type DeclineLine, type LineHandler } from "../../src/collect/lines.js";

/**
 * The line splitter's offer of runs to a skimming handler: a run with characters past ASCII is offered
 * too (a blob's name in ObjectKey may be any text), and what the handler declines reaches it decoded.
 */

interface Seen {
  offered: string[][];
  taken: string[];
  declined: Array<[number, string]>;
  lines: Array<{ lineNo: number; text: string; bytes: boolean; problem?: string }>;
}

/** Takes the lines that start `{"take"` when they are ASCII, as the skim takes only ASCII lines. */
function skimmingHandler(): LineHandler & { seen: Seen } {
  const seen: Seen = { offered: [], taken: [], declined: [], lines: [] };
  return {
    seen,
    line(text, lineNo, problem, _unterminated, bytes) {
      seen.lines.push({ lineNo, text, bytes: bytes !== undefined, ...(problem ? { problem } : {}) });
    },
    skimRun(chunk: Buffer, start: number, end: number, _max: number, decline: DeclineLine): number {
      // Lines cut at the bytes of their line breaks, as the skim cuts them: decoding first would move
      // the offsets past a byte that is not UTF-8.
      const run: string[] = [];
      let from = start;
      for (let index = 0; from <= end; index++) {
        const nl = chunk.indexOf(0x0a, from);
        const stop = nl < 0 || nl > end ? end : nl;
        const bytes = chunk.subarray(from, stop);
        const line = bytes.toString("utf8");
        run.push(line);
        if (line.startsWith('{"take"') && bytes.every((b) => b < 0x80)) seen.taken.push(line);
        else decline(from, stop, index);
        from = stop + 1;
      }
      seen.offered.push(run);
      return run.length;
    },
    declined(bytes, start, end, lineNo) {
      seen.declined.push([lineNo, bytes.toString("latin1", start, end)]);
      return false;
    },
  };
}

describe("LineSplitter and a skimming handler", () => {
  it("offers a run with text past ASCII, and decodes the lines declined in it as UTF-8", () => {
    const handler = skimmingHandler();
    const splitter = new LineSplitter(handler);
    splitter.push(Buffer.from('{"take":0}\n'));
    const run = [
      '{"take":1}',
      '{"key":"/c/événements/x.json"}',
      '{"take":2}',
      '{"ascii":3}',
      '{"take":"名前"}',
    ];
    splitter.push(Buffer.from(run.join("\n") + "\n"));
    splitter.end();
    const { seen } = handler;
    expect(seen.offered).toEqual([['{"take":0}'], run]);
    expect(seen.taken).toEqual(['{"take":0}', '{"take":1}', '{"take":2}']);
    // Only the ASCII line declined is offered from its bytes first.
    expect(seen.declined).toEqual([[5, '{"ascii":3}']]);
    expect(seen.lines).toEqual([
      { lineNo: 3, text: '{"key":"/c/événements/x.json"}', bytes: false },
      { lineNo: 5, text: '{"ascii":3}', bytes: true },
      { lineNo: 6, text: '{"take":"名前"}', bytes: false },
    ]);
    expect(splitter.lines).toBe(6);
  });

  it("takes the byte order mark off a file's first line, declined in its run", () => {
    const handler = skimmingHandler();
    const splitter = new LineSplitter(handler);
    splitter.push(Buffer.from('\ufeff{"key":"café"}\n{"take":1}\n'));
    splitter.push(Buffer.from('{"take":2}\n{"key":"ü"}\n'));
    splitter.end();
    const { seen } = handler;
    expect(seen.offered).toEqual([
      ['\ufeff{"key":"café"}', '{"take":1}'],
      ['{"take":2}', '{"key":"ü"}'],
    ]);
    expect(seen.taken).toEqual(['{"take":1}', '{"take":2}']);
    expect(seen.lines).toEqual([
      { lineNo: 1, text: '{"key":"café"}', bytes: false },
      { lineNo: 4, text: '{"key":"ü"}', bytes: false },
    ]);
    // An ASCII first line after the mark is offered from its bytes, without it.
    const ascii = skimmingHandler();
    const again = new LineSplitter(ascii);
    again.push(Buffer.from('\ufeff{"ascii":1}\n{"key":"é"}\n'));
    again.end();
    expect(ascii.seen.declined).toEqual([[1, '{"ascii":1}']]);
    expect(ascii.seen.lines[0]).toEqual({ lineNo: 1, text: '{"ascii":1}', bytes: true });
  });

  it("skims a run that is not valid UTF-8, and flags the bad lines the skim declines", () => {
    const handler = skimmingHandler();
    const splitter = new LineSplitter(handler);
    splitter.push(Buffer.from('{"take":0}\n'));
    splitter.push(
      Buffer.concat([
        Buffer.from('{"take":1}\n{"key":"'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}\n{"key":"caf'),
        Buffer.from([0xc3, 0xa9]),
        Buffer.from('"}\n'),
      ]),
    );
    splitter.end();
    const { seen } = handler;
    expect(seen.offered).toHaveLength(2);
    expect(seen.taken).toEqual(['{"take":0}', '{"take":1}']);
    expect(seen.declined).toEqual([]);
    expect(seen.lines).toEqual([
      { lineNo: 3, text: '{"key":"\ufffd("}', bytes: false, problem: "invalid-utf8" },
      { lineNo: 4, text: '{"key":"café"}', bytes: false },
    ]);
  });
});
