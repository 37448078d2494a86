// One directory entry as the rest of adcheck sees it, whether it came from a live search or
// from an LDIF snapshot. Values are raw bytes in std::string (binary safe: nTSecurityDescriptor,
// objectSid, objectGUID). Attribute names are compared case-insensitively, as LDAP does; a
// ranged attribute ("member;range=0-1499") is stored under its base name once complete.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace adcheck::ldap {

bool iequals(std::string_view a, std::string_view b);

struct Attribute {
  std::string name;
  std::vector<std::string> values;
};

class Entry {
 public:
  Entry() = default;
  explicit Entry(std::string dn) : dn_(std::move(dn)) {}

  const std::string& dn() const { return dn_; }
  void setDn(std::string dn) { dn_ = std::move(dn); }

  const std::vector<Attribute>& attributes() const { return attributes_; }

  // nullptr when absent.
  const std::vector<std::string>* values(std::string_view name) const {
    for (const auto& a : attributes_)
      if (iequals(a.name, name)) return &a.values;
    return nullptr;
  }
  bool has(std::string_view name) const {
    const auto* v = values(name);
    return v != nullptr && !v->empty();
  }
  // First value, or nullopt when absent.
  std::optional<std::string_view> first(std::string_view name) const {
    const auto* v = values(name);
    if (v == nullptr || v->empty()) return std::nullopt;
    return std::string_view((*v)[0]);
  }
  std::string firstOr(std::string_view name, std::string_view fallback = {}) const {
    auto v = first(name);
    return std::string(v ? *v : fallback);
  }
  // Integer attributes (adminCount, userAccountControl, msExchOmaAdminWirelessEnable, ...).
  // nullopt when absent or not an integer.
  std::optional<std::int64_t> integer(std::string_view name) const;

  // Adds the values to the attribute of that name (created when missing).
  void add(std::string_view name, std::string value);
  void add(std::string_view name, std::vector<std::string> values);
  // Replaces all values.
  void set(std::string_view name, std::vector<std::string> values);
  void clear() {
    dn_.clear();
    attributes_.clear();
  }

 private:
  std::string dn_;
  std::vector<Attribute> attributes_;
};

}  // namespace adcheck::ldap
