// Socket options shared by every listener flowctl opens.
//
// Contract: stateless, thread-safe.
#ifndef FLOWCTL_BASE_NET_H_
#define FLOWCTL_BASE_NET_H_

namespace flowctl {

// One owner per port: SO_REUSEADDR (a restart may bind while old
// connections sit in TIME_WAIT) but never SO_REUSEPORT, which lets a second
// process bind the same port and take a random share of the connections.
// Pass it to httplib::Server::set_socket_options.
void ExclusiveListenOptions(int socket);

}  // namespace flowctl

#endif  // FLOWCTL_BASE_NET_H_
