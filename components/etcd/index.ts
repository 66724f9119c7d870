export * from "./args";
export { planEtcd, type EtcdPlan, type EtcdPlanResult } from "./plan";
export { etcdHostNeeds, etcdReleaseNeed } from "./needs";
export { ETCD_PATHS, ETCD_UNIT, BACKUP_SERVICE, BACKUP_TIMER } from "./layout";
export { EtcdMember, type EtcdMemberArgs } from "./etcd-member";
export { EtcdCluster } from "./etcd-cluster";
