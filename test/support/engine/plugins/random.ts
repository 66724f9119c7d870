/**
 * Stand-in for pulumi-resource-random (the bridged terraform-provider-random): values performed
 * by ../random.ts. As the real provider: every input (keepers included) forces replacement;
 * RandomPassword's result is secret (the SDK's additionalSecretOutputs).
 */
import { randomProviders } from "../random";
import { sdkVersion, serve } from "./server";

serve({
    version: sdkVersion("random"),
    types: Object.fromEntries(Object.entries(randomProviders).map(([type, performer]) => [type, { performer }])),
}).catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
});
