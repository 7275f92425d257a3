/**
 * Base64 decoding without Node's Buffer, so the doctor also runs in the browser (the dashboard's paste
 * page). Lenient in the same way as `Buffer.from(text, "base64")`: standard and URL-safe alphabets both
 * decode, characters outside the alphabet (white space, stray punctuation) are skipped, decoding stops at
 * the first `=`, and a trailing partial group yields the whole bytes it holds.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Character code → 6-bit value; -1 for characters outside both alphabets. */
const VALUE_OF: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  table["-".charCodeAt(0)] = 62;
  table["_".charCodeAt(0)] = 63;
  return table;
})();

export function decodeBase64(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4) + 3);
  let length = 0;
  let bits = 0;
  let bitCount = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x3d) break; // "=": padding ends the data
    const value = code < 128 ? VALUE_OF[code]! : -1;
    if (value < 0) continue;
    bits = ((bits << 6) | value) & 0xffffff;
    bitCount += 6;
    if (bitCount >= 8) {
      bitCount -= 8;
      out[length++] = (bits >> bitCount) & 0xff;
    }
  }
  return out.slice(0, length);
}

/** Base64 (either alphabet) to text, invalid UTF-8 replaced by U+FFFD as Buffer's toString does. */
export function decodeBase64Utf8(text: string): string {
  return new TextDecoder().decode(decodeBase64(text));
}
