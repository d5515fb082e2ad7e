/** The schema entry point the brief names; the schemas themselves live in ./schemas/. */
export * from './schemas/index.js';
