package org.mailpin.director.hazelcast;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Settings of this node's embedded Hazelcast member.
 *
 * @param name        Hazelcast cluster name; nodes with another name never join
 * @param bindAddress address the embedded member listens on
 * @param port        port the embedded member listens on
 * @param members     peers as {@code host} or {@code host:port} (TCP-IP join, like Dovecot's
 *                    {@code director_servers}); may include this node; empty for a single member
 * @param minMembers  smallest cluster in which this member writes new assignments; 1 turns the
 *                    split-brain protection off
 */
public record ClusterSettings(String name, String bindAddress, int port, List<String> members, int minMembers) {

    public static final int DEFAULT_PORT = 5701;

    public ClusterSettings {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(bindAddress, "bindAddress");
        members = List.copyOf(members);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("invalid cluster port " + port + ": expected 1 to 65535");
        }
        if (minMembers < 1) {
            throw new IllegalArgumentException("invalid minimum cluster size " + minMembers + ": expected 1 or more");
        }
    }

    /** Settings with the default minimum cluster size, {@link #defaultMinMembers}. */
    public ClusterSettings(String name, String bindAddress, int port, List<String> members) {
        this(name, bindAddress, port, members, defaultMinMembers(bindAddress, port, members));
    }

    /** A single member on 127.0.0.1:5701: the default that needs no configuration. */
    public static ClusterSettings singleMember() {
        return new ClusterSettings("mailpin", "127.0.0.1", DEFAULT_PORT, List.of());
    }

    /**
     * Returns the number of distinct members, this one included, whether or not {@code members}
     * lists it. Entries are compared as written ({@code host:port}, IPv6 in brackets), so a
     * member listed by name and by address counts twice.
     */
    public static int clusterSize(String bindAddress, int port, List<String> members) {
        Set<String> distinct = new LinkedHashSet<>(members);
        distinct.add((bindAddress.contains(":") ? "[" + bindAddress + "]" : bindAddress) + ":" + port);
        return distinct.size();
    }

    /**
     * Returns the default minimum cluster size: a majority, {@code n / 2 + 1}, of the {@code n}
     * configured members when there are three or more, else 1. With two members a majority is
     * both, so the loss of either would stop every new login, and a split cannot be distinguished
     * from a node loss. Both halves of a split pick the same backend for a new user anyway,
     * because the ring is deterministic.
     */
    public static int defaultMinMembers(String bindAddress, int port, List<String> members) {
        int size = clusterSize(bindAddress, port, members);
        return size >= 3 ? size / 2 + 1 : 1;
    }
}
