/**
 * The scripts around a node's kubelet upgrade (pure): drain before the kubelet restarts on a new
 * release, uncordon once it is back. At most `slots` nodes of the cluster are drained at once:
 * a node first takes one of the cluster's upgrade slots, Leases in kube-system whose creation is
 * atomic (the apiserver refuses a second one of the same name), so nodes upgrading in parallel
 * (the engine runs every node's steps at once) queue for a free slot without any order between
 * them in the program, and a first deployment, which restarts nothing, waits on no other node.
 */
import { shellQuote } from "../host/connection";
import { UPGRADE_SLOT_NAMESPACE, upgradeSlotNames } from "./drainer";
import type { WorkerNodePlan } from "./plan";

/** The annotation marking a Node cordoned by an upgrade's drain, so that only those are uncordoned (a node cordoned by hand stays so). */
export const UPGRADE_CORDON_ANNOTATION = "k8s-binary.io/cordoned-for-upgrade";

/** Seconds between two looks for a free slot, or for the Node being Ready again. */
const POLL_SECONDS = 2;

/** The kubeconfig from stdin into a file under /run removed on exit, and `k` running kubectl with it. */
function kubectlPrelude(kubectlPath: string): string {
    return [
        `kubeconfig=$(mktemp /run/k8s-binary-drain.XXXXXX)`,
        `trap 'rm -f "$kubeconfig"' EXIT`,
        `cat >"$kubeconfig"`,
        `k() { ${shellQuote(kubectlPath)} --kubeconfig "$kubeconfig" --request-timeout=30s "$@"; }`,
    ].join("\n");
}

function upgradePlan(plan: WorkerNodePlan): { slots: number; timeout: number } {
    if (plan.upgrade === undefined) throw new Error(`WorkerNode ${plan.name}: no upgrade drain is planned`);
    return { slots: plan.upgrade.maxUnavailable, timeout: plan.upgrade.drainTimeoutSeconds };
}

/**
 * Bash run before the kubelet restarts on a changed release, the kubeconfig on stdin. The
 * script names the node's Kubernetes version, so a new version makes it run (an update). It does
 * nothing when the Node is not registered or its kubelet already reports that version (a restart
 * that is no upgrade keeps the pods: a kubelet restart leaves containers running). Otherwise it takes an upgrade slot (its own after an interrupted run; one whose
 * holder Node no longer exists is taken over, by a replace the apiserver refuses if the Lease
 * changed meanwhile), waits for one until the drain timeout, then marks, cordons and drains the
 * node. A drain that cannot finish fails naming the pods, leaving the node cordoned and its slot
 * held, so no further node is drained until it is dealt with.
 */
export function renderUpgradeDrainScript(plan: WorkerNodePlan, kubectlPath: string): string {
    const { slots, timeout } = upgradePlan(plan);
    const node = shellQuote(plan.name);
    const ns = shellQuote(UPGRADE_SLOT_NAMESPACE);
    const lease = `{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"%s","namespace":"${UPGRADE_SLOT_NAMESPACE}"},"spec":{"holderIdentity":"%s"}}`;
    return `${kubectlPrelude(kubectlPath)}
new=v${plan.version}
if ! running=$(k get node ${node} -o jsonpath='{.status.nodeInfo.kubeletVersion}' 2>&1); then
  case "$running" in
    *NotFound*) echo "Node ${plan.name} is not registered: nothing to drain"; exit 0 ;;
    *) echo "cannot reach the API to drain node ${plan.name} before its kubelet moves to $new: $running" >&2; exit 1 ;;
  esac
fi
if [ "$running" = "$new" ]; then echo "the kubelet of ${plan.name} runs $new already: no drain"; exit 0; fi
# A slot is ours when we create its Lease, when we held it already, or when its holder Node is gone.
try_slot() {
  local s=$1 holder gone
  if printf '${lease}' "$s" ${node} | k create -f - >/dev/null 2>&1; then return 0; fi
  holder=$(k -n ${ns} get lease "$s" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null) || return 1
  holders="$holders $s:$holder"
  [ "$holder" = ${node} ] && return 0
  [ -n "$holder" ] || return 1
  gone=$(k get node "$holder" -o name 2>&1) && return 1
  case "$gone" in *NotFound*) ;; *) return 1 ;; esac
  k -n ${ns} get lease "$s" -o json | sed 's/"holderIdentity": *"[^"]*"/"holderIdentity": "${plan.name}"/' | k replace -f - >/dev/null 2>&1 || return 1
  echo "took over upgrade slot $s from $holder, a Node that no longer exists"
}
deadline=$((SECONDS + ${timeout}))
slot=
while [ -z "$slot" ]; do
  holders=
  for s in ${upgradeSlotNames(slots).map(shellQuote).join(" ")}; do
    if try_slot "$s"; then slot=$s; break; fi
  done
  [ -n "$slot" ] && break
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "node ${plan.name} found no free upgrade slot within ${timeout}s (at most ${slots} node(s) drain at once; held:$holders). A node whose upgrade failed keeps its slot and stays cordoned: finish it (run again), or delete its Lease in ${UPGRADE_SLOT_NAMESPACE} once it is back in service." >&2
    exit 1
  fi
  sleep ${POLL_SECONDS}
done
echo "node ${plan.name} holds upgrade slot $slot: draining it before its kubelet moves from $running to $new"
if [ "$(k get node ${node} -o jsonpath='{.spec.unschedulable}')" != true ]; then
  k annotate node ${node} ${UPGRADE_CORDON_ANNOTATION}=true --overwrite >/dev/null
fi
k cordon ${node}
if ! k drain ${node} --ignore-daemonsets --delete-emptydir-data --timeout=${timeout}s; then
  echo "node ${plan.name} was not drained within ${timeout}s: the pods named above could not be evicted (a pod no controller manages: delete it or move it; a PodDisruptionBudget: make room elsewhere). The node stays cordoned and keeps its upgrade slot; run again once they are gone." >&2
  exit 1
fi`;
}

/**
 * Bash run once the node's services are back after the restart, the kubeconfig on stdin (the
 * script names the version too, so it runs after every drain): waits for the Node to be Ready, uncordons it when the upgrade's drain cordoned it, and gives back
 * every upgrade slot it holds. Nothing to do after a restart that drained nothing.
 */
export function renderUpgradeUncordonScript(plan: WorkerNodePlan, kubectlPath: string): string {
    const { slots, timeout } = upgradePlan(plan);
    const node = shellQuote(plan.name);
    const ns = shellQuote(UPGRADE_SLOT_NAMESPACE);
    const annotation = `{.metadata.annotations.${UPGRADE_CORDON_ANNOTATION.replace(/\./g, "\\.")}}`;
    return `${kubectlPrelude(kubectlPath)}
if ! marked=$(k get node ${node} -o jsonpath=${shellQuote(annotation)} 2>&1); then
  case "$marked" in
    *NotFound*) echo "Node ${plan.name} is not registered: nothing to uncordon"; exit 0 ;;
    *) echo "cannot reach the API to uncordon node ${plan.name}: $marked" >&2; exit 1 ;;
  esac
fi
if [ "$marked" = true ]; then
  deadline=$((SECONDS + ${timeout}))
  until [ "$(k get node ${node} -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then echo "node ${plan.name} is not Ready ${timeout}s after its upgrade: it stays cordoned (kubectl describe node ${plan.name}; journalctl -u kubelet)" >&2; exit 1; fi
    sleep ${POLL_SECONDS}
  done
  k uncordon ${node}
  k annotate node ${node} ${UPGRADE_CORDON_ANNOTATION}- >/dev/null
  echo "node ${plan.name} is Ready on its kubelet v${plan.version}: uncordoned"
fi
for s in ${upgradeSlotNames(slots).map(shellQuote).join(" ")}; do
  if [ "$(k -n ${ns} get lease "$s" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null)" = ${node} ]; then
    k -n ${ns} delete lease "$s" >/dev/null
    echo "upgrade slot $s given back"
  fi
done`;
}
