// Server choice for one-shot synchronisation (ntpdate, ntpd -q): classic
// ntpdate semantics with a falseticker guard.
//  1. Per server, the best sample is the one with the smallest delay (the
//     least queueing noise; RFC 5905 §10's idea in its simplest form).
//  2. Servers without an accepted sample are ineligible.
//  3. With three or more eligible servers, drop those whose correctness
//     interval [θ − λ, θ + λ] does not overlap the intervals of a majority.
//  4. Pick the lowest stratum, then the smallest root distance λ.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "core/source/exchange.h"

namespace meridian::select {

struct ServerSamples {
  std::vector<source::Sample> samples;  // accepted samples only
};

// The index into samples of the minimum-delay one, if any.
std::optional<size_t> best_sample(const ServerSamples& server);

struct Choice {
  size_t server = 0;      // index into the servers span
  source::Sample sample;  // that server's best sample
};

// REQUIRES: nothing. Returns nullopt when no server is suitable.
std::optional<Choice> choose_server(std::span<const ServerSamples> servers);

// Indices of eligible servers that survive the majority-overlap test (step 3).
std::vector<size_t> truechimers(std::span<const ServerSamples> servers);

}  // namespace meridian::select
