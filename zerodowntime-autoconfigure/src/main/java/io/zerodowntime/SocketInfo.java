package io.zerodowntime;

import java.net.InetSocketAddress;

/**
 * A listening TCP socket found at {@code fd}. {@code ipv6} is the socket's address family
 * (AF_INET6); such a socket may still report an IPv4 {@code localAddress} when it is
 * bound to a v4-mapped address such as {@code 127.0.0.1}.
 */
record SocketInfo(int fd, boolean ipv6, InetSocketAddress localAddress) {
}
