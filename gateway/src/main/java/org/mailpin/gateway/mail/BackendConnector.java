package org.mailpin.gateway.mail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

import org.mailpin.director.Backend;

/**
 * Opens plaintext TCP connections to backends. A configured source address makes the backend see
 * a fixed proxy address, which its {@code login_trusted_networks} must contain: on loopback the
 * kernel would otherwise pick 127.0.0.1 whatever address the proxy listens on.
 */
public final class BackendConnector {

    private final InetAddress source;
    private final Duration connectTimeout;

    public BackendConnector(String sourceAddress, Duration connectTimeout) {
        this.source = sourceAddress == null ? null : org.mailpin.director.IpAddresses.parse(sourceAddress);
        this.connectTimeout = connectTimeout;
    }

    /**
     * Connects to a backend service.
     *
     * @throws IOException when the backend refuses or does not answer within the connect timeout;
     *                     the message names the backend and the port
     */
    public Socket connect(Backend backend, int port) throws IOException {
        if (port == 0) {
            throw new IOException("backend " + backend.id() + " (" + backend.address() + ") has no port for this protocol");
        }
        Socket socket = new Socket();
        try {
            if (source != null) {
                socket.bind(new InetSocketAddress(source, 0));
            }
            socket.connect(new InetSocketAddress(InetAddress.getByName(backend.address()), port),
                    (int) connectTimeout.toMillis());
            socket.setTcpNoDelay(true);
            return socket;
        } catch (IOException e) {
            socket.close();
            throw new IOException("backend " + backend.id() + " (" + backend.address() + ":" + port + "): "
                    + e.getMessage(), e);
        }
    }
}
