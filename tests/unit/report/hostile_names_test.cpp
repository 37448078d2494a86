// Hostile AD names through every report format (issue 13, sections 1 and 2).
//
// The remediation scripts are run by domain administrators, so the PowerShell files are checked the
// way Windows PowerShell 5.1 reads them: a BOM-less .ps1 is decoded in the system ANSI code page
// (cp1252 in the west, cp1251 for Cyrillic systems), or as UTF-8 by PowerShell 7. A PowerShell
// tokenizer written from the language specification (about_Quoting_Rules, about_Comments and the
// Windows PowerShell Language Specification 3.0, section 2.3: single-quoted strings end on ' and
// U+2018..U+201B, double-quoted ones on " and U+201C..U+201E, backtick escapes, # and <# #>
// comments, here-strings) splits each decoding into code, literals and comments. The code part of
// a script built from hostile names must be exactly the code part of the same script built from
// harmless names (so no byte of a name ever becomes code), in every decoding.
#include <Poco/Base64Decoder.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>
#include <iconv.h>

#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "adcheck/report/model.h"
#include "adcheck/report/report.h"
#include "adcheck/store/sqlite_store.h"
#include "sd_builder.h"

namespace adcheck::report {
namespace {

namespace sb = security::testing;

const std::string kOu = ",OU=Hostile,OU=Lab,DC=t,DC=example";

// Relative DNs as a DC (or an LDIF snapshot) may return them. Each breaks some decoder or quoting.
std::vector<std::string> hostileRdns() {
  using namespace std::string_literals;
  return {
      "CN=\xD1\x82\\; Start-Process calc\\; #",                // т = D1 82: 0x82 is cp1252 U+201A
      "CN=\xD1\x91\xD0\x81 \xD1\x82\xD0\xB5\xD1\x81\xD1\x82",  // ё (D1 91), Ё: 0x91 is cp1252
                                                               // U+2018
      "CN=\xC3\x92scar \xC3\x82lvarez'; Start-Process calc; '",  // Ò (C3 92), Â (C3 82): Latin-1
      "CN=[B]ob*?",                                              // wildcards for -Path
      "CN=\xE2\x80\x98\xE2\x80\x99\xE2\x80\x9A\xE2\x80\x9B; Start-Process calc; \xE2\x80\x99",
      "CN=\xE2\x80\x9C\xE2\x80\x9D\xE2\x80\x9E $(Start-Process calc) \\\"q\\\"",  // double quotes
      "CN=`$(Start-Process calc)` ${env:PATH} `'",                                // backtick, $()
      "CN=line\nStart-Process calc\r\n# x\r\tb",                                  // LF, CR, TAB
      "CN=nul\0'; Start-Process calc; '"s,                                        // NUL from LDIF
      // Invalid UTF-8: a truncated U+2019 whose third byte is a quote, a lone lead byte, FF FE,
      // an encoded surrogate, an overlong '/'.
      "CN=bad \xE2\x80'; Start-Process calc; ' \xC3 \xFF\xFE \xED\xA0\x80 \xC0\xAF",
      "CN=emoji \xF0\x9F\x98\x80' \xF0\x9F\x92\xA3",  // 4-byte UTF-8
      "CN=rtl \xE2\x80\xAEsp1.exe",                   // RIGHT-TO-LEFT OVERRIDE
      "CN=<# block #> @' here '@ @\" here \"@",       // comment and here-string marks
      "CN=\\<img src\\3Dx onerror\\3Dalert(1)\\>",
  };
}

// Harmless names, one per hostile one, so the two scripts have the same shape.
std::vector<std::string> plainRdns() {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < hostileRdns().size(); ++i)
    out.push_back("CN=User" + std::to_string(i));
  return out;
}

std::string guidOf(std::size_t i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012zx", (i + 1) & 0xFFFFFF);
  return buf;
}

sb::Bytes protectedDacl() {
  return sb::daclOnly(
      {sb::ace(0x00, 0, 0x20094, sb::sid(5, {10})), sb::ace(0x01, 0, 0x1, sb::sid(1, {0})),
       sb::ace(0x00, 0, 0xF01FF, sb::sid(5, {18}))},
      0x1400);
}

std::string validText(const std::string& s);

// Each name gets one scripted kind (inheritance, orphaned adminCount with a protected DACL, an
// explicit deny) and carries hostile text in every free-text field: sAMAccountName, summary,
// remediation, the finding key (so the fingerprint holds it too) and an evidence value.
std::vector<scan::Finding> findingsFor(const std::vector<std::string>& rdns) {
  std::vector<scan::Finding> v;
  for (std::size_t i = 0; i < rdns.size(); ++i) {
    scan::Finding f;
    f.dn = rdns[i] + kOu;
    f.objectGuid = guidOf(i);
    f.samAccountName = rdns[i].substr(3);
    f.summary = "summary of " + rdns[i];
    f.remediation = "fix " + rdns[i];
    f.details->set("descriptor", detail::base64(protectedDacl()));
    // (Valid UTF-8 here: the store keeps details as JSON, which cannot hold invalid bytes.)
    f.details->set("note", validText(rdns[i]));
    switch (i % 3) {
      case 0:
        f.rule = "EAS-INHERITANCE-DISABLED";
        f.severity = scan::Severity::kMedium;
        break;
      case 1:
        f.rule = "ADM-ORPHANED-ADMINCOUNT";
        f.severity = scan::Severity::kMedium;
        f.details->set("daclProtected", true);
        f.details->set("adminCount", 1);
        break;
      default:
        f.rule = "EAS-DEVICE-RIGHTS-MISSING";
        f.severity = scan::Severity::kHigh;
        f.details->set("cause", "deny-ace");
        f.details->set("ace", "(D;;CC;;;WD)");
        f.details->set("aceIndex", 1);
        break;
    }
    v.push_back(f);
    // Advice only (protected group), with the name in the key: it reaches a comment and the
    // fingerprint.
    scan::Finding a = f;
    a.rule = "EAS-DEVICE-RIGHTS-MISSING";
    a.key = "key " + rdns[i];
    a.details = new Poco::JSON::Object;
    a.details->set("cause", "protected-group");
    v.push_back(a);
  }
  return v;
}

class HostileReport {
 public:
  HostileReport(const std::string& tag, const std::vector<std::string>& rdns) {
    dir_ = std::filesystem::temp_directory_path() /
           ("adcheck-hostile-" + tag + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store::SqliteOptions o;
    o.path = (dir_ / "s.sqlite").string();
    auto s = store::openSqliteStore(o);
    if (!s) throw std::runtime_error(s.error().toString());
    store_ = std::move(*s);
    std::vector<std::string> rules = {"EAS-INHERITANCE-DISABLED", "EAS-DEVICE-RIGHTS-MISSING",
                                      "ADM-ORPHANED-ADMINCOUNT"};
    auto id = store_->beginScan("ldap://dc1.t.example", rules);
    if (!id) throw std::runtime_error(id.error().toString());
    scan::ScanSummary sum;
    sum.status = scan::ScanStatus::kCompleted;
    sum.target = "ldap://dc1.t.example";
    sum.started = 1704067200;
    sum.finished = sum.started + 10;
    sum.rulesRun = rules;
    auto st = store_->finishScan(*id, sum, findingsFor(rdns));
    if (!st) throw std::runtime_error(st.error().toString());
  }
  ~HostileReport() {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string render(Format f) {
    ReportRequest r;
    r.format = f;
    r.now = 1704153600;
    auto out = report::render(*store_, r);
    if (!out) throw std::runtime_error(out.error().toString());
    return out->content;
  }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
};

// --- decoding as the PowerShell host would -------------------------------------------------------

void appendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// UTF-8 as .NET decodes it: every invalid sequence becomes U+FFFD.
std::u32string decodeUtf8(const std::string& s) {
  std::u32string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80             ? 1
                    : (b & 0xE0) == 0xC0 ? 2
                    : (b & 0xF0) == 0xE0 ? 3
                    : (b & 0xF8) == 0xF0 ? 4
                                         : 0;
    char32_t c = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
    bool ok = n > 0 && i + n <= s.size();
    for (std::size_t k = 1; ok && k < n; ++k) {
      const auto t = static_cast<unsigned char>(s[i + k]);
      ok = (t & 0xC0) == 0x80;
      c = (c << 6) | (t & 0x3F);
    }
    if (ok && n > 1) {
      static const char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = c >= kMin[n] && c <= 0x10FFFF && !(c >= 0xD800 && c <= 0xDFFF);
    }
    if (!ok) {
      out += U'\uFFFD';
      ++i;
      continue;
    }
    out += c;
    i += n;
  }
  return out;
}

// A single-byte ANSI code page through glibc's iconv; a byte the code page leaves undefined is
// read as the C1 control of the same value, as Windows' best-fit tables do.
std::u32string decodeCodePage(const std::string& s, const char* codePage) {
  iconv_t cd = iconv_open("UTF-32LE", codePage);
  if (cd == reinterpret_cast<iconv_t>(-1))
    throw std::runtime_error(std::string("no iconv for ") + codePage);
  std::u32string out;
  for (unsigned char b : s) {
    char in[1] = {static_cast<char>(b)};
    char32_t c = 0;
    char* ip = in;
    char* op = reinterpret_cast<char*>(&c);
    std::size_t il = 1, ol = sizeof c;
    if (iconv(cd, &ip, &il, &op, &ol) == static_cast<std::size_t>(-1)) c = b;
    out += c;
  }
  iconv_close(cd);
  return out;
}

// --- a PowerShell tokenizer for strings and comments ---------------------------------------------

bool singleQuote(char32_t c) { return c == U'\'' || (c >= 0x2018 && c <= 0x201B); }
bool doubleQuote(char32_t c) { return c == U'"' || (c >= 0x201C && c <= 0x201E); }
bool newline(char32_t c) { return c == U'\n' || c == U'\r'; }
bool space(char32_t c) { return c == U' ' || c == U'\t' || c == 0xA0 || c == 0x0B || c == 0x0C; }

struct Lexed {
  std::u32string skeleton;               // code as is; each literal "'S'", each comment "#C"
  std::vector<std::u32string> literals;  // values of the single-quoted literals, in order
  std::vector<std::u32string> comments;
  bool unterminated = false;
};

// Conservative where PowerShell's rule depends on context: '#' starts a comment only at the start
// of a line or after white space (elsewhere it may be part of a word: then it stays code, which the
// comparison below sees), and a backtick in code escapes the next character.
Lexed lex(const std::u32string& s) {
  Lexed r;
  std::size_t i = 0;
  auto atTokenStart = [&](std::size_t p) { return p == 0 || newline(s[p - 1]) || space(s[p - 1]); };
  while (i < s.size()) {
    const char32_t c = s[i];
    if (c == U'`' && i + 1 < s.size()) {
      r.skeleton += s.substr(i, 2);
      i += 2;
    } else if (c == U'<' && i + 1 < s.size() && s[i + 1] == U'#') {
      auto end = s.find(U"#>", i + 2);
      if (end == std::u32string::npos) {
        r.unterminated = true;
        return r;
      }
      r.comments.push_back(s.substr(i + 2, end - i - 2));
      r.skeleton += U"#C";
      i = end + 2;
    } else if (c == U'#' && atTokenStart(i)) {
      std::size_t end = i;
      while (end < s.size() && !newline(s[end])) ++end;
      r.comments.push_back(s.substr(i + 1, end - i - 1));
      r.skeleton += U"#C";
      i = end;
    } else if (c == U'@' && i + 1 < s.size() && (singleQuote(s[i + 1]) || doubleQuote(s[i + 1]))) {
      // Here-string: runs to a line starting with the closing quote and '@'.
      const bool single = singleQuote(s[i + 1]);
      std::size_t p = i + 2;
      for (;; ++p) {
        if (p + 2 >= s.size()) {
          r.unterminated = true;
          return r;
        }
        if (newline(s[p]) && (single ? singleQuote(s[p + 1]) : doubleQuote(s[p + 1])) &&
            s[p + 2] == U'@')
          break;
      }
      if (single) r.literals.push_back(s.substr(i + 2, p - i - 2));
      r.skeleton += single ? U"'S'" : s.substr(i, p + 3 - i);
      i = p + 3;
    } else if (singleQuote(c)) {
      std::u32string value;
      std::size_t p = i + 1;
      for (;; ++p) {
        if (p >= s.size()) {
          r.unterminated = true;
          return r;
        }
        if (singleQuote(s[p])) {
          if (p + 1 < s.size() && singleQuote(s[p + 1])) {  // doubled: one quote
            value += s[p];
            ++p;
            continue;
          }
          break;
        }
        value += s[p];
      }
      r.literals.push_back(value);
      r.skeleton += U"'S'";
      i = p + 1;
    } else if (doubleQuote(c)) {
      // Expandable: its $variables and $(...) are code, so it stays in the skeleton as it is.
      std::size_t p = i + 1;
      for (;; ++p) {
        if (p >= s.size()) {
          r.unterminated = true;
          return r;
        }
        if (s[p] == U'`') {
          ++p;
          continue;
        }
        if (doubleQuote(s[p])) {
          if (p + 1 < s.size() && doubleQuote(s[p + 1])) {
            ++p;
            continue;
          }
          break;
        }
      }
      r.skeleton += s.substr(i, p + 1 - i);
      i = p + 1;
    } else {
      r.skeleton += c;
      ++i;
    }
  }
  return r;
}

std::string narrow(const std::u32string& s) {
  std::string out;
  for (char32_t c : s) appendUtf8(out, c);
  return out;
}

std::string validText(const std::string& s) { return narrow(decodeUtf8(s)); }

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// "" when `text` is not base64 (the scripts' other literals: 'Stop', a GUID, messages).
std::string unb64(const std::string& text) {
  try {
    std::istringstream in(text);
    Poco::Base64Decoder dec(in);
    return std::string((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
  } catch (const std::exception&) {
    return "";
  }
}

bool printableAscii(const std::string& text, std::string& where) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b == 0x09 || b == 0x0A || b == 0x0D || (b >= 0x20 && b <= 0x7E)) continue;
    where = "byte 0x" +
            [&] {
              char h[3];
              std::snprintf(h, sizeof h, "%02X", b);
              return std::string(h);
            }() +
            " at " + std::to_string(i) + ": ..." + text.substr(i < 60 ? 0 : i - 60, 80);
    return false;
  }
  return true;
}

// Per-object blocks of a lexed script's skeleton, keyed by the object's GUID (the order of the
// blocks follows the names, which differ between the two stores).
std::map<std::string, std::string> blocksByGuid(const std::string& skeleton,
                                                const std::string& script) {
  std::map<std::string, std::string> out;
  std::regex guid("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  // The n-th block of the skeleton belongs to the n-th GUID assignment of the script.
  std::vector<std::string> guids;
  for (const auto& l : lines(script)) {
    std::smatch m;
    if (l.rfind("$guid = ", 0) == 0 && std::regex_search(l, m, guid)) guids.push_back(m.str());
  }
  // Comment-only and empty lines carry no code (their number is compared on its own); a block
  // starts at "$dn = ", the footer at the skipped count.
  std::vector<std::string> blocks(1);
  std::string footer;
  bool inFooter = false;
  for (const auto& l : lines(skeleton)) {
    if (l.empty() || l == "#C") continue;
    if (l.rfind("if ($skipped -gt 0)", 0) == 0) inFooter = true;
    if (inFooter) {
      footer += l + "\n";
      continue;
    }
    if (l.rfind("$dn = ", 0) == 0) blocks.emplace_back();
    blocks.back() += l + "\n";
  }
  out["(header)"] = blocks.front();
  out["(footer)"] = footer;
  for (std::size_t b = 1; b < blocks.size() && b - 1 < guids.size(); ++b)
    out[guids[b - 1]] = blocks[b];
  out["(count)"] = std::to_string(guids.size());
  out["(blocks)"] = std::to_string(blocks.size() - 1);
  return out;
}

TEST(HostileNames, ScriptsArePureAsciiAndNoNameBecomesCodeInAnyCodePage) {
  HostileReport hostile("h", hostileRdns());
  HostileReport plain("p", plainRdns());
  for (Format f : {Format::kPs1, Format::kPs1Revert}) {
    SCOPED_TRACE(std::string(formatName(f)));
    const std::string ps = hostile.render(f);
    const std::string ref = plain.render(f);
    std::string where;
    EXPECT_TRUE(printableAscii(ps, where)) << where;
    const Lexed expected = lex(decodeUtf8(ref));
    ASSERT_FALSE(expected.unterminated);
    const auto expectedBlocks = blocksByGuid(narrow(expected.skeleton), ref);
    ASSERT_EQ(expectedBlocks.at("(count)"), std::to_string(hostileRdns().size()));
    for (const char* cp : {"UTF-8", "CP1252", "CP1251"}) {
      SCOPED_TRACE(cp);
      const std::u32string text =
          std::string(cp) == "UTF-8" ? decodeUtf8(ps) : decodeCodePage(ps, cp);
      const Lexed got = lex(text);
      ASSERT_FALSE(got.unterminated) << "a literal or comment never ends";
      EXPECT_EQ(got.comments.size(), expected.comments.size());
      const auto gotBlocks = blocksByGuid(narrow(got.skeleton), ps);
      EXPECT_EQ(gotBlocks.size(), expectedBlocks.size());
      for (const auto& [key, code] : expectedBlocks) {
        ASSERT_TRUE(gotBlocks.contains(key)) << key;
        EXPECT_EQ(gotBlocks.at(key), code) << "code differs in " << key;
      }
      // And plainly: no fragment of a name's payload is code.
      for (const char* payload : {"Start-Process", "calc", "PATH", "alert"})
        EXPECT_EQ(narrow(got.skeleton).find(payload), std::string::npos) << payload;
    }
    // Every name is in the script byte for byte, invalid UTF-8 included: some literal is the
    // base64 of the DN's bytes. (The store ends a DN at a NUL byte: the store's business.)
    std::set<std::string> decoded;
    for (const auto& lit : lex(decodeUtf8(ps)).literals) decoded.insert(unb64(narrow(lit)));
    for (const auto& rdn : hostileRdns()) {
      const std::string dn = rdn + kOu;
      if (dn.find('\0') == std::string::npos) {
        EXPECT_TRUE(decoded.contains(dn)) << dn;
      }
    }
  }
}

TEST(HostileNames, LdifIsAsciiAddressesObjectsByGuidAndKeepsEveryByte) {
  HostileReport hostile("l", hostileRdns());
  for (Format f : {Format::kLdif, Format::kLdifRevert}) {
    SCOPED_TRACE(std::string(formatName(f)));
    const std::string ldif = hostile.render(f);
    std::string where;
    EXPECT_TRUE(printableAscii(ldif, where)) << where;
    std::size_t records = 0;
    for (const auto& l : lines(ldif)) {
      if (l.empty() || l[0] == '#' || l == "version: 1" || l == "-") continue;
      if (l.rfind("dn", 0) == 0) {
        ++records;
        // RFC 4514 extended form AD accepts in modify requests: the object, wherever it is now.
        EXPECT_TRUE(std::regex_match(l, std::regex("dn: <GUID=[0-9a-f-]{36}>"))) << l;
        continue;
      }
      // Every other line is an LDIF directive or an attribute line from a fixed set.
      EXPECT_TRUE(std::regex_match(l, std::regex("(changetype: modify|(replace|delete): "
                                                 "(adminCount|nTSecurityDescriptor)|adminCount: 1|"
                                                 "nTSecurityDescriptor:: [A-Za-z0-9+/=]+)")))
          << l;
    }
    EXPECT_EQ(records, hostileRdns().size());
  }
}

TEST(HostileNames, CommandLinesUseTheGuidAndNoWildcardPath) {
  HostileReport hostile("c", hostileRdns());
  const std::string json = hostile.render(Format::kJson);
  auto root = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
  auto items = root->getArray("findings");
  std::size_t commands = 0;
  for (std::size_t i = 0; i < items->size(); ++i) {
    auto o = items->getObject(static_cast<unsigned>(i));
    const std::string cmd = o->getObject("fix")->getValue<std::string>("command");
    if (cmd.empty()) continue;
    ++commands;
    std::string where;
    EXPECT_TRUE(printableAscii(cmd, where)) << where;
    // -Path expands wildcards ([B]ob matches Bob): the object is named by its GUID, paths
    // literally.
    EXPECT_EQ(cmd.find("-Path "), std::string::npos) << cmd;
    bool code = false;
    for (const auto& l : lines(cmd)) code |= !l.empty() && l[0] != '#';
    if (code) {
      EXPECT_NE(cmd.find(o->getValue<std::string>("objectGuid")), std::string::npos) << cmd;
    }
    const Lexed lexed = lex(decodeUtf8(cmd));
    EXPECT_FALSE(lexed.unterminated) << cmd;
    for (const auto& lit : lexed.literals) {
      const std::string v = narrow(lit);
      EXPECT_TRUE(v == "AD:\\" || std::regex_match(v, std::regex("[0-9a-f-]{36}"))) << v;
    }
  }
  EXPECT_GE(commands, hostileRdns().size());
}

// HTML, CSV and JSON show names as text: valid UTF-8 out (an invalid byte is shown as U+FFFD, not
// dropped), markup escaped, nothing that ends the CSV cell or the JSON string.
TEST(HostileNames, HtmlCsvJsonShowEveryNameAsValidText) {
  HostileReport hostile("t", hostileRdns());
  for (Format f : {Format::kHtml, Format::kCsv, Format::kJson}) {
    SCOPED_TRACE(std::string(formatName(f)));
    const std::string text = hostile.render(f);
    const std::u32string decoded = decodeUtf8(text);
    EXPECT_EQ(narrow(decoded), text) << "not valid UTF-8";
    EXPECT_EQ(text.find('\0'), std::string::npos);
    if (f == Format::kHtml) {
      EXPECT_EQ(text.find("<img"), std::string::npos);
      EXPECT_EQ(text.find("<# block"), std::string::npos);
    }
  }
  // JSON keeps every valid name exactly (parsers see the same string the DC returned).
  auto root =
      Poco::JSON::Parser().parse(hostile.render(Format::kJson)).extract<Poco::JSON::Object::Ptr>();
  std::set<std::string> dns;
  auto items = root->getArray("findings");
  for (std::size_t i = 0; i < items->size(); ++i)
    dns.insert(items->getObject(static_cast<unsigned>(i))->getValue<std::string>("dn"));
  for (const auto& rdn : hostileRdns()) {
    const std::string dn = rdn + kOu;
    // (The store ends a DN at a NUL byte; that is the store's business, not the report's.)
    if (narrow(decodeUtf8(dn)) == dn && dn.find('\0') == std::string::npos) {
      EXPECT_TRUE(dns.contains(dn)) << rdn;
    }
  }
}

}  // namespace
}  // namespace adcheck::report
