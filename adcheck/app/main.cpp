// adcheck: Active Directory checks around Exchange ActiveSync.
#include <iostream>
#include <string>
#include <vector>

#include "adcheck/app/cli.h"
#include "adcheck/app/serve_command.h"
#include "adcheck/app/store_commands.h"

namespace {

constexpr const char* kUsage = R"(adcheck: Active Directory health and permissions around Exchange ActiveSync

usage:
  adcheck scan     --config FILE [--format table|json|csv] [--output FILE] [--fail-on SEVERITY]
                   [--require-complete]
  adcheck scan     --snapshot FILE.ldif[.gz] ... [--config FILE] [--format ...]
  adcheck snapshot --config FILE --output FILE.ldif.gz
  adcheck doctor   --config FILE [--quick] [--format text|json]   (what will go wrong, before a scan)
  adcheck explain  (--config FILE | --snapshot FILE ...) [--format text|json] USER
  adcheck rules    [--format text|json|md]
  adcheck probe    --config FILE [--format table|json] [URL...]   (default: [endpoint] urls)
  adcheck report   --config FILE [--scan ID|latest] [--since ID|previous] [--ou DN] [--rule ID...]
                   --format html|csv|json|ps1|ps1-revert|ldif|ldif-revert [--output FILE]
  adcheck scans      list --config FILE [--format table|json] [--limit N] [--offset N]
  adcheck scans      diff --config FILE FROM TO [--format table|json]   (ids, previous, latest)
  adcheck exceptions add --config FILE (--fingerprint FP | --rule ID --dn-pattern GLOB)
                         --reason TEXT --owner NAME [--expires YYYY-MM-DD]
  adcheck exceptions list --config FILE [--all] [--format table|json]
  adcheck exceptions remove --config FILE ID
  adcheck serve    --config FILE [--listen HOST:PORT]       (the dashboard; Ctrl-C stops it)
  adcheck demo     [--listen 127.0.0.1:PORT] [--data DIR]   (the dashboard on a sample forest)
  adcheck hash-password < FILE     (prints a [web] admin_password_hash for the password read)

scan exit codes: 0 no finding at or above --fail-on (default: low), 1 some, 2 error.
  Coverage (what the scan account could not read) is always reported (table, scan.coverage);
  by default an incomplete coverage does not change the exit code; with --require-complete
  it exits 2.
probe exit codes: 0 no finding, 1 some, 2 error.
doctor exit codes: 0 every check ok, 1 warnings, 2 a check failed (--quick: no full read for coverage).
With [store] path in the configuration file, scan keeps history: status and firstSeen come from it.
USER for explain: a DN, sAMAccountName or userPrincipalName.
Secrets never go on the command line: [directory] password_file or ADCHECK_BIND_PASSWORD.
)";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  using namespace adcheck::app;
  if (command == "scan") return cmdScan(args);
  if (command == "snapshot") return cmdSnapshot(args);
  if (command == "explain") return cmdExplain(args);
  if (command == "doctor") return cmdDoctor(args);
  if (command == "rules") return cmdRules(args);
  if (command == "probe") return cmdProbe(args);
  if (command == "report") return cmdReport(args);
  if (command == "scans") return cmdScans(args);
  if (command == "exceptions") return cmdExceptions(args);
  if (command == "serve") return cmdServe(args);
  if (command == "demo") return cmdDemo(args);
  if (command == "hash-password") return cmdHashPassword(args);
  if (command == "version" || command == "--version") {
    std::cout << "adcheck " << ADCHECK_VERSION << "\n";
    return 0;
  }
  std::cerr << "adcheck: unknown command '" << command << "'\n\n" << kUsage;
  return 2;
}
