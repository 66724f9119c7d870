/**
 * The control-plane services' units. Each depends only on its binary's path: everything that
 * differs between hosts or changes over time lives in its EnvironmentFile (and the files it names).
 */
import { CP_PATHS } from "./layout";
import { APISERVER_ARGS_VAR, CONTROLLER_MANAGER_ARGS_VAR, SCHEDULER_ARGS_VAR, renderFlagsExec } from "./render-env";

function unit(description: string, type: "notify" | "simple", envFile: string, binPath: string, variable: string, notes: string[]): string {
    return `[Unit]
Description=${description}
Documentation=https://kubernetes.io/docs/reference/command-line-tools-reference/
After=network-online.target
Wants=network-online.target

[Service]
${notes.map((n) => `# ${n}\n`).join("")}Type=${type}
${renderFlagsExec(envFile, binPath, variable)}
Restart=on-failure
RestartSec=5s
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`;
}

/** kube-apiserver.service: Type=notify (kube-apiserver sends READY=1 once it serves its secure port). */
export function renderApiserverUnit(binPath: string): string {
    return unit("Kubernetes API server", "notify", CP_PATHS.apiserverEnv, binPath, APISERVER_ARGS_VAR, [
        "kube-apiserver tells systemd when its secure port serves (sd_notify READY=1).",
    ]);
}

/** kube-controller-manager.service. */
export function renderControllerManagerUnit(binPath: string): string {
    return unit("Kubernetes controller manager", "simple", CP_PATHS.controllerManagerEnv, binPath, CONTROLLER_MANAGER_ARGS_VAR, []);
}

/** kube-scheduler.service. */
export function renderSchedulerUnit(binPath: string): string {
    return unit("Kubernetes scheduler", "simple", CP_PATHS.schedulerEnv, binPath, SCHEDULER_ARGS_VAR, []);
}
