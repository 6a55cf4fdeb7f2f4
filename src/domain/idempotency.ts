/**
 * An Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) as WallTrack accepts it: 1 to 255
 * printable ASCII characters without spaces, so it fits a header and a storage key unchanged.
 */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
export const IDEMPOTENCY_KEY_RULE = "1 to 255 printable ASCII characters, no spaces";
