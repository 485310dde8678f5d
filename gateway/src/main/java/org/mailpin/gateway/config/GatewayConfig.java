package org.mailpin.gateway.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.mailpin.director.Backend;
import org.mailpin.gateway.health.HealthSettings;
import org.mailpin.gateway.mail.MailSettings;

/**
 * The whole gateway configuration, validated. Built by {@link ConfigLoader} from one YAML file;
 * records here hold no secrets, only the paths of the files that contain them.
 */
public record GatewayConfig(String node, DirectorSection director, List<Backend> backends, WebSection web,
                            AdminSection admin, ClusterSection cluster, MailSettings mail, HealthSettings health,
                            Path source) {

    /**
     * @param userExpire     how long a user stays on a backend after the last activity
     * @param lowercase      ASCII-lowercase usernames
     * @param defaultDomain  appended to usernames without {@code @}, or null
     * @param hashFormat     ring key format, as Dovecot's {@code director_username_hash}
     * @param kickRate       users per second whose live connections a flush, a down or a remove
     *                       closes, so their reconnects do not hit the remaining backends at once
     */
    public record DirectorSection(Duration userExpire, boolean lowercase, String defaultDomain, String hashFormat,
                                  int kickRate) {

        public static final int DEFAULT_KICK_RATE = 100;
    }

    /**
     * @param listenHost      address of the public HTTP listener
     * @param listenPort      port of the public HTTP listener
     * @param prefix          public path prefix, starting and ending with {@code /}
     * @param publicHosts     Host header values the gateway answers to ({@code host:port} or {@code host})
     * @param secretFile      file holding the secret shared with the Roundcube plugin
     * @param sharedSessions  true when all Roundcube instances share one database and session store
     * @param maxBodySize     largest request body in bytes; larger gets 413
     * @param sessionIdle     how long a pinned web session lives without a request
     * @param sessionCookie   name of Roundcube's session cookie ({@code session_name})
     * @param proxyTimeout    how long one proxied request may take before 504
     * @param roundcube       the Roundcube instances, in preference order
     */
    public record WebSection(String listenHost, int listenPort, String prefix, List<String> publicHosts,
                             Path secretFile, boolean sharedSessions, long maxBodySize, Duration sessionIdle,
                             String sessionCookie, Duration proxyTimeout, List<RoundcubeInstance> roundcube) {
    }

    /** A Roundcube instance behind the gateway. */
    public record RoundcubeInstance(String id, java.net.URI url) {
    }

    /**
     * @param listenHost  address of the admin listener; loopback unless the operator changes it
     * @param listenPort  port of the admin listener
     * @param tokenFile   file holding the bearer token
     */
    public record AdminSection(String listenHost, int listenPort, Path tokenFile) {
    }

    /**
     * @param name            Hazelcast cluster name
     * @param mode            whether this node runs a Hazelcast member or connects as a client
     * @param bindAddress     this node's cluster address (member mode)
     * @param port            this node's cluster port (member mode)
     * @param members         peers as host:port, this node possibly among them (member mode)
     * @param minMembers      smallest cluster in which new assignments are written (member mode)
     * @param clientAddresses members of the existing cluster as host:port (client mode), else empty
     */
    public record ClusterSection(String name, ClusterMode mode, String bindAddress, int port, List<String> members,
                                 int minMembers, List<String> clientAddresses) {
    }

    /** Role of a node in the shared state. */
    public enum ClusterMode {
        /** Runs an embedded Hazelcast member: the default. */
        MEMBER,
        /** Connects as a Hazelcast client to an existing cluster. */
        CLIENT
    }
}
