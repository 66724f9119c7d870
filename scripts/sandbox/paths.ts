// Where the sandbox keeps what it makes: one folder, ignored by git, removed by `down`.
import { join, resolve } from "node:path";

/** The repository's root: the program (index.ts) and the toolchain script live there. */
export const REPO_ROOT = resolve(__dirname, "../..");

/** The files of a sandbox folder. */
export interface SandboxPaths {
    dir: string;
    /** The keeper's record: its PID and start time, the hosts, the mirror's URL (written when it is ready). */
    keeper: string;
    keeperLog: string;
    /** The options of the last `up`, reused by an `up` without options. */
    options: string;
    /** The stack file the sandbox deploys: written by `up`, yours to edit between runs. */
    stack: string;
    /** The passphrase that encrypts the state's secrets. */
    passphrase: string;
    /** The engine's state: `<state>.pulumi/backend` is the file backend. */
    state: string;
    kubeconfig: string;
    /** The hosts' SSH key and known_hosts, for `ssh -i`. */
    privateKey: string;
    knownHosts: string;
    /** The toolchain's releases and images, served to the hosts by the keeper. */
    mirror: string;
}

/** The sandbox folder: `K8S_BINARY_SANDBOX_DIR`, else `.sandbox` in the repository. */
export function sandboxPaths(dir = process.env.K8S_BINARY_SANDBOX_DIR ?? join(REPO_ROOT, ".sandbox")): SandboxPaths {
    const at = (name: string) => join(resolve(dir), name);
    return {
        dir: resolve(dir),
        keeper: at("keeper.json"),
        keeperLog: at("keeper.log"),
        options: at("options.json"),
        stack: at("Pulumi.sandbox.yaml"),
        passphrase: at("passphrase"),
        state: at("state"),
        kubeconfig: at("admin.conf"),
        privateKey: at("id_ed25519"),
        knownHosts: at("known_hosts"),
        mirror: at("mirror"),
    };
}
