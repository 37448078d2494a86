// adcheck serve, adcheck demo and adcheck hash-password: the dashboard server (web/) from the
// command line.
#pragma once

#include "adcheck/app/cli.h"

namespace adcheck::app {

int cmdServe(const Args& args);
int cmdDemo(const Args& args);
int cmdHashPassword(const Args& args);

}  // namespace adcheck::app
