// Public entry point of the component library: `import { DockerHost } from "<this repo>/components"`.
export * from "./dockerHost";
export { rolloutBatches } from "./rollout";
export { RegistryCache } from "./registryCache/registryCache";
export type { RegistryCacheArgs } from "./registryCache/registryCache";
export { mirrorDaemonSettings, mirrorUrl, registryCacheEnvironment } from "./registryCache/mirror";
export { generateCa, issueServerCertificate, issueClientCertificate } from "./tls/certificates";
export type { KeyPair } from "./tls/certificates";
export { readStackConfig, StackConfigError } from "./stackConfig";
export type { StackConfig, HostEntry, RawStackConfig } from "./stackConfig";
