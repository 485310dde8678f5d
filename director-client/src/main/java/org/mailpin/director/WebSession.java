package org.mailpin.director;

import java.time.Instant;

/**
 * A browser session that the web gateway pinned after a successful webmail login.
 *
 * @param id          random session id carried in the gateway's signed cookie
 * @param user        normalized username
 * @param created     login time
 * @param lastRequest time of the latest request seen by any node (updated at a bounded rate)
 * @param clientIp    address of the browser as the gateway saw it
 * @param node        gateway node that handled the login
 */
public record WebSession(String id, String user, Instant created, Instant lastRequest, String clientIp,
                         String node) {

    public WebSession withLastRequest(Instant time) {
        return new WebSession(id, user, created, time, clientIp, node);
    }
}
