/** kube-apiserver's flags (1.36/1.37: nothing removed since 1.20 is written). */
import { CP_PATHS, FRONT_PROXY_CLIENT_NAME, type ControlPlaneMember } from "./layout";
import type { ControlPlanePlan } from "./plan";
import { APISERVER_ARGS_VAR, renderFlagsEnv } from "./render-env";

/** Every flag of a member's kube-apiserver by bare name, extra flags merged last. `etcdEndpoints` are the etcd client URLs, all of them. */
export function apiserverFlags(plan: ControlPlanePlan, member: ControlPlaneMember, etcdEndpoints: string[]): Record<string, string> {
    const p = CP_PATHS;
    const flags: Record<string, string> = {
        "advertise-address": member.address,
        "secure-port": String(plan.apiserverPort),
        "allow-privileged": "true",
        "authorization-mode": "Node,RBAC",
        "enable-admission-plugins": "NodeRestriction",
        "enable-bootstrap-token-auth": "true",
        "client-ca-file": p.caCert,
        "tls-cert-file": p.apiserverCert,
        "tls-private-key-file": p.apiserverKey,
        "kubelet-client-certificate": p.kubeletClientCert,
        "kubelet-client-key": p.kubeletClientKey,
        "kubelet-certificate-authority": p.caCert,
        "kubelet-preferred-address-types": "InternalIP,Hostname",
        "etcd-servers": etcdEndpoints.join(","),
        "etcd-cafile": p.etcdCaCert,
        "etcd-certfile": p.etcdClientCert,
        "etcd-keyfile": p.etcdClientKey,
        "service-cluster-ip-range": plan.serviceCidr,
        "service-account-issuer": plan.serviceAccountIssuer,
        "service-account-key-file": p.serviceAccountPub,
        "service-account-signing-key-file": p.serviceAccountKey,
        "requestheader-client-ca-file": p.frontProxyCaCert,
        "requestheader-allowed-names": FRONT_PROXY_CLIENT_NAME,
        "requestheader-extra-headers-prefix": "X-Remote-Extra-",
        "requestheader-group-headers": "X-Remote-Group",
        "requestheader-username-headers": "X-Remote-User",
        "proxy-client-cert-file": p.frontProxyClientCert,
        "proxy-client-key-file": p.frontProxyClientKey,
        "encryption-provider-config": p.encryptionConfig,
        // A stopping apiserver closes its watches within this time instead of holding them to its
        // request timeout: a restart then takes seconds, not a minute (measured 3 s against 12-62 s).
        "shutdown-watch-termination-grace-period": "5s",
        // Told to stop, it serves on for this long before closing its listener: a connection accepted
        // just before the stop gets its answer (the rolling restart refuses new ones meanwhile).
        "shutdown-delay-duration": "2s",
    };
    if (plan.audit.enabled) {
        Object.assign(flags, {
            "audit-policy-file": p.auditPolicy,
            "audit-log-path": p.auditLog,
            "audit-log-maxage": String(plan.audit.maxAgeDays),
            "audit-log-maxbackup": String(plan.audit.maxBackups),
            "audit-log-maxsize": String(plan.audit.maxSizeMegabytes),
        });
    }
    return { ...flags, ...plan.extraFlags.apiserver };
}

/** kube-apiserver.env: {@link APISERVER_ARGS_VAR} holding the flags. */
export function renderApiserverEnv(flags: Record<string, string>): string {
    return renderFlagsEnv(APISERVER_ARGS_VAR, flags);
}
