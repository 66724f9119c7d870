/** kube-scheduler's configuration file and flags. */
import { stringify } from "yaml";
import { CP_PATHS } from "./layout";
import type { ControlPlanePlan } from "./plan";
import { renderFlagsEnv, SCHEDULER_ARGS_VAR } from "./render-env";

/** kube-scheduler.yaml: a KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) with its kubeconfig and leader election. */
export function renderSchedulerConfig(_plan: ControlPlanePlan): string {
    return stringify({
        apiVersion: "kubescheduler.config.k8s.io/v1",
        kind: "KubeSchedulerConfiguration",
        clientConnection: { kubeconfig: CP_PATHS.schedulerKubeconfig },
        leaderElection: { leaderElect: true },
    });
}

/** Every flag of kube-scheduler by bare name, extra flags merged last. */
export function schedulerFlags(plan: ControlPlanePlan): Record<string, string> {
    const p = CP_PATHS;
    return {
        config: p.schedulerConfig,
        "authentication-kubeconfig": p.schedulerKubeconfig,
        "authorization-kubeconfig": p.schedulerKubeconfig,
        "bind-address": "127.0.0.1",
        ...plan.extraFlags.scheduler,
    };
}

/** kube-scheduler.env: {@link SCHEDULER_ARGS_VAR} holding the flags. */
export function renderSchedulerEnv(flags: Record<string, string>): string {
    return renderFlagsEnv(SCHEDULER_ARGS_VAR, flags);
}
