export * from "./connection";
export * from "./fingerprint";
export * from "./remote-file";
export * from "./systemd-unit";
export * from "./binary-release";
export * from "./wait-for";
export * from "./host-prep";
export * from "./prep-render";
