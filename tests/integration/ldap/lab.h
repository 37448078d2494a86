// What the ldap integration tests need from the lab contract ($ADCHECK_LAB_DIR/lab.json, written
// by tests/lab/lab.py up), plus a TCP relay for fault injection and throwaway certificates.
// LabTest fails (never skips) with the reason when the lab is not up.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>

#include "ldap/session.h"

namespace adcheck::ldap::lab {

struct Account {
  std::string user;
  std::string dn;
  std::string password_file;
  std::string ccache;
};

struct Lab {
  std::string dir;
  std::string ip;
  std::string host;
  std::string realm;
  std::string base_dn;
  std::string domain_sid;
  std::string ldap_uri;
  std::string ldaps_uri;
  std::string ca_file;
  std::string krb5_config;
  std::string manifest;
  Account admin;
  Account reader;
};

// The lab, or the reason it is unusable.
Result<Lab> loadLab();

// The manifest's bulk group (kind "bulk-users": its group's sAMAccountName and member count).
struct BulkGroup {
  std::string sam;
  std::size_t members = 0;
};
Result<BulkGroup> bulkGroup(const Lab& lab);

class LabTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // GSSAPI over ldap:// with the account's Kerberos ccache (sets KRB5CCNAME).
  SessionOptions gssapi(const Account& who) const;
  // Simple bind as the reader over LDAPS, or over ldap:// with StartTLS.
  SessionOptions ldaps() const;
  SessionOptions startTls() const;

  Lab lab_;
};

// A throwaway self-signed certificate and key (openssl), for the wrong-CA and EXTERNAL tests.
struct CertFiles {
  std::string cert;
  std::string key;
};
Result<CertFiles> makeSelfSigned(const std::string& dir, const std::string& cn);

// A temporary directory removed at the end of the test.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Relays one TCP connection from ip:<ephemeral port> to ip:target_port. After `limit` bytes
// from the server it either drops both connections (kDrop) or stops relaying while keeping
// them open (kStall).
class Relay {
 public:
  enum class Fault { kDrop, kStall };
  Relay(const std::string& ip, int target_port, std::size_t limit, Fault fault);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;
  int port() const { return port_; }
  bool faulted() const { return faulted_; }
  // Resets the client connection now (TCP RST), as a DC or firewall dropping an idle session.
  void resetNow();

 private:
  void run();
  std::string ip_;
  int target_port_;
  std::size_t limit_;
  Fault fault_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> faulted_{false};
  std::atomic<bool> reset_{false};
  std::atomic<bool> reset_done_{false};
  std::thread thread_;
};

}  // namespace adcheck::ldap::lab
