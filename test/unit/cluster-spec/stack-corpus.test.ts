// The stack corpus (test/fixtures/stacks): every bad file is refused by `npm run validate` and by
// the program's own loader with the config path each `# expect:` line names, and no refusal
// repeats key material; every good file passes both, and the cluster builds from it on the mock
// runtime, so nothing validate accepts is refused later by a component.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { recordingMocks } from "../../support/recording-mocks";
import { describeLeaks, findLeaks } from "../../support/secret-scan";

recordingMocks();

import { loadStackFile, SpecError } from "../../../components";
import { programLoad } from "../../support/stack-config";

const root = path.resolve(__dirname, "../../..");
const corpus = path.join(root, "test/fixtures/stacks");
const files = (kind: "bad" | "good") =>
    fs
        .readdirSync(path.join(corpus, kind))
        .filter((f) => f.endsWith(".yaml"))
        .sort()
        .map((f) => path.join(corpus, kind, f));

interface Expectation {
    path: string;
    message: RegExp;
}

/** The `# expect: <path> ~ <regex>` and `# validate-only: <why>` lines of a corpus file. */
function header(file: string): { expect: Expectation[]; validateOnly?: string } {
    const text = fs.readFileSync(file, "utf8");
    const expect = [...text.matchAll(/^# expect: (\S+) ~ (.+)$/gm)].map((m) => ({ path: m[1], message: new RegExp(m[2]) }));
    const validateOnly = /^# validate-only: (.+)$/m.exec(text)?.[1];
    return { expect, validateOnly };
}

/** Key material a corpus file holds: PEM blocks, whole. */
function keyMaterial(file: string): Record<string, string> {
    let doc: unknown;
    try {
        doc = YAML.parse(fs.readFileSync(file, "utf8"), { merge: true, uniqueKeys: false });
    } catch {
        return {}; // the anchor bomb: it holds no keys
    }
    const found: Record<string, string> = {};
    const walk = (v: unknown, at: string) => {
        if (typeof v === "string" && v.includes("-----BEGIN")) found[at] = v;
        else if (v && typeof v === "object") for (const [k, c] of Object.entries(v)) walk(c, `${at}.${k}`);
    };
    walk(doc, "");
    return found;
}

function assertRefusal(error: SpecError, expect: Expectation[], file: string) {
    for (const want of expect) {
        const issuePath = want.path === "(root)" ? "" : want.path;
        const hit = error.issues.find((i) => i.path === issuePath && want.message.test(`${i.message} (fix: ${i.hint})`));
        assert.ok(hit, `${path.basename(file)}: no problem at ${want.path} matching ${want.message}; got:\n${error.message}`);
        assert.ok(hit.hint.length > 0, `${want.path} has no hint`);
        assert.ok(error.message.includes(`  - ${want.path}: `), `${path.basename(file)}: the message does not name ${want.path}:\n${error.message}`);
    }
}

const savedSock = process.env.SSH_AUTH_SOCK;
before(() => (process.env.SSH_AUTH_SOCK = "/run/k8s-binary-corpus/agent.sock"));
after(() => {
    if (savedSock === undefined) delete process.env.SSH_AUTH_SOCK;
    else process.env.SSH_AUTH_SOCK = savedSock;
    pulumi.runtime.setAllConfig({});
});

describe("stack corpus: bad files", () => {
    const bad = files("bad");

    it("holds at least 60 files, each naming at least one expected path", () => {
        assert.ok(bad.length >= 60, `${bad.length} bad files`);
        for (const file of bad) assert.ok(header(file).expect.length > 0, `${path.basename(file)} has no # expect: line`);
    });

    for (const file of bad) {
        const { expect, validateOnly } = header(file);
        it(`${path.basename(file)}: refused with its path${validateOnly ? "" : ", by validate and by the program"}`, () => {
            let error: unknown;
            try {
                loadStackFile(file);
            } catch (e) {
                error = e;
            }
            assert.ok(error instanceof SpecError, `validate accepted ${path.basename(file)} (${String(error)})`);
            assertRefusal(error, expect, file);
            const shown = { validate: [error.message, ...error.warnings.map((w) => `${w.message} ${w.hint}`)].join("\n") };
            const leaks = findLeaks(shown, keyMaterial(file));
            assert.deepEqual(leaks, [], `key material repeated:\n${describeLeaks(leaks)}`);
            if (validateOnly) return;

            let programError: unknown;
            try {
                programLoad(file);
            } catch (e) {
                programError = e;
            }
            assert.ok(programError instanceof SpecError, `the program accepted ${path.basename(file)} (${String(programError)})`);
            assertRefusal(programError, expect, file);
            assert.deepEqual(findLeaks({ program: programError.message }, keyMaterial(file)), []);
        });
    }
});

describe("stack corpus: good files", () => {
    for (const file of files("good")) {
        it(`${path.basename(file)}: accepted by validate and the program, and the cluster builds from it`, () => {
            const { warnings } = loadStackFile(file);
            assert.deepEqual(warnings, []);
            assert.doesNotThrow(() => programLoad(file));
            // The build in a process of its own (test/support/corpus-build.ts says why).
            const build = spawnSync(process.execPath, ["--import", "tsx", path.join(root, "test/support/corpus-build.ts"), file], {
                cwd: root,
                encoding: "utf8",
            });
            assert.equal(build.status, 0, build.stderr);
            const { registrations } = JSON.parse(build.stdout) as { registrations: number };
            assert.ok(registrations > 100, `${registrations} resources`);
        });
    }
});

describe("npm run validate over the corpus", () => {
    const validate = (list: string[]) =>
        spawnSync(process.execPath, ["--import", "tsx", path.join(root, "scripts/validate.ts"), ...list], { cwd: root, encoding: "utf8" });

    it("fails every bad file and names each", () => {
        const bad = files("bad");
        const run = validate(bad);
        assert.equal(run.status, 1);
        for (const file of bad) assert.ok(run.stderr.includes(`FAIL ${file}`), `no FAIL line for ${path.basename(file)}`);
        assert.doesNotMatch(run.stdout + run.stderr, /-----BEGIN|b3BlbnNzaC1rZXkt/, "no key material in validate's output");
    });

    it("passes every good file", () => {
        const run = validate(files("good"));
        assert.equal(run.status, 0, run.stderr);
    });
});
