#include "web/server/json_views.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

namespace adcheck::web {

Poco::Dynamic::Var isoOrNull(std::time_t t) {
  if (t == 0) return Poco::Dynamic::Var();
  return scan::isoTime(t);
}

Poco::JSON::Object::Ptr severityCountsJson(const store::SeverityCounts& counts) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  for (int s = static_cast<int>(store::kSeverityCount) - 1; s >= 0; --s)
    o->set(std::string(scan::severityName(static_cast<scan::Severity>(s))), counts[s]);
  return o;
}

Poco::JSON::Object::Ptr scanJson(const store::ScanRecord& s) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("id", s.id);
  o->set("target", s.target);
  o->set("started", isoOrNull(s.started));
  o->set("finished", isoOrNull(s.finished));
  o->set("status", std::string(scan::scanStatusName(s.status)));
  o->set("entriesRead", s.entriesRead);
  o->set("objectsRead", s.objectsRead);
  o->set("findings", s.findings);
  o->set("bySeverity", severityCountsJson(s.bySeverity));
  o->set("excepted", s.excepted);
  o->set("new", s.newFindings);
  o->set("reopened", s.reopened);
  o->set("resolved", s.resolved);
  o->set("error", s.error);
  o->set("version", s.version);
  Poco::JSON::Array::Ptr rules = new Poco::JSON::Array;
  for (const auto& r : s.rules) rules->add(r);
  o->set("rules", rules);
  Poco::JSON::Array::Ptr warnings = new Poco::JSON::Array;
  for (const auto& w : s.warnings) warnings->add(w);
  o->set("warnings", warnings);
  // scan.coverage as the CLI's JSON has it; null for scans stored before coverage existed.
  Poco::Dynamic::Var coverage;
  if (!s.coverage.empty()) {
    try {
      Poco::JSON::Parser parser;
      coverage = parser.parse(s.coverage);
    } catch (const Poco::Exception&) {
      coverage = Poco::Dynamic::Var();
    }
  }
  o->set("coverage", coverage);
  return o;
}

Poco::JSON::Object::Ptr findingJson(const store::StoredFinding& sf) {
  const auto& f = sf.finding;
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("fingerprint", sf.fingerprint);
  scan::setFindingFields(*o, f);
  o->set("status", sf.status);
  o->set("lifecycle", sf.lifecycle);
  o->set("firstSeen", isoOrNull(sf.firstSeen));
  o->set("lastSeen", isoOrNull(sf.lastSeen));
  o->set("resolvedAt", isoOrNull(sf.resolvedAt));
  o->set("since", sf.since ? isoOrNull(*sf.since) : Poco::Dynamic::Var());
  o->set("exceptionId", sf.exceptionId ? Poco::Dynamic::Var(*sf.exceptionId) : Poco::Dynamic::Var());
  o->set("scanId", sf.scanId);
  return o;
}

Poco::JSON::Object::Ptr eventJson(const store::FindingEvent& e) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("scanId", e.scanId);
  o->set("event", e.event);
  o->set("at", isoOrNull(e.at));
  o->set("exceptionId", e.exceptionId ? Poco::Dynamic::Var(*e.exceptionId) : Poco::Dynamic::Var());
  return o;
}

}  // namespace adcheck::web
