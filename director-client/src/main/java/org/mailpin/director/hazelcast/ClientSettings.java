package org.mailpin.director.hazelcast;

import java.util.List;
import java.util.Objects;

/**
 * Settings of this node's Hazelcast client, which joins an existing cluster in client mode.
 *
 * @param name      cluster name of the existing cluster
 * @param addresses members to connect to, as {@code host:port}; the client learns the others
 */
public record ClientSettings(String name, List<String> addresses) {

    public ClientSettings {
        Objects.requireNonNull(name, "name");
        addresses = List.copyOf(addresses);
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("client mode needs at least one member address");
        }
    }
}
