#include "adcheck/security/access_check.h"

#include <cstring>

#include "adcheck/security/access_mask.h"
#include "adcheck/security/byte_io.h"

namespace adcheck::security {

namespace {

std::uint32_t lastWord(std::span<const std::uint8_t> b) {
  return detail::loadLe32(b.data() + b.size() - 4);  // a SID is at least 8 bytes
}

}  // namespace

Token::Token(std::initializer_list<Sid> sids) {
  for (const Sid& s : sids) add(s);
}

void Token::add(const Sid& sid) {
  if (contains(sid)) return;
  const auto b = sid.bytes();
  entries_.push_back(Entry{lastWord(b), static_cast<std::uint32_t>(b.size()), sid});
}

bool Token::containsBytes(std::span<const std::uint8_t> b) const {
  const std::uint32_t last = lastWord(b);
  for (const Entry& e : entries_) {
    if (e.lastWord == last && e.length == b.size() &&
        std::memcmp(e.sid.bytes().data(), b.data(), b.size()) == 0)
      return true;
  }
  return false;
}

bool Token::contains(const Sid& sid) const { return containsBytes(sid.bytes()); }
bool Token::contains(const SidView& sid) const { return containsBytes(sid.bytes()); }

std::vector<Sid> Token::sids() const {
  std::vector<Sid> out;
  out.reserve(entries_.size());
  for (const Entry& e : entries_) out.push_back(e.sid);
  return out;
}

std::string_view decisionName(Decision d) {
  switch (d) {
    case Decision::kGranted:
      return "granted";
    case Decision::kDenied:
      return "denied";
    case Decision::kNotGranted:
      return "not-granted";
  }
  return "unknown";
}

AccessResult checkAccess(const SecurityDescriptorView& sd, const Token& token,
                         std::uint32_t desired, const Guid* objectType) {
  AccessResult r;
  r.desired = mapGenericDs(desired);
  const AclView* dacl = sd.dacl();
  if (dacl == nullptr) {
    // NULL DACL: no protection at all (MS-DTYP 2.5.3.2).
    r.nullDacl = true;
    r.granted = r.desired;
    r.decision = Decision::kGranted;
    return r;
  }
  std::uint32_t undecided = r.desired;
  for (AceView ace : *dacl) {
    if (undecided == 0) break;
    if (ace.inheritOnly()) continue;
    bool allow;
    bool object = false;
    switch (ace.type()) {
      case AceType::kAccessAllowed:
        allow = true;
        break;
      case AceType::kAccessDenied:
        allow = false;
        break;
      case AceType::kAccessAllowedObject:
        allow = true;
        object = true;
        break;
      case AceType::kAccessDeniedObject:
        allow = false;
        object = true;
        break;
      case AceType::kAccessAllowedCallback:
      case AceType::kAccessDeniedCallback:
      case AceType::kAccessAllowedCallbackObject:
      case AceType::kAccessDeniedCallbackObject: {
        // Conditional ACEs: we cannot evaluate the condition. Count them when they could have
        // mattered so the caller can flag the verdict as uncertain.
        const std::uint8_t* ot = ace.objectTypeBytes();
        const bool typeMatches =
            ot == nullptr ||
            (objectType != nullptr && std::memcmp(ot, objectType->bytes().data(), 16) == 0);
        if ((mapGenericDs(ace.mask()) & undecided) != 0 && typeMatches && token.contains(ace.sid()))
          ++r.unevaluated;
        continue;
      }
      default:
        if (!ace.isKnownLayout()) ++r.unevaluated;  // could be anything
        continue;                                   // audit, alarm, label, ...: not access control
    }
    const std::uint32_t bits = mapGenericDs(ace.mask()) & undecided;
    if (bits == 0) continue;
    if (object) {
      const std::uint8_t* ot = ace.objectTypeBytes();
      if (ot != nullptr &&
          (objectType == nullptr || std::memcmp(ot, objectType->bytes().data(), 16) != 0))
        continue;
    }
    if (!token.contains(ace.sid())) continue;
    undecided &= ~bits;
    r.addContributing(ace.index());
    if (allow) {
      r.granted |= bits;
      if (undecided == 0 && r.denied == 0) {
        r.decidingAce = ace.index();
        r.decidingAceOffset = ace.offset();
      }
    } else {
      if (r.denied == 0) {
        r.decidingAce = ace.index();
        r.decidingAceOffset = ace.offset();
      }
      r.denied |= bits;
    }
  }
  if (r.denied != 0) {
    r.decision = Decision::kDenied;
  } else if (r.granted == r.desired) {
    r.decision = Decision::kGranted;
  } else {
    r.decision = Decision::kNotGranted;
  }
  return r;
}

}  // namespace adcheck::security
