// The DockerHost component's public surface: args, settings, Docker's daemon.json keys, validation, plan.
export * from "./args";
export * from "./daemonSettings";
export * from "./daemonKeys";
export { renderDaemonJson, effectiveDaemonSettings, restartClassDigest, changedDaemonKeys } from "./daemonJson";
export { DockerHostConfigError, findConfigIssues, validateDockerHostConfig } from "./validate";
export type { ConfigIssue } from "./validate";
export { planSteps } from "./steps";
export type { RemoteStep, StepName } from "./steps";
export type { DockerFacts, ApplyResult } from "./facts";
export { DockerHost } from "./dockerHost";
