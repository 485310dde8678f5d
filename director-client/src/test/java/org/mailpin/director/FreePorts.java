package org.mailpin.director;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Free TCP ports for servers that tests start, taken from the kernel by binding port 0. */
public final class FreePorts {

    private FreePorts() {
    }

    /**
     * Returns a port that was free on the address when this method closed its socket.
     * NOTE: another process can take the port before the test's server binds it.
     */
    public static int find(String address) {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(address))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("binding a free port on " + address + " failed", e);
        }
    }
}
