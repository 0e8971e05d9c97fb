// client/credential_flags.h: the command-line flags of CredentialFiles (--tls-ca, --tls-cert,
// --tls-key, --token-file), shared by `nasq` and `nasq-worker`.
//
// Thread-safety: call from the thread that parses the command line.
#ifndef NASQ_CLIENT_CREDENTIAL_FLAGS_H_
#define NASQ_CLIENT_CREDENTIAL_FLAGS_H_

#include "CLI/CLI.hpp"
#include "client/client_credentials.h"

namespace nasq {

// Adds the flags to `app`; parsing writes the paths into `files`, which must outlive `app`.
void AddCredentialFlags(CLI::App& app, CredentialFiles& files);

}  // namespace nasq

#endif  // NASQ_CLIENT_CREDENTIAL_FLAGS_H_
