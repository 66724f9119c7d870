// The secret scan the leak checks rely on: every encoding a secret can take on its way into a
// command line, a log or a file is found, wherever it sits in a larger text; unrelated text is not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { findLeaks } from "../support/secret-scan";

const TOKEN = "abcdef.0123456789abcdef";
const PEM =
    "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZmFrZS1rZXktZm9y\ndGVzdHMtb25seS1ub3QtcmVhbA==\n-----END PRIVATE KEY-----\n";
const forms = (text: string) => findLeaks({ text }, { secret: TOKEN }).map((l) => l.form);

test("a secret is found raw, in hex of either case, and base64-encoded at every alignment inside a larger blob", () => {
    assert.deepEqual(forms(`--token=${TOKEN}`), ["raw"]);
    assert.ok(forms(Buffer.from(TOKEN).toString("hex")).includes("hex"));
    assert.ok(forms(Buffer.from(TOKEN).toString("hex").toUpperCase()).includes("HEX"));
    for (const prefix of ["", "k", "ke", "key", "token: "]) {
        const blob = Buffer.from(`${prefix}${TOKEN}\n`).toString("base64");
        assert.ok(
            forms(`echo ${blob} | base64 -d`).some((f) => f.startsWith("base64@")),
            `base64 behind ${prefix.length} bytes`,
        );
    }
    const url = Buffer.from(`xy${TOKEN}`).toString("base64url");
    assert.ok(
        forms(url).some((f) => f.startsWith("base64")),
        "URL-safe base64",
    );
});

test("a PEM key is found by its body lines, without the armour", () => {
    const body = PEM.split("\n").slice(1, 3).join("\n");
    const leaks = findLeaks({ log: `writing key:\n${body}\n` }, { key: PEM }).map((l) => l.form);
    assert.ok(leaks.includes("pem-line-0") && leaks.includes("pem-line-1"), leaks.join(","));
    assert.ok(findLeaks({ log: PEM.split("\n")[2] }, { key: PEM }).length > 0, "one wrapped line alone");
});

test("text without the secret is clean, including its near misses", () => {
    assert.deepEqual(
        findLeaks(
            { a: "abcdef.0123456789abcdeX", b: Buffer.from("abcdef.01234").toString("base64"), c: "-----BEGIN PRIVATE KEY-----" },
            { secret: TOKEN, key: PEM },
        ),
        [],
    );
});
