/**
 * The heap a load worker thread runs with. A thread replaying hundreds of streams allocates fast
 * (each streamed chunk's strings and records, each turn's body), and with V8's default young
 * generation (16 MB semi-spaces, 48 MB in all) it scavenges often and promotes what is still in
 * flight, so the old generation fills and is collected too: pauses of several milliseconds that
 * hold up every send due meanwhile. A young generation four times as large (64 MB semi-spaces)
 * lets most of that die before a scavenge. V8 grows the new space to the limit only as the
 * allocation rate asks; the old generation's limit stays the default.
 */
export const LOAD_WORKER_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 192 } as const;
