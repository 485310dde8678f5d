package org.mailpin.gateway.dovecot;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A Dovecot director configuration translated into Mailpin's terms, ready to be written as YAML.
 * Every part carries the Dovecot text it came from, which the YAML repeats as a comment.
 *
 * @param source      the Dovecot file
 * @param director    the {@code director:} section, or null when every key keeps its default
 * @param cluster     the {@code cluster:} section, or null for a single node without peers
 * @param backends    the backends from {@code director_mail_servers}, with their origin
 * @param mail        the {@code mail:} section, or null when no login service goes through the director
 * @param notes       everything not translated or needing the administrator, in file order
 */
public record ImportedConfig(Path source, Director director, Cluster cluster, Backends backends, Mail mail,
                             List<ImportNote> notes) {

    /**
     * @param userExpire   {@code director_user_expire}, or null to keep Mailpin's default
     * @param hashFormat   {@code director_username_hash}, or null to keep Mailpin's default
     * @param origin       the Dovecot lines these came from
     */
    public record Director(Duration userExpire, String hashFormat, String origin) {
    }

    /**
     * @param bind     this node's Hazelcast address, {@code host:port}
     * @param members  every node's Hazelcast address, {@code host:port}
     * @param origin   the Dovecot lines these came from and how ports were mapped
     */
    public record Cluster(String bind, List<String> members, String origin) {
    }

    /** One backend: ids are {@code be1}, {@code be2}... in the order of {@code director_mail_servers}. */
    public record Backend(String id, String address, int vhosts, String tag) {
    }

    /** @param origin  the Dovecot lines the backends came from */
    public record Backends(List<Backend> list, String origin) {
    }

    /**
     * @param protocol  Mailpin's protocol name, e.g. {@code imap} or {@code imaps}
     * @param listen    {@code host:port}, IPv6 in brackets
     * @param origin    the Dovecot listener it replaces
     */
    public record Listener(String protocol, String listen, String origin) {
    }

    /**
     * @param listeners   the mail listeners
     * @param certFile    PEM certificate chain from {@code ssl_cert}, or null without TLS
     * @param keyFile     PEM key from {@code ssl_key}, or null without TLS
     * @param requireTls  whether plaintext logins are rejected, as with {@code disable_plaintext_auth = yes}
     */
    public record Mail(List<Listener> listeners, Path certFile, Path keyFile, boolean requireTls) {
    }
}
