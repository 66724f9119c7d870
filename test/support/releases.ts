// Releases the tests hand to a component's `release` Args.
import type { ReleaseNeed } from "../../components/host/needs";

/**
 * A release to install holding `binaries`: a tarball at a stand-in URL with a stand-in sha256,
 * since plans check only their form and nothing here fetches it. `over` replaces any field.
 */
export function tarballRelease(name: string, binaries: string[], over: Partial<ReleaseNeed> = {}): ReleaseNeed {
    return {
        name,
        version: "1.0.0",
        url: `https://example.com/${name}.tar.gz`,
        checksum: { algorithm: "sha256", digest: "a".repeat(64) },
        archive: "tar.gz",
        binaries,
        ...over,
    };
}
