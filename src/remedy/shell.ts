/**
 * Shell quoting for values that come from logs (attacker-controlled): a container name or UPN must never
 * become shell syntax in a command people copy. Plain tokens stay bare so commands read naturally.
 */
export function sh(value: string): string {
  if (/^[A-Za-z0-9._/:@=+,-]+$/.test(value)) return value;
  return "'" + value.replace(/'/g, `'\\''`) + "'";
}

/** A `<name>` placeholder, the form every unknown value takes in a command. */
export function placeholder(name: string): string {
  return `<${name}>`;
}

/** A `$(…)` lookup the shell resolves when the command runs: exact, and never printed on its own. */
export function lookup(command: string): string {
  return `"$(${command})"`;
}
