export * from "./args";
export * from "./daemonSettings";
export { renderDaemonJson, effectiveDaemonSettings, restartClassDigest, changedDaemonKeys } from "./daemonJson";
export { DockerHostConfigError, findConfigIssues, validateDockerHostConfig } from "./validate";
export type { ConfigIssue } from "./validate";
export { planSteps } from "./steps";
export type { RemoteStep, StepName } from "./steps";
export type { DockerFacts, ApplyResult } from "./facts";
export { DockerHost } from "./dockerHost";
