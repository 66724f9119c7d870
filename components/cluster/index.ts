export * from "./kubernetes-cluster";
export * from "./host-needs";
