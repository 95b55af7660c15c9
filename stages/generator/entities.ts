/**
 * Entity pools per tenant: users (with a workstation, a home country and a
 * home public address), servers, firewalls, the DNS resolver, internet
 * visitors and the public services staff use. Built once from the seed, so
 * every tenant looks the same on every run with that seed.
 *
 * The pools are shaped so baseline traffic stays below the rule pack's
 * thresholds however long the run: each workstation talks to a small fixed
 * set of names, ports and admin targets, and each user logs in from one
 * country only.
 */
import type { SeededRandom } from "./prng.ts";

/** A public address with the country the generator places it in. */
export interface PublicAddress {
  ip: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
}

/** A server of a tenant. */
export interface Server {
  name: string;
  ip: string;
  /** What runs on it; decides ports and processes. */
  role: "web" | "app" | "db" | "file" | "bastion" | "ci" | "mail" | "dns";
}

/** An external service staff reach (for DNS and outbound flows). */
export interface PublicService {
  domain: string;
  ip: string;
  port: number;
}

/** A user with the fixed habits baseline traffic draws from. */
export interface UserProfile {
  name: string;
  /** May use sudo and SSH to servers. */
  admin: boolean;
  workstationIp: string;
  workstationName: string;
  /** Where the user logs in from when remote (one country per user). */
  home: PublicAddress;
  /** The ≤ 14 DNS names this workstation resolves. */
  dnsNames: string[];
  /** The ≤ 4 external services this workstation talks to. */
  services: PublicService[];
  /** The ≤ 3 internal servers this user administers (admins only). */
  adminTargets: Server[];
}

/** All entities of one tenant. */
export interface TenantProfile {
  name: string;
  index: number;
  /** Public web domain, e.g. www.acme.com. */
  webDomain: string;
  /** Internal DNS zone, e.g. acme.corp. */
  internalZone: string;
  country: string;
  users: UserProfile[];
  admins: UserProfile[];
  /** Non-admin human users (candidates for escalation scenarios). */
  staff: UserProfile[];
  serviceAccounts: string[];
  servers: Server[];
  linuxServers: Server[];
  webServers: Server[];
  fileServer: Server;
  resolver: Server;
  edgeFirewall: string;
  coreFirewall: string;
  /** Internet visitors of the public web site. */
  visitors: PublicAddress[];
}

/** Default tenant names when none are given. */
export const DEFAULT_TENANTS = ["acme", "globex", "initech"];

const HOME_COUNTRY = ["US", "DE", "GB", "FR", "NL", "CA", "JP", "AU"];

/** /16 prefixes per country for residential and visitor addresses. */
export const COUNTRY_PREFIXES: Record<string, string[]> = {
  US: ["73.162", "24.5", "98.207", "71.58", "67.180"],
  DE: ["87.123", "91.64", "79.192"],
  GB: ["86.128", "81.2", "92.40"],
  FR: ["90.12", "82.64", "86.246"],
  NL: ["84.104", "77.162"],
  CA: ["99.230", "174.112"],
  JP: ["126.74", "180.3"],
  AU: ["1.144", "120.148"],
  IN: ["49.36", "117.198"],
  BR: ["177.37", "189.6"],
  RU: ["95.165", "176.59"],
  CN: ["113.87", "222.186"],
  NG: ["105.112", "102.89"],
  VN: ["113.161", "14.161"],
};

/** /24 prefixes of well-known abusive hosting ranges, with their country. */
export const ATTACKER_RANGES: readonly PublicAddress[] = [
  { ip: "185.220.101", country: "DE" },
  { ip: "45.155.205", country: "RU" },
  { ip: "91.240.118", country: "RU" },
  { ip: "193.32.162", country: "NL" },
  { ip: "61.177.172", country: "CN" },
  { ip: "218.92.0", country: "CN" },
  { ip: "141.98.10", country: "LT" },
  { ip: "103.99.0", country: "VN" },
  { ip: "5.188.206", country: "RU" },
];

/** /24 prefixes of rented cloud hosts used as exfiltration drops. */
export const DROP_RANGES: readonly PublicAddress[] = [
  { ip: "45.77.12", country: "US" },
  { ip: "139.59.80", country: "SG" },
  { ip: "95.179.128", country: "NL" },
];

/** Services staff use every day. */
export const PUBLIC_SERVICES: readonly PublicService[] = [
  { domain: "www.google.com", ip: "142.250.185.196", port: 443 },
  { domain: "github.com", ip: "140.82.112.3", port: 443 },
  { domain: "login.microsoftonline.com", ip: "20.190.160.14", port: 443 },
  { domain: "outlook.office365.com", ip: "52.97.146.2", port: 443 },
  { domain: "slack.com", ip: "3.120.12.86", port: 443 },
  { domain: "registry.npmjs.org", ip: "104.16.23.35", port: 443 },
  { domain: "s3.amazonaws.com", ip: "52.217.44.78", port: 443 },
  { domain: "zoom.us", ip: "170.114.52.2", port: 443 },
  { domain: "www.wikipedia.org", ip: "185.15.59.224", port: 443 },
  { domain: "archive.ubuntu.com", ip: "91.189.91.38", port: 80 },
  { domain: "api.stripe.com", ip: "54.187.205.235", port: 443 },
  { domain: "imap.gmail.com", ip: "142.250.102.108", port: 993 },
];

/** Other names workstations resolve (CDNs, OCSP, telemetry). */
const COMMON_NAMES = [
  "fonts.gstatic.com",
  "ocsp.digicert.com",
  "time.cloudflare.com",
  "cdn.jsdelivr.net",
  "update.googleapis.com",
  "clients4.google.com",
  "api.github.com",
  "avatars.githubusercontent.com",
  "teams.microsoft.com",
  "www.linkedin.com",
  "static.zoom.us",
  "connectivity-check.ubuntu.com",
];

const FIRST_NAMES = [
  "alice",
  "bob",
  "carol",
  "dave",
  "erin",
  "frank",
  "grace",
  "heidi",
  "ivan",
  "judy",
  "kim",
  "leo",
  "maya",
  "nina",
  "oscar",
  "peggy",
  "quentin",
  "rosa",
  "sven",
  "trent",
  "uma",
  "victor",
  "walter",
  "yasmin",
  "zoe",
  "ahmed",
  "bianca",
  "chen",
  "diego",
  "elena",
  "farah",
  "gustav",
  "hana",
  "jonas",
  "kenji",
  "lucia",
  "mateo",
  "nora",
  "omar",
  "priya",
];

const SERVICE_ACCOUNTS = ["deploy", "backup", "jenkins", "postgres"];

/** A host address inside a /16 or /24 prefix, avoiding .0 and .255. */
export function hostIn(prefix: string, rng: SeededRandom): string {
  const parts = prefix.split(".").length;
  if (parts === 3) return `${prefix}.${rng.range(2, 254)}`;
  return `${prefix}.${rng.range(1, 254)}.${rng.range(2, 254)}`;
}

/** A public address in `country`. */
export function addressIn(country: string, rng: SeededRandom): PublicAddress {
  const prefixes = COUNTRY_PREFIXES[country] ?? COUNTRY_PREFIXES.US;
  return { ip: hostIn(rng.pick(prefixes), rng), country };
}

/** Builds the entity pools of tenant number `index`. */
export function buildTenant(
  name: string,
  index: number,
  rng: SeededRandom,
): TenantProfile {
  const net = `10.${10 + (index % 200)}`;
  const branch = `192.168.${100 + (index % 150)}`;
  const country = HOME_COUNTRY[index % HOME_COUNTRY.length];
  const zone = `${name}.corp`;
  const server = (n: string, host: number, role: Server["role"]): Server => ({
    name: n,
    ip: `${net}.1.${host}`,
    role,
  });
  const servers: Server[] = [
    server("web-01", 10, "web"),
    server("web-02", 11, "web"),
    server("app-01", 20, "app"),
    server("app-02", 21, "app"),
    server("db-01", 30, "db"),
    server("file-01", 40, "file"),
    server("bastion-01", 50, "bastion"),
    server("ci-01", 60, "ci"),
    server("mail-01", 70, "mail"),
    server("dns-01", 53, "dns"),
  ];
  const linuxServers = servers.filter((s) =>
    s.role !== "file" && s.role !== "dns"
  );
  const webServers = servers.filter((s) => s.role === "web");
  const fileServer = servers.find((s) => s.role === "file")!;
  const resolver = servers.find((s) => s.role === "dns")!;

  const names = rng.sample(FIRST_NAMES, 28);
  const users: UserProfile[] = names.map((n, i) => {
    const inBranch = i % 3 === 2;
    const wsHost = 10 + i;
    const ip = inBranch ? `${branch}.${wsHost}` : `${net}.20.${wsHost}`;
    // Most staff live in the tenant's country; a few work remotely abroad.
    const homeCountry = i % 7 === 6
      ? HOME_COUNTRY[(index + 1 + i) % HOME_COUNTRY.length]
      : country;
    const admin = i < 4;
    const internal = [`intranet.${zone}`, `mail.${zone}`, `jira.${zone}`];
    const nx = i % 4 === 0
      ? [`wpad.${zone}`]
      : i % 4 === 1
      ? ["githhub.com"]
      : [];
    const services = rng.sample(PUBLIC_SERVICES, 4);
    return {
      name: n,
      admin,
      workstationIp: ip,
      workstationName: `ws-${n}`,
      home: addressIn(homeCountry, rng),
      dnsNames: [
        ...services.map((s) => s.domain),
        ...rng.sample(COMMON_NAMES, 6),
        ...internal,
        ...nx,
      ],
      services,
      adminTargets: admin ? rng.sample(linuxServers, 3) : [],
    };
  });
  const visitorCountries = [
    country,
    country,
    country,
    "US",
    "GB",
    "DE",
    "IN",
    "BR",
    "JP",
  ];
  const visitors: PublicAddress[] = [];
  for (let i = 0; i < 60; i++) {
    visitors.push(addressIn(rng.pick(visitorCountries), rng));
  }
  return {
    name,
    index,
    webDomain: `www.${name}.com`,
    internalZone: zone,
    country,
    users,
    admins: users.filter((u) => u.admin),
    staff: users.filter((u) => !u.admin),
    serviceAccounts: SERVICE_ACCOUNTS,
    servers,
    linuxServers,
    webServers,
    fileServer,
    resolver,
    edgeFirewall: "fw-edge-01",
    coreFirewall: "fw-core-01",
    visitors,
  };
}
