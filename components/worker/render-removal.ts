/**
 * The script that takes a node out of the cluster before its services and files are removed
 * (pure): cordon, drain, stop the kubelet, delete the Node, kill what containers are left.
 */
import { shellQuote } from "../host/connection";
import { KUBE_PROXY_UNIT, KUBELET_UNIT, NODE_PATHS } from "./layout";
import type { WorkerNodePlan } from "./plan";

/** containerd's namespace for the CRI's containers. */
const CRI_NAMESPACE = "k8s.io";

/**
 * Bash run when the node leaves the program, the kubeconfig on stdin. The kubelet stops before the
 * Node is deleted, since a running kubelet registers it again; a Node already gone (deleted by
 * hand) is drained no more. A drain that cannot finish fails with the pods kubectl names and what
 * to do, leaving the node cordoned and every service running.
 */
export function renderNodeRemovalScript(plan: WorkerNodePlan, kubectlPath: string, ctrPath: string): string {
    const node = shellQuote(plan.name);
    const timeout = plan.drainTimeoutSeconds;
    if (timeout === undefined) throw new Error(`WorkerNode ${plan.name}: no removal is planned`);
    return `kubeconfig=$(mktemp /run/k8s-binary-drain.XXXXXX)
trap 'rm -f "$kubeconfig"' EXIT
cat >"$kubeconfig"
k() { ${shellQuote(kubectlPath)} --kubeconfig "$kubeconfig" --request-timeout=30s "$@"; }
if ! found=$(k get node ${node} -o name 2>&1); then
  case "$found" in
    *NotFound*) echo "Node ${plan.name} is not registered: nothing to drain" ;;
    *) echo "cannot reach the API to drain node ${plan.name}: $found" >&2; exit 1 ;;
  esac
else
  k cordon ${node}
  if ! k drain ${node} --ignore-daemonsets --delete-emptydir-data --timeout=${timeout}s; then
    echo "node ${plan.name} was not drained within ${timeout}s: the pods named above could not be evicted (a pod no controller manages: delete it or move it; a PodDisruptionBudget: make room elsewhere). The node stays cordoned and running; run again once they are gone, or put the node back in the program and 'kubectl uncordon ${plan.name}'." >&2
    exit 1
  fi
  systemctl stop ${KUBELET_UNIT} ${KUBE_PROXY_UNIT}
  k delete node ${node} --ignore-not-found --wait=true
fi
systemctl stop ${KUBELET_UNIT} ${KUBE_PROXY_UNIT} 2>/dev/null || true
# What DaemonSets ran here is left to containerd's shims, which outlive containerd: end them.
if [ -S ${NODE_PATHS.containerdSocket} ]; then
  for task in $(${shellQuote(ctrPath)} -n ${CRI_NAMESPACE} tasks list -q 2>/dev/null); do
    ${shellQuote(ctrPath)} -n ${CRI_NAMESPACE} tasks kill -s SIGKILL "$task" 2>/dev/null || true
  done
fi
echo "node ${plan.name} drained and deregistered"`;
}
