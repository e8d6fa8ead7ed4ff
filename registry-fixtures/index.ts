/**
 * Test harness: a real CNCF registry (three variants), a token issuer, a fault-injecting proxy,
 * a second loopback blob host, base images built with umoci, and wrappers around the
 * independent oracles (skopeo, umoci, podman). Tests only; lading's lib/ never imports this.
 */
export { startRegistry, type RegistryFixture, type RegistryVariant, type StartRegistryOptions } from './registry.js'
export { startTokenIssuer, parseScope, type TokenIssuer, type TokenIssuerOptions, type TokenAccess,
  type TokenRequestRecord } from './token-issuer.js'
export { startFaultProxy, type FaultProxy, type FaultRule, type ProxiedRequest, type FaultAnswer,
  type FaultReset, type FaultRedirect } from './fault-proxy.js'
export { startBlobHost, type BlobHost, type BlobHostRequest } from './blob-host.js'
export { tlsMaterial, signingMaterial, type TlsMaterial, type SigningMaterial } from './certs.js'
export { runTool, runToolOk, type ToolResult, type RunToolOptions } from './exec-tool.js'
export { freePort } from './free-port.js'
export { FixtureError } from './fixture-error.js'
export { makeBaseImages, pushBaseImages, hostArchitecture, BASE_IMAGE_LABELS, type BaseImages,
  type PushBaseImagesOptions } from './base-images.js'
export { podmanRun, podmanSession, type PodmanRunOptions, type PodmanSession } from './podman.js'
export { skopeoInspect, skopeoRawManifest, umociUnpack, type SkopeoInspectOptions } from './oracles.js'
export { SAMPLES, EXPECTED, webOutput, sampleId, SAMPLE_VERSION } from './samples.js'
export { writeBigBlob } from './big-blob.js'
