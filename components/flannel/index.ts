export * from "./args";
export * from "./flannel-network";
export { planFlannel, planFlannelChange, flannelSettings, BACKEND_OVERHEAD, type FlannelPlan, type FlannelSettings } from "./plan";
export { flannelHostNeeds, FLANNEL_BACKEND_PORTS } from "./needs";
export { FLANNEL_PATHS, FLANNELD_UNIT, FLANNEL_USER, KUBE_FLANNEL } from "./layout";
