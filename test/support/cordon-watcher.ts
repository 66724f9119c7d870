// A client watching which Nodes are cordoned, by polling the API (a sample every `intervalMs`):
// how many nodes an upgrade took out of service at once is observed, not inferred.
import { apiGet, type ApiCredentials } from "./api-poller";

/** One look at the Nodes: when, and which were unschedulable. */
export interface CordonSample {
    at: number;
    cordoned: string[];
}

/** What the watch saw: every sample, and each node's cordoned spans [first, last sample]. */
export interface CordonReport {
    samples: CordonSample[];
    spans: Map<string, { from: number; to: number }[]>;
    /** The most nodes cordoned in one sample. */
    mostAtOnce: number;
}

/** Spans of consecutive samples in which each node was cordoned. */
export function cordonSpans(samples: CordonSample[]): Map<string, { from: number; to: number }[]> {
    const spans = new Map<string, { from: number; to: number }[]>();
    let previous = new Set<string>();
    for (const s of samples) {
        for (const node of s.cordoned) {
            const list = spans.get(node) ?? [];
            if (previous.has(node)) list[list.length - 1].to = s.at;
            else list.push({ from: s.at, to: s.at });
            spans.set(node, list);
        }
        previous = new Set(s.cordoned);
    }
    return spans;
}

/** Polls /api/v1/nodes until stopped; a failed look is skipped (the API poller counts failures). */
export function startCordonWatcher(creds: ApiCredentials, intervalMs = 200): { stop: () => Promise<CordonReport> } {
    let running = true;
    const samples: CordonSample[] = [];
    const loop = (async () => {
        while (running) {
            const at = Date.now();
            try {
                const r = await apiGet(creds, "/api/v1/nodes");
                if (r.status === 200) {
                    const list = JSON.parse(r.body) as { items: { metadata: { name: string }; spec: { unschedulable?: boolean } }[] };
                    samples.push({ at, cordoned: list.items.filter((n) => n.spec.unschedulable === true).map((n) => n.metadata.name) });
                }
            } catch {
                // Counted by the API poller; a watch sample is simply missing.
            }
            await new Promise((r) => setTimeout(r, intervalMs));
        }
    })();
    return {
        stop: async () => {
            running = false;
            await loop;
            return { samples, spans: cordonSpans(samples), mostAtOnce: Math.max(0, ...samples.map((s) => s.cordoned.length)) };
        },
    };
}
