// Public entry point of the component library: `import { DockerHost } from "<this repo>/components"`.
export * from "./dockerHost";
export { batchSizes, rolloutBatches, ROLLOUT_DEFAULTS } from "./rollout";
export type { BatchSize, RolloutStrategy } from "./rollout";
export { rollOut, RolloutStoppedError } from "./rolloutGate";
export { afterSuccessOf, allSucceeded, NotRunError, orWhenFailed } from "./outcome";
export type { RolledOutHost } from "./rolloutGate";
export { RegistryCache } from "./registryCache/registryCache";
export type { RegistryCacheArgs } from "./registryCache/registryCache";
export { mirrorDaemonSettings, mirrorUrl, registryCacheEnvironment } from "./registryCache/mirror";
export { generateCa, issueServerCertificate, issueClientCertificate } from "./tls/certificates";
export type { KeyPair } from "./tls/certificates";
export { readStackConfig, StackConfigError } from "./stackConfig";
export type { StackConfig, HostEntry, RawStackConfig } from "./stackConfig";
