import type { Incident, Remedy, RemedyCommand } from "../model/incident.js";
import { accountRef, command, fmtUtc, type RemedyContext } from "./context.js";
import { placeholder, sh } from "./shell.js";

/** Private, shared or link-local addresses: they reach the account through a VNet, never as a public IP rule. */
export function isPrivateAddress(ip: string): boolean {
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 10 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      a === 127
    );
  }
  const s = ip.toLowerCase();
  return s.startsWith("fc") || s.startsWith("fd") || s.startsWith("fe80") || s === "::1";
}

const PE_KINDS = new Set(["private-endpoint-changed", "dns-changed", "subnet-changed"]);

/** Network: admit exactly the failing addresses, or point at the private endpoint / DNS path. */
export function networkRemedy(incident: Incident, ctx: RemedyContext): Remedy {
  const account = accountRef(incident, ctx);
  const rg = account.known ? sh(account.resourceGroup) : account.resourceGroup;
  const ips = [...new Set(incident.callers.map((c) => c.ip).filter((x): x is string => !!x))];
  const pub = ips.filter((ip) => !isPrivateAddress(ip));
  const priv = ips.filter(isPrivateAddress);
  const facts: Remedy["facts"] = [];
  if (pub.length) facts.push({ label: "Failing public addresses", value: pub.join(", ") });
  if (priv.length) facts.push({ label: "Failing private addresses", value: priv.join(", ") });
  const change = incident.changes.find((c) => c.score >= 0.3);
  if (change)
    facts.push({
      label: "Changed",
      value: `${change.summary} at ${fmtUtc(change.time)} by ${change.caller}`,
    });
  const peChange = incident.changes.find((c) => PE_KINDS.has(c.kind ?? ""));

  if (peChange || (priv.length > 0 && pub.length === 0)) {
    const commands: RemedyCommand[] = priv
      .slice(0, 5)
      .map((ip) =>
        command(
          `From ${ip}: check that the account name resolves to the private endpoint's private address, not the public one.`,
          `nslookup ${sh(`${incident.account}.${incident.services[0] ?? "blob"}.core.windows.net`)}`,
        ),
      );
    const subnetPh = [
      {
        name: "vnet-name",
        reason: `the logs carry the caller address (${priv.join(", ") || "private"}), not its virtual network`,
      },
      {
        name: "subnet-name",
        reason:
          "the logs do not name the subnet; find it from the caller's NIC (az network nic list --query …)",
      },
    ];
    commands.push(
      command(
        "If the callers use a service endpoint (no private endpoint): admit their subnet, and only it.",
        `az storage account network-rule add --account-name ${sh(incident.account)} --resource-group ${rg} --vnet-name ${placeholder("vnet-name")} --subnet ${placeholder("subnet-name")}`,
        subnetPh,
      ),
    );
    return {
      kind: "fix-private-endpoint",
      change: peChange
        ? `The failures follow ${peChange.summary} (${fmtUtc(peChange.time)}, ${peChange.caller}): fix the private endpoint / private DNS path so the callers reach the account privately; do not open the firewall.`
        : `The rejected callers use private addresses (${priv.join(", ")}): they reach the account from a VNet, so an IP rule cannot admit them. Check private endpoint DNS, or admit their subnet with a service endpoint rule.`,
      commands,
      whyNarrowest:
        "It restores the private path for these callers only; the public firewall stays as it is.",
      wrongIf: [
        "Never set --default-action Allow: that opens the account to the internet to fix a private path.",
        "The callers were meant to lose access when the network rules changed.",
      ],
      facts,
    };
  }

  // One capture shows no caller address unless told (--client-ip): the rule is written with a placeholder.
  if (ips.length === 0) return unknownAddress(incident, rg, change, facts);

  const commands: RemedyCommand[] = pub.map((ip) =>
    command(
      `Admit ${ip} (failing caller) and nothing else.`,
      `az storage account network-rule add --account-name ${sh(incident.account)} --resource-group ${rg} --ip-address ${sh(ip)}`,
    ),
  );
  if (priv.length) {
    commands.push(
      command(
        `Admit the subnet of ${priv.join(", ")} (private addresses cannot be IP rules).`,
        `az storage account network-rule add --account-name ${sh(incident.account)} --resource-group ${rg} --vnet-name ${placeholder("vnet-name")} --subnet ${placeholder("subnet-name")}`,
        [
          { name: "vnet-name", reason: "the logs carry the caller address, not its virtual network" },
          { name: "subnet-name", reason: "the logs do not name the subnet" },
        ],
      ),
    );
  }
  return {
    kind: "allow-network",
    change: `Admit exactly the failing caller address(es) ${pub.join(", ")}${priv.length ? ` and the subnet of ${priv.join(", ")}` : ""} in the account's firewall${change ? ` (tightened at ${fmtUtc(change.time)} by ${change.caller})` : ""}; keep the default action Deny.`,
    commands,
    bicep: [
      "// Lasting form: the account's networkAcls with these addresses added (merge with the existing ipRules).",
      "networkAcls: {",
      "  defaultAction: 'Deny'",
      "  ipRules: [",
      ...pub.map((ip) => `    { value: '${ip.replace(/'/g, "")}', action: 'Allow' }`),
      "  ]",
      "}",
    ].join("\n"),
    whyNarrowest: `Only the ${pub.length} address(es) that failed are admitted; everyone else stays outside the firewall.`,
    wrongIf: [
      "Never set --default-action Allow: it opens the account to every address.",
      "The addresses are a shared egress (proxy, NAT) used by callers who should stay out, or they change often: use a private endpoint instead.",
      "The callers were meant to be blocked by the change.",
    ],
    facts,
  };
}

/** Admitting a caller whose address nothing here shows: the command names where it comes from. */
function unknownAddress(
  incident: Incident,
  rg: string,
  change: Incident["changes"][number] | undefined,
  facts: Remedy["facts"],
): Remedy {
  const address = {
    name: "caller-egress-ip",
    reason:
      "not shown: the public address Storage sees the caller come from (a NAT gateway, a firewall or a CI runner's outbound address; `explain --client-ip` names it)",
  };
  return {
    kind: "allow-network",
    change: `Admit the failing caller's public egress address in the account's firewall${change ? ` (tightened at ${fmtUtc(change.time)} by ${change.caller})` : ""}; keep the default action Deny.`,
    commands: [
      command(
        "Admit the caller's public egress address, and nothing else.",
        `az storage account network-rule add --account-name ${sh(incident.account)} --resource-group ${rg} --ip-address ${placeholder(address.name)}`,
        [address],
      ),
    ],
    bicep: [
      "// Lasting form: the account's networkAcls with the caller's address added (merge with the existing ipRules).",
      "networkAcls: {",
      "  defaultAction: 'Deny'",
      "  ipRules: [",
      "    { value: '<caller-egress-ip>', action: 'Allow' }",
      "  ]",
      "}",
    ].join("\n"),
    whyNarrowest: "Only the caller's own address is admitted; everyone else stays outside the firewall.",
    wrongIf: [
      "Never set --default-action Allow: it opens the account to every address.",
      "The caller's address changes from run to run (hosted CI runners): run it from a subnet with a private endpoint or a service endpoint rule instead.",
      "The caller reaches the account from a virtual network: admit its subnet (--vnet-name, --subnet), not an address.",
    ],
    facts,
  };
}
