export * from "./args";
export * from "./control-plane";
export { ControlPlaneMember } from "./member";
export { controlPlaneHostNeeds, DEFAULT_APISERVER_PORT } from "./needs";
export { CP_PATHS, APISERVER_UNIT, CONTROLLER_MANAGER_UNIT, SCHEDULER_UNIT } from "./layout";
