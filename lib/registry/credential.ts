/** What a keychain hands the auth layer for one registry. */

/** Credentials for one registry: Basic user/password, an OAuth2 identity (refresh) token, or a ready bearer token. */
export type Credential = { username: string; password: string } | { identityToken: string } | { registryToken: string }
