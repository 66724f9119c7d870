// Unwrapping a command line made by components/host/connection.ts's `remoteScript`, only to show
// a step's script as bash receives it. Nothing the render lists (files, units, releases, images)
// is read from scripts: those are the primitives' facts. A command line of another shape is
// shown as given.

/** The value of one shell word written by `shellQuote` (bare, or single-quoted with '"'"' escapes). */
function unquoteWord(word: string): string | undefined {
    let out = "";
    let i = 0;
    while (i < word.length) {
        const c = word[i];
        if (c === "'" || c === '"') {
            const end = word.indexOf(c, i + 1);
            if (end < 0) return undefined;
            out += word.slice(i + 1, end);
            i = end + 1;
        } else if (/[\s;&|<>()$`\\]/.test(c)) {
            return undefined;
        } else {
            out += c;
            i++;
        }
    }
    return out;
}

/** A remote command taken apart: whether it runs through sudo, and the bash script it runs. */
export interface RemoteScript {
    sudo: boolean;
    /** The script as bash receives it (strict mode line included). */
    body: string;
}

/** Takes apart a command line made by `remoteScript`; undefined for any other command line. */
export function parseRemoteScript(commandLine: string): RemoteScript | undefined {
    const m = /^(sudo -n )?\/bin\/bash -c (.*)$/s.exec(commandLine);
    if (!m) return undefined;
    const body = unquoteWord(m[2]);
    if (body === undefined || !body.startsWith("set -euo pipefail\n")) return undefined;
    return { sudo: m[1] !== undefined, body };
}
