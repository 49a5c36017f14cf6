/** The pure part of the risk module: the behaviour catalogue, detection, episodes and levels. */
export * from './behaviors.ts';
export * from './episodes.ts';
