package io.fwatchdog.mode.http;

import io.netty.channel.unix.DomainSocketAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.SocketAddress;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;

/**
 * Where the upstream server listens, from {@code upstream_url}: {@code http://host[:port][/prefix]}
 * or {@code unix:/path/to.sock}. The configuration has validated the syntax already.
 *
 * @param netty   the address the proxy connects to
 * @param probe   the same address for a JDK {@code SocketChannel}, used by the readiness probe
 * @param prefix  path prepended to every request URI ({@code ""} for none, never a trailing slash)
 * @param display the URL as configured, for messages
 */
record UpstreamAddress(SocketAddress netty, SocketAddress probe, String prefix, String display) {

    /** @param epoll whether the proxy connects with the native transport, whose socket address type differs */
    static UpstreamAddress parse(String url, boolean epoll) {
        if (url.startsWith("unix:")) {
            String socket = url.substring("unix:".length());
            UnixDomainSocketAddress jdk = UnixDomainSocketAddress.of(Path.of(socket));
            return new UpstreamAddress(epoll ? new DomainSocketAddress(socket) : jdk, jdk, "", url);
        }
        URI uri = URI.create(url);
        int port = uri.getPort() == -1 ? 80 : uri.getPort();
        // Resolved now, once: the upstream is a local process whose address does not move.
        InetSocketAddress address = new InetSocketAddress(uri.getHost(), port);
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return new UpstreamAddress(address, address, path, url);
    }

    /** The {@code Host} header for requests of the watchdog's own: the URL's authority, {@code localhost} for a socket. */
    String host() {
        return netty instanceof InetSocketAddress inet ? inet.getHostString() + ":" + inet.getPort() : "localhost";
    }

    boolean unix() {
        return netty instanceof DomainSocketAddress || netty instanceof UnixDomainSocketAddress;
    }

    /** True for a TCP address of this machine, where only a local process can be listening. */
    boolean localTcp() {
        if (!(netty instanceof InetSocketAddress inet) || inet.getAddress() == null) {
            return false;
        }
        InetAddress address = inet.getAddress();
        if (address.isLoopbackAddress() || address.isAnyLocalAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(address) != null;
        } catch (SocketException e) {
            return false;
        }
    }

    /** The request target sent upstream: the prefix, then the client's URI exactly as received. */
    String target(String clientUri) {
        if (prefix.isEmpty()) {
            return clientUri;
        }
        return clientUri.startsWith("/") ? prefix + clientUri : prefix + "/" + clientUri;
    }
}
