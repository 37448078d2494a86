// One object's whole story (adcheck explain, and the dashboard's object page): identity, mobile
// settings decoded, SDProp protection, the DACL with the ACE that decides the Exchange servers'
// ActiveSync rights, devices, and every enabled rule's verdict. One function so that the command
// line and the web show exactly the same facts.
#pragma once

#include <Poco/JSON/Object.h>

#include <vector>

#include "adcheck/scan/context.h"
#include "ldap/entry.h"
#include "rules/rule.h"

namespace adcheck::scan {

// The JSON object `adcheck explain --format json` prints. Rule exceptions are caught and shown
// as the verdict "error" of that rule.
Poco::JSON::Object::Ptr explainObject(const ldap::Entry& entry, const Context& ctx,
                                      const std::vector<const rules::Rule*>& enabled);

}  // namespace adcheck::scan
