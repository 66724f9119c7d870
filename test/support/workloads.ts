/** Workloads the integration tests run on their clusters. */

/** agnhost, whose `netexec` answers HTTP with the pod's hostname; the toolchain builds its image. */
export const AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.66.1";

/**
 * A Deployment `name` (pods labelled `app: name`) of agnhost's netexec on port 8080, its replicas
 * spread one per schedulable node: a cordoned or tainted node leaves the spread (nodeTaintsPolicy Honor).
 */
export function spreadNetexec(name: string, replicas: number, options: { imagePullPolicy?: "Never" } = {}) {
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace: "default" },
        spec: {
            replicas,
            selector: { matchLabels: { app: name } },
            template: {
                metadata: { labels: { app: name } },
                spec: {
                    terminationGracePeriodSeconds: 1,
                    topologySpreadConstraints: [
                        {
                            maxSkew: 1,
                            topologyKey: "kubernetes.io/hostname",
                            whenUnsatisfiable: "DoNotSchedule",
                            nodeTaintsPolicy: "Honor",
                            labelSelector: { matchLabels: { app: name } },
                        },
                    ],
                    containers: [{ name: "netexec", image: AGNHOST, ...options, args: ["netexec", "--http-port=8080"] }],
                },
            },
        },
    };
}
