// CRT-USER-CERT-EXPIRING: certificate-based ActiveSync sign-in stops when the cert expires.
#include <Poco/Crypto/X509Certificate.h>
#include <Poco/DigestEngine.h>
#include <Poco/Exception.h>
#include <Poco/SHA1Engine.h>
#include <openssl/x509.h>

#include "rules/helpers.h"

namespace adcheck::rules {
namespace {

std::string thumbprint(const std::string& der) {
  Poco::SHA1Engine sha1;
  sha1.update(der.data(), der.size());
  return Poco::DigestEngine::digestToHex(sha1.digest());
}

void evaluate(const UserObject& u, const Context& ctx, const Emit& emit) {
  if (!u.isMailbox || u.easDisabled() || u.entry == nullptr) return;
  const auto* certs = u.entry->values("userCertificate");
  if (certs == nullptr) return;
  const std::time_t warn_until =
      ctx.now + static_cast<std::time_t>(ctx.rules.cert_expiry_days) * 86400;
  for (const auto& der : *certs) {
    auto fp = thumbprint(der);
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    X509* raw = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
    if (raw == nullptr) {
      auto f = scan::makeFinding("CRT-USER-CERT-EXPIRING", Severity::kMedium, u);
      f.key = fp;
      f.details->set("thumbprint", fp);
      f.details->set("error", "userCertificate value is not a DER X.509 certificate");
      markDisabled(f, u);
      f.summary = "A published userCertificate cannot be parsed";
      f.remediation = "Remove the damaged value from userCertificate and republish the user's "
                      "certificate from the CA.";
      emit(std::move(f));
      continue;
    }
    try {
      Poco::Crypto::X509Certificate cert(raw);  // takes ownership
      std::time_t expires = cert.expiresOn().timestamp().epochTime();
      if (expires > warn_until) continue;
      bool expired = expires <= ctx.now;
      auto f = scan::makeFinding("CRT-USER-CERT-EXPIRING", Severity::kMedium, u);
      f.key = fp;
      f.details->set("thumbprint", fp);
      f.details->set("subject", cert.subjectName());
      f.details->set("issuer", cert.issuerName());
      f.details->set("serialNumber", cert.serialNumber());
      f.details->set("notAfter", scan::isoTime(expires));
      f.details->set("expired", expired);
      f.details->set("daysLeft", static_cast<int>((expires - ctx.now) / 86400));
      markDisabled(f, u);
      f.summary = std::string(expired ? "Certificate expired on " : "Certificate expires on ") +
                  scan::isoTime(expires).substr(0, 10) + " (" + cert.commonName() + ")";
      f.remediation =
          "Enrol a new certificate for the user and publish it (autoenrollment or the CA's "
          "template), then remove the old value from userCertificate. Certificate-based "
          "ActiveSync sign-in fails once the certificate has expired.";
      emit(std::move(f));
    } catch (const Poco::Exception& e) {
      auto f = scan::makeFinding("CRT-USER-CERT-EXPIRING", Severity::kMedium, u);
      f.key = fp;
      f.details->set("thumbprint", fp);
      f.details->set("error", e.displayText());
      f.summary = "A published userCertificate cannot be read";
      f.remediation = "Remove the damaged value from userCertificate.";
      emit(std::move(f));
    }
  }
}

}  // namespace

extern const Rule kCrtUserCertExpiring{
    {.id = "CRT-USER-CERT-EXPIRING",
     .title = "User certificate of an ActiveSync user expired or expiring",
     .severity = Severity::kMedium,
     .severityNote = "",
     .category = "certificates",
     .appliesTo = "mailbox users with ActiveSync enabled and userCertificate",
     .rationale = "Where ActiveSync signs in with client certificates, the certificate published "
                  "in userCertificate must be valid; once expired, the phone stops syncing. "
                  "adcheck warns [rules] cert_expiry_days (default 30) ahead.",
     .remediation = "Renew and republish the certificate; remove expired values.",
     .references = {"RFC 5280", "Exchange ActiveSync certificate-based authentication"},
     .inputs = {"user:userCertificate", "user:homeMDB", "user:msExchMailboxGuid",
                "user:msExchOmaAdminWirelessEnable"}},
    evaluate, nullptr};

}  // namespace adcheck::rules
