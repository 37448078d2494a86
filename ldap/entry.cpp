#include "ldap/entry.h"

#include <charconv>
#include <cctype>

namespace adcheck::ldap {

namespace {
// ASCII case folding, as LDAP attribute names and DN keywords need; unlike std::tolower it is
// locale-independent and inlined (the snapshot reader calls this for every attribute line).
constexpr char asciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }
}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (asciiLower(a[i]) != asciiLower(b[i])) return false;
  }
  return true;
}

std::optional<std::int64_t> Entry::integer(std::string_view name) const {
  auto v = first(name);
  if (!v || v->empty()) return std::nullopt;
  std::int64_t out = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || ptr != v->data() + v->size()) return std::nullopt;
  return out;
}

void Entry::add(std::string_view name, std::string value) {
  for (auto& a : attributes_) {
    if (iequals(a.name, name)) {
      a.values.push_back(std::move(value));
      return;
    }
  }
  attributes_.push_back(Attribute{std::string(name), {std::move(value)}});
}

void Entry::add(std::string_view name, std::vector<std::string> values) {
  for (auto& a : attributes_) {
    if (iequals(a.name, name)) {
      for (auto& v : values) a.values.push_back(std::move(v));
      return;
    }
  }
  attributes_.push_back(Attribute{std::string(name), std::move(values)});
}

void Entry::set(std::string_view name, std::vector<std::string> values) {
  for (auto& a : attributes_) {
    if (iequals(a.name, name)) {
      a.values = std::move(values);
      return;
    }
  }
  attributes_.push_back(Attribute{std::string(name), std::move(values)});
}

}  // namespace adcheck::ldap
