#include "ldap/ldif.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "test_util.h"

namespace adcheck::ldap {
namespace {

using ::testing::HasSubstr;

std::string allBytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  return s;
}

std::vector<Entry> sampleEntries() {
  std::vector<Entry> out;
  Entry user("CN=Ann Example,OU=Sales,DC=corp,DC=example,DC=com");
  user.add("objectClass", std::vector<std::string>{"top", "person", "user"});
  user.add("nTSecurityDescriptor", std::string("\x01\x00\x04\x84\x00\x00\x00\x00", 8) + allBytes());
  user.add("objectGUID", std::string("\x00\x01\x02\xff\xfe\x0a\x0d\x20 ", 9));
  user.add("sAMAccountName", "ann");
  user.add("description", std::string(500, 'x') + " long value that must be folded");
  user.add("empty", "");
  user.add("userCertificate;binary", std::string("0\x82\x01\x0a", 4));
  out.push_back(user);

  // Hostile DNs and values: every case the LDIF grammar cannot carry as a plain SAFE-STRING.
  const std::vector<std::string> dns = {
      " leading space,DC=x",
      "trailing space ,DC=x",
      ":starts with colon,DC=x",
      "<starts with angle,DC=x",
      "#starts with hash,DC=x",
      "CN=line\nbreak,DC=x",
      "CN=carriage\rreturn,DC=x",
      "CN=nul\0byte,DC=x",
      "CN=J\xc3\xbcrgen M\xc3\xbcller,DC=x",
      "CN=<img src=x onerror=alert(1)>,DC=x",
      "CN=comma\\,escaped\\+plus,DC=x",
      "",
      "dn: CN=injected\n\ndn: CN=second,DC=x",
  };
  for (std::size_t i = 0; i < dns.size(); ++i) {
    std::string dn = dns[i];
    if (i == 7) dn = std::string("CN=nul\0byte,DC=x", 16);
    Entry e(dn);
    e.add("cn", dn);
    e.add("note", "\n# not a comment\ninclude: file:///etc/passwd");
    e.add("url", "< file:///etc/passwd");
    out.push_back(e);
  }
  return out;
}

void expectSame(const Entry& want, const Entry& got) {
  EXPECT_EQ(want.dn(), got.dn());
  ASSERT_EQ(want.attributes().size(), got.attributes().size()) << want.dn();
  for (std::size_t i = 0; i < want.attributes().size(); ++i) {
    EXPECT_TRUE(iequals(want.attributes()[i].name, got.attributes()[i].name));
    EXPECT_EQ(want.attributes()[i].values, got.attributes()[i].values)
        << want.dn() << " " << want.attributes()[i].name;
  }
}

void writeAll(const std::string& path, const std::vector<Entry>& entries) {
  auto w = LdifWriter::create(path);
  ASSERT_TRUE(w) << w.error().toString();
  ASSERT_TRUE(w->comment("adcheck snapshot\nsecond line"));
  for (const auto& e : entries) ASSERT_TRUE(w->write(e)) << e.dn();
  ASSERT_TRUE(w->comment("end"));
  auto c = w->close();
  ASSERT_TRUE(c) << c.error().toString();
  EXPECT_EQ(w->entriesWritten(), entries.size());
}

std::vector<Entry> readAll(const std::string& path) {
  std::vector<Entry> out;
  auto r = LdifReader::open(path);
  EXPECT_TRUE(r) << r.error().toString();
  if (!r) return out;
  for (;;) {
    auto e = r->next();
    EXPECT_TRUE(e) << e.error().toString();
    if (!e || !*e) break;
    out.push_back(std::move(**e));
  }
  return out;
}

Error readError(const std::string& path) {
  auto r = LdifReader::open(path);
  if (!r) return r.error();
  for (int i = 0; i < 1000000; ++i) {
    auto e = r->next();
    if (!e) {
      // A failed reader stays failed.
      auto again = r->next();
      EXPECT_FALSE(again);
      return e.error();
    }
    if (!*e) break;
  }
  ADD_FAILURE() << path << " was read without an error";
  return Error{};
}

std::string gzipBytes(const std::string& plain) {
  uLongf size = compressBound(plain.size()) + 64;
  std::string out(size, '\0');
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

class LdifTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
};

TEST_F(LdifTest, RoundTripPlainWithBinaryValuesAndHostileDns) {
  const auto entries = sampleEntries();
  const std::string path = dir_.file("snap.ldif");
  writeAll(path, entries);
  const std::string text = test::readFile(path);
  EXPECT_THAT(text, HasSubstr("# adcheck snapshot\n# second line\n"));
  EXPECT_THAT(text, HasSubstr("sAMAccountName: ann\n"));
  EXPECT_THAT(text, HasSubstr("nTSecurityDescriptor:: "));
  // No line of the file may start an injected record or comment.
  EXPECT_THAT(text, ::testing::Not(HasSubstr("\ndn: CN=second")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("\ninclude:")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("\n# not a comment")));
  const auto got = readAll(path);
  ASSERT_EQ(got.size(), entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) expectSame(entries[i], got[i]);
}

TEST_F(LdifTest, RoundTripGzip) {
  const auto entries = sampleEntries();
  const std::string path = dir_.file("snap.ldif.gz");
  writeAll(path, entries);
  const std::string bytes = test::readFile(path);
  ASSERT_GE(bytes.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(bytes[1]), 0x8b);
  const auto got = readAll(path);
  ASSERT_EQ(got.size(), entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) expectSame(entries[i], got[i]);
}

TEST_F(LdifTest, ManyEntriesStreamWithLineNumbers) {
  const std::string path = dir_.file("many.ldif.gz");
  {
    auto w = LdifWriter::create(path);
    ASSERT_TRUE(w);
    for (int i = 0; i < 20000; ++i) {
      Entry e("CN=user" + std::to_string(i) + ",DC=corp,DC=example,DC=com");
      e.add("objectSid", std::string("\x01\x05\x00\x00\x00\x00\x00\x05", 8) + std::to_string(i));
      e.add("sAMAccountName", "user" + std::to_string(i));
      ASSERT_TRUE(w->write(e));
    }
    ASSERT_TRUE(w->close());
  }
  auto r = LdifReader::open(path);
  ASSERT_TRUE(r);
  std::uint64_t n = 0;
  for (;;) {
    auto e = r->next();
    ASSERT_TRUE(e) << e.error().toString();
    if (!*e) break;
    EXPECT_EQ((*e)->firstOr("sAMAccountName"), "user" + std::to_string(n));
    ++n;
  }
  EXPECT_EQ(n, 20000u);
  EXPECT_EQ(r->entriesRead(), 20000u);
  EXPECT_GT(r->line(), 60000u);
}

TEST_F(LdifTest, TruncatedGzipIsAnErrorAtEveryCut) {
  const std::string path = dir_.file("full.ldif.gz");
  std::vector<Entry> entries;
  for (int i = 0; i < 300; ++i) {
    Entry e("CN=u" + std::to_string(i) + ",DC=x");
    e.add("description", std::string(200, static_cast<char>('a' + i % 26)));
    entries.push_back(e);
  }
  writeAll(path, entries);
  const std::string bytes = test::readFile(path);
  // Cut anywhere: inside the deflate data, and inside the 8-byte trailer (CRC + size).
  for (std::size_t cut : {bytes.size() / 3, bytes.size() / 2, bytes.size() - 9, bytes.size() - 4,
                          bytes.size() - 1}) {
    const std::string cut_path = dir_.file("cut" + std::to_string(cut) + ".ldif.gz");
    test::writeFile(cut_path, bytes.substr(0, cut));
    Error e = readError(cut_path);
    EXPECT_EQ(e.code, ErrorCode::kParse) << cut;
    EXPECT_THAT(e.message, HasSubstr(cut_path)) << cut;
    EXPECT_THAT(e.message, HasSubstr("truncated")) << cut << ": " << e.message;
  }
}

TEST_F(LdifTest, GarbledGzipIsAnError) {
  const std::string path = dir_.file("ok.ldif.gz");
  writeAll(path, sampleEntries());
  std::string bytes = test::readFile(path);
  for (std::size_t i = bytes.size() / 2; i < bytes.size() / 2 + 16; ++i) bytes[i] ^= 0x5a;
  const std::string bad = dir_.file("garbled.ldif.gz");
  test::writeFile(bad, bytes);
  Error e = readError(bad);
  EXPECT_EQ(e.code, ErrorCode::kParse);
  EXPECT_THAT(e.message, HasSubstr(bad));
}

TEST_F(LdifTest, PlainFileCutInsideALineIsAnError) {
  const std::string path = dir_.file("cut.ldif");
  test::writeFile(path, "dn: CN=a,DC=x\ncn: a\n\ndn: CN=b,DC=x\ncn: b\ndescription: half a li");
  Error e = readError(path);
  EXPECT_EQ(e.code, ErrorCode::kParse);
  EXPECT_THAT(e.message, HasSubstr(path + ":6:"));
  EXPECT_THAT(e.message, HasSubstr("truncated"));
}

TEST_F(LdifTest, GarbledRecordsNameFileAndLine) {
  struct Case {
    std::string text;
    std::string where;
    std::string what;
  };
  const std::vector<Case> cases = {
      {"dn: CN=a,DC=x\ncn: a\n\ncn: no dn here\n", ":4:", "must start with \"dn:\""},
      {"version: 1\n\ndn: CN=a,DC=x\nbroken line without colon\n", ":4:", "malformed line"},
      {"dn: CN=a,DC=x\nobjectGUID:: %%%notbase64%%%\n", ":2:", "invalid base64 value of \"objectGUID\""},
      {"dn: CN=a,DC=x\nobjectGUID:: AAAA=AAA\n", ":2:", "invalid base64"},
      {"dn: CN=a,DC=x\nobjectGUID:: AB==\n", ":2:", "invalid base64"},
      {"dn: CN=a,DC=x\ncn: a\ndn: CN=b,DC=x\n", ":3:", "second \"dn:\""},
      {"# comment\n# comment\ndn: CN=a,DC=x\nphoto:< file:///etc/passwd\n", ":4:", "URL values"},
      {"dn: CN=a,DC=x\n\ninclude: file:///etc/passwd\n\n", "", "\"include:\" lines are not allowed"},
      {"dn: CN=a,DC=x\nchangetype: modify\nreplace: cn\n", ":2:", "change records"},
      {"version: 2\n\ndn: CN=a,DC=x\n", ":1:", "unsupported LDIF version"},
  };
  int i = 0;
  for (const auto& c : cases) {
    const std::string path = dir_.file("bad" + std::to_string(i++) + ".ldif");
    test::writeFile(path, c.text);
    Error e = readError(path);
    EXPECT_EQ(e.code, ErrorCode::kParse) << c.text;
    EXPECT_THAT(e.message, HasSubstr(path + c.where)) << c.text << " -> " << e.message;
    EXPECT_THAT(e.message, HasSubstr(c.what)) << c.text << " -> " << e.message;
  }
}

// A huge line is an error before the reader has buffered it (a 1 GiB line used to take 2 GB).
TEST_F(LdifTest, ALineOrFoldedValueBeyondTheCapIsAClearError) {
  const std::string plain = dir_.file("long.ldif");
  test::writeFile(plain, "dn: CN=a,DC=x\ncn: a\n\ndn: CN=b,DC=x\ndescription: " +
                             std::string(17u << 20, 'x') + "\n\n");
  Error e = readError(plain);
  EXPECT_EQ(e.code, ErrorCode::kParse);
  EXPECT_THAT(e.message, HasSubstr("line 5 is longer than 16 MiB")) << e.message;

  // The same length folded into continuation lines is one logical line.
  std::string folded = "dn: CN=a,DC=x\ndescription: x\n";
  for (int i = 0; i < (17 << 20) / 76; ++i) folded += " " + std::string(75, 'y') + "\n";
  const std::string gz = dir_.file("folded.ldif.gz");
  test::writeFile(gz, gzipBytes(folded + "\n"));
  Error f = readError(gz);
  EXPECT_THAT(f.message, HasSubstr("is longer than 16 MiB")) << f.message;

  // Just under the cap is read.
  const std::string ok = dir_.file("ok.ldif");
  test::writeFile(ok, "dn: CN=b,DC=x\ndescription: " + std::string(15u << 20, 'x') + "\n");
  auto got = readAll(ok);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].firstOr("description").size(), 15u << 20);
}

// libldap's reader works on C strings: a raw NUL cut the line and glued the next one to it, so
// "objectGUID" vanished into the DN without a word.
TEST_F(LdifTest, ARawNulByteIsRejectedNamingTheLine) {
  const std::string path = dir_.file("nul.ldif");
  test::writeFile(path, std::string("dn: CN=a,DC=x\ncn: a") + '\0' +
                            "b\nobjectGUID:: AAECAwQFBgcICQoLDA0ODw==\n\n");
  Error e = readError(path);
  EXPECT_EQ(e.code, ErrorCode::kParse);
  EXPECT_THAT(e.message, HasSubstr("a NUL byte in line 2")) << e.message;
  EXPECT_THAT(e.message, HasSubstr("base64")) << e.message;
}

TEST(LdifDn, WellFormedAndMalformedDns) {
  for (const char* good :
       {"", "DC=corp,DC=example,DC=com", "CN=Smith\\, John,OU=x,DC=y", "CN=J\xc3\xbcrgen,DC=x",
        "CN=a\\0ADEL:1234,CN=Deleted Objects,DC=x", "cn=adcheck-snapshot"})
    EXPECT_TRUE(isValidDn(good)) << good;
  for (const char* bad : {"garbage", "CN=a,,DC=x", "=a,DC=x", "CN=a,DC", "CN=a\\", "CN=a,DC=x,"})
    EXPECT_FALSE(isValidDn(bad)) << bad;
  EXPECT_FALSE(isValidDn(std::string_view("CN=a\0b,DC=x", 12)));
}

TEST_F(LdifTest, ReadsLdapsearchOutputAndChangetypeAdd) {
  const std::string path = dir_.file("ldapsearch.ldif");
  test::writeFile(path,
                  "# extended LDIF\n#\n\n"
                  "dn: CN=a,DC=x\r\nobjectSid:: AQUAAAAAAAUVAAAA\r\ndescription: folded\r\n  value\r\n\r\n"
                  "# a comment between entries\n"
                  "dn: CN=b,DC=x\nchangetype: add\ncn: b\n\n\n\n"
                  "# search result\n# numEntries: 2\n");
  const auto got = readAll(path);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].dn(), "CN=a,DC=x");
  EXPECT_EQ(got[0].firstOr("objectSid"), std::string("\x01\x05\x00\x00\x00\x00\x00\x05\x15\x00\x00\x00", 12));
  EXPECT_EQ(got[0].firstOr("description"), "folded value");
  EXPECT_EQ(got[1].firstOr("cn"), "b");
  EXPECT_EQ(got[1].values("changetype"), nullptr);
}

TEST_F(LdifTest, OpenErrors) {
  auto missing = LdifReader::open(dir_.file("absent.ldif.gz"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(missing.error().message, HasSubstr("absent.ldif.gz"));

  const std::string plain_named_gz = dir_.file("plain.ldif.gz");
  test::writeFile(plain_named_gz, "dn: CN=a,DC=x\n");
  auto not_gz = LdifReader::open(plain_named_gz);
  ASSERT_FALSE(not_gz);
  EXPECT_THAT(not_gz.error().message, HasSubstr("not gzip data"));

  auto dir = LdifReader::open(dir_.file(""));
  ASSERT_FALSE(dir);
}

TEST_F(LdifTest, GzipWrittenByOthersIsRead) {
  const std::string path = dir_.file("other.ldif.gz");
  test::writeFile(path, gzipBytes("dn: CN=a,DC=x\ncn: a\n\ndn: CN=b,DC=x\ncn: b\n"));
  const auto got = readAll(path);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].dn(), "CN=b,DC=x");
}

TEST_F(LdifTest, WriterRefusesBadAttributeNamesAndCleansUp) {
  const std::string path = dir_.file("w.ldif");
  {
    auto w = LdifWriter::create(path);
    ASSERT_TRUE(w);
    Entry bad("CN=a,DC=x");
    bad.add("cn: injected\nobjectClass", "x");
    auto r = w->write(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message, HasSubstr("CN=a,DC=x"));
    Entry dn_attr("CN=a,DC=x");
    dn_attr.add("dn", "CN=evil");
    EXPECT_FALSE(w->write(dn_attr));
    EXPECT_TRUE(std::filesystem::exists(path + ".partial"));
    // Dropped without close(): no file under the final name, no partial left.
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));

  auto nodir = LdifWriter::create(dir_.file("no/such/dir/x.ldif"));
  ASSERT_FALSE(nodir);
  EXPECT_EQ(nodir.error().code, ErrorCode::kIo);
  EXPECT_THAT(nodir.error().message, HasSubstr("no/such/dir/x.ldif"));
}

// The base64 fast path decodes what libldap's LDIF writer folds, byte for byte.
TEST(LdifBase64, FoldedValuesOfEveryLengthRoundTrip) {
  test::TempDir dir;
  const std::string path = dir.file("b64.ldif");
  for (std::size_t len : {0u, 1u, 2u, 3u, 4u, 5u, 57u, 58u, 59u, 76u, 77u, 1000u, 2731u}) {
    std::string value;
    for (std::size_t i = 0; i < len; ++i) value.push_back(static_cast<char>((i * 131 + len) & 0xFF));
    {
      auto w = LdifWriter::create(path, LdifWriterOptions{false, 6, 76});
      ASSERT_TRUE(w) << w.error().toString();
      Entry e("CN=b64,DC=x");
      e.add("nTSecurityDescriptor", value + std::string(1, '\0'));
      ASSERT_TRUE(w->write(e));
      ASSERT_TRUE(w->close());
    }
    auto r = LdifReader::open(path);
    ASSERT_TRUE(r);
    auto e = r->next();
    ASSERT_TRUE(e) << e.error().toString();
    ASSERT_TRUE(*e);
    EXPECT_EQ((*e)->firstOr("nTSecurityDescriptor"), value + std::string(1, '\0')) << len;
  }
}

}  // namespace
}  // namespace adcheck::ldap
