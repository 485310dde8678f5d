package org.mailpin.director;

import java.util.Objects;

/**
 * A mail backend (one Dovecot server) as the director sees it.
 *
 * @param id       stable name used in the config, the admin API and logs, e.g. {@code be1}
 * @param address  the IP address in canonical text form; it is the backend's identity on the ring,
 *                 exactly as in Dovecot's director, so two backends must never share it
 * @param vhosts   weight on the ring: how many points the backend contributes (0 to 1000)
 * @param tag      pool name; users of one tag only map to backends of that tag ("" is the default pool)
 * @param ports    service ports
 * @param webmail  id of the Roundcube instance that sits next to this backend, or null
 * @param up       false when an administrator marked the backend down. Only an administrator sets
 *                 it back, so a passing health check never overturns a manual down.
 * @param healthy  false when the health checks found the backend failing
 */
public record Backend(String id, String address, int vhosts, String tag, BackendPorts ports,
                      String webmail, boolean up, boolean healthy) {

    public static final int MAX_VHOSTS = 1000;

    public Backend {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(ports, "ports");
        tag = tag == null ? "" : tag;
        if (id.isBlank()) {
            throw new IllegalArgumentException("backend id must not be empty");
        }
        if (vhosts < 0 || vhosts > MAX_VHOSTS) {
            throw new IllegalArgumentException("backend " + id + ": invalid vhosts " + vhosts
                    + ": expected 0 to " + MAX_VHOSTS);
        }
        address = IpAddresses.canonical(address);
    }

    /** Creates a backend that no health check has marked failing yet. */
    public Backend(String id, String address, int vhosts, String tag, BackendPorts ports, String webmail, boolean up) {
        this(id, address, vhosts, tag, ports, webmail, up, true);
    }

    /** Returns whether new users may be assigned here: up by the administrator and healthy. */
    public boolean usable() {
        return up && healthy;
    }

    public Backend withUp(boolean newUp) {
        return new Backend(id, address, vhosts, tag, ports, webmail, newUp, healthy);
    }

    public Backend withHealthy(boolean newHealthy) {
        return new Backend(id, address, vhosts, tag, ports, webmail, up, newHealthy);
    }

    public Backend withVhosts(int newVhosts) {
        return new Backend(id, address, newVhosts, tag, ports, webmail, up, healthy);
    }

    public Backend withTag(String newTag) {
        return new Backend(id, address, vhosts, newTag, ports, webmail, up, healthy);
    }
}
