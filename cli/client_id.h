// cli/client_id.h: who the `nasq` CLI says it is when it asks or tells.
// Thread-safety: reads the environment and the host name; call it from one thread.
#ifndef NASQ_CLI_CLIENT_ID_H_
#define NASQ_CLI_CLIENT_ID_H_

#include <string>

namespace nasq {

// "cli:<user>@<host>": the lease holder of a trial the CLI asks (system attr "worker") and the
// teller of one it tells ("told_by"), unless --client-id says otherwise. The user is $USER, else
// the account's name, else its uid; the host is gethostname's, else "localhost".
std::string DefaultCliClientId();

}  // namespace nasq

#endif  // NASQ_CLI_CLIENT_ID_H_
