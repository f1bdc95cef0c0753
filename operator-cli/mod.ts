/**
 * The operator CLI (not built yet; see README.md).
 *
 * @module
 */
export {};
