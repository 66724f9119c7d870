// Reading back what components/host/connection.ts produced: a script wrapped by `remoteScript`,
// and words quoted by `shellQuote`.

/** The value of one shell word written by `shellQuote` (bare, or single-quoted with '"'"' escapes). */
export function unquoteWord(word: string): string | undefined {
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

/** The value assigned by the first line `name=<word>` of a script (indented or not), if any. */
export function assignment(body: string, name: string): string | undefined {
    const line = body.split("\n").map((l) => l.trimStart()).find((l) => l.startsWith(`${name}=`));
    return line === undefined ? undefined : unquoteWord(line.slice(name.length + 1));
}
