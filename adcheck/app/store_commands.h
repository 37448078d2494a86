// The history commands (adcheck scans, adcheck exceptions) and the store side of adcheck scan.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adcheck/app/cli.h"
#include "adcheck/config/config.h"
#include "adcheck/output/output.h"
#include "adcheck/store/store.h"

namespace adcheck::app {

// adcheck scans list|diff --config FILE ...
int cmdScans(const Args& args);
// adcheck exceptions add|list|remove --config FILE ...
int cmdExceptions(const Args& args);

// Records one `adcheck scan` in the store: begun before the directory is read (so the web sees
// it running), finished with every finding afterwards.
class ScanRecorder {
 public:
  // nullopt when the configuration file sets no [store] path (then nothing is stored); an error
  // when it does and the store cannot be opened or written.
  static Result<std::optional<ScanRecorder>> start(const config::Config& config,
                                                   const std::string& target);
  // Stores the scan and fills each row's status and firstSeen from the lifecycle.
  // On an error the scan is marked failed with it (it is not retried), rather than left running
  // for the next scan to call "interrupted".
  Result<void> finish(const scan::ScanSummary& summary, std::vector<output::FindingRow>& rows);
  // Records that the scan could not run (e.g. the connection failed): failed, with `error`.
  Result<void> recordFailure(const Error& error);

 private:
  std::unique_ptr<store::Store> store_;
  std::int64_t id_ = 0;
};

}  // namespace adcheck::app
