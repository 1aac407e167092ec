// Public entry point of the component library: `import { DockerHost } from "<this repo>/components"`.
export * from "./dockerHost";
export { rolloutBatches } from "./rollout";
export { readStackConfig, StackConfigError } from "./stackConfig";
export type { StackConfig, HostEntry, RawStackConfig } from "./stackConfig";
