// The DockerHost component's public surface: its Args (the one declaration), Docker's daemon.json keys,
// validation, the renderer and the plan. The settings table (daemonSettings.ts) stays internal: its rows carry
// zod shapes, and zod's typings must not reach a consumer's type-check.
export * from "./args";
export * from "./daemonKeys";
export { daemonConfig, renderDaemonJson, restartClassDigest, changedDaemonKeys } from "./daemonJson";
export type { DaemonConfig, DaemonInput } from "./daemonJson";
export { DockerHostConfigError, checkConfig, checkConnection, checkSettings, checkTlsCertificates, findConfigIssues, validateDockerHostConfig } from "./validate";
export type { Checked, ConfigIssue } from "./validate";
export { planSteps, stepNames, STEPS } from "./steps";
export type { RemoteStep, StepName } from "./steps";
export type { DockerFacts, ApplyResult } from "./facts";
export { dockerHostUrl } from "./dockerProvider";
export { DockerHost } from "./dockerHost";
