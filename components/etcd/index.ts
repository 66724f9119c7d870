export { EtcdCluster, EtcdClusterArgs, EtcdReleaseArgs, EtcdBackupArgs, EtcdRestoreArgs } from "./etcd-cluster";
