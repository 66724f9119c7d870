// FlannelNetwork reads each node's settings record before anything else: on the mock runtime, w1
// answers with a record of another backend (w2 has none), and w1's preflight step becomes the
// refusal (the engine then stops before anything after it), while w2's stays the preflight.
import { test } from "node:test";
import assert from "node:assert/strict";
import { installMockRuntime, settled } from "../../../scripts/lib/mock-runtime";
import { standInOutputs } from "../../../scripts/lib/stand-in-outputs";

const mock = installMockRuntime({
    outputs: (args) =>
        args.name === "net-w1-settings-read"
            ? { stdout: '{"mode":"daemonset","backend":"host-gw","podCidr":"10.244.0.0/16","subnetLen":24}\n', stderr: "" }
            : standInOutputs(args),
});

import { FlannelNetwork } from "../../../components/flannel";

const host = (name: string, address: string) => ({ name, address, connection: { host: address, user: "root" } });
new FlannelNetwork("net", { nodes: [{ host: host("w1", "10.77.0.21") }, { host: host("w2", "10.77.0.22") }], interface: "eth0" });

test("a node recorded with another backend gets the refusal as its preflight; a node without a record gets the preflight", async () => {
    await settled();
    const preflight = (w: string) => String(mock.registrations.find((r) => r.name === `net-${w}-preflight`)!.inputs.create);
    assert.match(preflight("w1"), /w1 runs a network this change cannot move to in place:.*backend: changing backend host-gw to vxlan/s);
    assert.match(preflight("w1"), /exit 1/);
    assert.doesNotMatch(preflight("w1"), /flannel preflight/);
    assert.match(preflight("w2"), /flannel preflight of FlannelNetwork net on w2/);
});
