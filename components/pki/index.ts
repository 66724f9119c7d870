export * from "./profiles";
export * from "./certificate";
export * from "./certificate-authority";
export * from "./kubeconfig";
