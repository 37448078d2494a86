// Binds, failover, RootDSE and bad input against the lab's Samba AD DC.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "lab.h"
#include "ldap/session.h"

namespace adcheck::ldap::lab {
namespace {

using ::testing::HasSubstr;

#define ASSERT_OK(r) ASSERT_TRUE(r) << (r).error().toString()

class Binds : public LabTest {};

void expectRootDse(Session& s, const Lab& lab) {
  auto dse = s.rootDse();
  ASSERT_OK(dse);
  EXPECT_EQ(dse->default_naming_context, lab.base_dn);
  EXPECT_EQ(dse->root_domain_naming_context, lab.base_dn);
  EXPECT_EQ(dse->configuration_naming_context, "CN=Configuration," + lab.base_dn);
  EXPECT_EQ(dse->schema_naming_context, "CN=Schema,CN=Configuration," + lab.base_dn);
  EXPECT_TRUE(iequals(dse->dns_host_name, lab.host)) << dse->dns_host_name;
  EXPECT_THAT(dse->server_name, HasSubstr("CN=Sites,CN=Configuration," + lab.base_dn));
  EXPECT_TRUE(dse->supportsControl(kPagedResultsOid));
  EXPECT_TRUE(dse->supportsControl(kSdFlagsOid));
  EXPECT_TRUE(dse->supportsSaslMechanism("GSSAPI"));
  ASSERT_TRUE(dse->domain_functionality);
  ASSERT_TRUE(dse->forest_functionality);
  ASSERT_TRUE(dse->domain_controller_functionality);
  EXPECT_GE(*dse->domain_functionality, 2);  // Windows Server 2003 or later
  EXPECT_GE(*dse->domain_controller_functionality, *dse->domain_functionality);
}

TEST_F(Binds, GssapiWithTheAdminTicketHasAnEncryptingLayer) {
  auto s = Session::open(gssapi(lab_.admin));
  ASSERT_OK(s);
  EXPECT_EQ(s->uri(), lab_.ldap_uri);
  EXPECT_EQ(s->bindMode(), BindMode::kGssapi);
  EXPECT_FALSE(s->tls());
  EXPECT_GE(s->saslSsf(), 56);
  EXPECT_TRUE(s->failedAttempts().empty());
  expectRootDse(*s, lab_);
}

TEST_F(Binds, GssapiWithTheReaderTicket) {
  auto s = Session::open(gssapi(lab_.reader));
  ASSERT_OK(s);
  EXPECT_GE(s->saslSsf(), 56);
  auto n = s->count(lab_.base_dn, "(sAMAccountName=svc-adcheck)");
  ASSERT_OK(n);
  EXPECT_EQ(*n, 1u);
}

TEST_F(Binds, LdapsSimple) {
  auto s = Session::open(ldaps());
  ASSERT_OK(s);
  EXPECT_EQ(s->uri(), lab_.ldaps_uri);
  EXPECT_TRUE(s->tls());
  EXPECT_EQ(s->saslSsf(), 0);
  expectRootDse(*s, lab_);
  // Bound as the reader, not anonymously: anonymous users cannot read the domain head.
  auto head = s->readEntry(lab_.base_dn, {"objectSid"});
  ASSERT_OK(head);
  ASSERT_TRUE(*head);
  EXPECT_TRUE((*head)->has("objectSid"));
}

TEST_F(Binds, StartTlsSimple) {
  auto s = Session::open(startTls());
  ASSERT_OK(s);
  EXPECT_EQ(s->uri(), lab_.ldap_uri);
  EXPECT_TRUE(s->tls());
  expectRootDse(*s, lab_);
}

TEST_F(Binds, PlainSimpleIsRefusedBeforeThePasswordIsSent) {
  // A listener on the lab address with the DC's host name in the URI: the session must not even
  // connect to it.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  ::inet_pton(AF_INET, lab_.ip.c_str(), &addr.sin_addr);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);

  SessionOptions o = ldaps();
  o.uris = {"ldap://" + lab_.host + ":" + std::to_string(ntohs(addr.sin_port)), lab_.ldap_uri};
  auto s = Session::open(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kConfig);
  EXPECT_THAT(s.error().hint, HasSubstr("ldaps://"));
  EXPECT_THAT(s.error().hint, HasSubstr("starttls = true"));
  EXPECT_THAT(s.error().hint, HasSubstr("bind = gssapi"));
  EXPECT_THAT(s.error().message, HasSubstr(lab_.ldap_uri));
  EXPECT_THAT(s.error().toString(), ::testing::Not(HasSubstr(std::string(o.password.reveal()))));
  EXPECT_LT(::accept(fd, nullptr, nullptr), 0) << "a connection was made";
  ::close(fd);
}

TEST_F(Binds, FailoverFromADeadFirstUri) {
  SessionOptions o = ldaps();
  o.uris = {"ldaps://127.0.0.1:1", lab_.ldaps_uri};
  auto s = Session::open(o);
  ASSERT_OK(s);
  EXPECT_EQ(s->uri(), lab_.ldaps_uri);
  ASSERT_EQ(s->failedAttempts().size(), 1u);
  EXPECT_EQ(s->failedAttempts()[0].uri, "ldaps://127.0.0.1:1");
  EXPECT_EQ(s->failedAttempts()[0].error.code, ErrorCode::kServerDown);
  expectRootDse(*s, lab_);
}

TEST_F(Binds, FailoverPastACertificateThatDoesNotMatch) {
  SessionOptions o = ldaps();
  o.uris = {"ldaps://" + lab_.ip, lab_.ldaps_uri};  // the certificate names the host, not the IP
  auto s = Session::open(o);
  ASSERT_OK(s);
  EXPECT_EQ(s->uri(), lab_.ldaps_uri);
  ASSERT_EQ(s->failedAttempts().size(), 1u);
  EXPECT_EQ(s->failedAttempts()[0].error.code, ErrorCode::kTls);
  EXPECT_THAT(s->failedAttempts()[0].error.hint, HasSubstr("host name"));
}

class BadInput : public LabTest {
 protected:
  ScratchDir scratch_;
};

TEST_F(BadInput, WrongPassword) {
  std::ofstream(scratch_.file("wrong.pw")) << "definitely-not-the-password\n";
  ::chmod(scratch_.file("wrong.pw").c_str(), 0600);  // password files: owner only
  SessionOptions o = ldaps();
  o.password = *loadSecret(scratch_.file("wrong.pw"));
  o.uris = {lab_.ldaps_uri, lab_.ldaps_uri};
  auto s = Session::open(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kAuth);
  EXPECT_THAT(s.error().message, HasSubstr("invalidCredentials (49)"));
  EXPECT_THAT(s.error().message, HasSubstr("server said"));
  EXPECT_THAT(s.error().message, HasSubstr(lab_.reader.user));
  EXPECT_THAT(s.error().hint, HasSubstr("password_file"));
  EXPECT_THAT(s.error().toString(), ::testing::Not(HasSubstr("definitely-not-the-password")));
  // A rejected password is not retried on the next DC (lockout).
  EXPECT_THAT(s.error().message, ::testing::Not(HasSubstr("2 tried")));
}

TEST_F(BadInput, UnreachableDc) {
  SessionOptions o = ldaps();
  o.uris = {"ldaps://127.0.0.1:1"};
  auto s = Session::open(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kServerDown);
  EXPECT_THAT(s.error().message, HasSubstr("ldaps://127.0.0.1:1"));
  EXPECT_THAT(s.error().hint, HasSubstr("[directory] uri"));
}

TEST_F(BadInput, WrongCaFile) {
  auto other = makeSelfSigned(scratch_.path(), "Some Other CA");
  ASSERT_OK(other);
  for (bool starttls : {false, true}) {
    SessionOptions o = starttls ? startTls() : ldaps();
    o.ca_file = other->cert;
    auto s = Session::open(o);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::kTls) << s.error().toString();
    EXPECT_THAT(s.error().message, HasSubstr(starttls ? "StartTLS" : "TLS handshake"));
    EXPECT_THAT(s.error().hint, HasSubstr(other->cert));
    EXPECT_THAT(s.error().hint, HasSubstr("tls_verify = false"));
  }
  // Explicitly switching verification off is the lab escape hatch, and it works.
  SessionOptions o = ldaps();
  o.ca_file = other->cert;
  o.tls_verify = false;
  auto s = Session::open(o);
  EXPECT_TRUE(s) << s.error().toString();
}

TEST_F(BadInput, HostNameThatTheCertificateDoesNotName) {
  SessionOptions o = ldaps();
  o.uris = {"ldaps://" + lab_.ip};
  auto s = Session::open(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kTls);
  EXPECT_THAT(s.error().message, HasSubstr("does not match"));
  EXPECT_THAT(s.error().hint, HasSubstr("host name"));
}

TEST_F(BadInput, LdapConfigFilesAndEnvironmentAddNoTrust) {
  // libldap would read ldap.conf-style settings from LDAPTLS_* variables, LDAPCONF / LDAPRC,
  // and ldaprc / .ldaprc in $HOME and the working directory. Each of them here trusts the lab's
  // CA and switches certificate checks off; adcheck's configuration does neither (ca_file empty:
  // the system trust store, which does not hold the lab's self-signed CA), so the DC must stay
  // untrusted. libldap reads these once per process, at its first use: the check runs in a
  // fresh process ("threadsafe" death tests re-execute the test binary), which sets them up
  // before its first libldap call, as a real environment would be.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::string conf = "TLS_CACERT " + lab_.ca_file + "\nTLS_REQCERT never\nTLS_REQSAN never\n";
  for (const char* name : {"ldaprc", ".ldaprc", "ldap.conf", "rc"})
    std::ofstream(scratch_.file(name)) << conf;
  const std::string ca_file = lab_.ca_file;
  const std::string dir = scratch_.path();
  const SessionOptions base = ldaps();
  EXPECT_EXIT(
      {
        ::setenv("LDAPTLS_CACERT", ca_file.c_str(), 1);
        ::setenv("LDAPTLS_REQCERT", "never", 1);
        ::setenv("LDAPCONF", (dir + "/ldap.conf").c_str(), 1);
        ::setenv("LDAPRC", "rc", 1);
        ::setenv("HOME", dir.c_str(), 1);
        if (::chdir(dir.c_str()) != 0) std::_Exit(3);
        SessionOptions o = base;
        o.ca_file.clear();
        for (bool starttls : {false, true}) {
          if (starttls) o.uris = startTls().uris;
          o.starttls = starttls;
          auto s = Session::open(o);
          if (s) {
            std::fprintf(stderr, "connected to %s: the environment made the DC trusted\n",
                         s->uri().c_str());
            std::_Exit(1);
          }
          std::fprintf(stderr, "code=%s %s\n", s.error().code == ErrorCode::kTls ? "tls" : "other",
                       s.error().toString().c_str());
          if (s.error().code != ErrorCode::kTls) std::_Exit(2);
        }
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "code=tls .*set \\[directory\\] ca_file");
  // And with the lab's CA configured, the same DC is trusted (what the environment tried).
  auto s = Session::open(ldaps());
  EXPECT_TRUE(s) << s.error().toString();
}

TEST_F(BadInput, MalformedUri) {
  SessionOptions o = ldaps();
  o.uris = {"ldaps:/" + lab_.host};
  auto s = Session::open(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(s.error().message, HasSubstr("\"ldaps:/" + lab_.host + "\""));
  EXPECT_THAT(s.error().hint, HasSubstr("ldaps://host"));
}

TEST_F(BadInput, MissingPasswordFile) {
  auto secret = loadSecret(scratch_.file("absent.pw"));
  ASSERT_FALSE(secret);
  EXPECT_EQ(secret.error().code, ErrorCode::kIo);
  EXPECT_THAT(secret.error().message, HasSubstr(scratch_.file("absent.pw")));
  // And a session without a password refuses to bind anonymously.
  SessionOptions o = ldaps();
  o.password = Secret();
  auto s = Session::open(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kConfig);
}

TEST_F(BadInput, GssapiNeedsTheHostName) {
  SessionOptions o = gssapi(lab_.admin);
  o.uris = {"ldap://" + lab_.ip};
  auto s = Session::open(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kAuth);
  EXPECT_THAT(s.error().message, HasSubstr("Server not found in Kerberos database"));
  EXPECT_THAT(s.error().hint, HasSubstr("host name"));
}

TEST_F(BadInput, GssapiWithoutATicket) {
  SessionOptions o = gssapi(lab_.admin);
  ::setenv("KRB5CCNAME", ("FILE:" + scratch_.file("no-such-ccache")).c_str(), 1);
  auto s = Session::open(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kAuth);
  EXPECT_THAT(s.error().hint, HasSubstr("kinit"));
}

TEST_F(BadInput, GssapiInsideTlsIsRefusedBySamba) {
  // Seen on Samba 4.17: a GSSAPI layer inside TLS is "not allowed", no layer is "required".
  // adcheck asks for no layer inside TLS (what Windows accepts) and explains the refusal.
  SessionOptions o = gssapi(lab_.admin);
  o.uris = {lab_.ldaps_uri};
  o.ca_file = lab_.ca_file;
  auto s = Session::open(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kAuth);
  EXPECT_THAT(s.error().message, HasSubstr("Sign or Seal"));
  EXPECT_THAT(s.error().hint, HasSubstr("ldap:// URIs"));
}

TEST_F(BadInput, ExternalIsNotOfferedBySamba) {
  auto cert = makeSelfSigned(scratch_.path(), "svc-adcheck");
  ASSERT_OK(cert);
  SessionOptions o = ldaps();
  o.bind = BindMode::kExternal;
  o.password = Secret();
  o.client_cert = cert->cert;
  o.client_key = cert->key;
  auto s = Session::open(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kAuth);
  EXPECT_THAT(s.error().hint, HasSubstr("does not offer SASL EXTERNAL"));
  EXPECT_THAT(s.error().hint, HasSubstr("GSSAPI"));
  // Without a client certificate it is a configuration error, found before connecting.
  o.client_cert.clear();
  auto nocert = Session::open(o);
  ASSERT_FALSE(nocert);
  EXPECT_EQ(nocert.error().code, ErrorCode::kConfig);
}

}  // namespace
}  // namespace adcheck::ldap::lab
