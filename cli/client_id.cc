#include "cli/client_id.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace nasq {

std::string DefaultCliClientId() {
  std::string user;
  if (const char* env = std::getenv("USER"); env != nullptr && *env != '\0') {
    user = env;
  } else if (const passwd* account = getpwuid(geteuid()); account != nullptr) {
    user = account->pw_name;
  } else {
    user = absl::StrCat(geteuid());
  }
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return absl::StrCat("cli:", user, "@", *host != '\0' ? host : "localhost");
}

}  // namespace nasq
