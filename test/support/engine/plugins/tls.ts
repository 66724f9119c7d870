/**
 * Stand-in for pulumi-resource-tls (the bridged terraform-provider-tls): keys and certificates
 * performed by ../tls.ts. As the real provider: every input forces replacement, except a
 * certificate's early_renewal_hours (in place); a certificate due for renewal (now past
 * validity end minus early renewal hours) is replaced on the next run. Secret outputs are the
 * SDK's additionalSecretOutputs (private keys); inputs keep their secretness in the outputs.
 */
import { tlsProviders } from "../tls";
import { sdkVersion, serve } from "./server";

serve({
    version: sdkVersion("tls"),
    types: Object.fromEntries(Object.entries(tlsProviders).map(([type, performer]) => [type, { performer }])),
}).catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
});
