// server/security_flags.h: the command-line flags of SecurityOptions (--tls-cert, --tls-key,
// --tls-client-ca, --auth-tokens, --insecure), shared by nasq-server's main.
//
// Thread-safety: call from the thread that parses the command line.
#ifndef NASQ_SERVER_SECURITY_FLAGS_H_
#define NASQ_SERVER_SECURITY_FLAGS_H_

#include <CLI/CLI.hpp>

#include "server/security_options.h"

namespace nasq {

// Adds the flags to `app`; parsing writes them into `options`, which must outlive `app`.
void AddSecurityFlags(CLI::App& app, SecurityOptions& options);

}  // namespace nasq

#endif  // NASQ_SERVER_SECURITY_FLAGS_H_
