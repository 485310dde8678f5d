package org.mailpin.gateway.health;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.mailpin.director.hazelcast.MapNames;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

/**
 * A named lease in the shared map {@link MapNames#LEASES}: the entry's value is the holder's node
 * name and its TTL is the lease time, so a holder that dies loses the lease when the entry expires.
 * It needs only IMap operations, so it works on a Hazelcast client too, where the CP subsystem
 * (Enterprise-only in Hazelcast 5.5) is not available.
 *
 * <p>Node names must be unique in the cluster: two nodes with one name would both hold the lease.
 * The TTL must exceed the renewal period by more than a second, because on Hazelcast 5.5 an
 * entry can expire up to about 1 s before its TTL ends.
 */
public final class Lease {

    private final IMap<String, String> leases;
    private final String name;
    private final String node;
    private final Duration ttl;

    /**
     * @param node this node's name, stored as the holder
     * @param ttl  how long the lease lasts without a renewal
     */
    public Lease(HazelcastInstance hazelcast, String name, String node, Duration ttl) {
        this.leases = hazelcast.getMap(MapNames.LEASES);
        this.name = name;
        this.node = node;
        this.ttl = ttl;
    }

    /**
     * Renews the lease when this node holds it, takes it when no node does, and returns whether this
     * node holds it now, for the next {@code ttl} at least.
     */
    public boolean acquireOrRenew() {
        String holder = leases.get(name);
        if (node.equals(holder)) {
            // NOTE: the entry can expire and another node take it between get and setTtl. Then setTtl
            // extends the other node's lease, and this node runs one more round beside it until its
            // next call reads the other holder.
            if (leases.setTtl(name, ttl.toMillis(), TimeUnit.MILLISECONDS)) {
                return true;
            }
            holder = null;
        }
        if (holder != null) {
            return false;
        }
        return leases.putIfAbsent(name, node, ttl.toMillis(), TimeUnit.MILLISECONDS) == null;
    }

    /** Gives the lease up if this node holds it, so another node can take it at once. */
    public void release() {
        leases.remove(name, node);
    }

    /** Returns the holder's node name, or null when no node holds the lease. */
    public String holder() {
        return leases.get(name);
    }

    public String node() {
        return node;
    }
}
