// The explicit list of endpoint rules, in catalogue order. Adding one = one file + one line here.
#include <array>
#include <cmath>

#include "rules/endpoint_rule.h"

namespace adcheck::rules {

extern const EndpointRule kEpUnreachable;
extern const EndpointRule kEpChainIncomplete;
extern const EndpointRule kEpHostnameMismatch;
extern const EndpointRule kEpCertExpired;
extern const EndpointRule kEpCertExpiring;
extern const EndpointRule kEpHttpStatus;

namespace {
const std::array<const EndpointRule*, 6> kEndpointRegistry = {
    &kEpUnreachable, &kEpChainIncomplete, &kEpHostnameMismatch,
    &kEpCertExpired, &kEpCertExpiring,    &kEpHttpStatus,
};
}  // namespace

std::span<const EndpointRule* const> endpointRegistry() { return kEndpointRegistry; }

const EndpointRule* findEndpointRule(std::string_view id) {
  for (const auto* r : kEndpointRegistry)
    if (r->meta.id == id) return r;
  return nullptr;
}

void evaluateEndpoint(const probe::ProbeResult& result, const config::RulesConfig& cfg, const Emit& emit) {
  for (const auto* r : kEndpointRegistry) r->evaluate(result, cfg, emit);
}

Finding makeEndpointFinding(std::string_view rule, Severity severity, const probe::ProbeResult& result) {
  Finding f;
  f.rule = std::string(rule);
  f.severity = severity;
  f.dn = result.url;
  f.key = result.url;
  f.details->set("url", result.url);
  return f;
}

long daysUntil(const probe::ProbeResult& result, std::time_t t) {
  return static_cast<long>(std::floor(std::difftime(t, result.probedAt) / 86400.0));
}

}  // namespace adcheck::rules
