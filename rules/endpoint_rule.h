// Rules about the ActiveSync endpoint (SPEC 8). They read one probe result, not directory
// objects, so they live in their own small registry (endpoint_registry.cpp) beside the directory
// rules, with metadata in the same RuleMeta form so the catalogue can list them.
#pragma once

#include <span>
#include <string_view>

#include "adcheck/config/config.h"
#include "adcheck/probe/probe.h"
#include "rules/rule.h"

namespace adcheck::rules {

struct EndpointRule {
  RuleMeta meta;
  void (*evaluate)(const probe::ProbeResult& result, const config::RulesConfig& cfg, const Emit& emit) = nullptr;
};

std::span<const EndpointRule* const> endpointRegistry();
const EndpointRule* findEndpointRule(std::string_view id);

// Runs every endpoint rule on one probe result.
void evaluateEndpoint(const probe::ProbeResult& result, const config::RulesConfig& cfg, const Emit& emit);

// A finding about an endpoint: keyed by the URL (dn and key), since it has no directory object.
Finding makeEndpointFinding(std::string_view rule, Severity severity, const probe::ProbeResult& result);

// Whole days from the probe time to `t` (negative when in the past).
long daysUntil(const probe::ProbeResult& result, std::time_t t);

}  // namespace adcheck::rules
