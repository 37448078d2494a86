// Paged search, ranged retrieval, security descriptors with the SD flags control, and a DC that
// drops or stalls the connection mid-search, against the lab's Samba AD DC.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <set>

#include "lab.h"
#include "ldap/session.h"

namespace adcheck::ldap::lab {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

#define ASSERT_OK(r) ASSERT_TRUE(r) << (r).error().toString()

std::uint32_t le32(const std::string& b, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 3])) << 24;
}

class Search : public LabTest {
 protected:
  std::string bulkGroupDn(Session& s, BulkGroup& group) {
    auto g = bulkGroup(lab_);
    EXPECT_TRUE(g) << g.error().toString();
    if (!g) return {};
    group = *g;
    SearchRequest r;
    r.base = lab_.base_dn;
    r.filter = "(&(objectClass=group)(sAMAccountName=" + group.sam + "))";
    r.attributes = {"1.1"};
    auto search = s.search(r);
    EXPECT_TRUE(search) << search.error().toString();
    if (!search) return {};
    auto e = search->next();
    EXPECT_TRUE(e && *e) << "group " << group.sam << " not found";
    if (!e || !*e) return {};
    return (*e)->dn();
  }
};

TEST_F(Search, PagingOverMoreEntriesThanOnePage) {
  auto s = Session::open(gssapi(lab_.reader));
  ASSERT_OK(s);
  SearchRequest r;
  r.base = lab_.base_dn;
  r.filter = "(&(objectCategory=person)(objectClass=user))";
  r.attributes = {"sAMAccountName", "objectGUID"};
  r.page_size = 97;
  auto search = s->search(r);
  ASSERT_OK(search);
  std::set<std::string> dns;
  std::set<std::string> guids;
  for (;;) {
    auto e = search->next();
    ASSERT_OK(e);
    if (!*e) break;
    dns.insert((*e)->dn());
    ASSERT_TRUE((*e)->has("objectGUID")) << (*e)->dn();
    EXPECT_EQ((*e)->first("objectGUID")->size(), 16u);  // binary value intact
    guids.insert(std::string(*(*e)->first("objectGUID")));
  }
  const auto n = search->entriesReceived();
  EXPECT_GT(n, 1000u) << "the lab holds well over a thousand users";
  EXPECT_EQ(dns.size(), n) << "an entry came twice";
  EXPECT_EQ(guids.size(), n);
  EXPECT_GE(search->pagesReceived(), (n + 96) / 97);
  // After the end, next() keeps saying so.
  auto after = search->next();
  ASSERT_OK(after);
  EXPECT_FALSE(*after);
  // count() pages too and agrees.
  auto counted = s->count(lab_.base_dn, r.filter);
  ASSERT_OK(counted);
  EXPECT_EQ(*counted, n);
}

TEST_F(Search, EntriesComeOneAtATimeAndAnAbandonedSearchLeavesTheSessionUsable) {
  auto s = Session::open(ldaps());
  ASSERT_OK(s);
  {
    SearchRequest r;
    r.base = lab_.base_dn;
    r.filter = "(objectClass=user)";
    r.attributes = {"cn"};
    r.page_size = 500;
    auto search = s->search(r);
    ASSERT_OK(search);
    for (int i = 0; i < 3; ++i) {
      auto e = search->next();
      ASSERT_OK(e);
      ASSERT_TRUE(*e);
    }
    EXPECT_EQ(search->entriesReceived(), 3u);
    EXPECT_EQ(search->pagesReceived(), 0u);
  }  // abandoned mid-page
  auto again = s->readEntry(lab_.base_dn, {"objectClass"});
  ASSERT_OK(again);
  EXPECT_TRUE(*again);
}

TEST_F(Search, RangedRetrievalOfAGroupWithMoreThan1500Members) {
  auto s = Session::open(gssapi(lab_.reader));
  ASSERT_OK(s);
  BulkGroup group;
  const std::string dn = bulkGroupDn(*s, group);
  ASSERT_FALSE(dn.empty());
  ASSERT_GT(group.members, 1500u) << "the manifest's bulk group must exceed one 1500-value range";

  auto all = s->rangedValues(dn, "member");
  ASSERT_OK(all);
  EXPECT_EQ(all->size(), group.members);
  const std::set<std::string> want(all->begin(), all->end());
  EXPECT_EQ(want.size(), group.members);

  // Chunked the way a Windows DC (MaxValRange 1500) or a smaller policy answers.
  for (std::size_t step : {1500u, 1000u, 499u, 7u}) {
    auto chunked = s->rangedValues(dn, "member", step);
    ASSERT_OK(chunked);
    EXPECT_EQ(std::set<std::string>(chunked->begin(), chunked->end()), want) << step;
    EXPECT_EQ(chunked->size(), group.members) << step;
  }

  // The server sends only a first range: the entry is completed under the base name.
  auto first_only = s->readEntry(dn, {"member;range=0-99", "cn"});
  ASSERT_OK(first_only);
  ASSERT_TRUE(*first_only);
  ASSERT_NE((*first_only)->values("member"), nullptr);
  EXPECT_EQ((*first_only)->values("member")->size(), group.members);
  EXPECT_EQ((*first_only)->values("member;range=0-99"), nullptr);

  // Same through a paged search.
  SearchRequest r;
  r.base = lab_.base_dn;
  r.filter = "(sAMAccountName=" + group.sam + ")";
  r.attributes = {"member;range=0-1499"};
  auto search = s->search(r);
  ASSERT_OK(search);
  auto e = search->next();
  ASSERT_OK(e);
  ASSERT_TRUE(*e);
  const auto* members = (*e)->values("member");
  ASSERT_NE(members, nullptr);
  EXPECT_EQ(std::set<std::string>(members->begin(), members->end()), want);

  // Proof that the server really answered with a partial range: without completion only the
  // first 100 values are there.
  r.attributes = {"member;range=0-99"};
  r.complete_ranges = false;
  auto raw = s->search(r);
  ASSERT_OK(raw);
  auto re = raw->next();
  ASSERT_OK(re);
  ASSERT_TRUE(*re);
  ASSERT_NE((*re)->values("member"), nullptr);
  EXPECT_EQ((*re)->values("member")->size(), 100u);

  // Seen on Samba: asking for plain "member" returns every value at once (no MaxValRange).
  auto plain = s->readEntry(dn, {"member"});
  ASSERT_OK(plain);
  ASSERT_TRUE(*plain);
  EXPECT_EQ((*plain)->values("member")->size(), group.members);
}

TEST_F(Search, RangedValuesOfAMissingObjectOrAttribute) {
  auto s = Session::open(ldaps());
  ASSERT_OK(s);
  auto missing = s->rangedValues("CN=No Such Group," + lab_.base_dn, "member");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(missing.error().message, HasSubstr("CN=No Such Group"));
  auto none = s->rangedValues(lab_.reader.dn, "member");
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
}

TEST_F(Search, SecurityDescriptorAsTheNonAdminReader) {
  auto s = Session::open(ldaps());
  ASSERT_OK(s);
  // Default: the SD flags control (DACL only) is sent because nTSecurityDescriptor is asked for.
  auto with = s->readEntry(lab_.reader.dn, {"nTSecurityDescriptor"});
  ASSERT_OK(with);
  ASSERT_TRUE(*with);
  ASSERT_TRUE((*with)->has("nTSecurityDescriptor"));
  const std::string sd(*(*with)->first("nTSecurityDescriptor"));
  ASSERT_GE(sd.size(), 20u);
  EXPECT_EQ(sd[0], 1);  // revision
  const unsigned control = static_cast<unsigned char>(sd[2]) | static_cast<unsigned char>(sd[3]) << 8;
  EXPECT_TRUE(control & 0x0004) << "SE_DACL_PRESENT";
  EXPECT_TRUE(control & 0x8000) << "SE_SELF_RELATIVE";
  EXPECT_EQ(le32(sd, 4), 0u) << "owner not requested";
  EXPECT_EQ(le32(sd, 8), 0u) << "group not requested";
  EXPECT_EQ(le32(sd, 12), 0u) << "SACL not requested";
  EXPECT_NE(le32(sd, 16), 0u) << "DACL offset";

  // Seen on Samba 4.17: without the control the reader gets no descriptor at all (it may not
  // read the SACL, and the DC leaves the attribute out rather than returning a part).
  SearchRequest r;
  r.base = lab_.reader.dn;
  r.scope = Scope::kBase;
  r.attributes = {"nTSecurityDescriptor", "cn"};
  r.sd_flags = 0;
  auto search = s->search(r);
  ASSERT_OK(search);
  auto without = search->next();
  ASSERT_OK(without);
  ASSERT_TRUE(*without);
  EXPECT_TRUE((*without)->has("cn"));
  EXPECT_FALSE((*without)->has("nTSecurityDescriptor"));
}

TEST_F(Search, SecurityDescriptorWithoutTheControlAsAdminHasAnOwner) {
  auto s = Session::open(gssapi(lab_.admin));
  ASSERT_OK(s);
  SearchRequest r;
  r.base = lab_.reader.dn;
  r.scope = Scope::kBase;
  r.attributes = {"nTSecurityDescriptor"};
  r.sd_flags = 0;
  auto search = s->search(r);
  ASSERT_OK(search);
  auto e = search->next();
  ASSERT_OK(e);
  ASSERT_TRUE(*e);
  ASSERT_TRUE((*e)->has("nTSecurityDescriptor"));
  EXPECT_NE(le32(std::string(*(*e)->first("nTSecurityDescriptor")), 4), 0u) << "owner present";
}

TEST_F(Search, EveryUserComesWithItsDaclForTheReader) {
  auto s = Session::open(gssapi(lab_.reader));
  ASSERT_OK(s);
  SearchRequest r;
  r.base = lab_.base_dn;
  r.filter = "(&(objectCategory=person)(objectClass=user))";
  r.attributes = {"nTSecurityDescriptor", "objectSid"};
  r.page_size = 250;
  auto search = s->search(r);
  ASSERT_OK(search);
  std::uint64_t without = 0;
  for (;;) {
    auto e = search->next();
    ASSERT_OK(e);
    if (!*e) break;
    if (!(*e)->has("nTSecurityDescriptor")) ++without;
  }
  EXPECT_GT(search->entriesReceived(), 1000u);
  EXPECT_EQ(without, 0u);
}

TEST_F(Search, SearchErrors) {
  auto s = Session::open(ldaps());
  ASSERT_OK(s);
  SearchRequest bad_filter;
  bad_filter.base = lab_.base_dn;
  bad_filter.filter = "(objectClass=user";
  auto f = s->search(bad_filter);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, ErrorCode::kInvalidArgument);

  SearchRequest bad_base;
  bad_base.base = "OU=Does Not Exist," + lab_.base_dn;
  auto b = s->search(bad_base);
  ASSERT_OK(b);
  auto e = b->next();
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(e.error().message, HasSubstr("OU=Does Not Exist"));
  EXPECT_THAT(e.error().message, HasSubstr("noSuchObject (32)"));
  auto again = b->next();
  ASSERT_FALSE(again);  // a failed search stays failed

  auto missing = s->readEntry("CN=Nobody," + lab_.base_dn, {"cn"});
  ASSERT_OK(missing);
  EXPECT_FALSE(*missing);
}

SearchRequest allUsersWithDescriptors(const Lab& lab) {
  SearchRequest r;
  r.base = lab.base_dn;
  r.filter = "(&(objectCategory=person)(objectClass=user))";
  r.attributes = {"nTSecurityDescriptor", "sAMAccountName", "objectSid"};
  r.page_size = 200;
  return r;
}

TEST_F(Search, DroppedConnectionMidSearchSaysHowManyEntriesArrived) {
  Relay relay(lab_.ip, 636, 400 * 1024, Relay::Fault::kDrop);
  SessionOptions o = ldaps();
  o.uris = {"ldaps://" + lab_.host + ":" + std::to_string(relay.port())};
  auto s = Session::open(o);
  ASSERT_OK(s);
  auto search = s->search(allUsersWithDescriptors(lab_));
  ASSERT_OK(search);
  Result<std::optional<Entry>> e;
  for (;;) {
    e = search->next();
    if (!e || !*e) break;
  }
  ASSERT_TRUE(relay.faulted()) << "the relay never cut the connection";
  ASSERT_FALSE(e) << "the search ended normally after " << search->entriesReceived() << " entries";
  EXPECT_EQ(e.error().code, ErrorCode::kServerDown);
  const auto n = search->entriesReceived();
  EXPECT_GT(n, 0u);
  EXPECT_THAT(e.error().message, HasSubstr("after " + std::to_string(n) + " entries"));
  EXPECT_THAT(e.error().message, HasSubstr("lost"));
  EXPECT_THAT(e.error().hint, HasSubstr("incomplete"));
  auto again = search->next();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kServerDown);
  // The session reports the lost connection on later use too (and nothing raises SIGPIPE).
  auto read = s->readEntry(lab_.base_dn, {"objectClass"});
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, ErrorCode::kServerDown) << read.error().toString();
  auto next_search = s->search(allUsersWithDescriptors(lab_));
  if (next_search) {
    auto first = next_search->next();
    ASSERT_FALSE(first);
    EXPECT_EQ(first.error().code, ErrorCode::kServerDown);
  } else {
    EXPECT_EQ(next_search.error().code, ErrorCode::kServerDown);
  }
}

TEST_F(Search, ConnectionResetWhileIdleIsAnErrorNotASignal) {
  Relay relay(lab_.ip, 636, SIZE_MAX, Relay::Fault::kDrop);
  SessionOptions o = ldaps();
  o.uris = {"ldaps://" + lab_.host + ":" + std::to_string(relay.port())};
  auto s = Session::open(o);
  ASSERT_OK(s);
  relay.resetNow();
  // Writing to a reset connection raises SIGPIPE unless it is ignored; the process must live
  // and get an error it can act on (several times: each call writes again).
  for (int i = 0; i < 3; ++i) {
    auto read = s->readEntry(lab_.base_dn, {"objectClass"});
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().code, ErrorCode::kServerDown) << read.error().toString();
  }
}

TEST_F(Search, StalledConnectionTimesOut) {
  Relay relay(lab_.ip, 636, 300 * 1024, Relay::Fault::kStall);
  SessionOptions o = ldaps();
  o.uris = {"ldaps://" + lab_.host + ":" + std::to_string(relay.port())};
  o.timeout = 2s;
  auto s = Session::open(o);
  ASSERT_OK(s);
  auto search = s->search(allUsersWithDescriptors(lab_));
  ASSERT_OK(search);
  const auto start = std::chrono::steady_clock::now();
  Result<std::optional<Entry>> e;
  for (;;) {
    e = search->next();
    if (!e || !*e) break;
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ErrorCode::kTimeout);
  EXPECT_THAT(e.error().message, HasSubstr("after " + std::to_string(search->entriesReceived())));
  EXPECT_LT(elapsed, 20s);
}

}  // namespace
}  // namespace adcheck::ldap::lab
