#include "flowctl/base/net.h"

#include <sys/socket.h>

namespace flowctl {

void ExclusiveListenOptions(int socket) {
  int yes = 1;
  ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

}  // namespace flowctl
