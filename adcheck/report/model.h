// The report model shared by every format: the findings of one scan, filtered, grouped by OU (the
// DN's parent container, which is the owning team in most directories) and rule, each with its
// evidence in plain words and its fix; the per-object change plan the scripts carry out; and what
// changed since an earlier scan. Internal to adcheck_report.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adcheck/report/report.h"

namespace adcheck::report::detail {

// One finding as the report shows it.
struct Item {
  store::StoredFinding stored;
  std::string ou;                                           // parent container of the DN
  std::string ruleTitle;                                    // from the catalogue
  std::vector<std::pair<std::string, std::string>> evidence;  // label, text
  std::vector<std::string> guiSteps;                        // what to click, in order
  std::string command;                                      // PowerShell lines ("" none)
  std::string advice;                                       // when nothing is scripted: why and what
  int change = -1;                                          // index into Model::changes, -1 none
};

// What the scripts do to one object: every scripted finding on it at once, because they share
// one descriptor (a second change computed from the same captured bytes would fail its check).
struct Change {
  std::string dn;
  std::string objectGuid;
  std::string samAccountName;
  std::vector<std::size_t> items;  // indices into Model::items
  bool clearAdminCount = false;
  bool enableInheritance = false;
  std::optional<std::size_t> removeAce;  // DACL index in the captured descriptor
  std::string removeAceSddl;
  std::string capturedDescriptor;  // base64 as read by the scan; "" when not captured (groups)
  std::string fixedDescriptor;     // base64 of the edited descriptor; "" when not rewritten
};

struct SinceSummary {
  store::ScanRecord from;
  std::vector<store::StoredFinding> added;      // new since `from` (not excepted)
  std::vector<store::StoredFinding> resolved;   // in `from`, gone now
  std::vector<store::StoredFinding> stillOpen;  // in both (not excepted)
  std::vector<store::StoredFinding> excepted;   // present now, covered by an exception
};

struct Model {
  store::ScanRecord scan;
  ReportRequest request;
  std::time_t generated = 0;
  std::vector<Item> items;  // sorted: OU, rule, severity (worst first), DN; excepted ones included
  std::vector<Change> changes;
  std::optional<SinceSummary> since;
};

Result<Model> buildModel(store::Store& store, const ReportRequest& request);

// Formats (one file each).
std::string renderHtml(const Model& model);
std::string renderCsv(const Model& model);
std::string renderJson(const Model& model);
std::string renderPs1(const Model& model, bool revert);
std::string renderLdif(const Model& model, bool revert);

// Shared text helpers.
std::string base64(const std::vector<std::uint8_t>& bytes);
std::string isoTime(std::time_t t);
// PowerShell and LDIF files are pure printable ASCII (SPEC 7), because Windows PowerShell 5.1 reads
// a BOM-less .ps1 in the ANSI code page, where the bytes of ordinary UTF-8 letters are quotes
// (cp1252: 0x82, 0x91, 0x92 end a single-quoted string; "\xD1\x82" is Cyrillic t). A BOM is not
// enough: a file may be re-saved without one.
//
// A PowerShell expression whose value is `value` read as UTF-8. Always base64 of the bytes, so no
// code page can end the literal and no byte is lost; an invalid UTF-8 sequence shows as U+FFFD in
// the script's messages (.NET's decoder replaces it), while the GUID, not the name, addresses the
// object.
std::string psString(const std::string& value);
// A single-quoted literal for a value that is plain ASCII without quotes (a GUID checked by isGuid,
// a host name from the configuration); any other value goes through psString.
std::string psLiteral(const std::string& value);
// Text for a comment line (PowerShell or LDIF): printable ASCII as is, every other code point as
// \uXXXX (\U+XXXXXX beyond the BMP), control characters and each byte of an invalid UTF-8
// sequence as \xNN. Nothing is dropped and no line break survives.
std::string asciiComment(const std::string& text);
// Valid UTF-8 for the display formats (HTML, CSV, JSON): each byte of an invalid sequence becomes
// U+FFFD (visible, never skipped); valid text is unchanged.
std::string validUtf8(const std::string& text);
// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" in lower-case hex, as the scan writes objectGUIDs. Only
// such values address an object in the scripts and LDIF (dn: <GUID=...>).
bool isGuid(const std::string& text);
std::string ouLabel(const std::string& ou);  // "(domain root)" for ""
// The DC to point ldapmodify / the AD module at: the scan's ldap:// URI host, else a placeholder.
std::string dcHost(const store::ScanRecord& scan);

}  // namespace adcheck::report::detail
