// The API's JSON forms of the store's records (web/API.md "Data").
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <ctime>

#include "adcheck/store/store.h"

namespace adcheck::web {

Poco::Dynamic::Var isoOrNull(std::time_t t);
Poco::JSON::Object::Ptr severityCountsJson(const store::SeverityCounts& counts);
Poco::JSON::Object::Ptr scanJson(const store::ScanRecord& scan);
Poco::JSON::Object::Ptr findingJson(const store::StoredFinding& finding);
Poco::JSON::Object::Ptr eventJson(const store::FindingEvent& event);

}  // namespace adcheck::web
