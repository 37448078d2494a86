#include "adcheck/security/sddl.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

namespace adcheck::security {
namespace {

struct SidAlias {
  const char* code;
  Sid sid;
};

// Samba's sid_codes table (libcli/security/sddl.c), well-known absolute SIDs. Checked against
// the installed python3-samba by tests/unit/security/data/gen_sddl_cases.py.
constexpr std::uint64_t kNt = 5;
constexpr std::array kAbsoluteAliases{
    SidAlias{"WD", Sid::make(1, {0})},
    SidAlias{"CO", Sid::make(3, {0})},
    SidAlias{"CG", Sid::make(3, {1})},
    SidAlias{"OW", Sid::make(3, {4})},
    SidAlias{"NU", Sid::make(kNt, {2})},
    SidAlias{"IU", Sid::make(kNt, {4})},
    SidAlias{"SU", Sid::make(kNt, {6})},
    SidAlias{"AN", Sid::make(kNt, {7})},
    SidAlias{"ED", Sid::make(kNt, {9})},
    SidAlias{"PS", Sid::make(kNt, {10})},
    SidAlias{"AU", Sid::make(kNt, {11})},
    SidAlias{"RC", Sid::make(kNt, {12})},
    SidAlias{"SY", Sid::make(kNt, {18})},
    SidAlias{"LS", Sid::make(kNt, {19})},
    SidAlias{"NS", Sid::make(kNt, {20})},
    SidAlias{"WR", Sid::make(kNt, {33})},
    SidAlias{"BA", Sid::make(kNt, {32, 544})},
    SidAlias{"BU", Sid::make(kNt, {32, 545})},
    SidAlias{"BG", Sid::make(kNt, {32, 546})},
    SidAlias{"PU", Sid::make(kNt, {32, 547})},
    SidAlias{"AO", Sid::make(kNt, {32, 548})},
    SidAlias{"SO", Sid::make(kNt, {32, 549})},
    SidAlias{"PO", Sid::make(kNt, {32, 550})},
    SidAlias{"BO", Sid::make(kNt, {32, 551})},
    SidAlias{"RE", Sid::make(kNt, {32, 552})},
    SidAlias{"RU", Sid::make(kNt, {32, 554})},
    SidAlias{"RD", Sid::make(kNt, {32, 555})},
    SidAlias{"NO", Sid::make(kNt, {32, 556})},
    SidAlias{"MU", Sid::make(kNt, {32, 558})},
    SidAlias{"LU", Sid::make(kNt, {32, 559})},
    SidAlias{"IS", Sid::make(kNt, {32, 568})},
    SidAlias{"CY", Sid::make(kNt, {32, 569})},
    SidAlias{"ER", Sid::make(kNt, {32, 573})},
    SidAlias{"CD", Sid::make(kNt, {32, 574})},
    SidAlias{"RA", Sid::make(kNt, {32, 575})},
    SidAlias{"ES", Sid::make(kNt, {32, 576})},
    SidAlias{"MS", Sid::make(kNt, {32, 577})},
    SidAlias{"HA", Sid::make(kNt, {32, 578})},
    SidAlias{"AA", Sid::make(kNt, {32, 579})},
    SidAlias{"RM", Sid::make(kNt, {32, 580})},
    SidAlias{"UD", Sid::make(kNt, {84, 0, 0, 0, 0, 0})},
    SidAlias{"AC", Sid::make(15, {2, 1})},
    SidAlias{"LW", Sid::make(16, {4096})},
    SidAlias{"ME", Sid::make(16, {8192})},
    SidAlias{"MP", Sid::make(16, {8448})},
    SidAlias{"HI", Sid::make(16, {12288})},
    SidAlias{"SI", Sid::make(16, {16384})},
    SidAlias{"AS", Sid::make(18, {1})},
    SidAlias{"SS", Sid::make(18, {2})},
};

struct RidAlias {
  const char* code;
  std::uint32_t rid;
};

// Domain-relative aliases. Samba distinguishes machine, domain and forest SIDs but as_sddl()
// passes the one domain SID for all three, so they all resolve against it.
constexpr std::array kDomainAliases{
    RidAlias{"RO", 498}, RidAlias{"LA", 500}, RidAlias{"LG", 501}, RidAlias{"DA", 512},
    RidAlias{"DU", 513}, RidAlias{"DG", 514}, RidAlias{"DC", 515}, RidAlias{"DD", 516},
    RidAlias{"CA", 517}, RidAlias{"SA", 518}, RidAlias{"EA", 519}, RidAlias{"PA", 520},
    RidAlias{"CN", 522}, RidAlias{"AP", 525}, RidAlias{"KA", 526}, RidAlias{"EK", 527},
    RidAlias{"RS", 553},
};

struct FlagName {
  const char* name;
  std::uint32_t flag;
};

// Samba 4.17's ace_access_mask order (not bit order).
constexpr std::array kRightNames{
    FlagName{"RP", 0x00000010}, FlagName{"WP", 0x00000020}, FlagName{"CR", 0x00000100},
    FlagName{"CC", 0x00000001}, FlagName{"DC", 0x00000002}, FlagName{"LC", 0x00000004},
    FlagName{"LO", 0x00000080}, FlagName{"RC", 0x00020000}, FlagName{"WO", 0x00080000},
    FlagName{"WD", 0x00040000}, FlagName{"SD", 0x00010000}, FlagName{"DT", 0x00000040},
    FlagName{"SW", 0x00000008}, FlagName{"GA", 0x10000000}, FlagName{"GR", 0x80000000},
    FlagName{"GW", 0x40000000}, FlagName{"GX", 0x20000000},
};

constexpr std::array kAceFlagNames{
    FlagName{"OI", 0x01}, FlagName{"CI", 0x02}, FlagName{"NP", 0x04}, FlagName{"IO", 0x08},
    FlagName{"ID", 0x10}, FlagName{"SA", 0x40}, FlagName{"FA", 0x80},
};

constexpr std::array kAclFlagNames{
    FlagName{"P", kSeDaclProtected},
    FlagName{"AR", kSeDaclAutoInheritReq},
    FlagName{"AI", kSeDaclAutoInherited},
};

void appendHex(std::string& out, std::span<const std::uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "0x";
  for (std::uint8_t b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
}

void appendAceType(std::string& out, AceType t) {
  switch (t) {
    case AceType::kAccessAllowed:
      out += "A";
      return;
    case AceType::kAccessDenied:
      out += "D";
      return;
    case AceType::kSystemAudit:
      out += "AU";
      return;
    case AceType::kSystemAlarm:
      out += "AL";
      return;
    case AceType::kAccessAllowedObject:
      out += "OA";
      return;
    case AceType::kAccessDeniedObject:
      out += "OD";
      return;
    case AceType::kSystemAuditObject:
      out += "OU";
      return;
    case AceType::kSystemAlarmObject:
      out += "OL";
      return;
    // Not rendered by Samba 4.17: MS-DTYP 2.5.1.1 letters.
    case AceType::kAccessAllowedCallback:
      out += "XA";
      return;
    case AceType::kAccessDeniedCallback:
      out += "XD";
      return;
    case AceType::kAccessAllowedCallbackObject:
      out += "ZA";
      return;
    case AceType::kSystemAuditCallback:
      out += "XU";
      return;
    case AceType::kSystemMandatoryLabel:
      out += "ML";
      return;
    case AceType::kSystemResourceAttribute:
      out += "RA";
      return;
    case AceType::kSystemScopedPolicyId:
      out += "SP";
      return;
    default:
      break;
  }
  const std::uint8_t v = static_cast<std::uint8_t>(t);
  appendHex(out, std::span<const std::uint8_t>(&v, 1));
}

void appendAceFlags(std::string& out, std::uint8_t flags) {
  std::uint8_t left = flags;
  for (const auto& f : kAceFlagNames) {
    if ((flags & f.flag) != 0) {
      out += f.name;
      left = static_cast<std::uint8_t>(left & ~f.flag);
    }
  }
  if (left != 0) appendHex(out, std::span<const std::uint8_t>(&left, 1));  // Samba fails here
}

void appendSid(std::string& out, const Sid& sid, const Sid& domainSid) {
  const std::size_t count = sid.subAuthorityCount();
  for (const auto& a : kAbsoluteAliases) {
    if (a.sid.subAuthorityCount() == count && a.sid == sid) {
      out += a.code;
      return;
    }
  }
  if (sid.isDomainSid(domainSid)) {
    const std::uint32_t rid = sid.rid();
    for (const auto& a : kDomainAliases) {
      if (a.rid == rid) {
        out += a.code;
        return;
      }
    }
  }
  out += sid.toString();
}

// What the renderer needs from an ACE, from either representation.
struct AceFields {
  AceType type;
  std::uint8_t flags;
  std::uint32_t mask;
  std::optional<Guid> objectType;
  std::optional<Guid> inheritedObjectType;
  std::optional<Sid> sid;
  std::span<const std::uint8_t> trailing;
  std::span<const std::uint8_t> body;  // unknown layout
};

AceFields fieldsOf(const AceView& v) {
  AceFields f{v.type(),     v.flags(),    v.mask(), v.objectType(), v.inheritedObjectType(),
              std::nullopt, v.trailing(), {}};
  if (v.hasSid()) {
    f.sid = v.sid().toSid();
  } else {
    f.body = v.raw().subspan(4);
  }
  return f;
}

AceFields fieldsOf(const Ace& a) {
  return AceFields{a.type, a.flags,    a.mask, a.objectType, a.inheritedObjectType,
                   a.sid,  a.trailing, a.body};
}

void appendAce(std::string& out, const AceFields& a, const Sid& domainSid) {
  const AceLayout layout = aceLayout(a.type);
  appendAceType(out, a.type);
  out += ';';
  appendAceFlags(out, a.flags);
  out += ';';
  if (layout == AceLayout::kUnknown) {
    // Layout unknown: the mask would be a guess; show the raw bytes instead.
    out += ";;;;";
    if (!a.body.empty()) appendHex(out, a.body);
    return;
  }
  out += rightsToSddl(a.mask);
  out += ';';
  if (layout == AceLayout::kObject && a.objectType) out += a.objectType->toString();
  out += ';';
  if (layout == AceLayout::kObject && a.inheritedObjectType)
    out += a.inheritedObjectType->toString();
  out += ';';
  if (a.sid) appendSid(out, *a.sid, domainSid);
  const bool carriesData = isCallbackAce(a.type) || a.type == AceType::kSystemResourceAttribute;
  if (carriesData && !a.trailing.empty()) {
    out += ';';
    appendHex(out, a.trailing);
  }
}

void appendAclFlags(std::string& out, std::uint32_t flags) {
  for (const auto& f : kAclFlagNames)
    if ((flags & f.flag) != 0) out += f.name;
}

}  // namespace

std::string rightsToSddl(std::uint32_t mask) {
  for (const auto& r : kRightNames)
    if (r.flag == mask) return r.name;
  std::string out;
  std::uint32_t left = mask;
  for (const auto& r : kRightNames) {
    if ((mask & r.flag) != 0) {
      out += r.name;
      left &= ~r.flag;
    }
  }
  if (left != 0) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", mask);
    return buf;
  }
  return out;
}

std::string sidToSddl(const Sid& sid, const Sid& domainSid) {
  std::string out;
  appendSid(out, sid, domainSid);
  return out;
}

std::string aceToSddl(const AceView& ace, const Sid& domainSid) {
  std::string out;
  appendAce(out, fieldsOf(ace), domainSid);
  return out;
}

std::string aceToSddl(const Ace& ace, const Sid& domainSid) {
  std::string out;
  appendAce(out, fieldsOf(ace), domainSid);
  return out;
}

std::string toSddl(const SecurityDescriptorView& sd, const Sid& domainSid) {
  std::string out;
  out.reserve(sd.bytes().size() * 2);
  if (auto o = sd.owner()) {
    out += "O:";
    appendSid(out, o->toSid(), domainSid);
  }
  if (auto g = sd.group()) {
    out += "G:";
    appendSid(out, g->toSid(), domainSid);
  }
  auto appendAcl = [&](const AclView& acl, std::uint32_t flags) {
    appendAclFlags(out, flags);
    for (AceView ace : acl) {
      out += '(';
      appendAce(out, fieldsOf(ace), domainSid);
      out += ')';
    }
  };
  if (const AclView* d = sd.dacl()) {
    out += "D:";
    appendAcl(*d, sd.control());
  }
  if (const AclView* s = sd.sacl()) {
    out += "S:";
    // Samba shifts the control word right by one: the SACL flags sit one bit above the DACL's.
    appendAcl(*s, static_cast<std::uint32_t>(sd.control()) >> 1);
  }
  return out;
}

namespace {

class SddlParser {
 public:
  SddlParser(std::string_view text, const Sid& domainSid) : s_(text), domain_(domainSid) {}

  Result<SecurityDescriptor> run() {
    SecurityDescriptor sd;
    sd.control = kSeSelfRelative;
    while (pos_ < s_.size()) {
      if (s_.size() - pos_ < 2 || s_[pos_ + 1] != ':') return error("expected O:, G:, D: or S:");
      const char part = s_[pos_];
      pos_ += 2;
      if (part == 'O' || part == 'G') {
        auto sid = parseSid();
        if (!sid) return fail(sid.error());
        (part == 'O' ? sd.owner : sd.group) = *sid;
      } else if (part == 'D' || part == 'S') {
        Acl acl;
        std::uint16_t flags = 0;
        while (pos_ < s_.size() && s_[pos_] != '(' && !(pos_ + 1 < s_.size() && s_[pos_ + 1] == ':')) {
          if (s_.substr(pos_, 2) == "AR") {
            flags |= kSeDaclAutoInheritReq;
            pos_ += 2;
          } else if (s_.substr(pos_, 2) == "AI") {
            flags |= kSeDaclAutoInherited;
            pos_ += 2;
          } else if (s_[pos_] == 'P') {
            flags |= kSeDaclProtected;
            ++pos_;
          } else {
            return error("unknown ACL flag");
          }
        }
        while (pos_ < s_.size() && s_[pos_] == '(') {
          auto ace = parseAce(part == 'S');
          if (!ace) return fail(ace.error());
          if (part == 'D') acl.aces.push_back(std::move(*ace));
        }
        if (part == 'D') {
          sd.control = static_cast<std::uint16_t>(sd.control | flags | kSeDaclPresent);
          sd.dacl = std::move(acl);
        }
      } else {
        return error("expected O:, G:, D: or S:");
      }
    }
    return sd;
  }

 private:
  std::unexpected<Error> error(std::string_view what) const {
    return fail(ErrorCode::kParse,
                "SDDL at position " + std::to_string(pos_) + ": " + std::string(what),
                "the schema's defaultSecurityDescriptor should be plain SDDL");
  }

  // Up to the next ';' or ')'.
  std::string_view field() {
    const auto start = pos_;
    while (pos_ < s_.size() && s_[pos_] != ';' && s_[pos_] != ')') ++pos_;
    return s_.substr(start, pos_ - start);
  }

  Result<Sid> sidFrom(std::string_view text) {
    if (text.starts_with("S-")) {
      auto sid = Sid::fromString(text);
      if (!sid) return error("bad SID '" + std::string(text) + "'");
      return *sid;
    }
    for (const auto& a : kAbsoluteAliases)
      if (text == a.code) return a.sid;
    for (const auto& a : kDomainAliases)
      if (text == a.code) {
        auto sid = Sid::fromString(domain_.toString() + "-" + std::to_string(a.rid));
        if (!sid) return error("domain SID unknown for alias '" + std::string(text) + "'");
        return *sid;
      }
    return error("unknown SID alias '" + std::string(text) + "'");
  }

  // An owner or group: "S-1-..." up to the next part, or a two-letter alias.
  Result<Sid> parseSid() {
    const auto start = pos_;
    if (s_.substr(pos_, 2) == "S-") {
      pos_ += 2;
      while (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '-'))
        ++pos_;
    } else {
      pos_ = std::min(s_.size(), pos_ + 2);
    }
    return sidFrom(s_.substr(start, pos_ - start));
  }

  Result<std::uint32_t> rights(std::string_view text) {
    if (text.starts_with("0x") || text.starts_with("0X")) {
      std::uint32_t v = 0;
      if (text.size() < 3 || text.size() > 10) return error("bad hex rights");
      for (char c : text.substr(2)) {
        const int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                      : (c >= 'a' && c <= 'f')                     ? c - 'a' + 10
                      : (c >= 'A' && c <= 'F')                     ? c - 'A' + 10
                                                                   : -1;
        if (d < 0) return error("bad hex rights");
        v = v * 16 + static_cast<std::uint32_t>(d);
      }
      return v;
    }
    std::uint32_t mask = 0;
    for (std::size_t i = 0; i < text.size(); i += 2) {
      auto code = text.substr(i, 2);
      bool found = false;
      for (const auto& r : kRightNames)
        if (code == r.name) {
          mask |= r.flag;
          found = true;
        }
      // File-style aliases Windows' defaults use for the standard rights.
      if (code == "FA") mask |= 0x1F01FF, found = true;
      if (code == "KA") mask |= 0xF003F, found = true;
      if (!found) return error("unknown right '" + std::string(code) + "'");
    }
    return mask;
  }

  Result<Ace> parseAce(bool sacl) {
    ++pos_;  // '('
    Ace ace;
    auto type = field();
    if (type == "A") ace.type = AceType::kAccessAllowed;
    else if (type == "D") ace.type = AceType::kAccessDenied;
    else if (type == "OA") ace.type = AceType::kAccessAllowedObject;
    else if (type == "OD") ace.type = AceType::kAccessDeniedObject;
    else if (sacl && (type == "AU" || type == "OU" || type == "AL" || type == "OL"))
      ace.type = type[0] == 'O' ? AceType::kSystemAuditObject : AceType::kSystemAudit;
    else return error("unsupported ACE type '" + std::string(type) + "'");
    std::string_view parts[5];
    for (auto& part : parts) {
      if (pos_ >= s_.size() || s_[pos_] != ';') return error("ACE has too few fields");
      ++pos_;
      part = field();
    }
    if (pos_ >= s_.size() || s_[pos_] != ')') return error("ACE not closed");
    ++pos_;
    for (std::size_t i = 0; i < parts[0].size(); i += 2) {
      auto code = parts[0].substr(i, 2);
      bool found = false;
      for (const auto& f : kAceFlagNames)
        if (code == f.name) {
          ace.flags = static_cast<std::uint8_t>(ace.flags | f.flag);
          found = true;
        }
      if (!found) return error("unknown ACE flag '" + std::string(code) + "'");
    }
    auto mask = rights(parts[1]);
    if (!mask) return fail(mask.error());
    ace.mask = *mask;
    const bool object = aceLayout(ace.type) == AceLayout::kObject;
    for (int g = 0; g < 2; ++g) {
      if (parts[2 + g].empty()) continue;
      if (!object) return error("object GUID on a non-object ACE");
      auto guid = Guid::fromString(parts[2 + g]);
      if (!guid) return error("bad GUID '" + std::string(parts[2 + g]) + "'");
      (g == 0 ? ace.objectType : ace.inheritedObjectType) = *guid;
    }
    auto sid = sidFrom(parts[4]);
    if (!sid) return fail(sid.error());
    ace.sid = *sid;
    return ace;
  }

  std::string_view s_;
  const Sid& domain_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<SecurityDescriptor> parseSddl(std::string_view sddl, const Sid& domainSid) {
  return SddlParser(sddl, domainSid).run();
}

std::string toSddl(const SecurityDescriptor& sd, const Sid& domainSid) {
  std::string out;
  if (sd.owner) {
    out += "O:";
    appendSid(out, *sd.owner, domainSid);
  }
  if (sd.group) {
    out += "G:";
    appendSid(out, *sd.group, domainSid);
  }
  auto appendAcl = [&](const Acl& acl, std::uint32_t flags) {
    appendAclFlags(out, flags);
    for (const Ace& ace : acl.aces) {
      out += '(';
      appendAce(out, fieldsOf(ace), domainSid);
      out += ')';
    }
  };
  if (sd.dacl) {
    out += "D:";
    appendAcl(*sd.dacl, sd.control);
  }
  if (sd.sacl) {
    out += "S:";
    appendAcl(*sd.sacl, static_cast<std::uint32_t>(sd.control) >> 1);
  }
  return out;
}

}  // namespace adcheck::security
