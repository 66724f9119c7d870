import { test } from "node:test";
import assert from "node:assert/strict";
import { parseClusterSpec, supportedEtcdLines } from "../../../components/cluster-spec";
import { baseSpec } from "./fixtures/base";

test("etcd lines follow kubeadm's pins: 3.7 is accepted from Kubernetes 1.34 on, not before", () => {
    assert.deepEqual(supportedEtcdLines(21), ["3.4"]);
    assert.deepEqual(supportedEtcdLines(33), ["3.5"]);
    assert.deepEqual(supportedEtcdLines(37), ["3.5", "3.6", "3.7"]);
    const withEtcd = (kubernetes: string, etcd: string) => {
        const raw = baseSpec();
        raw.binaries.kubernetes.version = kubernetes;
        raw.binaries.etcd.version = etcd;
        return raw;
    };
    assert.doesNotThrow(() => parseClusterSpec(withEtcd("1.37.2", "3.7.3")));
    assert.throws(() => parseClusterSpec(withEtcd("1.33.5", "3.7.3")), /binaries\.etcd\.version.*not a supported etcd for Kubernetes 1\.33/s);
});
