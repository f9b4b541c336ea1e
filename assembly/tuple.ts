// The classifier tuple (64 bytes per packet): what the matchers read
// (classify.ts) and what the replay engine writes for a hop (engine.ts).
// Drawn in src/compile/format.ts "Tuple" (the host's mirror: TUPLE). Not
// exported from the module (index.ts does not re-export this file).

/** Remote-side address: 4 × u32, word 0 the most significant (IPv4: word 0). */
export const T_REMOTE: usize = 0;
/** Interface-side address, same form. */
export const T_LOCAL: usize = 16;
export const T_SPORT: usize = 32;
export const T_DPORT: usize = 36;
export const T_PROTO: usize = 40;
export const T_FAMILY: usize = 44;
/** Index of the rule list (interface × direction) in the table. */
export const T_LIST: usize = 48;
export const T_SIZE: usize = 64;
/** A port value meaning "the packet has no ports". */
export const NO_PORT: u32 = 65536;
