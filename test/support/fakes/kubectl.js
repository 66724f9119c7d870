#!/usr/bin/env node
// A stand-in for kubectl in unit tests of the upgrade drain scripts: exactly the calls they make,
// on Nodes and Leases kept in the JSON file $FAKE_KUBE_STATE (locked per call, so concurrent
// scripts race as they would on an apiserver: a Lease's create is atomic, a replace checks the
// resourceVersion). Every cordon, drain and uncordon is appended to the state's events; a drain
// takes 300 ms.
"use strict";
const fs = require("node:fs");

const file = process.env.FAKE_KUBE_STATE;
const lock = `${file}.lock`;
const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function locked(fn) {
    for (;;) {
        try {
            fs.mkdirSync(lock);
            break;
        } catch {
            pause(2);
        }
    }
    try {
        const state = JSON.parse(fs.readFileSync(file, "utf8"));
        const out = fn(state);
        fs.writeFileSync(file, JSON.stringify(state));
        return out;
    } finally {
        fs.rmdirSync(lock);
    }
}

class Refused extends Error {}
/** An API error: thrown, so the state's lock is released before the process exits 1. */
function fail(message) {
    throw new Refused(message);
}

const args = process.argv.slice(2).filter((a, i, all) => !a.startsWith("--request-timeout") && a !== "--kubeconfig" && all[i - 1] !== "--kubeconfig");
const ns = args.indexOf("-n");
if (ns >= 0) args.splice(ns, 2);
const output = args.includes("-o") ? args[args.indexOf("-o") + 1] : undefined;
// Read before the lock: in `get ... | replace -f -` the reader must not hold it while the writer waits for it.
const input = args.includes("-f") ? fs.readFileSync(0, "utf8") : "";
const node = (state, name) => state.nodes[name] ?? fail(`Error from server (NotFound): nodes "${name}" not found`);
const lease = (state, name) => state.leases[name] ?? fail(`Error from server (NotFound): leases.coordination.k8s.io "${name}" not found`);
const event = (state, name, what) => state.events.push({ node: name, what, at: Date.now() });
const ANNOTATION = "jsonpath={.metadata.annotations.k8s-binary\\.io/cordoned-for-upgrade}";

const [verb, kind, name] = args;
let out;
try {
    out = locked((state) => {
        if (verb === "get" && kind === "node") {
            const n = node(state, name);
            if (output === "name") return `node/${name}`;
            if (output === "jsonpath={.status.nodeInfo.kubeletVersion}") return n.version;
            if (output === "jsonpath={.spec.unschedulable}") return n.unschedulable ? "true" : "";
            if (output === ANNOTATION) return n.annotations["k8s-binary.io/cordoned-for-upgrade"] ?? "";
            if (output === 'jsonpath={.status.conditions[?(@.type=="Ready")].status}') return "True";
        }
        if (verb === "get" && kind === "lease") {
            const l = lease(state, name);
            if (output === "jsonpath={.spec.holderIdentity}") return l.holder;
            if (output === "json")
                return JSON.stringify(
                    {
                        apiVersion: "coordination.k8s.io/v1",
                        kind: "Lease",
                        metadata: { name, resourceVersion: String(l.rv) },
                        spec: { holderIdentity: l.holder },
                    },
                    null,
                    4,
                );
        }
        if (verb === "create" || verb === "replace") {
            const doc = JSON.parse(input);
            const current = state.leases[doc.metadata.name];
            if (verb === "create" && current) fail(`Error from server (AlreadyExists): leases.coordination.k8s.io "${doc.metadata.name}" already exists`);
            if (verb === "replace" && (!current || String(current.rv) !== doc.metadata.resourceVersion))
                fail("Error from server (Conflict): the object has been modified");
            state.leases[doc.metadata.name] = { holder: doc.spec.holderIdentity, rv: (state.rv = (state.rv ?? 0) + 1) };
            return "";
        }
        if (verb === "delete" && kind === "lease") {
            lease(state, name);
            delete state.leases[name];
            return "";
        }
        if (verb === "annotate") {
            const n = node(state, name);
            const [key, value] = args[3].endsWith("-") ? [args[3].slice(0, -1), undefined] : args[3].split("=");
            if (value === undefined) delete n.annotations[key];
            else n.annotations[key] = value;
            return "";
        }
        if (verb === "cordon" || verb === "uncordon") {
            node(state, kind).unschedulable = verb === "cordon";
            event(state, kind, verb);
            return "";
        }
        if (verb === "drain") {
            node(state, kind);
            event(state, kind, "drain");
            return "";
        }
        fail(`fake kubectl: no such call: ${process.argv.slice(2).join(" ")}`);
    });
} catch (e) {
    if (!(e instanceof Refused)) throw e;
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
}
// A drain takes a while (outside the lock), so that concurrent upgrades overlap if they may.
if (verb === "drain") pause(300);
process.stdout.write(out);
