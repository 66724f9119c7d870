// The unit tests' preset of the one mock runtime (scripts/lib/mock-runtime.ts): stand-in
// provider outputs, project "k8s-binary", stack "test".
import { installMockRuntime, type Registration } from "../../scripts/lib/mock-runtime";
import { standInOutputs } from "../../scripts/lib/stand-in-outputs";

export { settled, valueOf } from "../../scripts/lib/mock-runtime";

/** Installs the mock runtime; returns the registrations, filled in as the program registers. */
export function recordingMocks(): Registration[] {
    return installMockRuntime({ outputs: standInOutputs }).registrations;
}
