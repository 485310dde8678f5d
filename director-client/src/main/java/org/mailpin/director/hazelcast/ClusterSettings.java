package org.mailpin.director.hazelcast;

import java.util.List;
import java.util.Objects;

/**
 * How this node joins the shared state.
 *
 * @param name        Hazelcast cluster name; nodes with another name never join
 * @param bindAddress address the embedded member listens on
 * @param port        port the embedded member listens on
 * @param members     peers as {@code host} or {@code host:port} (TCP-IP join, like Dovecot's
 *                    {@code director_servers}); empty for a single member
 */
public record ClusterSettings(String name, String bindAddress, int port, List<String> members) {

    public static final int DEFAULT_PORT = 5701;

    public ClusterSettings {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(bindAddress, "bindAddress");
        members = List.copyOf(members);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("invalid cluster port " + port + ": expected 1 to 65535");
        }
    }

    /** A single member on 127.0.0.1:5701: the default that needs no configuration. */
    public static ClusterSettings singleMember() {
        return new ClusterSettings("mailpin", "127.0.0.1", DEFAULT_PORT, List.of());
    }
}
