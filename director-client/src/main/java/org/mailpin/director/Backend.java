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
 * @param up       false when an administrator or a health check marked the backend down
 */
public record Backend(String id, String address, int vhosts, String tag, BackendPorts ports,
                      String webmail, boolean up) {

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

    public Backend withUp(boolean newUp) {
        return new Backend(id, address, vhosts, tag, ports, webmail, newUp);
    }

    public Backend withVhosts(int newVhosts) {
        return new Backend(id, address, newVhosts, tag, ports, webmail, up);
    }
}
