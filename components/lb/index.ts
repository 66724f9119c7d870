export * from "./args";
export * from "./plan";
export * from "./render-nginx";
export * from "./render-keepalived";
export * from "./render-packages";
export * from "./nginx-keepalived-lb";
