// Types for scripts/gen-api-types.mjs, so tests can import it under strict TypeScript.
export declare const SPEC_URL: URL;
export declare const OUTPUT_URL: URL;
export declare const GENERATOR_OPTIONS: Readonly<{ defaultNonNullable: false }>;
export declare function renderApiTypes(spec?: URL | string): Promise<{ text: string; warnings: string[] }>;
