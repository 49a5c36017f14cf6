/** oidc-provider ships no type declarations; the tests use a small part of it, typed where it is called. */
declare module 'oidc-provider';
