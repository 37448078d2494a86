// Distinguished-name helpers. DNs are compared as the DC spells them, case-insensitively; all DNs
// a scan compares come from the same DC (or the same snapshot), so no RFC 4514 normalisation of
// escapes is attempted beyond case.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace adcheck::scan {

// Lower-cased key for maps of DNs.
std::string dnKey(std::string_view dn);

// The DN without its first RDN ("" for a one-RDN DN). Honours backslash escapes and quotes.
std::string parentDn(std::string_view dn);

// The value of the first RDN, unescaped ("CN=Smith\, John,OU=x" -> "Smith, John").
std::string firstRdnValue(std::string_view dn);

// The RDN attribute of the first RDN, lower-cased ("cn").
std::string firstRdnType(std::string_view dn);

// True when dn equals base or lies below it (case-insensitive, RDN-aligned).
bool dnIsUnder(std::string_view dn, std::string_view base);

// Splits a DN into its RDNs (escaped form kept).
std::vector<std::string> splitDn(std::string_view dn);

}  // namespace adcheck::scan
