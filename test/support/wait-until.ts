// Polling a condition in tests: wait on what is awaited, never for a fixed time.

/** Polls `check` (sync or async; each try may throw, its last message is kept) every `intervalMs` until it holds; throws naming `what` after `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, intervalMs = 500): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    for (;;) {
        try {
            if (await check()) return;
        } catch (e) {
            last = (e as Error).message;
        }
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ""}`);
        await new Promise((r) => setTimeout(r, intervalMs));
    }
}
