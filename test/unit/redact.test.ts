import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  describeSecretUrl,
  REDACTION_STEPS,
  redactSecrets,
  redactUri,
  sanitizedPrefixLength,
  sanitizeLogValue,
  sanitizeOutbound,
} from "../../src/redact.js";

/** What sanitizeLogValue may change text from: a secret shape's start or a control character. */
const MAY_CHANGE_FROM =
  // eslint-disable-next-line no-control-regex -- control characters are one of them
  /^([=%\u0000-\u001f\u007f-\u009f\u2028\u2029]|\\u003d|["']\s*:|--(?:sas-token|client-secret|password|connection-string)|eyj|bearer|sharedkey|webhook|hooks\.slack|-key\b|mac signature|-(?:storageaccountkey|accountkey|sastoken|connectionstring|clientsecret|applicationsecret|certificatepassword)\b|\/(?:dest|source)(?:key|sas):|convertto-securestring|(?:[A-Za-z0-9+/]|%2[BbFf]){86}(?:==|%3D%3D)|basic[ \t]|gh[pousr]_|github_pat_|xox[abposr]-|aiza|npm_|[\s\S]{0,4}Q~)/i;

/** What stands between a secret's name and its value, or around them: plain, percent- and JSON-encoded. */
const SEPARATORS = [
  "?",
  "&",
  ";",
  " ",
  "\t",
  "\n",
  ":",
  '"',
  "'",
  "-",
  "/",
  "(",
  ",",
  "=",
  "%3D",
  "%253D",
  String.raw`\u003d`,
  "%26",
  "%2526",
  "%3F",
  String.raw`\u0026`,
  String.raw`\"`,
];

describe("redaction", () => {
  it("masks SAS sig values wherever they appear", () => {
    const u =
      "https://a.blob.core.windows.net/c/b?sv=2022-11-02&sp=r&se=2026-01-01T00:00:00Z&sig=abc%2Bdef%3D";
    expect(redactUri(u)).toBe(
      "https://a.blob.core.windows.net/c/b?sv=2022-11-02&sp=r&se=2026-01-01T00:00:00Z&sig=REDACTED",
    );
    expect(redactUri("x?SIG=zzz&a=1")).toBe("x?SIG=REDACTED&a=1");
  });

  it("masks Shared Key signatures, bearer tokens, JWTs, account keys and echoed MACs", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl";
    const text = [
      "Authorization: SharedKey acct:ctzMq410TV3wS7upTBcunJTDLEJwMAZuFPfr0mrrA08=",
      `Authorization: Bearer ${jwt}`,
      `token ${jwt}`,
      "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0a2V5;EndpointSuffix=core.windows.net",
      "The MAC signature found in the HTTP request 'abc+def=' is not the same as any computed signature.",
    ].join("\n");
    const out = redactSecrets(text);
    expect(out).not.toContain("ctzMq410");
    expect(out).not.toContain("c2lnbmF0dXJl");
    expect(out).not.toContain("c2VjcmV0a2V5");
    expect(out).not.toContain("abc+def=");
    expect(out).toContain("SharedKey acct:REDACTED");
  });

  it("masks client secrets, passwords and tokens in queries and connection strings, and Teams webhook paths", () => {
    const text = [
      "https://login.example/token?grant_type=client_credentials&client_secret=Q~abcDEF123456789abc&scope=x",
      "Server=tcp:db;User ID=app;Password=Pa55w0rd!x;Encrypt=true",
      "https://f.azurewebsites.net/api/run?code=a1b2c3d4e5f6g7h8i9j0&x=1",
      "https://x.example/cb?refresh_token=0.AAAAbbbbCCCCdddd&apikey=k3yk3yk3y",
      "https://contoso.webhook.office.com/webhookb2/1111-2222@3333-4444/IncomingWebhook/5555/6666",
      "https://outlook.office.com/webhook/7777-8888@9999/IncomingWebhook/aaaa/bbbb",
    ].join("\n");
    const out = redactSecrets(text);
    for (const secret of [
      "Q~abcDEF",
      "Pa55w0rd",
      "a1b2c3d4",
      "0.AAAAbbbb",
      "k3yk3yk3y",
      "1111-2222",
      "7777-8888",
    ])
      expect(out).not.toContain(secret);
    expect(out).toContain("scope=x");
    expect(out).toContain("Encrypt=true");
    expect(out).toContain("https://contoso.webhook.office.com/webhookb2/REDACTED");
    expect(redactSecrets(out)).toBe(out);
  });

  it("masks secrets written as name=value in free text, and bare account keys, plain or percent-encoded", () => {
    // A Storage account key: 64 bytes in base64.
    const key = Buffer.alloc(64, 0xfb).toString("base64");
    expect(key).toHaveLength(88);
    const encoded = encodeURIComponent(key);
    const text = [
      "my-tool/1.0 client_secret=Q~abcDEF123456789abc (Linux)",
      "agent,password=Pa55w0rd!x",
      "(pwd%3Dhunter22)",
      `batch-runner key ${key} v2`,
      `https://app.example/cb?k=${encoded}&x=1`,
      `AccountKey=${key};EndpointSuffix=core.windows.net`,
    ].join("\n");
    const out = redactSecrets(text);
    for (const secret of ["Q~abcDEF", "Pa55w0rd", "hunter22", key.slice(0, 40), encoded.slice(0, 40)])
      expect(out).not.toContain(secret);
    expect(out).toContain("my-tool/1.0 client_secret=REDACTED (Linux)");
    expect(out).toContain("batch-runner key REDACTED v2");
    expect(out).toContain("?k=REDACTED&x=1");
    expect(out).toContain("AccountKey=REDACTED;EndpointSuffix=core.windows.net");
    expect(redactSecrets(out)).toBe(out);
    // Longer or shorter base64, a status written as code=…, a hash: not keys, not secrets.
    for (const plain of [
      `${"A".repeat(87)}==`,
      `${"A".repeat(85)}==`,
      "status code=403 (AuthorizationFailure)",
      "sha256=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE=",
    ])
      expect(redactSecrets(plain)).toBe(plain);
  });

  it("masks a secret whose = is JSON-escaped (\\u003d), also with no other = or % in the text", () => {
    // The parameter patterns take `\u003d` for `=`; the pre-test that spares clean text must let it by.
    const cases: Array<[string, string]> = [
      [
        String.raw`https://a.blob.core.windows.net/c/b?sig\u003dS1gnature9`,
        String.raw`https://a.blob.core.windows.net/c/b?sig\u003dREDACTED`,
      ],
      [
        String.raw`GET /c/b?sv\u003d2022-11-02\u0026sig\u003dS1gnature10\u0026sp\u003dr`,
        String.raw`GET /c/b?sv\u003d2022-11-02\u0026sig\u003dREDACTED\u0026sp\u003dr`,
      ],
      [String.raw`app/1.0 password\u003dS3cretValue11`, String.raw`app/1.0 password\u003dREDACTED`],
    ];
    for (const [raw, want] of cases) {
      expect(redactSecrets(raw)).toBe(want);
      expect(sanitizeLogValue(raw)).toBe(want);
      expect(sanitizeOutbound({ v: raw }).v).toBe(want);
      expect(sanitizedPrefixLength(raw)).toBeLessThanOrEqual(raw.indexOf(String.raw`\u003d`));
    }
  });

  it("never spares a text that a pattern would change (the pre-test lets every secret shape by)", () => {
    // "= " makes the pre-test pass and bounds what follows it as a text's start does: any difference is a
    // secret the pre-test hid from the patterns. The pieces: secret names and markers, separators (plain,
    // percent- and JSON-encoded), quotes and values.
    const piece = fc.constantFrom(
      "sig",
      "password",
      "token",
      "AccountKey",
      "client_secret",
      "SharedAccessKey",
      "api-key",
      "x-functions-key",
      "SharedKey",
      "Bearer",
      "eyJ",
      "Basic",
      "--account-key",
      "-SasToken",
      "/DestKey",
      "ConvertTo-SecureString",
      "AZURE_CLIENT_SECRET",
      "MAC signature found in the HTTP request '",
      "webhook",
      "https://",
      "user:pw@",
      ...SEPARATORS,
      "abc",
      "S3cretV4lue",
      "==",
      "%3D%3D",
      "Q~",
      "ghp_",
      "AKIA",
      "PRIVATE KEY",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }), (pieces) => {
        const text = pieces.join("");
        expect(redactSecrets("= " + text)).toBe("= " + redactSecrets(text));
      }),
      { numRuns: 5000 },
    );
  });

  it("skips a pattern only when the words it needs are absent (each step's test lets every match by)", () => {
    // The pieces: every secret shape's words in several cases, separators and values; a step whose test
    // says no must leave the text as it is.
    const piece = fc.constantFrom(
      "sig",
      "SIG",
      "Signature",
      "password",
      "PASSWORD",
      "pwd",
      "token",
      "Token",
      "_TOKEN",
      "AccountKey",
      "account_key",
      "accountkey",
      "client_secret",
      "ClientSecret",
      "SECRET",
      "_KEY",
      "_SAS",
      "CONNECTION_STRING",
      "AZURE_CLIENT_SECRET",
      "SharedAccessKey",
      "api-key",
      "Api-Key",
      "apikey",
      "subscription-key",
      "x-functions-key",
      "Ocp-Apim-Subscription-Key",
      "aeg-sas-key",
      "SharedKey",
      "SharedKeyLite",
      "sharedkey",
      "Bearer",
      "BEARER",
      "eyJ",
      "EYJ",
      "Basic",
      "basic",
      "BASIC",
      "--account-key",
      "--password",
      "-SasToken",
      "-storageaccountkey",
      "-CertificatePassword",
      "/DestKey:",
      "/sourcesas:",
      "ConvertTo-SecureString",
      "-String",
      "The MAC signature found in the HTTP request '",
      "the mac SIGNATURE found in the http request '",
      "https://",
      "x.webhook.office.com/webhookb2/",
      "outlook.office365.com/webhook/",
      "hooks.slack.com/services/",
      "Hooks.Slack.com/triggers/",
      "discordapp.com/api/webhooks/",
      "user:pw@",
      "Q~",
      "8Q~",
      "ghp_",
      "github_pat_",
      "xoxb-",
      "AIza",
      "npm_",
      "AKIA",
      "ASIA",
      ...SEPARATORS,
      "abc",
      "S3cretV4lue",
      "a1".repeat(20),
      "Z".repeat(36),
      "==",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }), (pieces) => {
        const text = pieces.join("");
        const lower = text.toLowerCase();
        for (const step of REDACTION_STEPS)
          if (!step.mayMatch(text, lower))
            expect(text.replace(step.pattern, step.replacement as string), String(step.pattern)).toBe(text);
      }),
      { numRuns: 20000 },
    );
  });

  it("masks secrets in JSON-escaped URLs, quoted keys, a SAS whose sig comes first, flags and environment variables", () => {
    // Go's encoding/json and .NET's System.Text.Json write `&` as \u0026 (AzCopy's JSON output, .NET SDK logs).
    const cases: Array<[string, string]> = [
      [
        String.raw`{"Url":"https://a.blob.core.windows.net/c/b?se=2026\u0026sig=S1gnature%2B1\u0026sp=r"}`,
        String.raw`{"Url":"https://a.blob.core.windows.net/c/b?se=2026\u0026sig=REDACTED\u0026sp=r"}`,
      ],
      [
        "BlobEndpoint=https://a.blob.core.windows.net/;SharedAccessSignature=sig=S1gnature2%3D&sv=2022-11-02&sp=r",
        "BlobEndpoint=https://a.blob.core.windows.net/;SharedAccessSignature=sig=REDACTED&sv=2022-11-02&sp=r",
      ],
      ['"sig=S1gnature3&sv=2022-11-02"', '"sig=REDACTED&sv=2022-11-02"'],
      ['{"sig": "S1gnature4", "sp": "r"}', '{"sig": "REDACTED", "sp": "r"}'],
      ["{'client_secret': 'S3cretValue5', 'tenant': 't'}", "{'client_secret': 'REDACTED', 'tenant': 't'}"],
      [
        String.raw`"body":"{\"accountKey\":\"S3cretValue6\",\"x\":1}"`,
        String.raw`"body":"{\"accountKey\":\"REDACTED\",\"x\":1}"`,
      ],
      [
        "Command arguments: ['storage', 'blob', 'list', '--account-key', 'S3cretValue7', '--sas-token', 'se=1']",
        "Command arguments: ['storage', 'blob', 'list', '--account-key', 'REDACTED', '--sas-token', 'REDACTED']",
      ],
      [
        "az login --service-principal --client-secret S3cretValue8 --tenant t",
        "az login --service-principal --client-secret REDACTED --tenant t",
      ],
      ["azcopy --password=S3cretValue9 x", "azcopy --password=REDACTED x"],
      [
        "env: AZURE_CLIENT_SECRET=S3cretValue10 AZURE_TENANT_ID=t",
        "env: AZURE_CLIENT_SECRET=REDACTED AZURE_TENANT_ID=t",
      ],
      ["export AZURE_STORAGE_SAS_TOKEN='se=2026'", "export AZURE_STORAGE_SAS_TOKEN='REDACTED'"],
      ["ClientSecret=S3cretValue11;TenantId=t", "ClientSecret=REDACTED;TenantId=t"],
      // PowerShell's parameters, any case, `-Name value` or `-Name:value`; AzCopy 8's options.
      [
        "New-AzStorageContext -StorageAccountName acct -StorageAccountKey S3cretValue12== -Protocol Https",
        "New-AzStorageContext -StorageAccountName acct -StorageAccountKey REDACTED -Protocol Https",
      ],
      ["New-AzStorageContext -sastoken:'se=2026' -Debug", "New-AzStorageContext -sastoken:'REDACTED' -Debug"],
      [
        '(New-AzStorageContext -ConnectionString "BlobEndpoint=https://a/;x=1")',
        '(New-AzStorageContext -ConnectionString "REDACTED")',
      ],
      [
        "$pw = ConvertTo-SecureString 'S3cretValue13' -AsPlainText -Force",
        "$pw = ConvertTo-SecureString 'REDACTED' -AsPlainText -Force",
      ],
      [
        "AzCopy /Source:https://a.blob.core.windows.net/c /Dest:C:\\d /SourceKey:S3cretValue14 /S",
        "AzCopy /Source:https://a.blob.core.windows.net/c /Dest:C:\\d /SourceKey:REDACTED /S",
      ],
      ['azcopy /destsas:"se=2026" /y', 'azcopy /destsas:"REDACTED" /y'],
      ["?x-ms-auth=Bearer%20S3cretValue15abc&y=1", "?x-ms-auth=Bearer%20REDACTED&y=1"],
      ["Authorization=Bearer+S3cretValue16abc", "Authorization=Bearer+REDACTED"],
    ];
    for (const [text, redacted] of cases) {
      expect(redactSecrets(text)).toBe(redacted);
      expect(redactSecrets(redacted)).toBe(redacted);
    }
    // Error JSON's "code", a key named by a status, prose about a flag: not secrets.
    for (const plain of [
      '{"code": "AuthorizationFailure"}',
      "use --account-key or --auth-mode login",
      "HTTP_STATUS=403",
      'AZURE_CLIENT_SECRET="$SECRET"',
      "--sas-token <sas>",
      "New-AzStorageContext -StorageAccountKey $key",
      "New-AzStorageContext -SasToken (Get-Content sas.txt)",
      "ConvertTo-SecureString -AsPlainText -Force",
      "the -SasToken parameter",
    ])
      expect(redactSecrets(plain)).toBe(plain);
  });

  it("masks HTTP Basic credentials, tokens known by their prefix, Entra client secrets, App Configuration and SignalR keys", () => {
    const text = [
      "Proxy-Authorization: Basic dXNlcjpwYXNzd29yZA==",
      '{"name":"Authorization","value":"Basic YWxpY2U6czNjcmV0"}',
      "MyTool/2.0 (ghp_Gh0123456789abcdefghijklmnopqrstuvWX)",
      "deploy github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
      "bot xoxb-1234567890-abcdefghijklmnop",
      "maps AIzaSyA1234567890abcdefghijklmnopqrstuv",
      "npm_abcdefghijklmnopqrstuvwxyz0123456789 publish",
      "client Abc8Q~xyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456 end",
      "Endpoint=https://appcs.azconfig.io;Id=ab12;Secret=appC0nfigS3cret=",
      "Endpoint=https://sig.service.signalr.net;AccessKey=s1gnalRK3y=;Version=1.0;",
    ].join("\n");
    const out = redactSecrets(text);
    for (const secret of [
      "dXNlcjpwYXNzd29yZA",
      "YWxpY2U6czNjcmV0",
      "Gh0123456789",
      "11ABCDEFG",
      "1234567890-abcdef",
      "SyA1234567890",
      "npm_abc",
      "xyzABCDEFG",
      "appC0nfigS3cret",
      "s1gnalRK3y",
    ])
      expect(out).not.toContain(secret);
    expect(out).toContain("Proxy-Authorization: Basic REDACTED");
    expect(out).toContain("MyTool/2.0 (REDACTED)");
    expect(out).toContain("client REDACTED end");
    expect(out).toContain(";Id=ab12;Secret=REDACTED");
    expect(out).toContain(";AccessKey=REDACTED;Version=1.0;");
    expect(redactSecrets(out)).toBe(out);
    // Prose about Basic authentication, short lookalikes and ordinary words stay.
    for (const plain of [
      "Basic authentication is disabled",
      "Basic Authentication",
      "ghp_short",
      "the AIza prefix",
      "Q~ alone, and 8Q~ without a body",
      "https://registry.npmjs.org/npm_stats",
    ])
      expect(redactSecrets(plain)).toBe(plain);
  });

  it("masks a URL's password, PEM private keys and AWS access key ids", () => {
    const text = [
      "* Uses proxy env variable HTTPS_PROXY == 'http://svc-proxy:Pr0xyPa55@10.0.0.1:3128'",
      '{"key":"-----BEGIN RSA PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0B\\nBKcwggSjAgEAAoIB\\n-----END RSA PRIVATE KEY-----\\n"}',
      "aws-cli/2.15 AKIAIOSFODNN7EXAMPLE",
      // Cut off before its END line: the rest of the text is taken as the key's, the safe side.
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nMIIFHzBJBgkqhkiG",
    ].join("\n");
    const out = redactSecrets(text);
    for (const secret of ["Pr0xyPa55", "MIIEvQ", "BKcwggSj", "Proc-Type", "MIIFHz", "IOSFODNN7"])
      expect(out).not.toContain(secret);
    expect(out).toContain("'http://svc-proxy:REDACTED@10.0.0.1:3128'");
    expect(out).toContain("-----BEGIN RSA PRIVATE KEY-----REDACTED-----END RSA PRIVATE KEY-----");
    expect(out).toContain("aws-cli/2.15 REDACTED");
    expect(redactSecrets(out)).toBe(out);
    // An address with a user but no password, a path with '@', a region: not secrets.
    for (const plain of [
      "mailto:alice@contoso.com, alice@contoso.com",
      "https://contoso.com:443/files/x@2x.png",
      "SOUTHEASTASIA eastasia",
      "-----BEGIN CERTIFICATE-----",
    ])
      expect(redactSecrets(plain)).toBe(plain);
  });

  it("sanitizedPrefixLength never reaches into a secret that starts before its marker", () => {
    const text = "agent/1.0 Abc8Q~xyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456";
    const kept = sanitizedPrefixLength(text);
    expect(sanitizeLogValue(text).startsWith(text.slice(0, kept))).toBe(true);
    expect(kept).toBeLessThanOrEqual(text.indexOf("Abc8Q~"));
  });

  it("masks Service Bus keys, Slack and Discord webhook paths, keys written as headers, and tokens", () => {
    const text = [
      "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=sb1Key2Abc3Def4=",
      "SharedAccessKey=eh5Key6Ghi7=;EntityPath=hub",
      "https://hooks.slack.com/services/T0AAAA/B0BBBB/sl4ckT0ken5678",
      "https://discord.com/api/webhooks/1234567890/d1sc0rdT0ken_x",
      "MyApp/1.0 (x-functions-key: fnK3y0123456789==)",
      "Ocp-Apim-Subscription-Key:ap1mK3y0123",
      "x-ms-encryption-key: cpkK3yMDEyMzQ1Njc4OWFi=",
      "https://api.contoso.com/v1?subscription-key=subK3y0123&format=json",
      "curl/8.5 token=ghp_t0ken0123456789",
      "https://app.example/cb?id_token=idT0ken01&sas_token=s4sT0ken01",
    ].join("\n");
    const out = redactSecrets(text);
    for (const secret of [
      "sb1Key2",
      "eh5Key6",
      "sl4ckT0ken",
      "d1sc0rdT0ken",
      "fnK3y",
      "ap1mK3y",
      "cpkK3y",
      "subK3y",
      "ghp_t0ken",
      "idT0ken",
      "s4sT0ken",
    ])
      expect(out).not.toContain(secret);
    expect(out).toContain("SharedAccessKeyName=Root;SharedAccessKey=REDACTED");
    expect(out).toContain(";EntityPath=hub");
    expect(out).toContain("https://hooks.slack.com/services/REDACTED");
    expect(out).toContain("https://discord.com/api/webhooks/REDACTED");
    expect(out).toContain("MyApp/1.0 (x-functions-key: REDACTED)");
    expect(out).toContain("&format=json");
    expect(redactSecrets(out)).toBe(out);
    // A header that names a key without giving one, and ordinary Slack links, are left alone.
    for (const plain of ["see https://slack.com/help/articles/123", "x-ms-blob-type: BlockBlob"])
      expect(redactSecrets(plain)).toBe(plain);
  });

  it("describes webhook URLs without their query", () => {
    const d = describeSecretUrl(
      "https://prod-01.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=secret",
    );
    expect(d).not.toContain("secret");
    expect(d).toContain("prod-01.westeurope.logic.azure.com");
  });
});

describe("redaction leaves prose alone", () => {
  it("does not treat a following line as a bearer token", () => {
    expect(redactSecrets("Scheme:   Bearer\nTime:     2026")).toBe("Scheme:   Bearer\nTime:     2026");
    expect(redactSecrets("Authorization: Bearer abcdefgh12345")).toBe("Authorization: Bearer REDACTED");
  });
});

describe("percent-encoded SAS inside a query value", () => {
  it("redacts sig once and twice encoded, with upper- or lower-case escapes, and keeps the rest readable", () => {
    expect(
      redactUri("https://app/cb?next=https%3A%2F%2Fa.blob%2Fc%3Fsv%3D2025%26sig%3DAbC%252B9%26se%3D2026&x=1"),
    ).toBe("https://app/cb?next=https%3A%2F%2Fa.blob%2Fc%3Fsv%3D2025%26sig%3DREDACTED%26se%3D2026&x=1");
    expect(redactUri("u=x%253Fsv%253D1%2526sig%253DsEcReT%2526sp%253Dr")).toBe(
      "u=x%253Fsv%253D1%2526sig%253DREDACTED%2526sp%253Dr",
    );
    expect(redactUri("q=a%26Sig%3dsEcReT%26b%3D1")).toBe("q=a%26Sig%3dREDACTED%26b%3D1");
    expect(redactSecrets("conn AccountKey%3DsEcReT%3BEndpointSuffix%3Dx")).toBe(
      "conn AccountKey%3DREDACTED%3BEndpointSuffix%3Dx",
    );
  });

  it("is idempotent and leaves prose with the same words alone", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const once = redactSecrets(s);
        expect(redactSecrets(once)).toBe(once);
        expect(sanitizeOutbound(sanitizeOutbound(s))).toBe(sanitizeOutbound(s));
      }),
    );
    expect(redactSecrets("the signature code is shown in the sig column")).toBe(
      "the signature code is shown in the sig column",
    );
  });
});

describe("sanitizeOutbound", () => {
  it("walks objects, arrays, Maps and Sets, keeps keys such as __proto__ as data, escapes control characters", () => {
    const input = JSON.parse('{"__proto__": {"polluted": "Bearer abcdefghijklmnop"}}') as Record<
      string,
      unknown
    >;
    const out = sanitizeOutbound({
      a: ["x\u0000y", "line\nnext\ttab"],
      m: new Map([["k", "?sig=abc"]]),
      s: new Set(["AccountKey=xyz;"]),
      input,
      n: 3,
      d: new Date(0),
    });
    expect(out.a).toEqual(["x\\u0000y", "line\nnext\ttab"]);
    expect(out.m.get("k")).toBe("?sig=REDACTED");
    expect([...out.s]).toEqual(["AccountKey=REDACTED;"]);
    expect(Object.getPrototypeOf(out.input)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out.input, "__proto__")?.value).toEqual({
      polluted: "Bearer REDACTED",
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(out.n).toBe(3);
    expect(out.d).toBe("1970-01-01T00:00:00.000Z");
    expect(sanitizeLogValue("a\nb\u001b")).toBe("a\\u000ab\\u001b");
  });

  it("keeps every character of a log value before sanitizedPrefixLength as it is", () => {
    // Pieces of every shape sanitizeLogValue changes, amid ordinary URI text.
    const piece = fc.constantFrom(
      "https://a.blob.core.windows.net/c/b",
      "?sv=2022-11-02&sig=abc%2Bdef%3D",
      "&se=2026-01-01",
      "%26sig%3Dxyz",
      "SharedKey acct:ctzMq410TV3wS7upTB=",
      "Bearer abcdefghijklmnop",
      "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln",
      "AccountKey=c2VjcmV0",
      "The MAC signature found in the HTTP request 'abc' x",
      "https://x.webhook.office.com/webhookb2/secret/path",
      " client_secret=abc",
      ";SharedAccessKey=c2Vj",
      "https://hooks.slack.com/services/T0/B0/x",
      "https://discord.com/api/webhooks/1/x",
      " x-functions-key: abc",
      "Ocp-Apim-Subscription-Key:abc",
      " token=abc",
      "Basic dXNlcjpwYXNz",
      "ghp_" + "a1".repeat(18),
      "xoxb-1234567890",
      "Abc8Q~" + "z".repeat(32),
      "8Q~",
      String.raw`\u0026sig=abc\u0026`,
      String.raw`?sig\u003dabc`,
      "SharedAccessSignature=sig=abc",
      '{"sig": "abc"}',
      String.raw`\"password\":\"abc\"`,
      " --sas-token abc",
      "'--account-key', 'abc'",
      " AZURE_CLIENT_SECRET=abc",
      " -StorageAccountKey abc",
      " -SasToken:abc",
      " /DestKey:abc",
      "ConvertTo-SecureString 'abc'",
      "Bearer%20abcdefghijkl",
      Buffer.alloc(64, 7).toString("base64"),
      encodeURIComponent(Buffer.alloc(64, 0xfb).toString("base64")),
      "==",
      "\u0000",
      "\n",
      "\u2028",
      "/",
      "z",
      "A",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), fc.string({ maxLength: 12 }), (pieces, tail) => {
        const text = pieces.join("") + tail;
        const kept = sanitizedPrefixLength(text);
        expect(kept).toBeGreaterThanOrEqual(0);
        expect(kept).toBeLessThanOrEqual(text.length);
        expect(sanitizeLogValue(text).startsWith(text.slice(0, kept))).toBe(true);
        // Not shorter than it must be: it ends where one of those shapes could begin, or at the end.
        if (kept < text.length) expect(text.slice(kept)).toMatch(MAY_CHANGE_FROM);
      }),
      { numRuns: 2000 },
    );
  });
});
