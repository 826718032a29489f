// One run of a scale scenario (issue 6 scenario 8): one server running the
// real ServerCore (ScaleServer) and every client of the [clients] groups —
// real ClientEngines, each with its own simulated clock and link, and
// request generators — in one discrete-event loop.
//
// Events, ordered by (time, insertion order): an engine's wake-up
// (engine.next_wakeup_s(): polls and the 1 s discipline tick; stale entries
// are skipped), a generator's next request, a datagram reaching the server,
// a reply reaching an engine. Engines are sampled (true offset, rate error)
// at each of their wake-ups, so about once a second.
//
// Server-side expectations per client, from the real restrict table and the
// `discard` settings (A = average log2, M = minimum):
//   compliant  an engine with minpoll ≥ A, or a generator whose interval is
//              ≥ max(2^A, M): every request that reaches the server must be
//              answered with time (never a KoD, never dropped);
//   abusive    a generator whose interval is < 2^A − 2 s (below classic's
//              2 s headway grace) or violates M (with classic's 1 s grace).
//              Without `limited` it is exempt and must be answered like a
//              compliant one; with `limited` it must be refused at least once
//              (a drop, or a RATE KoD under `kod`; no KoD without `kod`),
//              get at most (8·2^A + 2^A + T)/(2^A − 2) + 1 time replies in
//              its T active seconds (the leaky bucket's long-run bound) and at
//              most T/2^A + 1 KoDs (one per 2^A s).
// Clients between the two (tolerated by the 2 s grace) are not judged.
#pragma once

#include "sim/scenario.h"
#include "sim/simulation.h"

namespace meridian::sim {

RunResult run_scale(const Scenario& scenario, const RunOptions& options);

}  // namespace meridian::sim
