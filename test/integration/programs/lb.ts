// A program with one NginxKeepalivedLB on the testbed hosts it is given: `lb:hosts` (Host[], in
// priority order) and `lb:args` (the other Args, JSON). Exports the endpoint bundle and the MASTER.
import * as pulumi from "@pulumi/pulumi";
import type { Host } from "../../../components/host";
import { NginxKeepalivedLB, type NginxKeepalivedLBArgs } from "../../../components/lb";

export default async () => {
    const config = new pulumi.Config("lb");
    const hosts = config.requireObject<Host[]>("hosts");
    const args = config.requireObject<Omit<NginxKeepalivedLBArgs, "hosts">>("args");
    const lb = new NginxKeepalivedLB("apiserver", {
        ...args,
        // The connection carries the private key: secret, as a stack would hold it.
        hosts: hosts.map((host) => ({ host: { ...host, connection: pulumi.secret(host.connection) } })),
    });
    return { endpoint: lb.endpoint, master: lb.master };
};
