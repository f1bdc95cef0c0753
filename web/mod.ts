/**
 * The network explorer (not built yet; see README.md).
 *
 * @module
 */
export {};
